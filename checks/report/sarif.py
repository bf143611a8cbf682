"""`--format sarif`: SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), the
format GitHub code scanning ingests. One rule per check id (its title, explain text and
hint), one result per failing, warning or waived check, located in the file it concerns
(one result per finding, to the line and column, where a check located each one)."""

from __future__ import annotations

import json
from typing import Any

from checks import __version__
from checks.core.model import CheckResult, Report, Status
from checks.core.registry import get

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Status.FAIL: "error", Status.WARN: "warning", Status.WAIVED: "note"}


def _artifact(result: CheckResult, report: Report) -> tuple[str, int | None]:
    """The file a finding concerns (relative to the project) and a line where there is one."""
    model = report.model or {}
    example = model.get("example_file") or ".env.local.example"
    env_files = [f.get("path") for f in model.get("env_files") or [] if isinstance(f, dict)]
    details = result.details
    if result.id == "ENV008":
        for name, found in (details.get("files") or {}).items():
            lines = found.get("malformed_lines") or [] if isinstance(found, dict) else []
            if lines:
                return name, int(lines[0])
            duplicates = found.get("duplicates") if isinstance(found, dict) else None
            if duplicates:
                return name, int(next(iter(duplicates.values()))[0])
    if result.family == "schema" and isinstance(model.get("schema"), dict):
        return str(model["schema"].get("path")), details.get("line") if isinstance(details.get("line"), int) else None
    if result.family == "devserver":
        return "package.json", None
    if isinstance(details.get("file"), str) and not details["file"].startswith("/"):
        return details["file"], None
    if result.id in ("ENV001", "ENV005", "DB001") and env_files:
        return str(env_files[0]), None
    return str(example), None


def _locations(result: CheckResult, report: Report) -> list[tuple[str, int | None, int | None, str]]:
    """One SARIF result per finding where a check located each one (the code family's
    `details.findings`: file, line, column), so code scanning annotates each line; else one
    for the check, in the file it concerns."""
    findings = [f for f in result.details.get("findings") or [] if isinstance(f, dict)
                and isinstance(f.get("file"), str) and isinstance(f.get("line"), int)]
    if findings:
        return [(f["file"], f["line"], f.get("column") if isinstance(f.get("column"), int) else None,
                 f"{result.title}: {f.get('what') or result.message}") for f in findings]
    uri, line = _artifact(result, report)
    return [(uri, line, None, result.message)]


def _rule(result: CheckResult) -> dict[str, Any]:
    spec = get(result.id).spec
    return {
        "id": spec.id,
        "name": "".join(word.capitalize() for word in spec.title.split() if word.isalnum())[:64] or spec.id,
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.explain},
        "help": {"text": spec.hint + (f"\nfix: {spec.fix}" if spec.fix else "")},
        "properties": {"family": spec.family},
    }


def render(report: Report) -> str:
    rules = [_rule(result) for result in report.checks]
    results = []
    for index, result in enumerate(report.checks):
        level = LEVELS.get(result.status)
        if level is None:
            continue
        fix = f"\nfix: {result.shown_fix}" if result.shown_fix else ""
        for uri, line, column, said in _locations(result, report):
            location: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": "PROJECT"}}
            if line:
                location["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
            results.append({
                "ruleId": result.id,
                "ruleIndex": index,
                "level": level,
                "message": {"text": f"{said}\nhint: {result.hint}{fix}"},
                "locations": [{"physicalLocation": location}],
                **({"suppressions": [{"kind": "external", "justification": result.message}]}
                   if result.status is Status.WAIVED else {}),
            })
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "deploy-check", "version": __version__, "rules": rules}},
            "originalUriBaseIds": {"PROJECT": {"uri": "file://" + report.project.rstrip("/") + "/"}},
            "results": results,
            "properties": {"verdict": report.verdict, "unverified": report.unverified},
        }],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
