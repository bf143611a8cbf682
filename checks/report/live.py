"""The live progress display on a terminal (stderr): the running checks, their elapsed
time and the latest line each reported. The only place besides the coloured report that
knows about rich; a run in a pipe or CI log never imports it."""

from __future__ import annotations

import time
from typing import IO

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text


class ConsoleProgress:
    """Live view of running checks on stderr: elapsed time and the latest line each
    check reported (a dev server's last output line, say). Silent when not a TTY."""

    def __init__(self, stream: IO[str], *, enabled: bool) -> None:
        self._console = Console(file=stream, highlight=False)
        self._enabled = enabled and self._console.is_terminal
        self._running: dict[str, tuple[str, float, str]] = {}
        self._live: Live | None = None

    def __enter__(self) -> ConsoleProgress:
        if self._enabled:
            self._live = Live(self._view(), console=self._console, refresh_per_second=8,
                              transient=True, get_renderable=self._view)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _view(self) -> Group:
        now = time.monotonic()
        rows = []
        for check_id, (title, started, text) in list(self._running.items()):
            label = Text(f"{check_id} {title} ({now - started:.1f} s)")
            if text:
                label.append(f"  {text[:80]}", style="dim")
            rows.append(Spinner("dots", text=label))
        return Group(*rows)

    def started(self, check_id: str, title: str) -> None:
        self._running[check_id] = (title, time.monotonic(), "")

    def update(self, check_id: str, text: str) -> None:
        if check_id in self._running:
            title, started, _ = self._running[check_id]
            self._running[check_id] = (title, started, text)

    def finished(self, check_id: str, status: str) -> None:
        self._running.pop(check_id, None)
