"""CODE004: SQL built by interpolation into an unsafe raw API fails; tagged templates and
parameterized queries never do."""

from __future__ import annotations

from typing import Any

from helpers import locations


def test_interpolated_and_concatenated_sql_into_raw_apis_fail(code_report: Any) -> None:
    check = code_report("code-bearer-saas")["CODE004"]
    assert check["status"] == "fail"
    assert locations(check) == [
        "src/app/api/search/route.ts:7:24 prisma.$queryRawUnsafe: SQL built by a template with ${…}",
        "src/app/api/search/route.ts:8:24 pool.query: SQL built by a + concatenation",
    ]  # line 9 (prisma.$queryRaw`…`) and line 10 (pool.query with $1) are parameterized


def test_tagged_templates_and_parameters_pass(code_report: Any) -> None:
    # drizzle sql`…`, postgres.js client`…`, neon sql`…` and sql.query(text, [values])
    for app in ("code-cookie-session", "code-useapi"):
        check = code_report(app)["CODE004"]
        assert check["status"] == "pass" and check["details"]["findings"] == [], check
