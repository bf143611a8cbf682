"""Auth.js email sign-in (the Nodemailer provider) through the app's own routes, as a
browser does it, with the link taken from the SMTP sink the dev server mails to.

Shapes from @auth/core (nextauthjs/next-auth packages/core/src):
- lib/index.ts: `GET <base>/csrf` answers {csrfToken} and sets the CSRF cookie; a POST to
  `signin/<provider>` or `signout` without the verified token is sent to `…/signin?csrf=true`;
- lib/actions/signin/send-token.ts: the mail carries
  `<base>/callback/<provider>?callbackUrl=…&token=…&email=…`, the answer redirects to
  `<base>/verify-request?provider=…&type=email`;
- the callback with an unknown token redirects to `<base>/error?error=Verification`;
- `GET <base>/session` answers the session ({user: {email}, expires}) or null;
- `X-Auth-Return-Redirect: 1` (next-auth/react's signIn/signOut) turns each redirect into
  a JSON {url}.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from checks.project.logins import AUTHJS_SMTP
from checks.runtime.output import error_lines
from checks.runtime.signin.codes import POLL
from checks.runtime.signin.facts import LoginFacts, is_local_url, json_body, remember_secrets

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.project.config import Login
    from checks.runtime.process import DevServer
    from checks.runtime.signin.sink import SmtpSink

BASE = "/api/auth"  # Auth.js's default basePath for Next.js
RETURN_REDIRECT = {"X-Auth-Return-Redirect": "1"}
LINK = re.compile(r"https?://[^\s\"'<>]+/callback/(?P<provider>[\w-]+)\?[^\s\"'<>]+")


def sink_environment(port: int) -> dict[str, str]:
    """How an Auth.js app finds its SMTP server, pointed at the sink: the Nodemailer
    provider's `server` as the docs write it (AUTH_EMAIL_SERVER / EMAIL_SERVER, a URL) or
    split (EMAIL_SERVER_HOST/PORT with an empty user, so nodemailer skips AUTH)."""
    url = f"smtp://127.0.0.1:{port}"
    return {"EMAIL_SERVER": url, "AUTH_EMAIL_SERVER": url, "EMAIL_SERVER_HOST": "127.0.0.1",
            "EMAIL_SERVER_PORT": str(port), "EMAIL_SERVER_USER": "", "EMAIL_SERVER_PASSWORD": ""}


async def _ask(ctx: Context, server: DevServer, client: httpx.AsyncClient, method: str, path: str,
               form: dict[str, str] | None = None) -> tuple[httpx.Response | None, str | None, list[str]]:
    """One bounded request to the app; (answer, transport problem, the server's lines)."""
    import httpx  # start-up: only runs that make a request load httpx

    assert server.facts.url is not None
    mark = server.line_count()
    try:
        response = await asyncio.wait_for(client.request(
            method, server.facts.url + path, data=form, headers=RETURN_REDIRECT if form is not None else {},
            timeout=ctx.config.route_timeout), ctx.config.route_timeout)
    except (httpx.TimeoutException, TimeoutError):
        return None, f"no answer within {ctx.config.route_timeout:g} s", server.lines_since(mark)
    except httpx.HTTPError as exc:
        return None, ctx.mask(f"{type(exc).__name__}: {exc}"), server.lines_since(mark)
    remember_secrets(ctx, client, response)
    return response, None, server.lines_since(mark)


def _redirect(response: httpx.Response) -> str:
    """Where an answer sends the browser: the JSON {url} of X-Auth-Return-Redirect, else Location."""
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("url"), str):
        return str(body["url"])
    return str(response.headers.get("location", ""))


def _names(body: Any, email: str) -> bool:
    return email.lower() in json.dumps(body).lower()


async def _csrf(ctx: Context, server: DevServer, client: httpx.AsyncClient) -> tuple[str | None, str]:
    response, problem, _ = await _ask(ctx, server, client, "GET", f"{BASE}/csrf")
    body = json_body(response) if response is not None else None
    token = body.get("csrfToken") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        said = problem or (f"answered {response.status_code} without a csrfToken" if response is not None else "?")
        return None, f"GET {BASE}/csrf {said}"
    ctx.masker.add([token])
    return token, ""


async def authjs_sign_in(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                         sink: SmtpSink | None, facts: LoginFacts) -> None:
    """csrf → signin/<provider> → the link from the sink → a wrong token refused → the
    callback → the session with the cookie and not without; sign-out afterwards."""
    import httpx  # start-up: only runs that make a request load httpx

    started = time.monotonic()
    methods = [m for m in ctx.model.login_methods if m in AUTHJS_SMTP]
    provider = methods[0] if methods else "nodemailer"
    facts.attempted = True

    def broke(step: str, problem: str, lines: list[str], hint: str | None = None) -> None:
        facts.failed_step, facts.problem, facts.hint = step, problem, hint
        facts.server_lines = (error_lines(lines) or lines)[:5]
        facts.elapsed_s = round(time.monotonic() - started, 3)

    csrf, why = await _csrf(ctx, server, client)
    if csrf is None:
        return broke("send", why, [])
    ctx.report_progress("AUTH003", f"requesting a sign-in link for {facts.email}")
    signin = f"{BASE}/signin/{provider}"
    response, problem, lines = await _ask(ctx, server, client, "POST", signin,
                                          {"email": facts.email, "csrfToken": csrf, "callbackUrl": "/"})
    target = _redirect(response) if response is not None else ""
    if response is None or response.status_code >= 400 or "/verify-request" not in target:
        said = problem or f"answered {response.status_code if response else '?'}" + (
            f" and sent the browser to {urlsplit(target).path}?{urlsplit(target).query}" if target else "")
        return broke("send", f"POST {signin} {said} (Auth.js answers a sent link with "
                             f"{BASE}/verify-request)", lines)
    link = None
    deadline = time.monotonic() + login.code_timeout
    while sink is not None and time.monotonic() < deadline and link is None:
        for text in sink.texts_for(facts.email):
            found = LINK.search(text)
            if found:
                link = found.group(0).replace("&amp;", "&")
        if link is None:
            await asyncio.sleep(POLL)
    if link is None:
        why = sink.problem if sink is not None and sink.problem else "no mail with a sign-in link reached it"
        return broke("code", f"no sign-in link for {facts.email} within {login.code_timeout:g} s on the SMTP sink "
                             f"(the app had EMAIL_SERVER/AUTH_EMAIL_SERVER pointed at it): {why}", [],
                     hint="The Nodemailer provider's `server` must come from EMAIL_SERVER or AUTH_EMAIL_SERVER "
                          "(or EMAIL_SERVER_HOST/PORT) so a local run can receive the link.")
    parts = urlsplit(link)
    token = (parse_qs(parts.query).get("token") or [""])[0]
    ctx.masker.add([link, token, parts.query])
    facts.source = "smtp"
    # Only the app's own address is asked: the link's path and query, never its host.
    callback = f"{parts.path}?{parts.query}"
    wrong = callback.replace(f"token={token}", f"token={token[::-1] or 'x'}") if token else callback + "&token=x"
    response, problem, lines = await _ask(ctx, server, client, "GET", wrong)
    if response is None:
        return broke("verify", f"GET {parts.path} with a wrong token: {problem}", lines)
    if not ("error" in _redirect(response) or response.status_code >= 400):
        return broke("verify", f"GET {parts.path} with a wrong token answered {response.status_code} without an "
                               "error: the link's token is not checked", lines)
    response, problem, lines = await _ask(ctx, server, client, "GET", callback)
    if response is None or response.status_code >= 400 or "error" in _redirect(response):
        said = problem or f"answered {response.status_code if response else '?'}"
        return broke("verify", f"GET {parts.path} (the link from the mail) {said}", lines)

    async def sign_out() -> None:
        token, why = await _csrf(ctx, server, client)
        if token is None:
            facts.signed_out = why
            return
        response, problem, _ = await _ask(ctx, server, client, "POST", f"{BASE}/signout", {"csrfToken": token})
        facts.signed_out = problem or (f"{BASE}/signout answered {response.status_code}" if response is not None
                                       else "no answer")

    facts.sign_out = sign_out
    facts.deleted = "not deleted: Auth.js has no route that deletes a user"
    session = f"{BASE}/session"
    response, problem, lines = await _ask(ctx, server, client, "GET", session)
    if response is None or response.status_code >= 400 or not _names(json_body(response), facts.email):
        said = problem or f"answered {response.status_code if response else '?'} without naming {facts.email}"
        return broke("session", f"GET {session} {said} after the callback: the session cookie is not kept or not "
                                "honoured", lines)
    async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                 verify=not is_local_url(server.facts.url or "")) as anonymous:
        response, problem, lines = await _ask(ctx, server, anonymous, "GET", session)
    if response is None or _names(json_body(response), facts.email):
        said = f"names {facts.email} to a request without any cookie" if response is not None else \
            f"without any cookie could not be asked ({problem})"
        return broke("session", f"GET {session} {said}", lines)
    facts.ok = True
    facts.app_proof = f"GET {session}"
    facts.elapsed_s = round(time.monotonic() - started, 3)
    return None
