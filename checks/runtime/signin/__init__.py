"""AUTH003: sign a throwaway identity in through the app's own auth routes, with the
one-time code taken from a local source, and prove the session (DESIGN.md "Auth").

The identity is `deploy-check+<run>@example.test`: `.test` is reserved (RFC 6761) and never
delivers mail. Code sources, each local, none mailing anyone:

- output: the dev server's own lines after the request (the code is masked in them before
  they are stored or shown: checks/runtime/process.py `DevServer._line`);
- smtp: an SMTP sink (aiosmtpd) on 127.0.0.1 whose address the dev server gets as
  SMTP_HOST/SMTP_PORT (`[auth.login] smtp_env` renames them);
- mailpit: a local Mailpit's API (`supabase start` captures mail there);
- database: Better Auth's `verification` row for the identity, read-only;
- clerk-test: Clerk development instances' fixed code for `+clerk_test` addresses.

The code, the cookies and any token the answers carry join the masker the moment they are
known, so no output (console, JSON, SARIF, the dev server's quoted lines) can show them.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from checks.project.config import Login
from checks.runtime.signin.authjs import authjs_sign_in
from checks.runtime.signin.better_auth import sign_in_with_routes
from checks.runtime.signin.clerk import clerk_sign_in
from checks.runtime.signin.facts import LoginFacts, is_local_url, json_body, renew, send
from checks.runtime.signin.plan import run_email
from checks.runtime.signin.providers import CLERK_KEYS
from checks.runtime.signin.sink import SmtpSink
from checks.runtime.signin.supabase import supabase_sign_in

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.runtime.process import DevServer


# -- the SMTP sink --------------------------------------------------------------------------


# -- requests ---------------------------------------------------------------------------------


async def _app_accepts(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                       facts: LoginFacts) -> None:
    """After a sign-in at the provider (Clerk, Supabase): does the app itself honour the
    session? Its `[auth.login] session` route must name the identity with the session and
    not without; else DEV004's signed-in routes are the proof; else it is not proven."""
    import httpx  # start-up: only runs that make a request load httpx

    if login.session is None:
        if any(route.signed_in for route in ctx.config.routes):
            facts.app_proof = "DEV004's signed-in routes"
        else:
            facts.provider_only = ("the app's acceptance of the session is not proven: set [auth.login] session "
                                   "to a route of the app that answers the signed-in user, or add signed_in routes")
        return
    values = {"email": facts.email, "run": server.run_id}
    route = f"{login.session.method} {login.session.path}"
    renewed = await renew(ctx, facts)
    if renewed:
        facts.ok, facts.failed_step, facts.problem = False, "session", renewed
        return
    response, problem, _ = await send(ctx, server, client, login.session, values)
    if response is None or response.status_code >= 400 or facts.email.lower() not in json.dumps(json_body(response)).lower():
        said = problem or (f"answered {response.status_code}" if response is not None else "no answer")
        facts.ok, facts.failed_step = False, "session"
        facts.problem = f"the app's {route} {said} without naming {facts.email}: the app does not honour the session"
        return
    async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                 verify=not is_local_url(server.facts.url or "")) as anonymous:
        response, problem, _ = await send(ctx, server, anonymous, login.session, values)
    if response is None or facts.email.lower() in json.dumps(json_body(response)).lower():
        facts.ok, facts.failed_step = False, "session"
        facts.problem = (f"the app's {route} names {facts.email} without the session" if response is not None
                         else f"the app's {route} without the session could not be asked ({problem})")
        return
    facts.app_proof = route


# -- code sources -------------------------------------------------------------------------------


# -- the sign-in ---------------------------------------------------------------------------------


async def sign_in(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                  sink: SmtpSink | None, allow_remote: bool = False) -> LoginFacts:
    address = run_email(login, server.run_id)
    facts = LoginFacts(email=address)
    assert server.facts.url is not None
    if not is_local_url(server.facts.url) and not allow_remote:
        facts.not_run = (f"the app answers at {server.facts.url}, not on this machine: deploy-check signs "
                         "in only locally unless --allow-remote-login")
        return facts
    clerk = login.otp_from == "clerk-test" or ctx.model.auth_provider == "clerk"
    if clerk and any(ctx.env.get(k, "").startswith("pk_live_") for k in CLERK_KEYS) and not allow_remote:
        facts.not_run = "the Clerk key is a production one (pk_live_): no test sign-in without --allow-remote-login"
        return facts
    if login.via == "authjs":
        server.watch_codes(login.otp_pattern, address)
        try:
            await authjs_sign_in(ctx, server, client, login, sink, facts)
        finally:
            server.watch_codes(None, "")
        return facts
    if login.via in ("clerk", "supabase"):
        server.watch_codes(login.otp_pattern, address)
        try:
            if login.via == "clerk":
                await clerk_sign_in(ctx, server, client, login, facts)
            else:
                await supabase_sign_in(ctx, server, client, login, facts, allow_remote)
        finally:
            server.watch_codes(None, "")
        if facts.ok:
            await _app_accepts(ctx, server, client, login, facts)
        return facts
    assert login.send and login.verify and login.session
    facts.attempted = True
    values = {"email": address, "run": server.run_id}
    started = time.monotonic()
    server.watch_codes(login.otp_pattern, address)
    try:
        return await sign_in_with_routes(ctx, server, client, login, sink, facts, values, started, time.time())
    finally:
        server.watch_codes(None, "")


