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


def test_execute_on_a_workflow_engine_and_a_constant_operator_map_never_fail(code_report: Any) -> None:
    # papermark: `engine.execute(entryLinkId, {…})` of a WorkflowEngine, entryLinkId from the
    # route params, is no SQL; formbricks: `${SQL_OPERATORS[operator]}` of a constant map is
    # listed as could-not-verify, not failed.
    check = code_report("code-shared-session")["CODE004"]
    assert check["status"] == "skip" and check["details"]["findings"] == [], check
    assert [f"{f['location']} {f['what']}" for f in check["details"]["could_not_verify"]] == [
        "lib/segments/prisma-query.ts:11:10 prisma.$queryRawUnsafe: SQL built by a template whose only ${…} "
        "are lookups in the constant SQL_OPERATORS: only its values can reach the SQL",
    ]
    assert check["message"].startswith("code: could not verify 1 call that may be raw SQL")
