"""Code family: the app's own code, read the way its reviewers read it (CODE001–CODE006).

The sources are read once (`collect.py`), with their Next.js roles (`files.py`); the
parser (ast-grep, imported only when this family runs) turns each file into plain facts
(`analysis.py`), and each check judges them. Every finding names file:line:column.
"""

from __future__ import annotations

from typing import Any

from checks.code.bearer import missing_bearer
from checks.code.catalogue import CODE001, CODE002, CODE003, CODE004, CODE005, CODE006
from checks.code.clientsecrets import client_secrets
from checks.code.collect import CodeFacts, parsed, sources
from checks.code.facts import Finding, Site
from checks.code.files import Role
from checks.code.sqlimports import Exports, followed
from checks.code.telemetry import awaited_telemetry
from checks.core.context import Context
from checks.core.model import Outcome, failed, listed, passed, plural, skipped, unverified, warned
from checks.core.registry import check

NO_CODE = "code: no .ts/.tsx/.js/.jsx/.mjs source file found in the app"
# Seconds for the code checks, whose work is parsing the app's files, not a network call:
# --timeout does not bound it. A large app's first (uncached) run parses for a while:
# lobe-chat's 8,400 files took 12 s of one core, and failed at --timeout + 5 s.
CODE_BUDGET = 300.0


def _budget(ctx: Context) -> float:
    return max(ctx.timeout + 5.0, CODE_BUDGET)


def judged(findings: list[Finding], ok: str, bad: str, *, fail: bool, **extra: Any) -> Outcome:
    """One outcome for many findings: each named file:line:column in the message (the first
    ten) and in `details.findings` (all of them, which SARIF turns into annotations)."""
    details = {"findings": [f.to_dict() for f in findings], **extra}
    if not findings:
        return passed(ok, **details)
    shown = f"{bad}: {listed(f'{f.location} ({f.what})' for f in findings)}"
    return failed(shown, **details) if fail else warned(shown, **details)


def judged_or_open(findings: list[Finding], open_: list[Finding], ok: str, bad: str, unsure: str) -> Outcome:
    """`judged` (a fail) for what is sure, with what the parser cannot be sure of listed as
    could-not-verify: in the fail's message, or, alone, as the outcome (never a pass, never a fail)."""
    listed_open = [f.to_dict() for f in open_]
    said = f"could not verify {unsure}: {listed(f'{f.location} ({f.what})' for f in open_)}"
    if findings or not open_:
        outcome = judged(findings, ok, bad, fail=True, could_not_verify=listed_open)
        outcome.message += f"; {said}" if open_ else ""
        return outcome
    return unverified(f"code: {said}", findings=[], could_not_verify=listed_open)


def _no_code(code: CodeFacts) -> Outcome | None:
    return unverified(NO_CODE) if not code.files else None


@check(CODE001, budget=_budget, local=True)
async def size_budget(ctx: Context) -> Outcome:
    code = await sources(ctx)
    if (skip := _no_code(code)) is not None:
        return skip
    budgets = {Role.ROUTE: ctx.config.route_max_lines, Role.PAGE: ctx.config.page_max_lines}
    findings = [Finding(f.path, Site(budgets[f.role] + 1, 1), f"{f.role}, {f.lines} lines > {budgets[f.role]}")
                for f in code.files if f.role in budgets and f.lines > budgets[f.role]]
    count = sum(1 for f in code.files if f.role in budgets)
    if not count:  # nothing to measure is no pass: a plain Node app has no Next.js roles
        return skipped(f"no route handler or page (app/**/route.ts, pages/api/**, app/**/page.tsx) among "
                       f"{plural(len(code.files), 'source file')}")
    return judged(findings, f"{plural(count, 'route handler or page', 'route handlers and pages')} "
                  "within their size budget", f"{plural(len(findings), 'file')} over the size budget",
                  fail=False)


@check(CODE003, budget=_budget, local=True)
async def callers_send_the_bearer_token(ctx: Context) -> Outcome:
    code = await parsed(ctx)
    if (skip := _no_code(code)) is not None:
        return skip
    judgement = missing_bearer(code)
    if not judgement.routes:
        return passed("no route handler reads a bearer token (Authorization header): no caller to join",
                      findings=[], routes=[])
    routes = [{"file": r.path, "url": r.url, "reads": r.reader, "required": r.required, "session": r.session,
               "session_elsewhere": r.session_elsewhere} for r in judgement.routes]
    unknown = [f.to_dict() for f in judgement.unknown]
    whose = ("whose options are built elsewhere" if judgement.unknown_options == len(unknown)
             else "that may reach a bearer route without its token")
    open_ = (f"could not verify {plural(len(unknown), 'call')} {whose}: "
             f"{listed(f'{f.location} ({f.what})' for f in judgement.unknown)}")
    missing = judgement.required + judgement.optional
    if missing:
        outcome = judged(missing, "", f"{plural(len(missing), 'call')} to a bearer route without its token",
                         fail=bool(judgement.required), routes=routes, could_not_verify=unknown)
        outcome.message += f"; {open_}" if unknown else ""
        return outcome
    if unknown:
        return unverified(f"code: {open_}", findings=[], routes=routes, could_not_verify=unknown)
    with_token = judgement.calls - judgement.by_session
    reached = (f"{plural(judgement.calls, 'fetch call')} to them, each with the Authorization header"
               if with_token else "no direct fetch('/api/…') to them (a wrapper's calls are not joined)")
    if judgement.by_session:
        reached = (f"{plural(judgement.calls, 'fetch call')} to them: {with_token} with the Authorization header, "
                   f"{judgement.by_session} signed in by the session cookie the route falls back to")
    return passed(f"{plural(len(routes), 'route reads', 'routes read')} a bearer token; {reached}",
                  findings=[], routes=routes)


@check(CODE004, budget=_budget, local=True)
async def no_interpolated_raw_sql(ctx: Context) -> Outcome:
    code = await parsed(ctx)
    if (skip := _no_code(code)) is not None:
        return skip
    exports: Exports = {}
    settled = [(path, followed(code, ctx.project, path, raw, exports))
               for path, facts in code.parsed.items() for raw in facts.raw_sql]
    found = [(raw.certain, Finding(path, raw.site, f"{raw.api}: {raw.why}")) for path, raw in settled if raw]
    findings = [finding for certain, finding in found if certain]
    return judged_or_open(findings, [finding for certain, finding in found if not certain],
                          f"no SQL built by interpolation in {plural(len(code.files), 'source file')}",
                          f"{plural(len(findings), 'raw SQL call')} built by interpolation",
                          f"{plural(len(found) - len(findings), 'call')} that may be raw SQL")


@check(CODE002, budget=_budget, local=True)
async def telemetry_is_fire_and_forget(ctx: Context) -> Outcome:
    code = await parsed(ctx)
    if (skip := _no_code(code)) is not None:
        return skip
    findings, count = awaited_telemetry(code)
    if not count:
        return skipped(f"no user-facing route handler or server action among {plural(len(code.files), 'source file')}")
    outcome = judged(findings, f"no awaited telemetry in {plural(count, 'user-facing route or server action', 'user-facing routes and server actions')}",
                     f"{plural(len(findings), 'telemetry call')} awaited in user-facing code", fail=True)
    if findings:
        callee = findings[0].what.split("(", 1)[0].removeprefix("await ")
        outcome.hint = (f"Make it fire-and-forget: `{callee}(…).catch(() => {{}})` without `await`, or "
                        f"`after(() => {callee}(…))` from next/server, which runs after the response.")
    return outcome


@check(CODE005, budget=_budget, local=True)
async def no_secrets_in_client_code(ctx: Context) -> Outcome:
    code = await parsed(ctx)
    if (skip := _no_code(code)) is not None:
        return skip
    findings, unsure, count = client_secrets(code)
    if not count:
        # The Pages Router has no 'use client': its pages (and what they import) are bundled
        # for the browser as well, which this check does not trace. Not a pass, not a skip.
        pages = [f.path for f in code.files
                 if f.path.startswith(("pages/", "src/pages/")) and not f.path.startswith(("pages/api/", "src/pages/api/"))]
        if pages:
            return unverified(f"code: {plural(len(pages), 'Pages Router page')} ({pages[0]}…) run in the browser "
                              "too, and CODE005 traces only 'use client' modules: server secrets there are not judged")
        return skipped(f"no client-side ('use client') module among {plural(len(code.files), 'source file')}")
    return judged_or_open(findings, unsure, f"no server secret or public salt in {plural(count, 'client-side file')}",
                          f"{plural(len(findings), 'secret')} in client code",
                          f"{plural(len(unsure), 'server secret read')} in a module shared with client code")


@check(CODE006, budget=_budget, local=True)
async def totals_from_full_queries(ctx: Context) -> Outcome:
    code = await parsed(ctx)
    if (skip := _no_code(code)) is not None:
        return skip
    findings = [Finding(path, total.site, f"{total.total} is computed from {total.rows}, the result of a "
                        "query with a limit") for path, facts in code.parsed.items() for total in facts.limited_totals]
    return judged(findings, f"no total computed from a limited query in {plural(len(code.files), 'source file')}",
                  f"{plural(len(findings), 'total')} computed from a limited query", fail=False)
