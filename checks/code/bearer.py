"""CODE003's judgement: the app's own `fetch('/api/…')` calls joined to the route handlers
that serve them, and which of those calls leave out the bearer token the route reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.code.collect import CodeFacts
from checks.code.facts import Finding
from checks.code.files import Role, route_url, url_matches, url_unsure


@dataclass(frozen=True)
class BearerRoute:
    path: str  # the route handler's file
    url: str  # `*` for each dynamic segment
    reader: str  # file:line:column where `headers.get('authorization')` is read
    required: bool  # the route (or the helper that reads the header) answers 401
    # file:line:column where the route (or a helper) reads the session cookie: a call without
    # the token is served as the signed-in user (papermark's "API token first, else
    # getServerSession"), neither refused nor anonymous
    session: str | None = None
    # file:line:column of a session lookup (or what may be one) the route or a helper makes
    # elsewhere than beside its token read: whether a call without the token is served is not known
    session_elsewhere: str | None = None


@dataclass
class BearerJudgement:
    routes: list[BearerRoute]
    required: list[Finding] = field(default_factory=list)  # the route answers 401 without it
    optional: list[Finding] = field(default_factory=list)  # the route serves them as anonymous
    unknown: list[Finding] = field(default_factory=list)  # options built elsewhere, a session maybe the fallback…
    unknown_options: int = 0  # of those, calls whose options are built elsewhere
    calls: int = 0  # calls that reach a bearer route
    by_session: int = 0  # of those, calls without the token to a route that falls back to the session


def bearer_routes(code: CodeFacts) -> list[BearerRoute]:
    """Every route handler that reads the Authorization header itself or through a local
    module it imports (one hop), the most literal URL first (`/api/projects/new` before
    `/api/projects/*`)."""
    routes: list[BearerRoute] = []
    for source in code.files:
        url = route_url(source.path) if source.role is Role.ROUTE else None
        if url is None:
            continue
        facts = code.parsed[source.path]
        local = [code.resolve(source.path, specifier) for specifier in facts.import_sources]
        readers = [(path, site) for path in dict.fromkeys([source.path, *filter(None, local)])
                   if (site := code.parsed[path].reads_authorization) is not None]
        if not readers:
            continue
        reader, site = readers[0]
        required = facts.answers_401 or any(code.parsed[path].answers_401 for path, _ in readers)
        # A fallback is a session lookup in the function that reads the token (reads_session is
        # only set so); a lookup anywhere else in the route or what it imports is only a maybe.
        sessions = [(path, found) for path, _ in readers if (found := code.parsed[path].reads_session) is not None]
        others = [(path, found) for path in dict.fromkeys([source.path, *filter(None, local)])
                  if (found := code.parsed[path].session_elsewhere) is not None]
        session = f"{sessions[0][0]}:{sessions[0][1].line}:{sessions[0][1].column}" if sessions else None
        elsewhere = f"{others[0][0]}:{others[0][1].line}:{others[0][1].column}" if others else None
        routes.append(BearerRoute(source.path, url, f"{reader}:{site.line}:{site.column}", required, session,
                                  elsewhere))
    return sorted(routes, key=lambda r: (r.url.count("*"), r.url))


def missing_bearer(code: CodeFacts) -> BearerJudgement:
    judgement = BearerJudgement(bearer_routes(code))
    if not judgement.routes:
        return judgement  # a cookie-session app: nothing reads a bearer token
    # A literal URL finds its literal route at once: thousands of calls times thousands of
    # routes must not be a scan each.
    literal = {r.url: r for r in judgement.routes if "*" not in r.url}
    served = [url for source in code.files if source.role is Role.ROUTE and (url := route_url(source.path))]
    for source in code.files:
        if source.role is Role.ROUTE:
            continue  # a route calling another route forwards what it was given
        for call in code.parsed[source.path].fetches:
            route = _route_for(judgement, literal, call.url)
            if route is None and call.auth != "yes" and "*" in call.url and \
                    (maybe := _maybe_route(judgement, served, call.url)):
                # a `${…}` where the route has a literal segment (`/api/${kind}/export`)
                judgement.unknown.append(Finding(source.path, call.site, (
                    f"fetch('{call.url}') without Authorization may reach {maybe.path} (a ${{…}} stands where "
                    f"{maybe.url} has a fixed segment), which reads the token at {maybe.reader}")))
                judgement.calls += 1
                continue
            if route is None or call.auth == "yes":
                judgement.calls += route is not None
                continue
            judgement.calls += 1
            said = f"fetch('{call.url}')"
            if route.session is not None:
                judgement.by_session += 1  # the browser's cookie signs it in: nothing is missing
            elif call.auth == "unknown":
                judgement.unknown.append(Finding(source.path, call.site, f"{said} to {route.path}: {call.why}"))
                judgement.unknown_options += 1
            elif route.session_elsewhere is not None:
                judgement.unknown.append(Finding(source.path, call.site, (
                    f"{said} without Authorization to {route.path}, which reads the token at {route.reader} and "
                    f"looks up a session at {route.session_elsewhere}, not beside it: whether the session is "
                    "the token's fallback is not known")))
            elif route.required:
                judgement.required.append(Finding(source.path, call.site, (
                    f"{said} without Authorization; {route.path} answers 401 without it (reads it at "
                    f"{route.reader})")))
            else:
                judgement.optional.append(Finding(source.path, call.site, (
                    f"{said} without Authorization; {route.path} reads it optionally (at {route.reader}): "
                    "a signed-in user is served as anonymous")))
    return judgement


def _route_for(judgement: BearerJudgement, literal: dict[str, BearerRoute], called: str) -> BearerRoute | None:
    path = called.split("?", 1)[0].split("#", 1)[0].rstrip("/") or "/"
    if "*" not in path and path in literal:
        return literal[path]
    return next((r for r in judgement.routes if ("*" in r.url or "*" in path) and url_matches(r.url, called)), None)


def _maybe_route(judgement: BearerJudgement, served: list[str], called: str) -> BearerRoute | None:
    """The bearer route a call may reach (its `${…}` at a route's literal segment) with no
    session fallback, unless another route of the app is a nearer match: a call goes to the
    route it matches best (papermark's `${isDataroom ? … : 'folders'}/manage/${id}` to the
    folders route, not to documents/[id]/versions)."""
    scored = [(unsure, r) for r in judgement.routes if (unsure := url_unsure(r.url, called))]
    if not scored:
        return None
    unsure, route = min(scored, key=lambda s: s[0])
    nearest = min((u for url in served if (u := url_unsure(url, called)) is not None), default=unsure)
    return route if nearest >= unsure and route.session is None else None
