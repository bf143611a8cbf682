"""DEV001–DEV003 with real subprocesses on loopback. After every scenario: no process
of it is alive and its port is free."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from helpers import REPO, clean_environ, run_cli, write_project

SCENARIO = Path(__file__).parent / "servers" / "scenario.py"


def scenario_project(root: Path, mode: str, routes: str = "", extra: str = "",
                     ready_timeout: int = 15) -> Path:
    pidfile = root / "pids.txt"
    command = f"{sys.executable} -u {SCENARIO} {mode} {pidfile}"
    toml = (f"[dev_server]\ncommand = {json.dumps(command)}\nready_timeout = {ready_timeout}\n"
            f"route_timeout = 10\n{routes}{extra}")
    return write_project(root, {"deploy-check.toml": toml})


def run_dev(project: Path, env: dict[str, str] | None = None, only: str = "devserver") -> dict[str, dict[str, Any]]:
    done = run_cli("check", "--project", str(project), "--only", only, "-f", "json", env=env)
    assert done.stdout, done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["checks"]}


def assert_nothing_left(project: Path, port: int | None, within: float = 0.0) -> None:
    """No scenario process is alive (now, or once `within` seconds have passed: the
    watchdog's sweep after a SIGKILL of deploy-check takes a moment on a loaded machine)."""
    import time

    pidfile = project / "pids.txt"
    pids = [int(p) for p in pidfile.read_text().split()] if pidfile.exists() else []
    deadline = time.monotonic() + within
    while True:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    assert alive == [], f"scenario processes still alive: {alive}"
    if port:
        with socket.socket() as probe:
            # SO_REUSEADDR ignores TIME_WAIT leftovers of closed connections, not a listener.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))  # raises if something still listens
            probe.listen()


def test_normal_boot_and_default_route(tmp_path: Path) -> None:
    found = run_dev(scenario_project(tmp_path, "normal"))
    dev001 = found["DEV001"]
    assert dev001["status"] == "pass", dev001
    assert dev001["details"]["url"].startswith(("http://127.0.0.1:", "http://[::1]:"))
    assert dev001["details"]["boot_s"] < 15
    assert found["DEV002"]["status"] == "pass"
    assert "GET / 200" in found["DEV002"]["message"]
    assert found["DEV003"]["status"] == "pass"
    assert_nothing_left(tmp_path, dev001["details"]["port"])


def test_routes_run_in_order_with_cookies_kept(tmp_path: Path) -> None:
    routes = ('routes = [{path = "/me", status = 401}, {path = "/login", method = "POST", status = 204},'
              ' {path = "/me", status = 200}]\n')
    found = run_dev(scenario_project(tmp_path, "normal", routes))
    assert found["DEV002"]["status"] == "pass", found["DEV002"]["message"]
    assert [r["status"] for r in found["DEV002"]["details"]["routes"]] == [401, 204, 200]


def test_a_500_route_fails_dev002_quoting_the_server_and_dev003(tmp_path: Path) -> None:
    routes = 'routes = [{path = "/"}, {path = "/boom"}]\n'
    found = run_dev(scenario_project(tmp_path, "normal", routes))
    assert found["DEV001"]["status"] == "pass"
    dev002 = found["DEV002"]
    assert dev002["status"] == "fail"
    assert "GET /boom → 500 (expected < 500)" in dev002["message"]
    assert "⨯ Error: You haven't provided a project ID" in dev002["message"]
    dev003 = found["DEV003"]
    assert dev003["status"] == "fail"
    assert "[route 2] ⨯ Error: You haven't provided a project ID" in dev003["details"]["lines"]


@pytest.mark.parametrize("manager", ["pnpm", "yarn", "npm"])
def test_what_the_manager_prints_after_our_stop_signal_is_no_app_error(tmp_path: Path, manager: str) -> None:
    found = run_dev(scenario_project(tmp_path, manager))
    assert found["DEV001"]["status"] == "pass", found["DEV001"]
    dev003 = found["DEV003"]
    assert dev003["status"] == "pass", dev003["message"]
    assert dev003["details"]["after_stop"] >= 1
    assert "printed after deploy-check stopped the server" in dev003["message"]
    assert_nothing_left(tmp_path, found["DEV001"]["details"]["port"])


def test_an_app_error_before_the_stop_still_fails_dev003_with_stop_noise(tmp_path: Path) -> None:
    found = run_dev(scenario_project(tmp_path, "pnpm", 'routes = [{path = "/boom", status = 500}]\n'))
    dev003 = found["DEV003"]
    assert dev003["status"] == "fail"
    # The route's two lines, and as many again where DEV006's browser also opened it.
    assert dev003["details"]["count"] in (2, 4)
    assert not any("ELIFECYCLE" in line for line in dev003["details"]["lines"])


def test_a_timed_out_servers_last_output_is_its_own_not_its_managers_answer_to_our_stop(tmp_path: Path) -> None:
    found = run_dev(scenario_project(tmp_path, "never-pnpm", ready_timeout=2))
    dev001 = found["DEV001"]
    assert dev001["status"] == "fail" and "within 2 s" in dev001["message"]
    assert dev001["message"].endswith("its last output: ○ Compiling / ..."), dev001["message"]
    assert dev001["details"]["last_lines"] == [" ○ Compiling / ..."]
    assert_nothing_left(tmp_path, None)


def test_crash_fails_at_once_with_exit_code_and_last_lines(tmp_path: Path) -> None:
    started = time.monotonic()
    found = run_dev(scenario_project(tmp_path, "crash", ready_timeout=30))
    assert time.monotonic() - started < 20  # not the 30 s ready timeout
    dev001 = found["DEV001"]
    assert dev001["status"] == "fail"
    assert "exited with code 3 before answering HTTP" in dev001["message"]
    assert "Error: Cannot find module 'next'" in dev001["details"]["last_lines"]
    assert found["DEV002"]["status"] == "skip"
    assert found["DEV003"]["status"] == "fail"
    assert "Module not found" in found["DEV003"]["message"]
    assert_nothing_left(tmp_path, None)


def test_never_ready_times_out_and_is_torn_down(tmp_path: Path) -> None:
    found = run_dev(scenario_project(tmp_path, "never", ready_timeout=2))
    dev001 = found["DEV001"]
    assert dev001["status"] == "fail"
    assert "did not answer HTTP" in dev001["message"] and "within 2 s" in dev001["message"]
    assert " ○ Compiling / ..." in dev001["details"]["last_lines"]
    assert len(dev001["details"]["last_lines"]) == 20
    assert_nothing_left(tmp_path, None)


def test_slow_start_is_waited_for(tmp_path: Path) -> None:
    dev001 = run_dev(scenario_project(tmp_path, "slow"))["DEV001"]
    assert dev001["status"] == "pass"
    assert dev001["details"]["boot_s"] >= 1.5


def test_grandchild_holding_the_port_is_killed_too(tmp_path: Path) -> None:
    found = run_dev(scenario_project(tmp_path, "grandchild"))
    assert found["DEV001"]["status"] == "pass"
    assert len((tmp_path / "pids.txt").read_text().split()) == 2
    assert_nothing_left(tmp_path, found["DEV001"]["details"]["port"])


def test_printed_url_wins_when_the_server_moves_port(tmp_path: Path) -> None:
    found = run_dev(scenario_project(tmp_path, "moved"))
    dev001 = found["DEV001"]
    assert dev001["status"] == "pass", dev001
    assert not dev001["details"]["url"].endswith(f":{dev001['details']['port']}")


def test_secrets_printed_by_the_server_are_masked(tmp_path: Path) -> None:
    canary = "Dev-Canary-93jd-secret"
    project = scenario_project(tmp_path / "app", "secret")
    (project / ".env.local").write_text(f"API_SECRET={canary}\n")
    summary = tmp_path / "summary.md"
    for fmt in ("json", "console", "junit", "github", "markdown"):
        done = run_cli("check", "--project", str(project), "--only", "devserver", "-f", fmt,
                       env=clean_environ(GITHUB_STEP_SUMMARY=str(summary)))
        assert "Error: upstream refused ****" in done.stdout or fmt in ("junit",), done.stdout
        assert canary not in done.stdout + done.stderr
    assert canary not in summary.read_text()


@pytest.fixture
def stale_server() -> Iterator[int]:
    """Another process's server already answering on a port: a stale `next dev`."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Stale(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stale)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_already_on_the_configured_port_does_not_pass_for_ours(
        tmp_path: Path, stale_server: int) -> None:
    project = scenario_project(tmp_path, "normal", extra=f"port = {stale_server}\n")
    dev001 = run_dev(project)["DEV001"]
    assert dev001["status"] == "fail", dev001
    assert f"http://127.0.0.1:{stale_server} already answered before it started" in dev001["message"]
    assert "remove [dev_server] port/url" in dev001["hint"]
    assert_nothing_left(project, None)


def test_a_server_that_moves_off_a_busy_configured_port_is_found(tmp_path: Path, stale_server: int) -> None:
    project = scenario_project(tmp_path, "moved", extra=f"port = {stale_server}\n")
    dev001 = run_dev(project)["DEV001"]
    assert dev001["status"] == "pass", dev001
    assert not dev001["details"]["url"].endswith(f":{stale_server}")
    assert_nothing_left(project, None)


PEM_BODY = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", "Q2hhbmdlTWVJbUFQZW1Cb2R5TGluZVR3bw=="]


def test_long_lines_and_multi_line_secrets_are_masked(tmp_path: Path) -> None:
    canary = "Dev-Canary-long-93jd"
    project = scenario_project(tmp_path / "app", "leaky")
    pem = "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(PEM_BODY) + "\\n-----END PRIVATE KEY-----"
    (project / ".env.local").write_text(f'API_SECRET={canary}\nSIGNING_PRIVATE_KEY="{pem}"\n')
    done = run_cli("check", "--project", str(project), "--only", "devserver", "-f", "json")
    dev001 = next(c for c in json.loads(done.stdout)["checks"] if c["id"] == "DEV001")
    assert dev001["status"] == "fail", dev001
    quoted = dev001["details"]["last_lines"]
    assert quoted[0].startswith("x" * 1990) and quoted[0].endswith("****"), quoted[0][-40:]
    assert quoted[1] == "y" * 2000 + " […]"
    assert "  key: ****" in quoted
    output = done.stdout + done.stderr
    for fragment in (canary, canary[:10], canary[-10:], *PEM_BODY, PEM_BODY[0][:30]):
        assert fragment not in output, fragment


def test_control_characters_in_the_output_keep_every_report_valid(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    project = scenario_project(tmp_path, "control")
    done = run_cli("check", "--project", str(project), "--only", "devserver", "-f", "junit")
    suite = ET.fromstring(done.stdout)  # raises on a character XML does not allow
    failures = [f.get("message") or "" for f in suite.iter("failure")]
    assert any("Error: boot failed" in m for m in failures), failures
    console = run_cli("check", "--project", str(project), "--only", "devserver").stdout
    assert "Error: boot failed(B done" in console
    assert not any(c in console for c in "\x00\x07\x08\x1b")


def test_no_dev_script_skips_with_the_reason(tmp_path: Path) -> None:
    write_project(tmp_path, {"package.json": '{"scripts": {"build": "next build"}}'})
    found = run_dev(tmp_path)
    assert {c["status"] for c in found.values()} == {"skip"}
    assert "no `dev` script" in found["DEV001"]["message"]


@pytest.mark.parametrize(("lockfile", "manager"), [("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"),
                                                   ("bun.lockb", "bun"), (None, "npm")])
def test_package_manager_follows_the_lockfile(tmp_path: Path, lockfile: str | None, manager: str) -> None:
    from checks.core.context import Context
    from checks.runtime.process import dev_command

    files = {"package.json": '{"scripts": {"dev": "next dev"}}'}
    if lockfile:
        files[lockfile] = ""
    assert dev_command(Context(project=write_project(tmp_path, files), environ={})) == (f"{manager} run dev", None)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_ctrl_c_or_sigterm_exits_130_and_leaves_nothing(tmp_path: Path, sig: signal.Signals) -> None:
    project = scenario_project(tmp_path, "never", ready_timeout=60)
    env = {**clean_environ(), "PYTHONPATH": str(REPO)}
    run = subprocess.Popen([sys.executable, "-m", "checks", "--project", str(project), "--only", "devserver"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not (project / "pids.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (project / "pids.txt").exists(), "the scenario never started"
    time.sleep(0.3)
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == 130, stderr
    assert "interrupted" in stderr
    assert_nothing_left(project, None)


@pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None, reason="node is not on PATH")
def test_demo_app_dev_script_under_node(tmp_path: Path, fresh_db: str) -> None:
    import psycopg

    from helpers import node_packages

    packages = node_packages(REPO / "examples" / "demo-app")  # pg and nodemailer, from its lockfile
    project = tmp_path / "demo"
    shutil.copytree(REPO / "examples" / "demo-app", project)
    (project / "node_modules").symlink_to(packages / "node_modules")
    with psycopg.connect(fresh_db, autocommit=True) as connection:
        connection.execute((project / "schema.sql").read_text())
    (project / ".env.local").write_text("SESSION_SECRET=" + "s" * 40 + f"\nDATABASE_URL={fresh_db}\n")
    found = run_dev(project, env=clean_environ(), only="devserver,AUTH003")
    assert {i: found[i]["status"] for i in ("DEV001", "DEV002", "DEV003", "DEV004", "AUTH003")} == dict.fromkeys(
        ("DEV001", "DEV002", "DEV003", "DEV004", "AUTH003"), "pass"), found
    port = found["DEV001"]["details"]["port"]
    assert_nothing_left(project, port)
    left = []
    for process in psutil.process_iter():
        try:
            if process.cwd() == str(project) and process.status() != psutil.STATUS_ZOMBIE:
                left.append(process.pid)
        except psutil.Error:
            continue
    assert left == [], "npm or node outlived the run"


@pytest.mark.parametrize("line", [
    "sh: 1: run-p: not found",
    "bash: next: command not found",
    "npm ERR! code ELIFECYCLE",
    "npm error code 1",
    " ELIFECYCLE  Command failed with exit code 1.",
    " ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL  web@0.1.0 dev: `next dev`",
    "error Command failed with exit code 1.",
    "Error: Cannot find module 'next'",
    "[vite] Internal server error: Failed to resolve import",
    "ERROR in src/App.tsx:3:1",
    "src/app.ts(3,1): error TS2304: Cannot find name 'foo'.",
    "Failed to compile.",
    "- error ./app/page.tsx",
    "error - ./pages/index.js:1:0",
    "panic: runtime error: invalid memory address",
    "FATAL:  password authentication failed for user \"app\"",
    'error: relation "users" does not exist',
    "PrismaClientInitializationError: Can't reach database server at `db:5432`",
])
def test_dev003_knows_what_the_tools_print_when_broken(line: str) -> None:
    from checks.runtime.output import error_lines

    assert error_lines([line]) == [line]


@pytest.mark.parametrize("line", [
    "  ▲ Next.js 15.1.0", "   - Local:        http://localhost:3000", " ✓ Ready in 1200ms",
    " GET / 200 in 35ms", "compiled client and server successfully", "0 errors, 0 warnings",
])
def test_dev003_leaves_ordinary_lines_alone(line: str) -> None:
    from checks.runtime.output import error_lines

    assert error_lines([line]) == []


def test_a_printed_url_of_another_service_is_never_taken_for_the_server(
        tmp_path: Path, stale_server: int) -> None:
    project = scenario_project(tmp_path, "proxy-only", ready_timeout=3)
    dev001 = run_dev(project, env=clean_environ(BACKEND_PORT=str(stale_server)))["DEV001"]
    assert dev001["status"] == "fail", dev001
    assert f"http://127.0.0.1:{stale_server} answered, but no process of the dev server listens there" \
        in dev001["message"]
    assert_nothing_left(project, None)


def test_the_servers_own_url_is_found_after_another_services(tmp_path: Path, stale_server: int) -> None:
    project = scenario_project(tmp_path, "proxy")
    dev001 = run_dev(project, env=clean_environ(BACKEND_PORT=str(stale_server)))["DEV001"]
    assert dev001["status"] == "pass", dev001
    assert not dev001["details"]["url"].endswith(f":{stale_server}")
    assert_nothing_left(project, None)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("mode", ["setsid", "setpgid", "node-detached"])
def test_a_descendant_that_leaves_the_process_group_is_swept(tmp_path: Path, mode: str) -> None:
    import shutil

    if mode == "node-detached" and shutil.which("node") is None:
        pytest.skip("node is not installed")
    detached = _free_port()
    project = scenario_project(tmp_path, mode)
    done = run_cli("check", "--project", str(project), "--only", "devserver", "-f", "json",
                   env=clean_environ(DETACHED_PORT=str(detached)))
    found = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert found["DEV001"]["status"] == "pass", found["DEV001"]
    assert "swept 1 detached process" in found["DEV001"]["details"]["teardown"]
    # No noise on teardown (the setpgid case once printed an "Event loop is closed" traceback).
    assert "Traceback" not in done.stderr and "Event loop is closed" not in done.stderr, done.stderr
    assert _port_free(detached)
    assert_nothing_left(project, None)


def test_sigkill_of_deploy_check_still_ends_the_dev_server(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    detached = _free_port()
    project = scenario_project(tmp_path, "setsid")
    # Still waiting (for a line that never comes) when it is killed.
    (project / "deploy-check.toml").write_text((project / "deploy-check.toml").read_text().replace(
        "ready_timeout = 15", 'ready_timeout = 25\nready_pattern = "never printed"'))
    run = subprocess.Popen([sys.executable, "-m", "checks", "check", "--project", str(project), "--only", "devserver"],
                           cwd=REPO, env={**clean_environ(DETACHED_PORT=str(detached)), "PYTHONPATH": str(REPO)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while _port_free(detached) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _port_free(detached), "the scenario never started"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 15
        while not _port_free(detached) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _port_free(detached), "a process of the dev server survived deploy-check's SIGKILL"
    finally:
        run.kill()
    assert_nothing_left(project, None, within=10.0)


def _daemon_pid(project: Path) -> int:
    """The envless daemon's pid: the scenario writes its own pid first, the daemon's after."""
    return int((project / "pids.txt").read_text().split()[-1])


def _running(pid: int) -> bool:
    """/proc/<pid> is there and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _running(pid)


@pytest.mark.skipif(not Path("/proc").is_dir() or shutil.which("setsid") is None,
                    reason="Linux with util-linux's setsid")
def test_a_double_forked_daemon_without_the_run_marker_is_ended(tmp_path: Path) -> None:
    project = scenario_project(tmp_path, "envless-daemon")
    found = run_dev(project, only="DEV001")
    assert found["DEV001"]["status"] == "pass", found["DEV001"]
    assert len((project / "pids.txt").read_text().split()) == 2, "the daemon never wrote its pid"
    daemon = _daemon_pid(project)
    assert not _running(daemon), f"the daemon {daemon} (setsid, env -i, double fork) outlived the run"
    assert "swept 1 detached process" in found["DEV001"]["details"]["teardown"]
    assert_nothing_left(project, found["DEV001"]["details"]["port"])


@pytest.mark.skipif(not Path("/proc").is_dir() or shutil.which("setsid") is None,
                    reason="Linux with util-linux's setsid")
def test_sigkill_of_deploy_check_ends_a_double_forked_daemon_without_the_run_marker(tmp_path: Path) -> None:
    project = scenario_project(tmp_path, "envless-daemon")
    # Still waiting (for a line that never comes) when it is killed.
    (project / "deploy-check.toml").write_text((project / "deploy-check.toml").read_text().replace(
        "ready_timeout = 15", 'ready_timeout = 25\nready_pattern = "never printed"'))
    run = subprocess.Popen([sys.executable, "-m", "checks", "check", "--project", str(project), "--only", "DEV001"],
                           cwd=REPO, env={**clean_environ(), "PYTHONPATH": str(REPO)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pids = project / "pids.txt"
        deadline = time.monotonic() + 30
        while not (pids.exists() and len(pids.read_text().split()) == 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pids.exists() and len(pids.read_text().split()) == 2, "the daemon never started"
        daemon = _daemon_pid(project)
        # The marker sweep cannot see it: the daemon dropped DEPLOY_CHECK_RUN.
        assert b"DEPLOY_CHECK_RUN" not in Path(f"/proc/{daemon}/environ").read_bytes()
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        # The daemon ignores SIGTERM: it ends after the keeper's grace, at the SIGKILL.
        assert _gone_within(daemon, 15), f"the daemon {daemon} survived deploy-check's SIGKILL"
    finally:
        run.kill()
    assert_nothing_left(project, None, within=10.0)


def _path_with(tmp_path: Path, *tools: str) -> dict[str, str]:
    """A PATH that holds only these tools (symlinks to the real ones) besides sh."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("sh", *tools):
        found = shutil.which(tool)
        assert found, f"{tool} is not installed here"
        (bin_dir / tool).symlink_to(found)
    return {**clean_environ(), "PATH": str(bin_dir)}


PNPM_APP = {"package.json": json.dumps({"name": "web", "scripts": {"dev": "next dev"},
                                         "dependencies": {"next": "15.0.0"},
                                         "packageManager": "pnpm@9.12.0+sha512.abcdef"}) + "\n",
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}


def test_without_pnpm_and_without_corepack_the_fix_installs_the_pinned_pnpm(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", PNPM_APP)
    dev001 = run_dev(project, env=_path_with(tmp_path, "node", "npm"), only="DEV001")["DEV001"]
    assert dev001["status"] == "fail"
    assert dev001["fix"] == "npm install --global pnpm@9.12.0", dev001  # not `corepack enable`: not there
    assert "nor is corepack" in dev001["message"]


def test_with_corepack_the_fix_says_what_it_will_download(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", PNPM_APP)
    dev001 = run_dev(project, env=_path_with(tmp_path, "node", "npm", "corepack"), only="DEV001")["DEV001"]
    assert dev001["fix"] == "corepack enable"
    assert "downloads pnpm@9.12.0 from the npm registry (it needs network access" in dev001["message"]


def test_npm_ci_carries_legacy_peer_deps_when_npmrc_sets_it(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "package.json": json.dumps({"scripts": {"dev": "next dev"}, "dependencies": {"next": "15.0.0"}}) + "\n",
        "package-lock.json": json.dumps({"lockfileVersion": 3, "packages": {}}) + "\n",
        # A real app's .npmrc (its lockfile was resolved without peer checks).
        ".npmrc": "legacy-peer-deps=true\n"})
    dev001 = run_dev(project, only="DEV001")["DEV001"]
    assert dev001["fix"] == "npm ci --legacy-peer-deps", dev001
