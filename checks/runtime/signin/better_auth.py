"""Signing in through the app's own OTP routes (Better Auth's email-OTP by default, or
`[auth.login]`'s): request a code, take it from a local source, prove a wrong one is
refused, verify, read the session with and without the cookie; end the session (or
delete the user this run created) afterwards."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from checks.core.model import plural
from checks.project.config import Login
from checks.runtime.output import error_lines
from checks.runtime.signin.codes import POLL, CodeSources, poll_until
from checks.runtime.signin.facts import (
    LoginFacts,
    app_origin,
    created_since,
    error_said,
    is_local_url,
    json_body,
    json_object,
    secret_fields,
    send,
    wrong_code,
)
from checks.runtime.signin.plan import (
    BETTER_AUTH_DELETE_USER,
    BETTER_AUTH_LOGIN,
    BETTER_AUTH_SIGN_OUT,
)
from checks.runtime.signin.sink import SmtpSink

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.runtime.process import DevServer


def _keeps_user(ctx: Context, login: Login, verified: Any, email: str, since: float) -> str:
    """Why the test user must stay ("" when it may be deleted): not asked, a hosted auth
    service, or a user this run did not create (better-auth's verify answers {token, user}
    with the user's createdAt)."""
    if not login.delete_user:
        return "not deleted: [auth.login] delete_user = false"
    if ctx.model.auth_provider == "neon-auth":
        return "not deleted: Neon Auth keeps its users in the hosted service, which a check does not write to"
    user = json_object(json_object(verified).get("user"))
    if str(user.get("email") or "").lower() != email.lower():
        return "not deleted: the sign-in did not answer the test user"
    if not created_since(user.get("createdAt"), since):
        return "not deleted: the user existed before this run"
    return ""



def _deletion(response: httpx.Response | None, problem: str | None) -> str:
    path = BETTER_AUTH_DELETE_USER.path
    if response is None:
        return f"not deleted: {path} {problem or 'gave no answer'}"
    if response.status_code == 404:
        return "not deleted: the app does not enable Better Auth's user.deleteUser"
    message = json_object(json_body(response)).get("message")
    if response.status_code == 200 and message == "User deleted":
        return f"deleted ({path})"
    if response.status_code == 200:
        return "not deleted: the app confirms a deletion by mail (user.deleteUser.sendDeleteAccountVerification)"
    return f"not deleted: {path} answered {response.status_code}"



async def sign_in_with_routes(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                   sink: SmtpSink | None, facts: LoginFacts, values: dict[str, str], started: float,
                   since: float) -> LoginFacts:

    assert login.send and login.verify and login.session

    def broke(step: str, problem: str, lines: list[str], hint: str | None = None) -> LoginFacts:
        facts.failed_step, facts.problem, facts.hint = step, problem, hint
        facts.server_lines = (error_lines(lines) or lines)[:5]
        facts.elapsed_s = round(time.monotonic() - started, 3)
        return facts

    sources = CodeSources(ctx, server, login, facts.email, sink, client)
    ctx.report_progress("AUTH003", f"requesting a code for {facts.email}")
    response, problem, lines = await send(ctx, server, client, login.send, values)
    if response is None or response.status_code >= 400:
        said = problem or f"answered {response.status_code if response else '?'} {error_said(response) if response else ''}"
        return broke("send", f"{login.send.method} {login.send.path} {said.strip()}", lines)
    deadline = time.monotonic() + login.code_timeout
    found = None
    while time.monotonic() < deadline:
        found = await poll_until(sources, deadline)
        if found:
            break
        await asyncio.sleep(POLL)
    if found is None:
        facts.tried = [f"{name}: {sources.notes.get(name, 'not tried')}" for name in sources.names()]
        # The server's lines since the request are not quoted: a code otp_pattern missed
        # (an 8-digit one, say) would be printed with them.
        printed = len(server.lines_since(0)) - len(lines)
        return broke("code", f"no one-time code for {facts.email} within {login.code_timeout:g} s; tried "
                             + "; ".join(facts.tried)
                             + (f" (the server printed {plural(printed, 'line')} since the request, not quoted "
                                "here: one may hold the code in a shape otp_pattern does not match)"
                                if printed > 0 else ""), [],
                     hint=("Have the app log the code in development, send it over SMTP_HOST/SMTP_PORT, or "
                           "set [auth.login] otp_from (output, smtp, mailpit, database, clerk-test) and "
                           "otp_pattern."))
    facts.source, code = found
    ctx.masker.add([code])
    ctx.report_progress("AUTH003", f"code received ({facts.source}); verifying")
    # A verify that takes any code proves nothing: a wrong one first must be refused (Better
    # Auth allows 3 attempts, so the real code still works after it).
    response, problem, lines = await send(ctx, server, client, login.verify, {**values, "otp": wrong_code(code)},
                                           refusal_expected=True)
    if response is None or not 400 <= response.status_code < 500:
        said = problem or (f"answered {response.status_code}" if response else "?")
        return broke("verify", f"{login.verify.method} {login.verify.path} {said} for a wrong code "
                               "(expected a 4xx refusal): the code is not checked", lines)
    values["otp"] = code
    response, problem, lines = await send(ctx, server, client, login.verify, values)
    if response is None or response.status_code >= 400:
        said = problem or f"answered {response.status_code if response else '?'} {error_said(response) if response else ''}"
        return broke("verify", f"{login.verify.method} {login.verify.path} {said.strip()} for the code from "
                               f"{facts.source}", lines)
    if not response.cookies and not secret_fields(json_body(response)):
        return broke("verify", f"{login.verify.method} {login.verify.path} answered {response.status_code} but "
                               "set no cookie and returned no token: no session was created", lines)
    if login.send == BETTER_AUTH_LOGIN["send"]:
        # Only a user this sign-in created is ever deleted (a user made by hand for an app
        # that allows no sign-up is not), and only once its session is proven to be it.
        not_deleting = _keeps_user(ctx, login, json_body(response), facts.email, since)

        # A session exists from here on: it is ended after the run, whatever comes next.
        async def sign_out() -> None:
            # The test user is deleted where the app lets a user delete itself, which ends its
            # sessions; else better-auth src/api/routes/sign-out.ts: POST /api/auth/sign-out ends
            # the session. Its CSRF check wants the app's Origin on a POST that carries the cookie.
            origin = {"Origin": app_origin(ctx, server)}
            facts.deleted = not_deleting or ("" if facts.ok else "not deleted: its session was not proven to be it")
            if not facts.deleted:
                response, problem, _ = await send(ctx, server, client, BETTER_AUTH_DELETE_USER, values,
                                                   refusal_expected=True, headers=origin)
                facts.deleted = _deletion(response, problem)
                if facts.deleted.startswith("deleted"):
                    facts.signed_out = "the session ended with the user"
                    return
            response, problem, _ = await send(ctx, server, client, BETTER_AUTH_SIGN_OUT, values,
                                               refusal_expected=True, headers=origin)
            facts.signed_out = problem or (f"{BETTER_AUTH_SIGN_OUT.path} answered {response.status_code}"
                                           if response is not None else "no answer")

        facts.sign_out = sign_out
    response, problem, lines = await send(ctx, server, client, login.session, values)
    if response is None or response.status_code >= 400:
        said = problem or f"answered {response.status_code if response else '?'}"
        return broke("session", f"{login.session.method} {login.session.path} {said.strip()}", lines)
    body = json_body(response)
    if not body or facts.email.lower() not in json.dumps(body).lower():
        return broke("session", f"{login.session.method} {login.session.path} answered "
                                f"{'no session' if not body else 'a session for someone else'} after the "
                                "sign-in: the session cookie is not kept or not honoured", lines)
    # The same question without any cookie must not name the identity: a session route that
    # answers anyone proves no session at all.
    import httpx  # start-up: only runs that make a request load httpx

    async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                 verify=not is_local_url(server.facts.url or "")) as anonymous:
        response, problem, lines = await send(ctx, server, anonymous, login.session, values)
    if response is None:
        return broke("session", f"{login.session.method} {login.session.path} without any cookie could not be "
                                f"asked ({problem}): that it refuses anyone else is not proven", lines)
    if facts.email.lower() in json.dumps(json_body(response)).lower():
        return broke("session", f"{login.session.method} {login.session.path} names {facts.email} to a request "
                                "without any cookie: it does not read the session", lines)
    facts.ok = True
    facts.app_proof = f"{login.session.method} {login.session.path}"
    facts.elapsed_s = round(time.monotonic() - started, 3)
    return facts
