"""The console report in a pipe is written without rich (issue 21: start-up), and says
exactly what rich prints with no colour: the coloured report with its escapes removed."""

from __future__ import annotations

import re

import pytest

from checks.core.model import CheckResult, Report, Status
from checks.report.console import render

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def report() -> Report:
    def result(check_id: str, status: Status, message: str, **more: object) -> CheckResult:
        return CheckResult(id=check_id, family="env" if check_id.startswith("ENV") else "schema",
                           title="Required variables are filled", status=status, message=message,
                           hint="Fill them in .env.local (see .env.local.example).",
                           fix="deploy-check provision env", duration_ms=3, **more)  # type: ignore[arg-type]

    return Report(
        tool="deploy-check 0.1.0", project="/tmp/app", started_at="2026-12-06T04:00:00Z", duration_ms=1234,
        fail_level=Status.FAIL,
        checks=[
            result("ENV001", Status.PASS, "the process environment and .env.local supply the app's variables"),
            result("ENV003", Status.FAIL, "2 required variables are empty:\tSENTRY_ORG, STRIPE_SECRET_KEY — "
                   "every one of them is read at boot by the app's server, é ✔ 漢字",
                   details={"missing": ["SENTRY_ORG", "STRIPE_SECRET_KEY"]}),
            result("DB004", Status.WARN, "a table that schema.sql creates is absent: public.orders",
                   fix_command="deploy-check provision schema --project /tmp/app"),
            result("ENV005", Status.SKIP, "not run: ENV001 failed"),
        ],
        notes=["waiver for SENTRY* expired on 2026-01-01: monitoring later"],
        unverified=["database: not run (--only/--skip)"],
    )


@pytest.mark.parametrize("width", [None, 40, 100])
@pytest.mark.parametrize("verbosity", [-1, 0, 1])
def test_plain_console_is_the_coloured_one_without_its_escapes(width: int | None, verbosity: int) -> None:
    plain = render(report(), color=False, width=width, verbosity=verbosity)
    coloured = render(report(), color=True, width=width, verbosity=verbosity)
    assert "\x1b[" in coloured
    assert plain == ANSI.sub("", coloured)

