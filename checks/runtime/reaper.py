"""Nothing the run started outlives it. Two nets:

1. On Linux the dev server's parent is the keeper (`checks/runtime/keeper.py`), a child
   subreaper: every orphaned descendant re-parents to it, whatever it did to its
   environment or session (`setsid env -i …`, a double fork). On teardown — asked by
   deploy-check with SIGTERM, or because deploy-check died, even by SIGKILL, and the pipe
   whose write end only deploy-check holds closed — it ends its whole descendant tree.
2. The dev server gets a run id in its environment (`DEPLOY_CHECK_RUN`), which every
   descendant inherits unless it drops it: teardown also sweeps every process that carries
   it (the browser of DEV006 is deploy-check's own child, not the keeper's).

Elsewhere (no /proc, no prctl) the dev server is deploy-check's child in a process group of
its own, ended by the group, as before the keeper: what leaves the group may survive."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import checks

RUN_VARIABLE = "DEPLOY_CHECK_RUN"
TERM_GRACE = 5.0  # after SIGTERM, before SIGKILL
KILL_WAIT = 2.0  # after SIGKILL, for the kernel to end them and orphans to re-parent
# Whether the keeper runs: Linux, for prctl(PR_SET_CHILD_SUBREAPER) and /proc.
KEEPER = sys.platform == "linux" and Path("/proc").is_dir()


def _stats() -> dict[int, list[str]]:
    """Every live process's /proc/<pid>/stat fields after the command name (state, ppid,
    pgrp, …); zombies left out."""
    found = {}
    for name in os.listdir("/proc") if Path("/proc").is_dir() else []:
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[0] != "Z":
            found[int(name)] = fields
    return found


def descendants(root: int) -> dict[int, int]:
    """{pid: process group} of every live descendant of `root`, by walking ppid links."""
    children: dict[int, list[tuple[int, int]]] = {}
    for pid, fields in _stats().items():
        children.setdefault(int(fields[1]), []).append((pid, int(fields[2])))
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        for pid, group in children.get(todo.pop(), []):
            if pid not in found:
                found[pid] = group
                todo.append(pid)
    return found


def group_alive(pgid: int) -> bool:
    """Whether the process group has a live (not zombie) member."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return any(int(fields[2]) == pgid for fields in _stats().values())


def carriers(run_id: str) -> list[int]:
    """Pids of live processes whose environment holds DEPLOY_CHECK_RUN=run_id (Linux /proc)."""
    marker = f"{RUN_VARIABLE}={run_id}".encode() + b"\0"
    found = []
    for pid in _stats():
        if pid == os.getpid():
            continue
        try:
            if marker in Path(f"/proc/{pid}/environ").read_bytes() + b"\0":
                found.append(pid)
        except OSError:
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


def keeper_argv(run_id: str, report_fd: int, command: str) -> list[str]:
    """The command line of the keeper that runs `sh -c command`. `-I`: the app's
    PYTHONPATH, PYTHONHOME… (which the dev server must get unchanged) do not reach our
    interpreter; `-S`: it needs the standard library only, and starts sooner. The library
    is put on sys.path by hand, as the installed wheel keeps `checks` off it
    (deploy_check_entry.py)."""
    library = str(Path(checks.__file__).resolve().parent.parent)
    boot = "import sys; sys.path.insert(0, sys.argv.pop(1)); from checks.runtime.keeper import main; main()"
    return [sys.executable, "-I", "-S", "-c", boot, library, run_id, str(report_fd), command]
