"""The keeper: on Linux, the process that owns the dev server (see reaper.py).

    python -I -c <boot> LIBRARY RUN_ID REPORT_FD COMMAND   (reaper.keeper_argv)

It makes itself a child subreaper, then runs `/bin/sh -c COMMAND` in its own process group
with its own environment (which holds DEPLOY_CHECK_RUN), the dev server's output on its
stdout. Its stdin is a pipe whose write end only deploy-check holds. It stays until one of:

- the shell exits: it ends what the shell left behind, and exits with the shell's status;
- SIGTERM (deploy-check's teardown): it ends the whole tree, and exits likewise;
- its stdin closes (deploy-check died, even by SIGKILL): it ends the tree, sweeps the run
  marker's carriers too, and exits.

Ending the tree: SIGTERM to every descendant, a bounded wait, SIGKILL to what is left, and
again until none is left (a killed process's orphans re-parent to us). Before it exits it
writes to REPORT_FD what it did: {"signals": [...], "detached": n}, n the descendants that
had left the dev server's process group.

Only this process loads ctypes: deploy-check starts it, never imports it."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import sys
import time
from types import FrameType

from checks.runtime.reaper import KILL_WAIT, TERM_GRACE, descendants, sweep

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h (Linux 3.4)
POLL = 0.05  # while descendants end: a grandchild's exit does not wake us


def become_subreaper() -> bool:
    """Orphaned descendants re-parent to us instead of init. False where the kernel refuses:
    the run marker's sweep is then the only net for what leaves the tree."""
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


class Keeper:
    def __init__(self) -> None:
        self.shell = 0
        self.status: int | None = None  # the shell's wait status, once reaped
        self.stop_asked = False
        # Signals wake select() through this pipe (no lost wake-up between reap and select).
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, self._noted)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)

    def _noted(self, signum: int, frame: FrameType | None) -> None:
        pass  # the wake-up byte is what counts

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_asked = True

    def start(self, command: str) -> None:
        # Python ignores SIGPIPE and SIGXFSZ; the dev server gets the defaults, as
        # subprocess's restore_signals gives them.
        self.shell = os.posix_spawn(
            "/bin/sh", ["/bin/sh", "-c", command], os.environ,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
        # From now on only the dev server's processes keep its output pipe open.
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os.close(quiet)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.shell:
                self.status = status

    def _drain_wakeups(self) -> None:
        try:
            while os.read(self.wake_read, 512):
                pass
        except BlockingIOError:
            pass

    def watch(self) -> bool:
        """Until the shell exits or a stop is asked (False), or stdin closes (True)."""
        while True:
            self.reap()
            if self.status is not None or self.stop_asked:
                return False
            try:
                ready, _, _ = select.select([0, self.wake_read], [], [])
            except InterruptedError:
                continue
            if 0 in ready and not os.read(0, 4096):
                return True
            self._drain_wakeups()

    def end_tree(self) -> dict[str, object]:
        """SIGTERM, bounded wait, SIGKILL until no descendant is left (bounded too)."""
        me, group = os.getpid(), os.getpgrp()
        signals: list[str] = []
        detached: set[int] = set()
        for sig, wait in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, KILL_WAIT)):
            signalled: set[int] = set()
            deadline = time.monotonic() + wait
            while True:
                self.reap()
                left = descendants(me)
                if not left or time.monotonic() >= deadline:
                    break
                detached.update(pid for pid, pgid in left.items() if pgid != group)
                # A SIGTERM once to each (also to one forked meanwhile); a SIGKILL to every
                # one still there, including orphans that re-parented to us since.
                for pid in left.keys() - signalled if sig == signal.SIGTERM else left:
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        continue
                    signalled.add(pid)
                if sig.name not in signals:
                    signals.append(sig.name)
                select.select([self.wake_read], [], [], POLL)
                self._drain_wakeups()
            if not left:
                break
        self.reap()
        return {"signals": signals, "detached": len(detached)}


def _exit_as(status: int | None) -> None:
    """Exit the way the shell did: deploy-check reads the keeper's status as the shell's."""
    code = os.waitstatus_to_exitcode(status) if status is not None else 0
    if code < 0:
        signal.set_wakeup_fd(-1)
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        code = 128 - code  # a signal whose default is not to end us
    os._exit(code)


def main() -> None:
    run_id, report_fd, command = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.set_inheritable(report_fd, False)  # the dev server gets neither this nor stdin
    become_subreaper()
    keeper = Keeper()
    try:
        keeper.start(command)
    except OSError as exc:  # as deploy-check says when it cannot start the shell itself
        print(f"cannot start /bin/sh: {exc}", file=sys.stderr, flush=True)
        os._exit(127)
    orphaned = keeper.watch()
    report = keeper.end_tree()
    if orphaned:
        sweep(run_id)  # deploy-check is gone: its other carriers (the browser) too
    with contextlib.suppress(OSError):  # nobody reads it any more
        os.write(report_fd, json.dumps(report).encode())
    _exit_as(keeper.status)
