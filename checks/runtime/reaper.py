"""Nothing the run started outlives it. The dev server gets a run id in its environment
(`DEPLOY_CHECK_RUN`), which every descendant inherits however it detaches (`setsid`,
Node's `spawn(…, {detached: true})`, `setpgid(0, 0)`): teardown sweeps every process
that carries it. A watchdog process, `python -m checks.runtime.reaper RUN_ID`, holds the read end
of a pipe whose write end only deploy-check holds: when deploy-check dies — even by
SIGKILL — the pipe closes and the watchdog sweeps the run's processes, then exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import checks

RUN_VARIABLE = "DEPLOY_CHECK_RUN"


def carriers(run_id: str) -> list[int]:
    """Pids of live processes whose environment holds DEPLOY_CHECK_RUN=run_id (Linux /proc)."""
    marker = f"{RUN_VARIABLE}={run_id}".encode() + b"\0"
    found = []
    for name in os.listdir("/proc") if Path("/proc").is_dir() else []:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            if marker in Path(f"/proc/{name}/environ").read_bytes() + b"\0":
                state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[-1].split()[0]
                if state != "Z":
                    found.append(int(name))
        except (OSError, IndexError):
            continue
    return found


def sweep(run_id: str, grace: float = 2.0) -> list[int]:
    """SIGTERM every carrier of the run id, SIGKILL what is left after `grace`."""
    swept = carriers(run_id)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        left = carriers(run_id)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                continue
        deadline = time.monotonic() + wait
        while carriers(run_id) and time.monotonic() < deadline:
            time.sleep(0.05)
    return swept


def _library() -> str:
    return str(Path(checks.__file__).resolve().parent.parent)


def start_watchdog(run_id: str) -> int | None:
    """Start the watchdog; returns the pipe's write end, kept open for the run's life
    (closed by the kernel when deploy-check dies). None where /proc is not there."""
    if not Path("/proc").is_dir():
        return None
    read_end, write_end = os.pipe()
    os.set_inheritable(read_end, True)
    subprocess.Popen(
        [sys.executable, "-m", "checks.runtime.reaper", run_id], stdin=read_end, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
        env={**{k: v for k, v in os.environ.items() if k != RUN_VARIABLE},
             # The installed wheel keeps `checks` off sys.path (deploy_check_entry.py): the
             # watchdog is told where this one came from.
             "PYTHONPATH": os.pathsep.join(filter(None, [_library(), os.environ.get("PYTHONPATH", "")]))})
    os.close(read_end)
    os.set_inheritable(write_end, False)  # the dev server must not hold the pipe open
    return write_end


def _watch(run_id: str) -> None:
    while sys.stdin.buffer.read(4096):
        pass  # deploy-check never writes: this returns when its end closes
    sweep(run_id)


if __name__ == "__main__":
    _watch(sys.argv[1])
