"""Nothing the run started outlives it. Two nets:

1. On Linux the dev server's parent is the keeper (`checks/runtime/keeper.py`), two child
   subreapers one above the other: every orphaned descendant re-parents to them, whatever
   it did to its environment or session (`setsid env -i …`, a double fork, forking again
   and again), and killing the shell's parent leaves the outer one. On teardown — asked by
   deploy-check with SIGTERM, or because deploy-check died, even by SIGKILL, and the pipe
   whose write end only deploy-check holds closed — it ends its whole descendant tree, until
   the kernel says no child is left. (No cgroup, no PID namespace: neither is open to an
   unprivileged user on the machines this runs on, Ubuntu 24.04 restricting user namespaces.)
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
from collections.abc import Callable
from pathlib import Path

import checks

RUN_VARIABLE = "DEPLOY_CHECK_RUN"
TERM_GRACE = 5.0  # after SIGTERM, before SIGKILL
KILL_WAIT = 2.0  # after SIGKILL, for the kernel to end them and orphans to re-parent
# Whether the keeper runs: Linux, for prctl(PR_SET_CHILD_SUBREAPER) and /proc.
KEEPER = sys.platform == "linux" and Path("/proc").is_dir()


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, process group) from /proc/<pid>/stat, or None once it is gone. Raw reads:
    a scan must outpace a process that forks and exits over and over."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        fields = os.read(fd, 1024).rsplit(b")", 1)[-1].split()
    except OSError:
        return None
    finally:
        os.close(fd)
    return (fields[0].decode(), int(fields[1]), int(fields[2])) if len(fields) > 2 else None


def _stats(on_child: tuple[int, Callable[[int, int], None]] | None = None) -> dict[int, tuple[int, int]]:
    """{pid: (ppid, process group)} of every live process, zombies left out; newest (highest
    pid) first. `on_child` (root, call) calls `call(pid, group)` on each child of `root` the
    moment its line is read: the newest link of a chain that keeps forking is met first."""
    found: dict[int, tuple[int, int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for pid in sorted((int(name) for name in names if name.isdigit()), reverse=True):
        stat = _stat(pid)
        if stat is None or stat[0] == "Z":
            continue
        found[pid] = stat[1], stat[2]
        if on_child is not None and stat[1] == on_child[0]:
            on_child[1](pid, stat[2])
    return found


def descendants(root: int, on_child: Callable[[int, int], None] | None = None) -> dict[int, int]:
    """{pid: process group} of every live descendant of `root`, by walking ppid links.
    `on_child(pid, group)` is called on each direct child as soon as it is read. One scan is
    no proof that none is left (a process may fork past it): `root`'s waitpid is."""
    children: dict[int, list[tuple[int, int]]] = {}
    for pid, (ppid, group) in _stats(None if on_child is None else (root, on_child)).items():
        children.setdefault(ppid, []).append((pid, group))
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
    return any(group == pgid for _, group in _stats().values())


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
