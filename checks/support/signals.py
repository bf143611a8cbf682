"""Running the core's coroutines from the command line, so that a run ended by a
signal still runs its cleanups. Every `asyncio.run` the CLI reaches goes through here."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

from checks.support.errors import Terminated

T = TypeVar("T")


def run_until_signalled(work: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(work); SIGTERM/SIGHUP raise Terminated after the cleanups ran."""
    return asyncio.run(_unless_terminated(work))


async def _unless_terminated(work: Coroutine[Any, Any, T]) -> T:
    """SIGTERM (a CI job cancelled, `kill`) and SIGHUP (the terminal closed) end the run
    the way Ctrl-C does: the main task is cancelled, so every cleanup — the dev server's
    process-group teardown above all — runs before the process exits. Without this the
    default action kills the interpreter at once and leaves the dev server running."""
    loop = asyncio.get_running_loop()
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
    except asyncio.CancelledError:
        if not received:
            raise
        task.uncancel()
        raise Terminated(received[0].name) from None
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
