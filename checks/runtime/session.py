"""The app's run, as the devserver and auth families see it: start the dev server, walk
the smoke routes, sign the test identity in, walk the signed-in flow, end the session and
tear the server down, once per run (`dev_facts`). Nothing here judges."""

from __future__ import annotations

import asyncio
import contextlib
import shlex

from checks.core.context import Context
from checks.project.config import Route
from checks.runtime.addresses import loopback_url
from checks.runtime.browser import browser_budget, visit_pages
from checks.runtime.facts import DevFacts, OutputLine
from checks.runtime.flow import walk_flow
from checks.runtime.ownership import ownership_budget, probe_ownership
from checks.runtime.preflight import preflight
from checks.runtime.process import DevServer, dev_command
from checks.runtime.signin import sign_in
from checks.runtime.signin.authjs import sink_environment
from checks.runtime.signin.plan import login_plan
from checks.runtime.signin.sink import SmtpSink


def dev_budget(ctx: Context) -> float:
    """The dev server's whole run, which every devserver check and AUTH003 share: boot, the
    routes, and where planned the sign-in (5 requests and the wait for the code) and the
    signed-in flow (each step twice, with and without the session, and its read-back)."""

    config = ctx.config
    anonymous = max(1, sum(1 for r in config.routes if not r.signed_in))
    signed_in = sum(1 for r in config.routes if r.signed_in)
    budget = config.ready_timeout + anonymous * (config.route_timeout + 1) + 15
    login, _ = login_plan(ctx)
    if login is not None:
        # Requests of the sign-in, the wait for the code, the app's acceptance, the sign-out
        # and the test user's deletion: Clerk's Frontend API takes up to 12 calls (one token
        # renewal), a local Supabase Auth 8, the app's own routes 7.
        calls = {"clerk": 12, "supabase": 8}.get(login.via, 7) + (2 if login.via != "app" else 0)
        budget += calls * config.route_timeout + (0 if login.via == "clerk" else login.code_timeout) + 5
    # Each signed-in step: without the session, a token renewal where the provider's runs out, with it.
    per_step = (3 if login is not None and login.via == "clerk" else 2) * config.route_timeout + 6
    return budget + signed_in * per_step + ownership_budget(ctx) + browser_budget(ctx)


async def run_dev_server(ctx: Context) -> DevFacts:
    import httpx  # start-up: only runs that make a request load httpx


    command, why_not = dev_command(ctx)
    if command is None:
        return DevFacts(skip_reason=why_not)
    problem = preflight(ctx, command)
    if problem is not None:
        return DevFacts(command=command, cannot_start=problem)
    anonymous = [r for r in ctx.config.routes if not r.signed_in] or [Route("/")]
    signed_in = [r for r in ctx.config.routes if r.signed_in]
    login, not_planned = login_plan(ctx)
    sink, extra_env = None, {}
    if login is not None and login.otp_from in ("auto", "smtp"):
        # Before the server starts: it reads SMTP_HOST/SMTP_PORT once, at boot.
        sink = SmtpSink()
        try:
            sink.start()
            extra_env = {login.smtp_env[0]: "127.0.0.1", login.smtp_env[1]: str(sink.port),
                         **(sink_environment(sink.port) if login.via == "authjs" else {})}
            ctx.add_cleanup(sink.stop)
        except (OSError, RuntimeError, TimeoutError) as exc:
            # The smtp source then says why it had nothing (never "not asked").
            sink.problem = f"the SMTP sink could not start on 127.0.0.1: {type(exc).__name__}: {exc}"
    server = DevServer(ctx, command, extra_env)
    server.facts.login_not_planned = not_planned
    try:
        await server.start()
    except OSError as exc:
        server.facts.exit_code = 127
        server.facts.lines = [OutputLine(0.0, ctx.mask(f"cannot start {shlex.quote(command)}: {exc}"), "boot")]
        return server.facts
    try:
        # Cookies persist across the routes, so a flow (sign in → create → read) can be
        # described; redirects are not followed (a route states the status it expects).
        # Loopback HTTP needs no certificate bundle (25 ms to load): verify only a
        # configured remote URL.
        remote = bool(ctx.config.dev_url) and loopback_url(ctx.config.dev_url or "") is None
        async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False, verify=remote,
                                     headers={"User-Agent": "deploy-check"}) as client:
            await server.wait_ready(client)
            if server.facts.ready:
                await server.walk(client, anonymous)
                if login is not None:
                    server.phase = "login"
                    server.facts.login = await sign_in(ctx, server, client, login, sink,
                                                       allow_remote=ctx.allow_remote_login)
                try:
                    if signed_in:
                        server.facts.flow = await walk_flow(ctx, server, client, signed_in, server.facts.login)
                    # -- after the flow, while its session lasts: a second user (DEV005), a browser (DEV006)
                    server.facts.ownership = await probe_ownership(ctx, server, client, signed_in, login, sink)
                    server.facts.browser = await visit_pages(ctx, server, client, ctx.config.routes)
                finally:
                    login_facts = server.facts.login
                    if login_facts is not None and login_facts.sign_out is not None:
                        # The test session ends whatever happened after it began.
                        with contextlib.suppress(Exception):
                            # Two requests at most: deleting the test user, else signing out.
                            await asyncio.wait_for(login_facts.sign_out(), 2 * ctx.config.route_timeout + 1)
    finally:
        await server.stop()
        if sink is not None:
            await sink.stop()
    return server.facts



async def dev_facts(ctx: Context) -> DevFacts:
    return await ctx.fact("devserver", lambda: run_dev_server(ctx))
