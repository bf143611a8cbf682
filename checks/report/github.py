"""`--format github`: workflow commands, one per finding.
Escaping per https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
(escapeData: % \\r \\n; escapeProperty also : and ,)."""

from __future__ import annotations

from checks.core.model import Report, Status
from checks.report import summary_line


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, title: str, message: str) -> str:
    return f"::{kind} title={escape_property(title)}::{escape_data(message)}"


def render(report: Report) -> str:
    lines: list[str] = []
    blocking = {r.id for r in report.blocking}
    for result in report.checks:
        if result.id in blocking:
            kind = "error"
        elif result.status is Status.WARN:
            kind = "warning"
        elif result.status is Status.WAIVED:
            kind = "notice"
        else:
            continue
        text = f"{result.message}\nhint: {result.hint}" + (f"\nfix: {result.shown_fix}" if result.shown_fix else "")
        lines.append(command(kind, f"{result.id} {result.title}", text))
    for clause in report.unverified:
        lines.append(command("warning", "unverified", clause))
    for line in report.broad_waivers:
        lines.append(command("notice", "waived", line))
    verdict = "ready" if report.ready else "NOT READY"
    unchecked = f"; {len(report.unverified)} unverified" if report.unverified else ""
    lines.append(f"deploy-check: {verdict} ({summary_line(report)}{unchecked})")
    return "\n".join(lines) + "\n"
