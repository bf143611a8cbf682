"""`--format junit`: one testcase per check; fail → <failure>, skip/waived → <skipped>.
A warning fails only under `--fail-level warn`, as it blocks the verdict then."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from checks.core.model import Report, Status

# Characters XML 1.0 does not allow at all (ElementTree writes them anyway, and the file
# then fails to parse in every CI reader): a dev server's output can carry them.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def _body(message: str, hint: str, fix: str | None) -> str:
    lines = [message, f"hint: {hint}"]
    if fix:
        lines.append(f"fix: {fix}")
    return _xml("\n".join(lines))


def render(report: Report) -> str:
    blocking = {r.id for r in report.blocking}
    counts = report.summary
    suite = ET.Element(
        "testsuite",
        name="deploy-check",
        tests=str(len(report.checks)),
        failures=str(len(blocking)),
        errors="0",
        skipped=str(counts["skip"] + counts["waived"]),
        time=f"{report.duration_ms / 1000:.3f}",
        timestamp=report.started_at,
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("verdict", report.verdict), ("project", report.project),
                        ("git_commit", report.git_commit or "")):
        ET.SubElement(properties, "property", name=name, value=_xml(value))
    for clause in report.unverified:
        ET.SubElement(properties, "property", name="unverified", value=_xml(clause))
    for result in report.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"deploy-check.{result.family}",
            name=f"{result.id} {result.title}",
            time=f"{result.duration_ms / 1000:.3f}",
        )
        body = _body(result.message, result.hint, result.shown_fix)
        if result.id in blocking:
            failure = ET.SubElement(case, "failure", message=_xml(result.message),
                                    type=result.status.value)
            failure.text = body
        elif result.status in (Status.SKIP, Status.WAIVED):
            ET.SubElement(case, "skipped", message=_xml(f"{result.status.value}: {result.message}"))
        elif result.status is Status.WARN:
            ET.SubElement(case, "system-out").text = f"warning: {body}"
        else:
            ET.SubElement(case, "system-out").text = _xml(result.message)
    suites = ET.Element("testsuites", name="deploy-check", tests=suite.get("tests", "0"),
                        failures=suite.get("failures", "0"))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
