"""Running the core's coroutines from the command line, so that a run ended by a
signal still runs its cleanups. Every `asyncio.run` the CLI reaches goes through here."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from checks.support.errors import Terminated
from checks.support.workers import RUN_EXECUTOR

T = TypeVar("T")


class _Executor(ThreadPoolExecutor):
    """The loop's default executor (blocking checks, `to_thread`). asyncio.run joins its
    threads at the end; once the run is being stopped (a signal, Ctrl-C) it does not: a
    thread stuck in a library call (a regex that backtracked for minutes on dub's vendored
    lib/qr/codegen.ts) would otherwise keep a cancelled CI job alive until SIGKILL."""

    stopping = False

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait and not self.stopping, cancel_futures=cancel_futures or self.stopping)


def run_until_signalled(work: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(work); SIGTERM/SIGHUP raise Terminated after the cleanups ran."""
    return asyncio.run(_unless_terminated(work))


async def _unless_terminated(work: Coroutine[Any, Any, T]) -> T:
    """SIGTERM (a CI job cancelled, `kill`) and SIGHUP (the terminal closed) end the run
    the way Ctrl-C does: the main task is cancelled, so every cleanup — the dev server's
    process-group teardown above all — runs before the process exits. Without this the
    default action kills the interpreter at once and leaves the dev server running."""
    loop = asyncio.get_running_loop()
    executor = _Executor(thread_name_prefix="deploy-check")
    loop.set_default_executor(executor)
    RUN_EXECUTOR.set(executor)
    task = asyncio.current_task()
    assert task is not None
    received: list[signal.Signals] = []

    def stop(sig: signal.Signals) -> None:
        if not received:  # a second signal must not cut the teardown short
            received.append(sig)
            task.cancel()

    handled = (signal.SIGTERM, signal.SIGHUP)
    for sig in handled:
        loop.add_signal_handler(sig, stop, sig)
    try:
        return await work
    except (asyncio.CancelledError, KeyboardInterrupt):
        executor.stopping = True  # the cleanups ran (the task's own finally blocks): join nothing stuck
        if not received:
            raise
        task.uncancel()
        raise Terminated(received[0].name) from None
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
