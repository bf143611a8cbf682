"""DEV004: the signed-in core flow, walked end to end with AUTH003's session.

Each `signed_in = true` route of `[dev_server] routes` runs in order with the session's
cookies; `capture` takes values from a JSON answer for later paths and bodies (`{note_id}`),
`expect` checks the answer beyond its status, `sql` reads the write back through the app's
own database (parameterized, in a READ ONLY transaction). The first step that breaks is
named, with the server's own lines. Then each signed-in route is asked once more without
the session: a 2xx answer means the route is not protected.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checks.core.db import open_connection
from checks.runtime.addresses import loopback_url
from checks.runtime.signin.facts import SECRET_KEYS, fill, remember_secrets, renew
from checks.support.jsonpaths import json_path
from checks.support.pgurl import InvalidDatabaseUrl

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.project.config import Route
    from checks.runtime.process import DevServer
    from checks.runtime.signin.facts import LoginFacts


@dataclass
class FlowStep:
    number: int
    route: str  # "POST /api/notes"
    status: int | None = None
    problem: str | None = None
    elapsed_ms: int = 0
    lines: list[str] = field(default_factory=list)


@dataclass
class FlowFacts:
    not_run: str | None = None
    steps: list[FlowStep] = field(default_factory=list)
    unprotected: list[str] = field(default_factory=list)  # answered 2xx without a session
    elapsed_s: float | None = None
    # What a second user replays (DEV005): the values the flow filled in and captured, and
    # the answer each step gave the signed-in user.
    values: dict[str, str] = field(default_factory=dict)
    answers: dict[int, str] = field(default_factory=dict)

    @property
    def broken(self) -> FlowStep | None:
        return next((s for s in self.steps if s.problem), None)


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or str(actual).lower() == str(expected).lower()
    if isinstance(expected, int | float) and not isinstance(actual, str | bytes):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    return str(actual) == str(expected)


READ_BACK_TIMEOUT = "5s"


async def read_value(ctx: Context, sql: dict[str, Any], values: dict[str, str]) -> tuple[Any, str | None]:
    """The route's `sql`, read-only through the app's own database: (its value, None), or
    (None, why it could not be read). One SELECT (checked when the config is read), sent
    through the extended protocol (one statement only), in a READ ONLY transaction with a
    statement timeout, always rolled back."""
    import psycopg  # start-up: only runs that reach a database load psycopg


    params = [fill(p, values) if isinstance(p, str) else p for p in sql.get("params", [])]
    try:
        connection = await open_connection(ctx, autocommit=False)
    except (psycopg.Error, InvalidDatabaseUrl, OSError, TimeoutError) as exc:
        return None, f"cannot reach the database for the read-back: {ctx.mask(str(exc)) or type(exc).__name__}"
    try:
        async with connection.transaction(force_rollback=True):
            await connection.execute("SET TRANSACTION READ ONLY")
            await connection.execute(f"SET LOCAL statement_timeout = '{READ_BACK_TIMEOUT}'")
            # `$1` placeholders, as PostgreSQL's own docs write them; prepare=True: the
            # extended protocol, which refuses a second statement (`SELECT 1; COMMIT; …`).
            cursor = psycopg.AsyncRawCursor(connection)
            row = await (await cursor.execute(sql["query"], params, prepare=True)).fetchone()
    except psycopg.Error as exc:
        return None, f"the read-back query failed: {ctx.mask(exc.diag.message_primary or str(exc))}"
    finally:
        await connection.close()
    return (row[0] if row else None), None


async def _read_back(ctx: Context, sql: dict[str, Any], values: dict[str, str]) -> str | None:
    """None when the route's `sql` gives what it `equals`, else why not."""
    actual, problem = await read_value(ctx, sql, values)
    if problem:
        return problem
    if not same(actual, sql["equals"]):
        return f"the read-back `{sql['query']}` gave {actual!r}, expected {sql['equals']!r}: the write did not reach the database"
    return None


def _judge(route: Route, response: httpx.Response, values: dict[str, str]) -> str | None:
    expected = route.status
    # A signed-in step must succeed: a redirect (to /login, say) is the app refusing it.
    ok = response.status_code == expected if expected is not None else 200 <= response.status_code < 300
    if not ok:
        want = str(expected) if expected is not None else "2xx"
        return f"answered {response.status_code} (expected {want})"
    body: Any = None
    if route.capture or route.expect.get("json"):
        try:
            body = response.json()
        except ValueError:
            return "answered no JSON, which capture/expect need"
    for name, path in route.capture.items():
        found = json_path(body, path)
        if not found or found[0] is None:
            return f"capture {name}: nothing at {path} in the answer"
        values[name] = str(found[0])
    for path, expected_value in route.expect.get("json", {}).items():
        found = json_path(body, path)
        if not found:
            return f"expect: nothing at {path}"
        expected_value = fill(expected_value, values)
        if not same(found[0], expected_value):
            return f"expect: {path} is {found[0]!r}, expected {expected_value!r}"
    contains = route.expect.get("contains")
    if contains and fill(contains, values) not in response.text:
        return f"expect: the answer does not contain {contains!r}"
    return None


class _NotRenewed(Exception):
    """The provider would not renew the session token before a signed-in step."""


async def _request(ctx: Context, client: httpx.AsyncClient, method: str, url: str, body: Any) -> httpx.Response:
    """One request, the whole exchange bounded (httpx's timeout is per read)."""
    timeout = ctx.config.route_timeout
    return await asyncio.wait_for(client.request(method, url, json=body, timeout=timeout), timeout)


async def walk_flow(ctx: Context, server: DevServer, client: httpx.AsyncClient, routes: list[Route],
                    login: LoginFacts | None) -> FlowFacts:
    import httpx  # start-up: only runs that make a request load httpx


    flow = FlowFacts()
    if login is None or not login.ok:
        flow.not_run = "not run: no signed-in session (AUTH003 did not sign in)"
        return flow
    assert server.facts.url is not None
    started = time.monotonic()
    values = {"email": login.email, "run": server.run_id}
    async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                 verify=loopback_url(server.facts.url) is None,
                                 headers={"User-Agent": "deploy-check"}) as anonymous:
        for number, route in enumerate(routes, 1):
            server.phase = f"flow {number}"
            path = fill(route.path, values, in_path=True)
            body = fill(route.json, values) if route.json is not None else None
            step = FlowStep(number, f"{route.method} {route.path}")
            ctx.report_progress("DEV004", step.route)
            mark = server.line_count()
            began = time.monotonic()
            try:
                # Without the session first, while the flow's state is what the signed-in
                # request will find (a later DELETE would turn an unprotected GET into a 404).
                refused = await _request(ctx, anonymous, route.method, server.facts.url + path, body)
                if 200 <= refused.status_code < 300:
                    flow.unprotected.append(f"{route.method} {route.path} → {refused.status_code}")
                # Renewed just before it is used: the request above may have waited on a
                # first compile of the route for most of a short-lived token's life.
                renewal = await renew(ctx, login)
                if renewal:
                    raise _NotRenewed(renewal)
                response = await _request(ctx, client, route.method, server.facts.url + path, body)
                remember_secrets(ctx, client, response)
                step.status = response.status_code
                flow.answers[number] = response.text
                step.problem = _judge(route, response, values)
                for name, json_path_text in route.capture.items():
                    if name in values and (SECRET_KEYS.search(name) or SECRET_KEYS.search(json_path_text)):
                        ctx.masker.add([values[name]])
                if step.problem is None and route.sql:
                    step.problem = await _read_back(ctx, route.sql, values)
            except (httpx.TimeoutException, TimeoutError):
                step.problem = f"no answer within {ctx.config.route_timeout:g} s"
            except httpx.HTTPError as exc:
                # Also for the request without the session: a route whose refusal could not
                # be asked is not proven protected.
                step.problem = ctx.mask(f"{type(exc).__name__}: {exc}")
            except (ValueError, _NotRenewed) as exc:
                step.problem = str(exc)
            step.elapsed_ms = round((time.monotonic() - began) * 1000)
            if step.problem:
                await server.settle(mark)
            step.lines = server.lines_since(mark)
            flow.steps.append(step)
            if step.problem:
                break
    server.phase = "after flow"
    flow.values = values
    flow.elapsed_s = round(time.monotonic() - started, 3)
    return flow
