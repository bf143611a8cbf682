"""`--format console`: grouped by family, status, message, hint and fix, summary and
verdict. Plain text when not on a terminal. Also the live progress display, the only
place besides rendering that knows about rich."""

from __future__ import annotations

import io
import json
import textwrap
import time
from typing import IO

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from checks.core.model import Report
from checks.report import STATUS_ICONS, summary_line

STYLES = {"pass": "green", "fail": "bold red", "warn": "yellow", "skip": "dim", "waived": "magenta"}


def wrapped(text: str, prefix: str, width: int | None, hang: int | None = None) -> str:
    """`prefix + text`, wrapped at word boundaries to `width` with a hanging indent (the
    continuation lines start under the text, not at column 0); unwrapped when `width` is
    None (a pipe or a file: one line per message, for grep and CI logs)."""
    if width is None:
        return prefix + text
    lines = textwrap.wrap(text, width, initial_indent=prefix, subsequent_indent=" " * (hang or len(prefix)),
                          break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) or prefix.rstrip()


def render(report: Report, *, color: bool = False, width: int | None = None, verbosity: int = 0) -> str:
    """verbosity -1 (--quiet): failures, warnings and the verdict (one line when ready);
    0: every check; 1 (--verbose): every check with its details. `width`: the terminal's
    columns, to wrap to (None: never wrap)."""

    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 100, color_system="standard" if color else None,
                      force_terminal=color, highlight=False, emoji=False, soft_wrap=True)
    family = None
    blocking = {r.id for r in report.blocking}
    shown = [r for r in report.checks
             if verbosity >= 0 or r.status.value in ("fail", "warn") or r.id in blocking]
    if verbosity >= 0 or shown:
        console.print(Text(f"deploy-check · {report.project}", style="bold"))
    for result in shown:
        if result.family != family:
            family = result.family
            console.print(Text(f"\n{family}", style="bold underline"))
        status = result.status.value
        line = Text("  ")
        line.append(f"{STATUS_ICONS[status]} {status:<6}", style=STYLES[status])
        line.append(f" {result.id:<10}", style="bold")
        head = len(line.plain)
        line.append(wrapped(result.title, " " * head, width)[head:])
        console.print(line)
        console.print(Text(wrapped(result.message, "      ", width), style="dim" if status == "pass" else ""))
        if verbosity > 0 and result.details:
            for key, value in result.details.items():
                shown_value = json.dumps(value, ensure_ascii=False, default=str)[:500]
                console.print(Text(wrapped(shown_value, f"      {key}: ", width, hang=8), style="dim"))
        if status in ("fail", "warn") or result.id in blocking:
            console.print(Text(wrapped(result.hint, "      hint: ", width), style="cyan"))
            if result.shown_fix:
                console.print(Text(wrapped(result.shown_fix, "      fix:  ", width), style="cyan"))
    for note in report.notes:
        console.print(Text("\n" + wrapped(note, "note: ", width), style="yellow"))
    if verbosity >= 0 or shown:
        console.print()
        console.print(Text(wrapped(f"{summary_line(report)} · {report.duration_ms / 1000:.1f} s", "", width)))
    unchecked = f" — {len(report.unverified)} unverified: " + "; ".join(report.unverified) \
        if report.unverified else ""
    if report.broad_waivers:
        unchecked += " — " + "; ".join(report.broad_waivers)
    if report.ready:
        console.print(Text(wrapped(f"READY{unchecked}", "verdict: ", width),
                           style="bold yellow" if unchecked else "bold green"))
    else:
        ids = ", ".join(r.id for r in report.blocking)
        if report.strict and report.unverified:
            ids = ", ".join(filter(None, [ids, "--strict"]))
        console.print(Text(wrapped(f"NOT READY ({ids}){unchecked}", "verdict: ", width), style="bold red"))
    return buffer.getvalue()


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
