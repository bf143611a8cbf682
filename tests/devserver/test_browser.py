"""DEV006 with a real headless Chromium (Debian's package, or Playwright's own) driven by
Playwright, against real dev servers on loopback: pages that throw, log a hydration error,
fail a fetch or miss a script chunk, a clean one, and the demo app."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from checks.runtime.browser import SYSTEM_BROWSERS

from helpers import REPO, clean_environ, validate_report, write_project

PAGES = Path(__file__).parent / "servers" / "pages.py"


def playwright_path() -> str | None:
    try:
        import playwright
    except ImportError:
        return None
    return str(Path(playwright.__file__).resolve().parent.parent)


def has_browser() -> bool:
    return bool(os.environ.get("CHROME_PATH")) or any(shutil.which(b) for b in SYSTEM_BROWSERS)


needs_browser = pytest.mark.skipif(
    playwright_path() is None or not has_browser(),
    reason="no browser here: pip install 'deploy-check[browser]' and apt-get install -y chromium (.ci/run does)")


def run(project: Path, only: str, *, with_playwright: bool = True, env: dict[str, str] | None = None
        ) -> dict[str, dict[str, Any]]:
    path = [str(REPO)] + ([playwright_path() or ""] if with_playwright else [])
    # The tag tells this run's browsers from those of tests running beside it.
    environ = {**(env or clean_environ()), "PYTHONPATH": os.pathsep.join(path), "DEPLOY_CHECK_TEST_TAG": str(project)}
    done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project), "--only", only,
                           "-f", "json"], env=environ, capture_output=True, text=True, timeout=240, check=False)
    assert done.stdout.startswith("{"), done.stderr
    report = json.loads(done.stdout)
    validate_report(report)
    return {c["id"]: c for c in report["checks"]}


def pages_project(root: Path, *paths: str) -> Path:
    routes = ", ".join(f'{{ path = "{p}", status = 200 }}' for p in paths)
    command = f"{sys.executable} -u {PAGES}"
    return write_project(root, {"deploy-check.toml": f"[dev_server]\ncommand = {json.dumps(command)}\n"
                                                     f"ready_timeout = 15\nroutes = [{routes}]\n"
                                                     "[browser]\npage_timeout = 10\n"})


def no_browser_left(project: Path) -> list[int]:
    """This project's browsers still running (other tests' runs carry another tag)."""
    left = []
    for process in psutil.process_iter(["name", "environ"]):
        try:
            environ = process.info["environ"] or {}
            mine = environ.get("DEPLOY_CHECK_TEST_TAG") == str(project)
            if mine and "DEPLOY_CHECK_RUN" in environ and "chrom" in (process.info["name"] or "").lower():
                left.append(process.pid)
        except psutil.Error:
            continue
    return left


@needs_browser
def test_a_clean_page_passes_and_third_party_requests_are_blocked_not_failed(tmp_path: Path) -> None:
    project = pages_project(tmp_path, "/")
    checks = run(project, "DEV001,DEV006")
    dev006 = checks["DEV006"]
    assert dev006["status"] == "pass", dev006["message"]
    page = dev006["details"]["pages"][0]
    assert page["problems"] == [] and page["status"] == 200
    assert page["blocked"] == ["GET https://cdn.example.test/logo.png"], page
    assert no_browser_left(project) == []


@needs_browser
@pytest.mark.parametrize(("path", "says"), [
    ("/throws", "/throws: uncaught exception: Cannot read properties of undefined (reading 'map')"),
    ("/hydration", '/hydration: console error: Warning: Text content did not match. Server: "1" Client: "2"'),
    ("/fetch", "/fetch: GET /api/boom (fetch) answered 500"),
    ("/chunk", "/chunk: GET /_next/static/chunks/app/page-missing.js (script) answered 404"),
])
def test_a_broken_page_fails_dev006_naming_what_broke_with_a_screenshot(tmp_path: Path, path: str, says: str) -> None:
    project = pages_project(tmp_path, "/", path)
    dev006 = run(project, "DEV001,DEV006")["DEV006"]
    assert dev006["status"] == "fail", dev006["message"]
    assert "1 page of 2 broke in the browser" in dev006["message"]
    assert says in dev006["message"]
    broken = next(p for p in dev006["details"]["pages"] if p["path"] == path)
    assert broken["screenshot"] == f".deploy-check/screens/{path.strip('/')}.png"
    assert (project / broken["screenshot"]).read_bytes().startswith(b"\x89PNG")
    assert no_browser_left(project) == []


def test_without_the_browser_extra_dev006_is_unverified_with_the_install_command(tmp_path: Path) -> None:
    checks = run(pages_project(tmp_path, "/"), "DEV001,DEV006", with_playwright=False)
    if playwright_path() is not None and checks["DEV006"]["status"] != "skip":
        pytest.skip("Playwright is installed beside deploy-check itself")
    assert checks["DEV006"]["status"] == "skip"
    assert "pip install 'deploy-check[browser]'" in checks["DEV006"]["message"]
    assert checks["DEV006"]["details"]["unverified"].startswith("devserver: the pages were not rendered in a browser")


@needs_browser
def test_a_configured_executable_that_is_not_there_leaves_dev006_unverified(tmp_path: Path) -> None:
    project = pages_project(tmp_path, "/")
    with (project / "deploy-check.toml").open("a") as config:
        config.write('executable = "/nowhere/chromium"\n')
    dev006 = run(project, "DEV001,DEV006")["DEV006"]
    assert dev006["status"] == "skip"
    assert "[browser] executable names /nowhere/chromium, which is not an executable" in dev006["message"]


@needs_browser
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
def test_the_demo_app_renders_in_the_browser_with_the_session(tmp_path: Path, fresh_db: str) -> None:
    import psycopg

    from helpers import node_packages

    packages = node_packages(REPO / "examples" / "demo-app")
    project = tmp_path / "demo"
    shutil.copytree(REPO / "examples" / "demo-app", project)
    (project / "node_modules").symlink_to(packages / "node_modules")
    with psycopg.connect(fresh_db, autocommit=True) as connection:
        connection.execute((project / "schema.sql").read_text())
    (project / ".env.local").write_text("SESSION_SECRET=" + "s" * 40 + f"\nDATABASE_URL={fresh_db}\n")
    checks = run(project, "devserver,AUTH003")
    for check_id in ("AUTH003", "DEV004", "DEV005", "DEV006"):
        assert checks[check_id]["status"] == "pass", checks[check_id]["message"]
    assert [p["path"] for p in checks["DEV006"]["details"]["pages"]] == ["/"]
    assert no_browser_left(project) == []


@needs_browser
def test_the_bench_counts_one_extra_sign_in_and_one_second_user_request_per_probed_route(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import browser as bench  # bench/browser.py, a namespace package beside checks/

    monkeypatch.setattr(bench, "RUNS", 1)
    found = {v.name.split(" (")[0]: v for v in bench.verdicts()}
    # The counts are the targets and hold on any machine; the times are figures.
    assert found["DEV005 extra sign-ins"].figure == 1 and found["DEV005 extra sign-ins"].met
    assert found["DEV005 second user's requests per probed route"].figure == 1
    # Two probes (the GET and the PATCH); the PATCH has no sql, so the first user's GET reads
    # its note before and after the second user's attempt: (1 + 3) / 2.
    assert found["DEV005 app requests per probed route, the first user's read-backs included"].figure == 2
    assert found["DEV006 browser launch"].figure > 0
    assert [v.target for v in found.values() if v.name.startswith("DEV006")] == [2, 1]


@pytest.fixture
def third_party() -> Iterator[tuple[int, list[str]]]:
    """A real server on another loopback port, standing for a third party: (port, the
    request lines it heard). Bare TCP, so a WebSocket's upgrade is heard as well."""
    import socket
    import threading

    heard: list[str] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    heard.append(connection.recv(4096).split(b"\r\n")[0].decode(errors="replace"))
                    connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    heard.append("(a connection)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], heard
    stop.set()
    thread.join(timeout=5)
    listener.close()


@needs_browser
def test_the_browser_talks_only_to_the_apps_origin_and_names_what_it_blocked(
        tmp_path: Path, third_party: tuple[int, list[str]]) -> None:
    port, heard = third_party
    project = pages_project(tmp_path, "/beacon", "/away")
    checks = run(project, "DEV001,DEV006", env=clean_environ(THIRD_PARTY_PORT=str(port)))
    dev006 = checks["DEV006"]
    assert dev006["status"] == "pass", dev006["message"]
    assert heard == [], f"the third party was contacted during the check: {heard}"
    beacon, away = dev006["details"]["pages"]
    blocked = beacon["blocked"]
    assert f"GET http://127.0.0.1:{port}/bounced" in blocked, blocked  # a redirect's hop: the proxy's refusal
    # A page that sends the browser to another origin (a hosted sign-in) is not judged.
    assert away["note"] == f"left the app's origin for http://127.0.0.1:{port}/sign-in?…, which was blocked: not judged"
    # What was blocked is named, the query (where tokens ride) masked.
    assert f"POST http://127.0.0.1:{port}/collect?…" in blocked, blocked
    assert f"GET http://localhost:{port}/pixel.gif?…" in blocked, blocked
    assert f"GET http://127.0.0.1:{port}/embed" in blocked, blocked
    assert f"WebSocket ws://127.0.0.1:{port}/socket?…" in blocked, blocked
    assert not any("/api/ok" in b for b in blocked), blocked  # the app's own origin is not blocked
    assert "requests to other origins blocked, not judged: GET http://127.0.0.1:" in dev006["message"]
    report = json.dumps(checks)
    assert "tp-secret" not in report and "alice" not in report
    assert no_browser_left(project) == []


@needs_browser
def test_a_blocked_fetch_the_page_leaves_uncaught_is_not_the_apps_error(
        tmp_path: Path, third_party: tuple[int, list[str]]) -> None:
    # Reproduced by the attack pass: DEV006 failed "/uncaught: uncaught exception: Failed to
    # fetch" for a request it had itself blocked and listed.
    port, heard = third_party
    project = pages_project(tmp_path, "/uncaught")
    dev006 = run(project, "DEV001,DEV006", env=clean_environ(THIRD_PARTY_PORT=str(port)))["DEV006"]
    assert dev006["status"] == "pass", dev006["message"]
    page = dev006["details"]["pages"][0]
    assert f"GET http://127.0.0.1:{port}/track?…" in page["blocked"], page
    assert page["problems"] == [], page
    assert heard == []
    assert no_browser_left(project) == []


@needs_browser
def test_an_error_the_page_logs_after_a_blocked_request_is_unverified_not_failed(
        tmp_path: Path, third_party: tuple[int, list[str]]) -> None:
    # The pager review: a page that catches the failed fetch of its own Supabase API (another
    # port) and logs it failed DEV006, the gate NOT READY for deploy-check's own block.
    port, heard = third_party
    project = pages_project(tmp_path, "/caught")
    dev006 = run(project, "DEV001,DEV006", env=clean_environ(THIRD_PARTY_PORT=str(port)))["DEV006"]
    assert dev006["status"] == "skip", dev006["message"]
    assert dev006["details"]["unverified"].startswith("devserver: 1 page logged errors after deploy-check blocked")
    assert f"GET http://127.0.0.1:{port}/rest/v1/todos" in dev006["message"], dev006["message"]
    assert heard == []
    assert no_browser_left(project) == []


@needs_browser
def test_a_pages_own_error_fails_though_another_origin_was_blocked(
        tmp_path: Path, third_party: tuple[int, list[str]]) -> None:
    # The pager review: any blocked analytics or Sentry request made every uncaught exception on
    # the page unverified, so a real bug let the gate say READY. Only errors that read as the
    # block's (a failed fetch, the blocked origin named) are excused.
    port, heard = third_party
    project = pages_project(tmp_path, "/tracked-throws")
    dev006 = run(project, "DEV001,DEV006", env=clean_environ(THIRD_PARTY_PORT=str(port)))["DEV006"]
    assert dev006["status"] == "fail", dev006["message"]
    assert "/tracked-throws: uncaught exception: Cannot read properties of undefined" in dev006["message"]
    assert f"POST http://127.0.0.1:{port}/collect" in dev006["details"]["pages"][0]["blocked"]
    assert heard == []
    assert no_browser_left(project) == []


@pytest.fixture
def udp_third_party() -> Iterator[tuple[int, list[bytes]]]:
    """A UDP listener on a loopback port (a STUN/TURN server stand-in): what it hears."""
    import socket
    import threading

    heard: list[bytes] = []
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                heard.append(listener.recv(2048))
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], heard
    stop.set()
    thread.join(timeout=5)
    listener.close()


@needs_browser
def test_a_pages_webrtc_stun_and_turn_reach_no_other_host(
        tmp_path: Path, udp_third_party: tuple[int, list[bytes]]) -> None:
    # The routes and the refusing proxy see HTTP and WebSockets only: ICE's UDP (a STUN binding
    # request, a TURN allocation, RFC 8489/8656) went straight to the server the page named.
    port, heard = udp_third_party
    project = pages_project(tmp_path, "/rtc")
    checks = run(project, "DEV001,DEV006", env=clean_environ(THIRD_PARTY_PORT=str(port)))
    assert checks["DEV001"]["status"] == "pass", checks["DEV001"]["message"]
    assert checks["DEV006"]["details"]["pages"][0]["path"] == "/rtc", checks["DEV006"]
    assert heard == [], f"the page's WebRTC reached another host: {[packet[:4].hex() for packet in heard]}"
    assert no_browser_left(project) == []
