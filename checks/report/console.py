"""`--format console`: grouped by family, status, message, hint and fix, summary and
verdict. Plain text when not on a terminal, without loading rich; in colour through rich.
The live progress display is live.py."""

from __future__ import annotations

import io
import json
import textwrap

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

    out = _Lines()
    family = None
    blocking = {r.id for r in report.blocking}
    shown = [r for r in report.checks
             if verbosity >= 0 or r.status.value in ("fail", "warn") or r.id in blocking]
    if verbosity >= 0 or shown:
        out.print(f"deploy-check · {report.project}", "bold")
    for result in shown:
        if result.family != family:
            family = result.family
            out.print(f"\n{family}", "bold underline")
        status = result.status.value
        line = [("  ", ""), (f"{STATUS_ICONS[status]} {status:<6}", STYLES[status]), (f" {result.id:<10}", "bold")]
        head = sum(len(text) for text, _ in line)
        line.append((wrapped(result.title, " " * head, width)[head:], ""))
        out.segments(line)
        out.print(wrapped(result.message, "      ", width), "dim" if status == "pass" else "")
        if verbosity > 0 and result.details:
            for key, value in result.details.items():
                shown_value = json.dumps(value, ensure_ascii=False, default=str)[:500]
                out.print(wrapped(shown_value, f"      {key}: ", width, hang=8), "dim")
        if status in ("fail", "warn") or result.id in blocking:
            out.print(wrapped(result.hint, "      hint: ", width), "cyan")
            if result.shown_fix:
                out.print(wrapped(result.shown_fix, "      fix:  ", width), "cyan")
    for note in report.notes:
        out.print("\n" + wrapped(note, "note: ", width), "yellow")
    if verbosity >= 0 or shown:
        out.print()
        out.print(wrapped(f"{summary_line(report)} · {report.duration_ms / 1000:.1f} s", "", width))
    unchecked = f" — {len(report.unverified)} unverified: " + "; ".join(report.unverified) \
        if report.unverified else ""
    if report.broad_waivers:
        unchecked += " — " + "; ".join(report.broad_waivers)
    if report.ready:
        out.print(wrapped(f"READY{unchecked}", "verdict: ", width), "bold yellow" if unchecked else "bold green")
    else:
        ids = ", ".join(r.id for r in report.blocking)
        if report.strict and report.unverified:
            ids = ", ".join(filter(None, [ids, "--strict"]))
        out.print(wrapped(f"NOT READY ({ids}){unchecked}", "verdict: ", width), "bold red")
    return out.colored(width) if color else out.plain()


class _Lines:
    """The report's lines, each a list of (text, style) segments: printed through rich in
    colour, or as the same plain text without loading rich (a pipe, a CI log, a file)."""

    def __init__(self) -> None:
        self.lines: list[list[tuple[str, str]]] = []

    def print(self, text: str = "", style: str = "") -> None:
        self.lines.append([(text, style)] if text else [])

    def segments(self, line: list[tuple[str, str]]) -> None:
        self.lines.append(line)

    def plain(self) -> str:
        # What rich prints with no colour: the text, tabs expanded to its tab size of 8.
        return "".join("".join(text for text, _ in line).expandtabs(8) + "\n" for line in self.lines)

    def colored(self, width: int | None) -> str:
        # start-up: rich only where the report is printed in colour
        from rich.console import Console
        from rich.text import Text  # start-up: rich only where the report is printed in colour

        buffer = io.StringIO()
        console = Console(file=buffer, width=width or 100, color_system="standard", force_terminal=True,
                          highlight=False, emoji=False, soft_wrap=True)
        for line in self.lines:
            text = Text()
            for part, style in line:
                text.append(part, style=style)
            console.print(text)
        return buffer.getvalue()
