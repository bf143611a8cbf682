"""A dev server that tries to outlive the run: a daemon that forks again and again (each
parent exiting, each link re-parented), and a dev script that kills the process watching
it. After each: no process of the scenario is left, and its loopback listener is free."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_devserver import SCENARIO, assert_nothing_left, scenario_project

from helpers import clean_environ, run_cli

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir() or shutil.which("setsid") is None,
                                reason="Linux with util-linux's setsid")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _carriers(token: str) -> list[int]:
    """Live processes whose command line names `token` (the scenario's pid file: every link
    of a chain has it in its argv, whatever pid it has by now)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if token.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                stat = Path(f"/proc/{name}/stat").read_text()
                if stat.rsplit(")", 1)[-1].split()[0] != "Z":
                    found.append(int(name))
        except OSError:
            continue
    return found


@pytest.fixture(autouse=True)
def _end_what_a_failed_test_left(tmp_path: Path) -> Iterator[None]:
    """A failing test must not leave a hopping daemon behind: its whole group, and then each
    carrier, until none is left (the chain stops hopping within a minute)."""
    yield
    deadline = time.monotonic() + 70
    while (left := _carriers(str(tmp_path))) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(OSError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _describe(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "gone"
    return f"state {stat[0]}, parent {stat[1]}, group {stat[2]}: {command}"


def _run(project: Path, detached: int) -> tuple[dict[str, dict[str, Any]], str]:
    done = run_cli("check", "--project", str(project), "--only", "DEV001", "-f", "json",
                   env=clean_environ(DETACHED_PORT=str(detached)))
    assert done.stdout, done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["checks"]}, done.stderr


def _assert_all_gone(project: Path, detached: int, dev_port: int | None) -> None:
    # The chain's current link holds the listener: it is free only when no link lives.
    assert not _listening(detached), f"a link of the daemon still listens on {detached}"
    left = {pid: _describe(pid) for pid in _carriers(str(project / "pids.txt"))}
    assert left == {}, f"processes of the scenario outlived the run: {left}"
    assert_nothing_left(project, dev_port)


@pytest.mark.parametrize("mode", ["hopper", "hopper-setsid"])
def test_a_daemon_that_forks_again_and_again_is_ended(tmp_path: Path, mode: str) -> None:
    detached = _free_port()
    project = scenario_project(tmp_path, mode)
    found, stderr = _run(project, detached)
    dev001 = found["DEV001"]
    assert dev001["status"] == "pass", (dev001, stderr)
    assert "SIGKILL" in dev001["details"]["teardown"], dev001["details"]  # it ignores SIGTERM
    _assert_all_gone(project, detached, dev001["details"]["port"])


def test_a_dev_script_that_kills_its_watcher_leaves_nothing(tmp_path: Path) -> None:
    """`kill -KILL $PPID` in the dev script: the shell's parent dies; the daemon it started
    (setsid, env -i, ignoring SIGTERM) must still end with the run."""
    detached = _free_port()
    pids = tmp_path / "pids.txt"
    command = f"{sys.executable} -u {SCENARIO} daemon-then-serve {pids} & kill -KILL $PPID; wait"
    project = scenario_project(tmp_path, "daemon-then-serve")
    toml = project / "deploy-check.toml"
    toml.write_text(toml.read_text().replace(
        f"command = {json.dumps(f'{sys.executable} -u {SCENARIO} daemon-then-serve {pids}')}",
        f"command = {json.dumps(command)}"))
    assert json.dumps(command) in toml.read_text()
    found, stderr = _run(project, detached)
    dev001 = found["DEV001"]
    # Its watcher's death is not the server's: it boots and answers as it would without.
    assert dev001["status"] == "pass", (dev001, stderr)
    assert len(pids.read_text().split()) == 2, "the daemon never wrote its pid"
    _assert_all_gone(project, detached, dev001["details"]["port"])


def test_a_dev_script_that_kills_its_own_process_group_leaves_nothing(tmp_path: Path) -> None:
    """`kill -KILL 0`: everything in the dev script's process group dies at once. The
    daemon it had started in a session of its own must end with the run all the same."""
    detached = _free_port()
    project = scenario_project(tmp_path, "daemon-then-kill-group", ready_timeout=10)
    started = time.monotonic()
    found, stderr = _run(project, detached)
    dev001 = found["DEV001"]
    assert dev001["status"] == "fail", (dev001, stderr)
    assert "exited with code" in dev001["message"], dev001["message"]
    assert time.monotonic() - started < 30
    assert len((project / "pids.txt").read_text().split()) == 2, "the daemon never wrote its pid"
    _assert_all_gone(project, detached, None)


def test_a_dev_script_that_kills_the_outer_keeper_too_leaves_nothing(tmp_path: Path) -> None:
    """The shell's parent's parent killed (`kill -KILL` of $PPID's parent, from /proc): the
    inner keeper dies with it (PR_SET_PDEATHSIG) only after ending its own tree."""
    detached = _free_port()
    pids = tmp_path / "pids.txt"
    grandparent = "$(cut -d' ' -f4 /proc/$PPID/stat)"  # proc(5): the 4th field of stat is the ppid
    # Once the daemon is there (its pid is the second line), for at most 10 s.
    daemon_up = f"for i in $(seq 200); do [ \"$(wc -l < {pids} 2>/dev/null)\" -ge 2 ] && break; sleep 0.05; done"
    command = (f"{sys.executable} -u {SCENARIO} daemon-then-serve {pids} & {daemon_up}; "
               f"kill -KILL {grandparent}; wait")
    project = scenario_project(tmp_path, "daemon-then-serve")
    toml = project / "deploy-check.toml"
    toml.write_text(toml.read_text().replace(
        f"command = {json.dumps(f'{sys.executable} -u {SCENARIO} daemon-then-serve {pids}')}",
        f"command = {json.dumps(command)}"))
    assert json.dumps(command) in toml.read_text()
    _run(project, detached)  # DEV001 passes or fails as the keeper dies before or after the answer
    assert len(pids.read_text().split()) == 2, "the daemon never wrote its pid"
    # The daemon ignores SIGTERM: it ends after the inner keeper's grace, at the SIGKILL.
    deadline = time.monotonic() + 15
    while (_listening(detached) or _carriers(str(pids))) and time.monotonic() < deadline:
        time.sleep(0.1)
    _assert_all_gone(project, detached, None)
