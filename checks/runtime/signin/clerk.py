"""AUTH003 for a Clerk app: sign a test identity in through Clerk's Frontend API (FAPI) on
the app's development instance, with Clerk's test mode, then hand the session to the app.

Clerk test mode (https://clerk.com/docs/guides/development/testing/test-emails-and-phones):
an address with the `+clerk_test` subaddress is never mailed, and its code is 424242 — on a
development instance (pk_test_) only. The shapes below are clerk-js's own (clerk/javascript,
packages/clerk-js/src/core: fapiClient.ts — form-urlencoded bodies, `__clerk_api_version`;
auth/devBrowser.ts — POST /v1/dev_browser, its `id` carried as `__clerk_db_jwt`, rotated by
the `Clerk-Db-Jwt` header; resources/SignIn.ts and SignUp.ts — /v1/client/sign_ins and
/v1/client/sign_ups with prepare/attempt steps; the `{response, client}` envelope and
`client.sessions[].last_active_token.jwt`) and its testing helper's (packages/testing
src/common/helpers-utils.ts: identifier, then the email_code factor).

The app gets the session as clerkMiddleware reads it (packages/backend src/tokens/request.ts):
`Authorization: Bearer <session jwt>` for API routes, and the `__session`, `__client_uat`
and `__clerk_db_jwt` cookies for pages. The session is ended afterwards (POST
/v1/client/sessions?_method=DELETE, what clerk.signOut() sends).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from checks.runtime.signin.facts import (
    ProviderFailed,
    cookie_domain,
    is_local_url,
    provider_problem,
    secret_fields,
)
from checks.runtime.signin.facts import json_object as _dict
from checks.runtime.signin.providers import CLERK_KEYS, clerk_frontend_api
from checks.support.hosts import is_loopback

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.project.config import Login
    from checks.runtime.process import DevServer
    from checks.runtime.signin.facts import LoginFacts

API_VERSION = "2026-05-12"  # clerk/javascript shared/src/internal/clerk-js/constants.ts SUPPORTED_FAPI_VERSION
TEST_CODE = "424242"
DEV_BROWSER_PARAM = "__clerk_db_jwt"  # shared/src/devBrowser.ts DEV_BROWSER_KEY
DEV_BROWSER_HEADER = "Clerk-Db-Jwt"
TEST_SUBADDRESS = "+clerk_test"
# A token with less left than one request's timeout and this is renewed before the app is
# asked (clerk-js Session.ts getToken: POST /client/sessions/<id>/tokens; its cache renews
# with a leeway too).
REFRESH_MARGIN = 10.0




def frontend_api(ctx: Context) -> tuple[str | None, str]:
    """(https://<fapi host>/v1, "") from the publishable key, or (None, why not)."""

    key = next((ctx.env.get(k, "") for k in CLERK_KEYS if ctx.env.get(k)), "")
    if not key:
        return None, f"{CLERK_KEYS[0]} is empty"
    if not key.startswith("pk_test_"):
        return None, ("the Clerk publishable key is not a development (pk_test_) key: test mode, and so a "
                      "test sign-in, exists on development instances only")
    try:
        host = clerk_frontend_api(key)
    except ValueError as exc:
        return None, f"the Clerk publishable key {exc}"
    scheme = "http" if is_loopback(host.rsplit(":", 1)[0]) else "https"
    return f"{scheme}://{host}/v1", ""


def _claims(jwt: str) -> dict[str, Any]:
    """A JWT's claims, read without verifying it (the app verifies; this only matches)."""
    try:
        payload = jwt.split(".")[1]
        return _dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (IndexError, ValueError, TypeError):
        return {}


def _error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return ": ".join(str(first[k]) for k in ("code", "long_message") if first.get(k))
    return ""


def _iat(jwt: str) -> int:
    """The `iat` of a JWT (`__client_uat` must not be newer)."""
    try:
        return int(_claims(jwt).get("iat") or time.time())
    except (TypeError, ValueError):
        return int(time.time())


class _Fapi:
    def __init__(self, ctx: Context, http: httpx.AsyncClient, base: str, origin: str) -> None:
        self.ctx, self.http, self.base, self.origin = ctx, http, base, origin
        self.dev_browser = ""

    async def call(self, method: str, path: str, data: dict[str, str] | None = None, *,
                   dev_browser: bool = True, query: dict[str, str] | None = None) -> tuple[int, Any]:

        params = {"__clerk_api_version": API_VERSION, **(query or {})}
        if dev_browser and self.dev_browser:
            params[DEV_BROWSER_PARAM] = self.dev_browser
        timeout = self.ctx.config.route_timeout
        response = await asyncio.wait_for(self.http.request(
            method, self.base + path, params=params, data=data, timeout=timeout,
            headers={"Origin": self.origin}), timeout)
        rotated = response.headers.get(DEV_BROWSER_HEADER)
        if rotated:
            self.dev_browser = rotated
            self.ctx.masker.add([rotated])
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code < 400:
            self.ctx.masker.add(secret_fields(body))
        return response.status_code, body


def _sessions(client: Any) -> list[dict[str, Any]]:
    sessions = _dict(client).get("sessions")
    return [s for s in sessions if isinstance(s, dict)] if isinstance(sessions, list) else []


def _active_session(client: Any, session_id: str, address: str) -> dict[str, Any] | None:
    """The session `session_id`, active and the test identity's, from a ClientJSON."""
    for session in _sessions(client):
        if (session.get("id") == session_id and session.get("status") == "active"
                and address.lower() in json.dumps(session.get("user") or {}).lower()):
            return session
    return None


def _names(body: Any, address: str) -> bool:
    return address.lower() in json.dumps(body or {}).lower()


async def _verify(fapi: _Fapi, prefix: str, attempt: str, wrong: str) -> dict[str, Any]:
    """A wrong code first (it must be refused), then Clerk's test code."""
    status, body = await fapi.call("POST", f"{prefix}/{attempt}", {"strategy": "email_code", "code": wrong})
    if not 400 <= status < 500:
        raise ProviderFailed("verify", f"POST {prefix}/{attempt} answered {status} for a wrong code (expected a "
                                   "4xx refusal): the code is not checked")
    status, body = await fapi.call("POST", f"{prefix}/{attempt}", {"strategy": "email_code", "code": TEST_CODE})
    response = _dict(_dict(body).get("response"))
    if status >= 400 or response.get("status") != "complete":
        said = _error(body) or f"status {response.get('status')!r}"
        raise ProviderFailed("verify", f"POST {prefix}/{attempt} answered {status} ({said}) for Clerk's test code")
    return _dict(body)


async def _sign_in_or_up(fapi: _Fapi, address: str) -> dict[str, Any]:
    status, body = await fapi.call("POST", "/client/sign_ins", {"identifier": address})
    if status >= 400 and "form_identifier_not_found" in _error(body):
        # First run on this instance: the test identity signs up (test mode, no mail).
        status, body = await fapi.call("POST", "/client/sign_ups", {"email_address": address})
        if status >= 400:
            raise ProviderFailed("send", f"POST /v1/client/sign_ups answered {status} ({_error(body)}); create "
                                     f"{address} in the Clerk dashboard once, or allow sign-ups")
        sign_up = str(_dict(_dict(body).get("response")).get("id", ""))
        prefix = f"/client/sign_ups/{sign_up}"
        status, body = await fapi.call("POST", f"{prefix}/prepare_verification", {"strategy": "email_code"})
        if status >= 400:
            raise ProviderFailed("send", f"POST /v1{prefix}/prepare_verification answered {status} ({_error(body)})")
        return await _verify(fapi, prefix, "attempt_verification", "000000")
    if status >= 400:
        raise ProviderFailed("send", f"POST /v1/client/sign_ins answered {status} ({_error(body)})")
    sign_in = _dict(_dict(body).get("response"))
    factors = sign_in.get("supported_first_factors")
    factor = next((f for f in (factors if isinstance(factors, list) else [])
                   if isinstance(f, dict) and f.get("strategy") == "email_code"), None)
    if factor is None:
        raise ProviderFailed("send", "the instance offers no email code sign-in (enable 'Email verification code' "
                                 "in the Clerk dashboard)")
    prefix = f"/client/sign_ins/{sign_in.get('id', '')}"
    status, body = await fapi.call("POST", f"{prefix}/prepare_first_factor",
                                   {"strategy": "email_code", "email_address_id": str(factor.get("email_address_id", ""))})
    if status >= 400:
        raise ProviderFailed("send", f"POST /v1{prefix}/prepare_first_factor answered {status} ({_error(body)})")
    return await _verify(fapi, prefix, "attempt_first_factor", "000000")


async def clerk_sign_in(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                        facts: LoginFacts) -> LoginFacts:
    import httpx  # start-up: only runs that make a request load httpx


    started = time.monotonic()
    base, why = frontend_api(ctx)
    if base is None:
        facts.not_run = why
        return facts
    if TEST_SUBADDRESS not in facts.email:
        facts.not_run = f"{facts.email} lacks {TEST_SUBADDRESS}: Clerk would mail a real code to it"
        return facts
    facts.attempted, facts.source = True, "clerk-test"
    app = server.facts.url or "http://localhost:3000"
    parts = urlsplit(app)
    origin = f"{parts.scheme}://{parts.netloc}"
    try:
        async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False, verify=not is_local_url(base)) as http:
            fapi = _Fapi(ctx, http, base, origin)
            ctx.report_progress("AUTH003", f"signing {facts.email} in through Clerk's Frontend API")
            status, body = await fapi.call("POST", "/dev_browser", dev_browser=False)
            fapi.dev_browser = str(_dict(body).get("id") or _dict(body).get("token") or "")
            if status >= 400 or not fapi.dev_browser:
                raise ProviderFailed("send", f"POST /v1/dev_browser answered {status} ({_error(body) or 'no id'})")
            ctx.masker.add([fapi.dev_browser])
            done = await _sign_in_or_up(fapi, facts.email)
            session_id = str(_dict(done.get("response")).get("created_session_id") or "")

            async def sign_out() -> None:
                async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                             verify=not is_local_url(base)) as closing:
                    ending = _Fapi(ctx, closing, base, origin)
                    ending.dev_browser = fapi.dev_browser
                    facts.signed_out = "no answer"
                    with contextlib.suppress(httpx.HTTPError, TimeoutError):
                        status, _ = await ending.call("POST", "/client/sessions", query={"_method": "DELETE"})
                        facts.signed_out = f"DELETE /v1/client/sessions answered {status}"

            facts.sign_out = sign_out  # a session exists from here on: ended after the run, whatever comes
            session = _active_session(done.get("client"), session_id, facts.email)
            jwt = str(_dict(_dict(session).get("last_active_token")).get("jwt") or "")
            if not session_id or session is None or not jwt:
                raise ProviderFailed("verify", "the sign-in completed without an active session for the test identity "
                                           "or without its token")
            ctx.masker.add([jwt])
            claims = _claims(jwt)
            if claims.get("sid") != session_id or float(claims.get("exp") or 0) <= time.time():
                raise ProviderFailed("verify", "the session token is not a live token of that session (its sid/exp)")
            status, body = await fapi.call("GET", "/client")
            if status >= 400 or _active_session(_dict(body).get("response"), session_id, facts.email) is None:
                raise ProviderFailed("session", f"GET /v1/client answered {status} without the active session of "
                                            f"{facts.email}")
            # Another browser (a fresh dev browser) must not see that session.
            other = _Fapi(ctx, http, base, origin)
            status, body = await other.call("POST", "/dev_browser", dev_browser=False)
            other.dev_browser = str(_dict(body).get("id") or _dict(body).get("token") or "")
            ctx.masker.add([other.dev_browser] if other.dev_browser else [])
            status, body = await other.call("GET", "/client")
            if status < 400 and _names(body, facts.email):
                raise ProviderFailed("session", "GET /v1/client names the test identity to another dev browser")
            domain = cookie_domain(app)

            def hand_over(token: str) -> None:
                # The session as clerkMiddleware reads it: a Bearer token for API routes, and
                # the cookies a browser would hold for pages.
                client.headers["Authorization"] = f"Bearer {token}"
                client.cookies.set("__session", token, domain=domain)
                client.cookies.set("__client_uat", str(_iat(token)), domain=domain)
                client.cookies.set(DEV_BROWSER_PARAM, fapi.dev_browser, domain=domain)

            hand_over(jwt)
            current = [jwt]

            async def refresh() -> None:
                # A session token lives about a minute, and a dev server's first compile of a
                # route can take much of that: renewed as clerk-js does before it runs out.
                left = float(_claims(current[0]).get("exp") or 0) - time.time()
                if left > ctx.config.route_timeout + REFRESH_MARGIN:
                    return
                async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                             verify=not is_local_url(base)) as renewing:
                    again = _Fapi(ctx, renewing, base, origin)
                    again.dev_browser = fapi.dev_browser
                    status, body = await again.call("POST", f"/client/sessions/{quote(session_id, safe='')}/tokens")
                    fapi.dev_browser = again.dev_browser  # Clerk may rotate it with any answer
                token = str(_dict(body).get("jwt") or _dict(_dict(body).get("response")).get("jwt") or "")
                if token:
                    ctx.masker.add([token])
                if status >= 400 or not token:
                    raise ProviderFailed("session", f"POST /v1/client/sessions/<session>/tokens answered {status} "
                                                    f"({_error(body) or 'no jwt'}): the session token was not renewed")
                claims = _claims(token)
                if claims.get("sid") != session_id or float(claims.get("exp") or 0) <= time.time():
                    raise ProviderFailed("session", "the renewed session token is not a live token of that session")
                current[0] = token
                hand_over(token)

            facts.refresh = refresh
    except (ProviderFailed, httpx.HTTPError, TimeoutError, AttributeError, TypeError, ValueError) as exc:
        facts.failed_step, facts.problem = provider_problem(ctx, "Clerk's Frontend API", exc)
    facts.ok = facts.problem is None
    facts.elapsed_s = round(time.monotonic() - started, 3)
    return facts
