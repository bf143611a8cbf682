"""CODE002: telemetry awaited in a user-facing route or server action fails; after(),
waitUntil(), fire-and-forget and background routes do not."""

from __future__ import annotations

from typing import Any

import pytest

from checks.code.analysis import analyze

from helpers import locations


def test_awaited_capture_identify_and_a_one_hop_posthog_helper_fail(code_report: Any) -> None:
    check = code_report("code-bearer-saas")["CODE002"]
    assert check["status"] == "fail"
    # Not the webhook or cron routes' awaits, not the one inside after() ([id]/route.ts),
    # not lib/posthog.ts's own await (a module, not a route).
    assert locations(check) == [
        "src/app/actions.ts:8:3 await posthog.identify(…) in a server action",
        "src/app/api/projects/route.ts:18:3 await posthog.capture(…) in a route handler",
        "src/app/api/projects/route.ts:19:3 await trackProjectEvent(…) in a route handler",
    ]
    assert "posthog.identify(…).catch(() => {})" in check["hint"]


def test_fire_and_forget_and_after_pass(code_report: Any) -> None:
    # code-cookie-session: .catch(() => {}) without await, and an await inside after();
    # code-useapi has no telemetry at all.
    for app in ("code-cookie-session", "code-useapi"):
        check = code_report(app)["CODE002"]
        assert check["status"] == "pass" and check["details"]["findings"] == [], check


@pytest.mark.parametrize(("body", "deferred"), [
    ("await analytics.track({ event: 'x' })", [False]),
    ("waitUntil(analytics.track({ event: 'x' }).then(async () => { await analytics.flush() }))", [True]),
    ("unstable_after(async () => { await segment.identify({ userId }) })", [True]),
    ("event.waitUntil((async () => { await mixpanel.track('x') })())", [True]),
])
def test_awaits_inside_after_and_wait_until_are_deferred(body: str, deferred: list[bool]) -> None:
    facts = analyze("app/api/x/route.ts", f"export async function POST() {{\n  {body}\n}}\n")
    assert [call.deferred for call in facts.awaited] == deferred


def test_an_awaited_read_whose_value_the_route_returns_is_not_telemetry(code_report: Any) -> None:
    """inbox-zero's admin route returns `await getAdminAiModelSpendByPeriod(…)` from
    @inboxzero/tinybird-ai-analytics: the rows are the response, not an event to fire and forget."""
    check = code_report("inbox-zero-web")["CODE002"]
    assert locations(check) == [
        "utils/actions/feedback.ts:8:3 await trackProductFeedback(…) in a server action"], check["message"]


@pytest.mark.parametrize(("body", "used"), [
    ("await analytics.track({ event: 'x' })", [False]),
    ("return await analytics.query({ sql })", [True]),
    ("const rows = (await analytics.query({ sql }))", [True]),
])
def test_an_awaited_value_that_is_kept_is_marked(body: str, used: list[bool]) -> None:
    facts = analyze("app/api/x/route.ts", f"export async function POST() {{\n  {body}\n}}\n")
    assert [call.value_used for call in facts.awaited] == used
