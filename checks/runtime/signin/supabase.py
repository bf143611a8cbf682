"""AUTH003 for a Supabase app: sign a `.test` identity in through the local Supabase Auth
(GoTrue, `supabase start`) with an email one-time code read from the local Mailpit, then hand
the session to the app as @supabase/ssr keeps it.

supabase/auth (GoTrue) API: POST /auth/v1/otp {email, create_user} mails a code (its default
templates say "Alternatively, enter the code: {{ .Token }}", internal/mailer/template.go);
POST /auth/v1/verify {type: "email", email, token} answers the session (access_token,
refresh_token, expires_in, expires_at, user); GET /auth/v1/user with the access token answers
the user; POST /auth/v1/logout ends the session. Every call carries the `apikey` header.
@supabase/ssr (src/cookies.ts, src/utils/chunker.ts): the session is the cookie
`sb-<first label of the Supabase URL's host>-auth-token` = "base64-" + base64url(JSON of the
session), cut into `.0`, `.1`… above 3,180 characters.

Only against a Supabase on this machine: a hosted project would get a user written into it
(unless --allow-remote-login).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from checks.runtime.signin.codes import CodeSources, poll_until
from checks.runtime.signin.facts import (
    ProviderFailed,
    cookie_domain,
    created_since,
    is_local_url,
    json_object,
    provider_problem,
    wrong_code,
)
from checks.runtime.signin.providers import SUPABASE_ANON_KEYS

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.project.config import Login
    from checks.runtime.process import DevServer
    from checks.runtime.signin.facts import LoginFacts

MAX_CHUNK_SIZE = 3180  # @supabase/ssr src/utils/chunker.ts
SUPABASE_URLS = ("NEXT_PUBLIC_SUPABASE_URL", "SUPABASE_URL")
# The server-side key of Supabase's docs and `supabase status` (service_role; the newer
# sb_secret_ keys), which Supabase Auth's admin API takes.
SERVICE_KEYS = ("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_SECRET_KEY", "SUPABASE_SERVICE_KEY")
# The keys `supabase start` hands out on every machine (what `supabase status` prints): its
# service_role JWT is signed for issuer "supabase-demo", and its sb_secret_ key is one fixed
# value. Only these are used to delete a user: a hosted project's key never is, whatever URL.
LOCAL_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz"




def session_cookies(supabase_url: str, session: dict[str, Any]) -> list[tuple[str, str]]:
    """The cookies @supabase/ssr writes for `session` (name, value), chunked as it does."""
    ref = (urlsplit(supabase_url).hostname or "").split(".")[0]
    key = f"sb-{ref}-auth-token"
    value = "base64-" + base64.urlsafe_b64encode(json.dumps(session, separators=(",", ":")).encode()).decode().rstrip("=")
    if len(value) <= MAX_CHUNK_SIZE:  # base64url needs no percent-encoding: its length is the encoded length
        return [(key, value)]
    return [(f"{key}.{i}", value[start:start + MAX_CHUNK_SIZE])
            for i, start in enumerate(range(0, len(value), MAX_CHUNK_SIZE))]


def _said(body: Any) -> str:
    if isinstance(body, dict):
        return ": ".join(str(body[k]) for k in ("error_code", "code", "msg", "message", "error_description")
                         if isinstance(body.get(k), str | int))[:160]
    return ""


def local_service_key(key: str) -> bool:
    """Whether `key` is the local Supabase's own service key (see LOCAL_SECRET_KEY)."""
    if key == LOCAL_SECRET_KEY:
        return True
    parts = key.split(".")
    if len(parts) != 3:
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return False
    return isinstance(claims, dict) and claims.get("iss") == "supabase-demo" and claims.get("role") == "service_role"


async def _delete_user(ctx: Context, http: httpx.AsyncClient, call: Any, url: str, user: dict[str, Any],
                       email: str, since: float, login: Login) -> str:
    """The test user deleted from a local Supabase Auth through its admin API (supabase/auth
    internal/api/api.go: DELETE /admin/users/{user_id}, service_role only), where this run
    created it; a hosted project gets nothing written beyond the sign-in."""
    import httpx  # start-up: only runs that make a request load httpx


    service = next((ctx.env.get(k, "") for k in SERVICE_KEYS if ctx.env.get(k)), "")
    user_id = str(user.get("id") or "")
    if not login.delete_user:
        return "not deleted: [auth.login] delete_user = false"
    if not is_local_url(url):
        return "not deleted: a hosted Supabase project is not written to beyond the sign-in"
    if not service:
        return f"not deleted: no service-role key ({SERVICE_KEYS[0]}) for Supabase Auth's admin API"
    if not local_service_key(service):
        return ("not deleted: the service-role key is not the local Supabase's (`supabase status`); another "
                "project's key is never used")
    if not user_id or str(user.get("email") or "").lower() != email.lower():
        return "not deleted: the session did not name the test user"
    if not created_since(user.get("created_at"), since):
        return "not deleted: the user existed before this run"
    path = f"/auth/v1/admin/users/{quote(user_id, safe='')}"
    try:
        status, body = await call(http, "DELETE", path, token=service, key=service)
    except (httpx.HTTPError, TimeoutError) as exc:
        return f"not deleted: DELETE /auth/v1/admin/users/<id>: {type(exc).__name__}"
    if status < 300:
        return "deleted (DELETE /auth/v1/admin/users/<id>)"
    return f"not deleted: DELETE /auth/v1/admin/users/<id> answered {status} {_said(body)}".strip()


async def supabase_sign_in(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                           facts: LoginFacts, allow_remote: bool) -> LoginFacts:
    import httpx  # start-up: only runs that make a request load httpx


    started, since = time.monotonic(), time.time()
    url = next((ctx.env.get(k, "") for k in SUPABASE_URLS if ctx.env.get(k)), "").rstrip("/")
    anon = next((ctx.env.get(k, "") for k in SUPABASE_ANON_KEYS if ctx.env.get(k)), "")
    if not url or not anon:
        facts.not_run = f"{SUPABASE_URLS[0]} or its anon key is empty (AUTH001 says which)"
        return facts
    if not is_local_url(url) and not allow_remote:
        facts.not_run = (f"{url} is not a local Supabase (`supabase start`): deploy-check signs in only "
                         "locally unless --allow-remote-login")
        return facts
    facts.attempted = True
    headers = {"apikey": anon}
    timeout = ctx.config.route_timeout

    async def call(http: httpx.AsyncClient, method: str, path: str, body: Any = None,
                   token: str | None = None, key: str | None = None) -> tuple[int, Any]:
        sent = {**headers, **({"apikey": key} if key else {}),
                **({"Authorization": f"Bearer {token}"} if token else {})}
        response = await asyncio.wait_for(http.request(method, url + path, json=body, headers=sent,
                                                       timeout=timeout), timeout)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    try:
        async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False, verify=not is_local_url(url)) as http:
            ctx.report_progress("AUTH003", f"requesting a code for {facts.email} from Supabase Auth")
            status, body = await call(http, "POST", "/auth/v1/otp", {"email": facts.email, "create_user": True})
            if status == 429:
                # supabase/config.toml [auth.rate_limit] email_sent: the CLI's default allows few
                # mails an hour, and every run of this check sends one.
                raise ProviderFailed("send", "POST /auth/v1/otp answered 429 (too many mails): raise [auth.rate_limit] "
                                         "email_sent in supabase/config.toml for local runs, then `supabase stop` "
                                         "and `supabase start`")
            if status >= 400:
                raise ProviderFailed("send", f"POST /auth/v1/otp answered {status} {_said(body)}".strip())
            sources = CodeSources(ctx, server, login, facts.email, None, client)
            deadline = time.monotonic() + login.code_timeout
            found = None
            while found is None and time.monotonic() < deadline:
                found = await poll_until(sources, deadline)
                if found is None:
                    await asyncio.sleep(0.1)
            if found is None:
                facts.tried = [f"{name}: {sources.notes.get(name, 'not tried')}" for name in sources.names()]
                raise ProviderFailed("code", f"no one-time code for {facts.email} within {login.code_timeout:g} s; "
                                         "tried " + "; ".join(facts.tried))
            facts.source, code = found
            ctx.masker.add([code])
            status, body = await call(http, "POST", "/auth/v1/verify",
                                      {"type": "email", "email": facts.email, "token": wrong_code(code)})
            if not 400 <= status < 500:
                raise ProviderFailed("verify", f"POST /auth/v1/verify answered {status} for a wrong code (expected a "
                                           "4xx refusal): the code is not checked")
            status, session = await call(http, "POST", "/auth/v1/verify",
                                         {"type": "email", "email": facts.email, "token": code})
            token = str((session or {}).get("access_token") or "") if isinstance(session, dict) else ""
            if status >= 400 or not token:
                raise ProviderFailed("verify", f"POST /auth/v1/verify answered {status} {_said(session)} for the code "
                                           f"from {facts.source}".strip())
            ctx.masker.add([v for v in (token, str(session.get("refresh_token") or "")) if v])

            signed_in_user = json_object(session.get("user"))

            async def sign_out() -> None:
                async with httpx.AsyncClient(event_hooks=ctx.response_hooks(), follow_redirects=False, trust_env=False,
                                             verify=not is_local_url(url)) as closing:
                    try:
                        status, _ = await call(closing, "POST", "/auth/v1/logout", token=token)
                        facts.signed_out = f"POST /auth/v1/logout answered {status}"
                    except (httpx.HTTPError, TimeoutError) as exc:
                        facts.signed_out = f"POST /auth/v1/logout: {type(exc).__name__}"
                    facts.deleted = await _delete_user(ctx, closing, call, url, signed_in_user, facts.email,
                                                       since, login)

            facts.sign_out = sign_out  # a session exists from here on: ended after the run, whatever comes
            status, user = await call(http, "GET", "/auth/v1/user", token=token)
            if status >= 400 or facts.email.lower() not in json.dumps(user or {}).lower():
                raise ProviderFailed("session", f"GET /auth/v1/user answered {status} without {facts.email}")
            # Neither no token nor a forged one may read the user: a /user that answers any
            # Bearer value proves no session at all.
            forged = token[:-1] + ("A" if token[-1:] != "A" else "B")
            for probe, what in ((None, "without a token"), (forged, "with a forged token")):
                status, user = await call(http, "GET", "/auth/v1/user", token=probe)
                if status < 400 and facts.email.lower() in json.dumps(user or {}).lower():
                    raise ProviderFailed("session", f"GET /auth/v1/user names the test identity {what}")

            domain = cookie_domain(server.facts.url or "http://localhost")
            for name, value in session_cookies(url, session):
                client.cookies.set(name, value, domain=domain)
                ctx.masker.add([value])
    except (ProviderFailed, httpx.HTTPError, TimeoutError, AttributeError, TypeError, ValueError) as exc:
        facts.failed_step, facts.problem = provider_problem(ctx, "Supabase Auth", exc)
    facts.ok = facts.problem is None
    facts.elapsed_s = round(time.monotonic() - started, 3)
    return facts
