"""Devserver family: the app's own dev server boots, answers, and serves the core
routes without logging errors — checked by running it (DESIGN.md DEV001–DEV003)."""

from __future__ import annotations

from typing import Any

from checks.core.context import Context
from checks.core.model import Outcome, Spec, failed, passed, plural, skipped, unverified
from checks.core.registry import check
from checks.devserver.walked import walked_flow
from checks.runtime.facts import STOPPED
from checks.runtime.output import ERROR_LINE, error_lines
from checks.runtime.session import dev_budget, dev_facts

DEV001 = Spec(
    "DEV001", "devserver", "The dev server starts and answers HTTP",
    "Runs `[dev_server] command` or the package.json `dev` script (with the package manager "
    "its lockfile names) on a free PORT, with the variables the app would see, and waits "
    "until its URL answers HTTP at all (any status), polling every 50 ms, up to "
    "`ready_timeout` (60 s). The URL the server prints wins over the one assumed; an "
    "address that already answered before the server started is never taken for it.",
    "Run the dev command yourself and fix what its output says; raise "
    "[dev_server] ready_timeout if the first compile is slow.",
)
DEV002 = Spec(
    "DEV002", "devserver", "The smoke routes answer as expected",
    "Requests `[dev_server] routes` in order with cookies kept (default: GET / must answer "
    "below 500), each with its own `route_timeout` for a first compile.",
    "Open the failing route locally; the server's own lines quoted here say why it failed.",
)
DEV003 = Spec(
    "DEV003", "devserver", "The dev server logs no errors",
    "Reads everything the server printed while booting and serving the smoke routes for "
    "`Error:`, `⨯`, `Unhandled`, `Module not found`, `ECONNREFUSED` and stack traces. "
    "What it prints after deploy-check stops it (pnpm's `ELIFECYCLE  Command failed.`, "
    "yarn's and npm's `signal SIGTERM` lines) answers that signal and is not read.",
    "Fix the errors quoted here; they are what a user hits first.",
)

QUOTE_LIMIT = 5
LAST_LINES = 5  # of a dev server that never answered, quoted in DEV001's message


@check(DEV001, budget=dev_budget)
async def boots(ctx: Context) -> Outcome:
    facts = await dev_facts(ctx)
    if facts.skip_reason:
        return unverified(f"devserver: {facts.skip_reason}")
    if facts.cannot_start:
        problem, fix = facts.cannot_start
        return failed(problem, fix=fix, hint=f"Run `{fix}` in the project, then check again." if fix
                      else "Install it, then check again.", command=facts.command)
    details: dict[str, Any] = {"command": facts.command, "url": facts.url, "port": facts.port,
               "boot_s": facts.boot_s, "teardown": facts.teardown}
    if facts.ready:
        return passed(f"`{facts.command}` answered HTTP at {facts.url} after {facts.boot_s:.1f} s",
                      **details)
    details["last_lines"] = facts.tail()
    busy = ""
    hint = None
    if facts.occupied:
        details["occupied"] = facts.occupied
        busy = (f"; {' and '.join(facts.occupied)} already answered before it started (another "
                "process holds that port)")
        hint = ("Stop the process on that port, or remove [dev_server] port/url from "
                "deploy-check.toml so deploy-check picks a free port.")
    # The console shows the message: the server's last words belong in it, not only in JSON.
    last = [line.strip() for line in facts.tail(LAST_LINES) if line.strip()]
    said = f"; its last output: {' | '.join(last)}" if last else "; it printed nothing"
    if facts.foreign:
        details["foreign"] = facts.foreign
        busy += (f"; {' and '.join(facts.foreign)} answered, but no process of the dev server "
                 "listens there (another service it printed)")
    if facts.exit_code is not None:
        return failed(f"`{facts.command}` exited with code {facts.exit_code} before answering HTTP"
                      f"{busy}{said}", hint=hint, exit_code=facts.exit_code, **details)
    return failed(f"`{facts.command}` did not answer HTTP at {facts.url} within "
                  f"{ctx.config.ready_timeout:g} s{busy}{said}", hint=hint, **details)


@check(DEV002, budget=dev_budget)
async def routes_answer(ctx: Context) -> Outcome:
    facts = await dev_facts(ctx)
    if facts.skip_reason:
        return skipped(facts.skip_reason)
    if facts.cannot_start:
        return skipped("not run: the dev server could not start (see DEV001)")
    if not facts.ready:
        return skipped("not run: the dev server never answered HTTP (see DEV001)")
    results = [
        {"route": f"{r.method} {r.path}", "expected": r.expected, "status": r.status,
         "error": r.error, "elapsed_ms": r.elapsed_ms} for r in facts.routes
    ]
    broken = [r for r in facts.routes if not r.ok]
    if broken:
        quoted: list[str] = []
        for route in broken:
            quoted += (error_lines(route.lines) or route.lines)[:QUOTE_LIMIT]
        said = f"; the server printed: {' | '.join(quoted[:QUOTE_LIMIT])}" if quoted else ""
        return failed(f"{len(broken)} of {len(facts.routes)} smoke routes failed: "
                      f"{', '.join(r.describe() for r in broken)}{said}",
                      routes=results, server_lines=quoted[:QUOTE_LIMIT])
    return passed(f"{plural(len(facts.routes), 'smoke route')} answered "
                  f"as expected: {', '.join(f'{r.method} {r.path} {r.status}' for r in facts.routes)}",
                  routes=results)


@check(DEV003, budget=dev_budget)
async def no_error_lines(ctx: Context) -> Outcome:
    facts = await dev_facts(ctx)
    if facts.skip_reason:
        return skipped(facts.skip_reason)
    if facts.cannot_start:
        return skipped("not run: the dev server could not start (see DEV001)")
    if not facts.lines:
        return skipped("the dev server printed nothing") if not facts.ready else passed(
            "the dev server printed nothing while booting and serving", lines=0)
    # What the server (or its package manager) printed after deploy-check signalled it to
    # stop answers that signal: it is no error of the app.
    read = [line for line in facts.lines if line.phase != STOPPED]
    after_stop = len(facts.lines) - len(read)
    errors = [line for line in read if ERROR_LINE.search(line.text)]
    ignored = (f" ({plural(after_stop, 'line')} printed after deploy-check stopped the server "
               "not read as the app's)") if after_stop else ""
    if errors:
        quoted = [f"[{line.phase}] {line.text.strip()}" for line in errors[:QUOTE_LIMIT]]
        return failed(f"{plural(len(errors), 'error line')} in the dev "
                      f"server's output: {' | '.join(quoted)}{ignored}", lines=quoted,
                      count=len(errors), after_stop=after_stop)
    return passed(f"no error in {len(read)} lines of output{ignored}", lines=len(read),
                  after_stop=after_stop)


DEV004 = Spec(
    "DEV004", "devserver", "The signed-in core flow works end to end",
    "Runs the `signed_in = true` routes of [dev_server] routes in order with AUTH003's session "
    "(capture = values from a JSON answer for later steps, expect = JSON values or text "
    "beyond the status, sql = a read-only, parameterized read-back through the app's own "
    "database, calling only aggregate, string, date, json and math functions) and names the first step that broke with the server's lines. Then asks each "
    "of those routes once without the session: a 2xx answer fails (the route is not protected).",
    "Walk the flow in the app yourself; a route that answered without a session needs the "
    "app's auth check (middleware or the handler's session lookup).",
)


@check(DEV004, budget=dev_budget)
async def signed_in_flow(ctx: Context) -> Outcome:
    if not any(route.signed_in for route in ctx.config.routes):
        return unverified("devserver: the signed-in core flow is not described: add routes with "
                          "signed_in = true to [dev_server] routes")
    walked = await walked_flow(ctx)
    if isinstance(walked, Outcome):
        return walked
    _, flow = walked
    steps = [{"step": s.number, "route": s.route, "status": s.status, "problem": s.problem,
              "elapsed_ms": s.elapsed_ms} for s in flow.steps]
    details: dict[str, Any] = {"steps": steps, "unprotected": flow.unprotected, "elapsed_s": flow.elapsed_s}
    broken = flow.broken
    problems = []
    quoted: list[str] = []
    if broken is not None:
        quoted = (error_lines(broken.lines) or broken.lines)[:QUOTE_LIMIT]
        said = f"; the server printed: {' | '.join(quoted)}" if quoted else ""
        problems.append(f"step {broken.number} `{broken.route}` {broken.problem}{said}")
    if flow.unprotected:
        problems.append(f"answers without a session (the route is not protected): {', '.join(flow.unprotected)}")
    if problems:
        return failed("; ".join(problems), server_lines=quoted, **details)
    return passed(f"{plural(len(flow.steps), 'signed-in step')} worked and each refused a request "
                  f"without the session ({flow.elapsed_s:.2f} s)", **details)


from checks.devserver import browser, ownership  # noqa: E402, F401  (DEV005, DEV006 register)
