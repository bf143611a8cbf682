"""CODE002's judgement: which awaited calls in a user-facing route are telemetry."""

from __future__ import annotations

import re

from checks.code.collect import CodeFacts
from checks.code.facts import Finding
from checks.code.files import Role

# posthog-node's capture/identify (posthog.com/docs/libraries/node), Segment's and
# Mixpanel's track/identify (segment.com/docs/connections/sources/catalog/libraries/server/node).
TELEMETRY_METHOD = re.compile(r"(?:^|\.)(\w*(?:posthog|analytics|segment|mixpanel)\w*)(?:\(\))?"
                              r"\.(?:capture|captureImmediate|identify|identifyImmediate|track)$",
                              re.IGNORECASE)
TELEMETRY_FUNCTION = re.compile(r"^captureServerEvent$")
TELEMETRY_MODULE = re.compile(r"telemetry|analytics|event-?capture|tracking", re.IGNORECASE)
TELEMETRY_PACKAGE = "posthog-node"
# No user waits on these: a provider's webhook, a scheduler, a queue consumer.
BACKGROUND_ROUTE = re.compile(r"/(?:webhooks?|cron|inngest|qstash)(?:/|$)")


def is_background(path: str) -> bool:
    return bool(BACKGROUND_ROUTE.search("/" + path))


def _telemetry(code: CodeFacts, path: str, callee: str) -> bool:
    if TELEMETRY_METHOD.search(callee) or TELEMETRY_FUNCTION.match(callee):
        return True
    # An imported function called directly (`trackSignup(…)`), not any method of an
    # imported client (`posthog.shutdown()` flushes; it is no event).
    imported = code.parsed[path].imports.get(callee) if "." not in callee else None
    if imported is None:
        return False
    specifier, name = imported
    if TELEMETRY_MODULE.search(specifier.rsplit("/", 1)[-1]):
        return True
    local = code.resolve(path, specifier)
    facts = code.parsed.get(local) if local else None
    # One hop: a function exported by a local module that talks to posthog-node itself.
    return facts is not None and TELEMETRY_PACKAGE in facts.import_sources and (
        name in facts.exports or name in ("default", "*"))


def awaited_telemetry(code: CodeFacts) -> tuple[list[Finding], int]:
    """The findings, and how many user-facing routes and server actions were read."""
    findings: list[Finding] = []
    judged = 0
    for source in code.files:
        if source.role not in (Role.ROUTE, Role.ACTION) or is_background(source.path):
            continue
        judged += 1
        for call in code.parsed[source.path].awaited:
            if not call.deferred and not call.value_used and _telemetry(code, source.path, call.callee):
                findings.append(Finding(source.path, call.site, f"await {call.callee}(…) in a {source.role}"))
    return findings, judged
