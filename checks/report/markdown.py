"""`--format markdown`: a gate record to paste into `project-state.md`."""

from __future__ import annotations

from checks.core.model import Report
from checks.report import summary_line

ICONS = {"pass": "✅", "fail": "❌", "warn": "⚠️", "skip": "⏭️", "waived": "🟡"}


def cell(text: str | None) -> str:
    return (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def render(report: Report) -> str:
    verdict = "**ready**" if report.ready else "**not ready**"
    commit = f"`{report.git_commit}`" if report.git_commit else "not a git repository"
    lines = [
        f"### deploy-check gate — {report.started_at}",
        "",
        f"- Verdict: {verdict} ({summary_line(report)})",
        f"- Project: `{report.project}`",
        f"- Commit: {commit}",
        f"- Tool: {report.tool}, {report.duration_ms} ms",
    ]
    lines += [f"- Input `{name}`: sha256 `{digest[:16]}…`" for name, digest in report.inputs.items()]
    lines += [f"- Note: {cell(note)}" for note in report.notes]
    lines += [f"- Unverified: {cell(clause)}" for clause in report.unverified]
    lines += [f"- Waived: {cell(line)}" for line in report.broad_waivers]
    lines += ["", "| Check | Status | Title | Result | Fix |", "|---|---|---|---|---|"]
    for r in report.checks:
        status = f"{ICONS[r.status.value]} {r.status.value}"
        fix = f"`{cell(r.shown_fix)}`" if r.shown_fix and r.status.value in ("fail", "warn") else ""
        lines.append(f"| {r.id} | {status} | {cell(r.title)} | {cell(r.message)} | {fix} |")
    return "\n".join(lines) + "\n"
