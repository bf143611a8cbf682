"""Worker threads a run leaves behind: a check out of its budget whose work still runs in a
thread, which Python cannot stop (lobe-chat's 8,400 files parsed on past the code checks'
budget). The run's end neither waits for nor joins such a thread. Apart from
checks/support/signals.py so that an env-only run, which has no event loop, loads no asyncio."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol


class Stoppable(Protocol):
    stopping: bool  # shutdown() joins no thread once set (signals.py _Executor)


# The run's default executor, set where the CLI starts its event loop (signals.py).
RUN_EXECUTOR: ContextVar[Stoppable | None] = ContextVar("deploy_check_executor", default=None)
_abandoned: list[bool] = []


def abandon_workers() -> None:
    """A check ran out of its budget: whatever thread it started runs on unjoined."""
    _abandoned.append(True)
    executor = RUN_EXECUTOR.get()
    if executor is not None:
        executor.stopping = True


def workers_abandoned() -> bool:
    """Whether a worker thread of this process was left to run past its check's budget."""
    return bool(_abandoned)
