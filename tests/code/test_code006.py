"""CODE006: a total summed or counted from a query with a limit warns; totals from a
separate aggregate query, and counts of what the page shows, do not."""

from __future__ import annotations

from typing import Any

from helpers import locations


def test_totals_from_limited_queries_warn_with_their_location(code_report: Any) -> None:
    check = code_report("code-bearer-saas")["CODE006"]
    assert check["status"] == "warn"
    # Not countOrders (line 13): it comes from the aggregate over every order.
    assert locations(check) == [
        "src/app/api/reports/route.ts:6:9 totalRevenue is computed from recent, the result of a query with a limit",
        "src/app/api/reports/route.ts:10:5 sumRefunds is computed from rows, the result of a query with a limit",
    ]


def test_firestore_limits_in_app_and_pages_routes_warn(code_report: Any) -> None:
    check = code_report("code-firebase-scans")["CODE006"]
    assert check["status"] == "warn"
    # Not countDays (usage.ts:11): a count() aggregate over the whole collection.
    assert locations(check) == [
        "app/api/scans/route.ts:25:9 totalScans is computed from scansSnapshot, the result of a query with a limit",
        "pages/api/usage.ts:9:9 totalMinutes is computed from recent, the result of a query with a limit",
    ]


def test_separate_aggregates_and_page_counts_pass(code_report: Any) -> None:
    # code-cookie-session: `.limit(20)` for the page, `total` from its own count() query,
    # `shown = page.length`; code-useapi: LIMIT 50 in the route, `totalNotes` counts client state.
    for app in ("code-cookie-session", "code-useapi"):
        check = code_report(app)["CODE006"]
        assert check["status"] == "pass" and check["details"]["findings"] == [], check
