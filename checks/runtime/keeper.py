"""The keeper: on Linux, the processes that own the dev server (see reaper.py).

    python -I -c <boot> LIBRARY RUN_ID REPORT_FD COMMAND   (reaper.keeper_argv)

Two child subreapers stand between deploy-check and the dev server, so that a dev script
that kills its own parent (`kill -KILL $PPID`) loses nothing: the outer one, which deploy-
check starts, forks the inner one, which runs `/bin/sh -c COMMAND` in a process group of
its own (a `kill 0` of the dev script reaches neither keeper) with the keeper's environment
(which holds DEPLOY_CHECK_RUN), the dev server's output on its stdout. The inner one tells
the outer one, over a pipe, the shell's pid and then its wait status, and exits once the
shell has; it dies with the outer one (PR_SET_PDEATHSIG), ending its own tree first. If it is
killed, its orphans, the shell among them, re-parent to the outer one, which watches the
shell itself from then on.

The outer keeper's stdin is a pipe whose write end only deploy-check holds. It stays until:

- the shell exits: it ends what the shell left behind, and exits with the shell's status;
- SIGTERM (deploy-check's teardown): it ends the whole tree, and exits likewise;
- its stdin closes (deploy-check died, even by SIGKILL): it ends the tree, sweeps the run
  marker's carriers too, and exits.

Ending the tree: SIGTERM once to every descendant, a bounded wait, then SIGKILL to every one
and to every process group among them, over and over (a killed process's orphans re-parent
to us) until waitpid says no child is left: a scan of /proc alone cannot prove it, as a
daemon that forks and exits over and over slips past any one scan. Before it exits it writes
to REPORT_FD what it did: {"signals": [...], "detached": n}, n the descendants that had left
the dev server's process group.

Only these processes load ctypes: deploy-check starts them, never imports this module."""

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

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h (Linux 3.4)
POLL = 0.05  # while descendants end: a grandchild's exit does not wake us


def _prctl(option: int, value: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(option, value, 0, 0, 0) == 0)


def become_subreaper() -> bool:
    """Orphaned descendants re-parent to us instead of init. False where the kernel refuses:
    the run marker's sweep is then the only net for what leaves the tree."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


class Keeper:
    """What both keepers do: wake on signals and children's exits, reap, end the tree."""

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}  # wait status of each child reaped
        self.childless = False  # waitpid said no child is left, running or not
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

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.childless = True
                return
            if pid == 0:
                return
            self.statuses[pid] = status

    def wait(self, fds: list[int], timeout: float | None = None) -> list[int]:
        """Until one of `fds` is readable, a signal comes, or `timeout`: the readable fds."""
        try:
            ready, _, _ = select.select([*fds, self.wake_read], [], [], timeout)
        except InterruptedError:
            return []
        with contextlib.suppress(BlockingIOError):
            while os.read(self.wake_read, 512):
                pass
        return [fd for fd in ready if fd != self.wake_read]

    def end_tree(self, spare: int = 0, server_group: int = 0) -> dict[str, object]:
        """SIGTERM once to each descendant but `spare` (the inner keeper, no part of the dev
        server), a bounded wait; then SIGKILL until no child is left (bounded too)."""
        me, own_group = os.getpid(), os.getpgrp()
        signals: list[str] = []
        detached: set[int] = set()
        for sig, wait in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, KILL_WAIT)):
            signalled: set[int] = set()

            def hit(pid: int, group: int, sig: signal.Signals = sig, signalled: set[int] = signalled) -> None:
                if sig == signal.SIGTERM and (pid in signalled or pid == spare):
                    return  # a SIGTERM once to each (also to one forked meanwhile)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if sig == signal.SIGKILL and group != own_group:
                    # The whole group at once (also when `pid` has just forked and exited):
                    # none of a group can fork past its SIGKILL.
                    with contextlib.suppress(OSError):
                        os.killpg(group, sig)
                signalled.add(pid)
                if sig.name not in signals:
                    signals.append(sig.name)

            deadline = time.monotonic() + wait
            while True:
                self.reap()
                if self.childless or time.monotonic() >= deadline:
                    break
                left = descendants(me, on_child=hit)  # our own children are hit as they are read
                detached.update(pid for pid, group in left.items() if group not in (own_group, server_group))
                for pid, group in left.items():
                    hit(pid, group)
                self.wait([], POLL)
            if self.childless:
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


def _quiet_output() -> None:
    """From now on only the dev server's processes keep its output pipe open."""
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    os.close(quiet)


def _inner(command: str, outer: int, messages: int) -> None:
    """The shell's parent: says its pid and its end to the outer keeper, over `messages`."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)  # the outer keeper's death is a stop
    if os.getppid() != outer:  # it died before we asked
        os._exit(0)
    become_subreaper()
    keeper = Keeper()
    try:
        # Python ignores SIGPIPE and SIGXFSZ; the dev server gets the defaults, as
        # subprocess's restore_signals gives them. Its own process group: see the docstring.
        shell = os.posix_spawn(
            "/bin/sh", ["/bin/sh", "-c", command], os.environ,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
            setpgroup=0, setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    except OSError as exc:  # as deploy-check says when it cannot start the shell itself
        print(f"cannot start /bin/sh: {exc}", file=sys.stderr, flush=True)
        os._exit(127)
    os.write(messages, f"shell {shell}\n".encode())
    _quiet_output()
    while shell not in keeper.statuses and not keeper.stop_asked:
        keeper.reap()
        if shell not in keeper.statuses and not keeper.stop_asked:
            keeper.wait([])
    if shell not in keeper.statuses:
        keeper.end_tree(server_group=shell)
    if shell in keeper.statuses:
        os.write(messages, f"exit {keeper.statuses[shell]}\n".encode())
    os._exit(0)  # what the shell left behind re-parents to the outer keeper


class Outer:
    """What the outer keeper knows of the inner one and of the shell."""

    def __init__(self, keeper: Keeper, inner: int, messages: int) -> None:
        self.keeper, self.inner, self.messages = keeper, inner, messages
        self.shell = 0
        self.shell_status: int | None = None
        self.heard_all = False  # the inner keeper's end of the pipe is closed
        self._said = b""
        os.set_blocking(messages, False)

    def listen(self) -> None:
        """Take in what the inner keeper said, and the shell's status if we reaped it."""
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(self.messages, 4096):
                self._said += chunk
            self.heard_all = True
        *lines, self._said = self._said.split(b"\n")
        for line in lines:
            kind, _, value = line.decode().partition(" ")
            if kind == "shell":
                self.shell = int(value)
            elif kind == "exit":
                self.shell_status = int(value)
        if self.inner in self.keeper.statuses and self.heard_all and not self.shell:
            # Killed between spawning the shell and saying so: the shell is the child of
            # ours (re-parented) that leads a process group of its own, the first one started.
            me, own_group = os.getpid(), os.getpgrp()
            self.shell = min((pid for pid, group in descendants(me).items() if pid == group != own_group),
                             default=0)
        if self.shell_status is None and self.shell in self.keeper.statuses:
            self.shell_status = self.keeper.statuses[self.shell]  # the inner keeper was killed

    def status(self) -> int | None:
        """The shell's wait status; or the inner keeper's, if it ended before the shell ran."""
        if self.shell_status is None and not self.shell:
            return self.keeper.statuses.get(self.inner)
        return self.shell_status

    def watch(self) -> bool:
        """Until the shell has exited or a stop is asked (False), or stdin closes (True)."""
        keeper = self.keeper
        while True:
            keeper.reap()
            self.listen()
            if self.status() is not None or keeper.stop_asked:
                return False
            if 0 in keeper.wait([0] if self.heard_all else [0, self.messages]) and not os.read(0, 4096):
                return True


def main() -> None:
    run_id, report_fd, command = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.set_inheritable(report_fd, False)  # the dev server gets neither this nor stdin
    become_subreaper()
    messages, said = os.pipe()
    outer = os.getpid()
    inner = os.fork()
    if inner == 0:
        os.close(messages)
        os.close(report_fd)
        quiet = os.open(os.devnull, os.O_RDONLY)
        os.dup2(quiet, 0)  # deploy-check's pipe is the outer keeper's to watch
        os.close(quiet)
        _inner(command, outer, said)
    os.close(said)
    _quiet_output()
    keeper = Keeper()
    watched = Outer(keeper, inner, messages)
    orphaned = watched.watch()
    watched.listen()
    report = keeper.end_tree(spare=inner, server_group=watched.shell)
    if orphaned:
        sweep(run_id)  # deploy-check is gone: its other carriers (the browser) too
    watched.listen()  # the shell's status, if the inner keeper said it while we ended the tree
    with contextlib.suppress(OSError):  # nobody reads it any more
        os.write(report_fd, json.dumps(report).encode())
    _exit_as(watched.status())
