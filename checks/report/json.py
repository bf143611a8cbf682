"""`--format json`: the DESIGN.md report schema, version 1."""

from __future__ import annotations

import json

from checks.core.model import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
