"""One renderer per output format, each a pure `render(report) -> str`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from checks.core.model import Report

FORMATS: dict[str, str] = {
    "console": "checks.report.console",
    "json": "checks.report.json",
    "junit": "checks.report.junit",
    "github": "checks.report.github",
    "markdown": "checks.report.markdown",
    "sarif": "checks.report.sarif",
}

STATUS_ICONS = {"pass": "✔", "fail": "✘", "warn": "!", "skip": "-", "waived": "~"}


def renderer(name: str) -> Callable[[Report], str]:
    module = importlib.import_module(FORMATS[name])
    render: Callable[[Report], str] = module.render
    return render


def summary_line(report: Report) -> str:
    counts = report.summary
    parts = [f"{counts[s]} {s}" for s in ("pass", "fail", "warn", "skip", "waived") if counts[s]]
    return ", ".join(parts) or "no checks ran"
