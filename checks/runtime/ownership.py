"""DEV005: a second user must be refused the first one's records.

After DEV004's flow, a second throwaway identity (`deploy-check+<run>-b@…`) signs in exactly
as AUTH003's did (checks/runtime/signin `sign_in`), then replays, with the first user's
values, each flow route marked `owned = true` or carrying `foreign` body keys, and (unless
`owned = false`) each signed-in GET whose path uses a value captured earlier. Reads first,
then writes, DELETEs last. A write's `sql` read-back (A's values) is taken before and after
the second user's attempt: it must not move. The second user's session ends afterwards by
the rules AUTH003 follows (deleted where this run made it and the app allows, else signed out).
The requests without any session are DEV004's, made with the same values.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from checks.project.config import Route
from checks.runtime.addresses import loopback_url
from checks.runtime.flow import read_value, same
from checks.runtime.handlers import Handler, record_path, route_handlers
from checks.runtime.signin import sign_in
from checks.runtime.signin.facts import fill, remember_secrets, renew
from checks.runtime.signin.plan import login_plan

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.project.config import Login
    from checks.runtime.flow import FlowFacts
    from checks.runtime.process import DevServer
    from checks.runtime.signin.facts import LoginFacts
    from checks.runtime.signin.sink import SmtpSink

REFUSALS = (401, 403, 404)
EMPTY_ANSWERS = ("", "[]", "{}", "null")
# Destructive attempts last: a DELETE that got through would hide what a later read shows.
_ORDER = {"GET": 0, "HEAD": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}


@dataclass
class Probe:
    step: int  # the flow step it replays
    route: str  # "PATCH /api/notes/{note_id}"
    status: int | None = None  # what the second user got
    problem: str | None = None  # why DEV005 fails on it
    note: str | None = None  # a pass that proves less than a refusal would
    shows: str | None = None  # the first JSON path of the answer showing the first user's data
    found_in: str | None = None  # a route handler found in the app's files, not a flow step


@dataclass
class OwnershipFacts:
    not_run: str | None = None  # nothing to replay: DEV005 is unverified
    unverified: str | None = None  # the second user could not sign in (a 429, say)
    email: str = ""
    probes: list[Probe] = field(default_factory=list)
    signed_out: str = ""
    deleted: str = ""
    elapsed_s: float | None = None


def second_address(template: str) -> str:
    """The second identity's address: `-b` beside the run (or before Clerk's `+clerk_test`)."""
    local, domain = template.rsplit("@", 1)
    if "{run}" in local:
        return template.replace("{run}", "{run}-b", 1)
    if "+clerk_test" in local:
        return local.replace("+clerk_test", "-b+clerk_test", 1) + "@" + domain
    return f"{local}-b@{domain}"


def probed_routes(routes: list[Route]) -> list[tuple[int, Route]]:
    """(flow step, route) replayed by the second user, reads first and DELETEs last."""
    captured: set[str] = set()
    chosen: list[tuple[int, Route]] = []
    for number, route in enumerate(routes, 1):
        uses_captured = bool(set(re.findall(r"\{(\w+)\}", route.path)) & captured)
        found = route.owned is None and route.method == "GET" and uses_captured
        if route.owned or route.foreign or found:
            chosen.append((number, route))
        captured |= set(route.capture)
    return sorted(chosen, key=lambda item: _ORDER.get(item[1].method, 1))


def _capture_of(route: Route) -> str:
    """The value a creating route captured that names its record: the one, else the `id`."""
    names = list(route.capture)
    return next((n for n in names if route.capture[n].rstrip("]'\"").endswith("id")), names[0])


def _shape(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path.split("?", 1)[0].rstrip("/"))


def discovered_routes(routes: list[Route], handlers: list[Handler]) -> list[tuple[str, Route]]:
    """(handler file, GET route) for each `app/api/**/[param]/route.ts` exporting GET right
    under a flow route that created a record (POST/PUT with a capture), filled with its
    captured id. GET only: a handler's other methods are probed where the flow declares them.
    A path the flow already describes is left to the flow (its `owned` decides)."""
    described = {_shape(r.path) for r in routes if r.method in ("GET", "HEAD")}
    found: list[tuple[str, Route]] = []
    for creating in routes:
        if creating.method not in ("POST", "PUT") or not creating.capture or not creating.signed_in:
            continue
        for handler in handlers:
            path = record_path(handler, creating.path, _capture_of(creating)) if "GET" in handler.methods else None
            if path is None or _shape(path) in described:
                continue
            described.add(_shape(path))
            found.append((handler.file, Route(path, signed_in=True, owned=True)))
    return found


def ownership_budget(ctx: Context) -> float:
    """A second sign-in (as AUTH003's), each probe with its read-backs, and the sign-out."""
    login, _ = login_plan(ctx)
    if login is None or not ctx.wants("DEV005"):
        return 0.0
    signed_in = [r for r in ctx.config.routes if r.signed_in]
    probes = len(probed_routes(signed_in)) + len(discovered_routes(signed_in, route_handlers(ctx.project)))
    calls = {"clerk": 12, "supabase": 8}.get(login.via, 7)
    wait = 0 if login.via == "clerk" else login.code_timeout
    return calls * ctx.config.route_timeout + wait + probes * (3 * ctx.config.route_timeout + 11) + 5


def first_path(value: Any, marks: list[str], exact: set[str], path: str = "$") -> str | None:
    """The first JSON path whose value holds a mark (the first user's `{run}` text) or is one
    of the values captured from the first user's answers."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_path(item, marks, exact, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = first_path(item, marks, exact, f"{path}[{index}]")
            if found:
                return found
        return None
    if value is None or isinstance(value, bool):
        return None
    text = str(value)
    return path if text in exact or any(mark in text for mark in marks) else None


def shows_first_users_data(text: str, first_answer: str | None, marks: list[str], exact: set[str]) -> str | None:
    try:
        body = json.loads(text)
        # The first user's own text says more than an id that may be anyone's number.
        found = first_path(body, marks, set()) or first_path(body, [], exact)
    except ValueError:
        found = "the answer's text" if any(mark in text for mark in marks) else None
    if found is None and first_answer is not None and text == first_answer and text.strip() not in EMPTY_ANSWERS:
        return "$ (the very answer the first user got)"
    return found


def _judge_read(probe: Probe, response: httpx.Response, shows: str | None) -> None:
    status = response.status_code
    if status in REFUSALS:
        return
    if 200 <= status < 300:
        if shows:
            probe.problem, probe.shows = f"answered {status} with the first user's data at {shows}", shows
        else:
            probe.note = f"answered {status} without the first user's data"
    elif status >= 500:
        probe.problem = f"answered {status} instead of refusing (403 or 404)"
    else:
        probe.note = f"answered {status} (a refusal, but 403 or 404 would say why)"


def _judge_write(probe: Probe, route: Route, response: httpx.Response, shows: str | None) -> None:
    status = response.status_code
    foreign = f" with the first user's {', '.join(route.foreign)}" if route.foreign else ""
    if status < 400:
        probe.problem = f"answered {status}: the write{foreign} was accepted"
        if shows:
            probe.problem += f", and the answer shows the first user's data at {shows}"
            probe.shows = shows
    elif status >= 500:
        probe.problem = f"answered {status} to the write{foreign} instead of refusing (403 or 404)"
    elif status not in REFUSALS:
        probe.note = f"refused with {status} (403 or 404 would say why)"


class _Replay:
    """The second user's requests, and the first user's read-backs around each write."""

    def __init__(self, ctx: Context, server: DevServer, first: httpx.AsyncClient, second: httpx.AsyncClient,
                 second_login: LoginFacts, flow: FlowFacts, routes: list[Route]) -> None:
        self.ctx, self.server, self.first, self.second = ctx, server, first, second
        self.second_login, self.flow, self.routes = second_login, flow, routes
        self.first_values = flow.values
        # The first user's values, but the second user's own marker text in what it writes: a
        # write that got through is then visible in the first user's read-back.
        self.second_values = {**flow.values, "run": "b" + secrets.token_hex(6), "email": second_login.email}
        self.marks = [v for v in (flow.values.get("run", ""), flow.values.get("email", "")) if len(v) >= 6]
        self.exact = {v for k, v in flow.values.items() if k not in ("run", "email") and v}

    async def request(self, client: httpx.AsyncClient, route: Route, values: dict[str, str]) -> httpx.Response:
        assert self.server.facts.url is not None
        timeout = self.ctx.config.route_timeout
        url = self.server.facts.url + fill(route.path, values, in_path=True)
        body = fill(route.json, values) if route.json is not None else None
        return await asyncio.wait_for(client.request(route.method, url, json=body, timeout=timeout), timeout)

    async def first_state(self, route: Route) -> tuple[tuple[Any, ...] | None, str | None]:
        """What the first user's data looks like now: the route's `sql`, else the first
        user's own GET of the same path; (None, why) when neither can tell."""
        if route.sql:
            value, problem = await read_value(self.ctx, route.sql, self.first_values)
            return (("sql", value), None) if problem is None else (None, problem)
        reader = next((r for r in self.routes if r.method == "GET" and r.path == route.path), None)
        if reader is None:
            return None, "that the first user's data is unchanged is not proven: the route has no sql read-back"
        response = await self.request(self.first, reader, self.first_values)
        return ("get", response.status_code, response.text), None

    async def replay(self, number: int, route: Route, found_in: str | None = None) -> Probe:
        import httpx  # start-up: only runs that make a request load httpx

        probe = Probe(number, f"{route.method} {route.path}", found_in=found_in)
        self.ctx.report_progress("DEV005", f"{probe.route} as a second user")
        write = route.method not in ("GET", "HEAD")
        try:
            before, unknown = await self.first_state(route) if write else (None, None)
            renewal = await renew(self.ctx, self.second_login)
            if renewal:
                probe.problem = f"the second user's session could not be renewed: {renewal}"
                return probe
            response = await self.request(self.second, route, self.second_values)
            remember_secrets(self.ctx, self.second, response)
            probe.status = response.status_code
            shows = shows_first_users_data(response.text, self.flow.answers.get(number), self.marks, self.exact)
            if not write:
                _judge_read(probe, response, shows)
                return probe
            _judge_write(probe, route, response, shows)
            if unknown:
                probe.note = "; ".join(filter(None, [probe.note, unknown]))
                return probe
            after, problem = await self.first_state(route)
            if problem:
                probe.note = "; ".join(filter(None, [probe.note, problem]))
            elif before is not None and after is not None and not (
                    len(before) == len(after) and all(same(a, b) for a, b in zip(after, before, strict=True))):
                what = f"`{route.sql['query']}`" if route.sql else f"GET {route.path}"
                changed = (f"the first user's data changed: {what} gave {before[1:]!r} before the attempt, "
                           f"{after[1:]!r} after")
                probe.problem = f"{probe.problem}; {changed}" if probe.problem else f"answered {probe.status}, but {changed}"
        except (httpx.TimeoutException, TimeoutError):
            probe.problem = f"no answer within {self.ctx.config.route_timeout:g} s"
        except httpx.HTTPError as exc:
            probe.problem = self.ctx.mask(f"{type(exc).__name__}: {exc}")
        return probe


async def probe_ownership(ctx: Context, server: DevServer, client: httpx.AsyncClient, routes: list[Route],
                          login: Login | None, sink: SmtpSink | None) -> OwnershipFacts | None:
    """DEV005's facts; None when DEV005 is not asked for or the flow gave it nothing to go on
    (DEV005 then says why from DEV004's facts)."""
    import httpx  # start-up: only runs that make a request load httpx

    flow = server.facts.flow
    first = server.facts.login
    if not ctx.wants("DEV005") or login is None or flow is None or flow.not_run or flow.broken:
        return None
    if first is None or not first.ok:
        return None
    facts = OwnershipFacts()
    chosen: list[tuple[int, Route, str | None]] = [(n, r, None) for n, r in probed_routes(routes)]
    # Found in the app's files: reads, so after the flow's reads and before its writes.
    found = [(0, r, file) for file, r in discovered_routes(routes, route_handlers(ctx.project))]
    reads = sum(1 for _, r, _ in chosen if _ORDER.get(r.method, 1) == 0)
    chosen[reads:reads] = found
    if not chosen:
        facts.not_run = ("no route to replay as a second user: mark the flow's routes that read or change "
                         "the user's records owned = true (or capture an id a later signed_in GET path uses)")
        return facts
    started = time.monotonic()
    server.phase = "second user"
    async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                 verify=loopback_url(server.facts.url or "") is None,
                                 headers={"User-Agent": "deploy-check"}) as second:
        ctx.report_progress("DEV005", "signing a second user in")
        second_login = await sign_in(ctx, server, second, replace(login, email=second_address(login.email)),
                                     sink, allow_remote=ctx.allow_remote_login)
        facts.email = second_login.email
        try:
            if not second_login.ok:
                said = second_login.not_run or second_login.problem or "it did not sign in"
                limited = re.search(r"\banswered 429\b", said)
                facts.unverified = (f"a second sign-in was refused by a rate limit (429): {said}" if limited
                                    else f"a second user ({facts.email}) could not sign in: {said}")
            else:
                replay = _Replay(ctx, server, client, second, second_login, flow, routes)
                for number, route, found_in in chosen:
                    server.phase = f"second user {number or found_in}"
                    facts.probes.append(await replay.replay(number, route, found_in))
        finally:
            if second_login.sign_out is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(second_login.sign_out(), 2 * ctx.config.route_timeout + 1)
            facts.signed_out, facts.deleted = second_login.signed_out, second_login.deleted
    server.phase = "after flow"
    facts.elapsed_s = round(time.monotonic() - started, 3)
    return facts
