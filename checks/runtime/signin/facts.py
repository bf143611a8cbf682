"""What a sign-in yields (`LoginFacts`) and the pieces every provider's sign-in uses: one
bounded request to the app, learning the secrets an answer carries, and naming what broke.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from checks.project.config import Request
from checks.runtime.addresses import loopback_url

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.runtime.process import DevServer


# Fields of a successful answer whose values are credentials (Better Auth's `token`, a
# session's `token`, a JWT…); an error's `code` (INVALID_OTP) is not one.
SECRET_KEYS = re.compile(r"token|jwt|secret|cookie|^otp$|password", re.IGNORECASE)



@dataclass
class LoginFacts:
    email: str = ""
    attempted: bool = False
    ok: bool = False
    not_run: str | None = None  # why no sign-in was attempted
    failed_step: str | None = None  # send, code, verify, session
    problem: str | None = None
    source: str | None = None  # where the code came from
    tried: list[str] = field(default_factory=list)
    elapsed_s: float | None = None
    server_lines: list[str] = field(default_factory=list)
    hint: str | None = None
    sign_out: Any = None  # a coroutine function ending the session after the flow, where there is one
    signed_out: str = ""  # what ending the session answered
    deleted: str = ""  # what became of the test identity afterwards
    refresh: Any = None  # a coroutine function renewing a short-lived session token, where one expires
    # What proved the app itself honours the session: its session route, or DEV004's
    # signed-in routes; "" when nothing app-side did (a provider sign-in alone proves less).
    app_proof: str = ""
    provider_only: str = ""  # why the app's acceptance is not proven (AUTH003: unverified)



def fill(value: Any, values: dict[str, str], *, in_path: bool = False) -> Any:
    """`{name}` placeholders filled in strings, nested lists and tables (URL-quoted in a path)."""
    if isinstance(value, str):
        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                return match.group(0)
            return quote(values[name], safe="") if in_path else values[name]
        return re.sub(r"\{(\w+)\}", sub, value)
    if isinstance(value, dict):
        return {k: fill(v, values, in_path=in_path) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values, in_path=in_path) for v in value]
    return value



def remember_secrets(ctx: Context, client: httpx.AsyncClient, response: httpx.Response) -> None:
    """Cookies and token-like fields of an answer are secrets from now on."""
    found = [cookie.value for cookie in client.cookies.jar if cookie.value]
    found += [value for value in response.cookies.values() if value]
    if response.status_code < 400:
        with contextlib.suppress(ValueError):
            found += list(secret_fields(response.json()))
    if found:
        ctx.masker.add(found)
        for value in found:  # a signed cookie's parts (`token.signature`) may be echoed alone
            ctx.masker.add(part for part in re.split(r"[.%]", value) if len(part) >= 16)



def secret_fields(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in secret_fields(v, str(k))]
    if isinstance(value, list):
        return [s for v in value for s in secret_fields(v, key)]
    if isinstance(value, str) and SECRET_KEYS.search(key) and len(value) >= 6:
        return [value]
    return []



def app_origin(ctx: Context, server: DevServer) -> str:
    """The origin a browser on the app would send: BETTER_AUTH_URL's where it is set (Better
    Auth trusts that one), else the address the dev server printed (`localhost` stays
    `localhost`), else the one that answered."""

    for url in (ctx.env.get("BETTER_AUTH_URL", ""), *server.printed_urls, server.facts.url or ""):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return ""



def cookie_domain(url: str) -> str:
    """The domain a cookie must carry for httpx's cookie jar to send it to `url`: the jar
    (http.cookiejar) calls a host without a dot `<host>.local` (localhost, [::1])."""

    # http.cookiejar request_host/eff_request_host: the netloc without its port, lower-cased,
    # and ".local" appended when it holds no dot.
    host = re.sub(r":\d+$", "", urlsplit(url).netloc.rsplit("@", 1)[-1]).lower()
    return host if "." in host else host + ".local"



def is_local_url(url: str) -> bool:
    return loopback_url(url) is not None



async def send(ctx: Context, server: DevServer, client: httpx.AsyncClient, request: Request,
                values: dict[str, str], *, refusal_expected: bool = False, headers: dict[str, str] | None = None
                ) -> tuple[httpx.Response | None, str | None, list[str]]:
    """(answer, transport problem, the server's lines while it answered)."""
    import httpx  # start-up: only runs that make a request load httpx

    assert server.facts.url is not None
    mark = server.line_count()
    try:
        # The whole exchange is bounded: httpx's timeout is per read, and a server that
        # trickles a byte a second would never hit it.
        response = await asyncio.wait_for(client.request(
            request.method, server.facts.url + fill(request.path, values, in_path=True),
            json=fill(request.json, values) if request.json is not None else None,
            headers=headers or {}, timeout=ctx.config.route_timeout), ctx.config.route_timeout)
    except (httpx.TimeoutException, TimeoutError):
        return None, f"no answer within {ctx.config.route_timeout:g} s", server.lines_since(mark)
    except httpx.HTTPError as exc:
        return None, ctx.mask(f"{type(exc).__name__}: {exc}"), server.lines_since(mark)
    remember_secrets(ctx, client, response)
    if response.status_code >= 400 and not refusal_expected:
        await server.settle(mark)  # the server's lines about an error come just after it
    return response, None, server.lines_since(mark)



class ProviderFailed(Exception):
    """A step of a sign-in at the provider (Clerk's Frontend API, Supabase Auth) that broke."""

    def __init__(self, step: str, problem: str) -> None:
        super().__init__(problem)
        self.step, self.problem = step, problem



def provider_problem(ctx: Context, service: str, exc: BaseException) -> tuple[str, str]:
    """(step, problem) for what ended a provider sign-in: its own failure, no answer in
    time, a transport error (masked), or an answer of an unexpected shape."""
    import httpx  # start-up: only runs that make a request load httpx

    if isinstance(exc, ProviderFailed):
        return exc.step, exc.problem
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "send", f"{service} did not answer within {ctx.config.route_timeout:g} s"
    if isinstance(exc, httpx.HTTPError):
        return "send", ctx.mask(f"{service}: {type(exc).__name__}: {exc}")
    return "send", f"{service} answered an unexpected shape ({type(exc).__name__})"



def created_since(stamp: Any, since: float) -> bool:
    """Whether an ISO 8601 time (an auth server's createdAt/created_at) is at or after
    `since` (epoch seconds), allowing the few seconds two clocks on one machine may differ."""

    if not isinstance(stamp, str):
        return False
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp() >= since - 5



def json_object(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else an odd answer holds."""
    return value if isinstance(value, dict) else {}



async def renew(ctx: Context, facts: LoginFacts) -> str | None:
    """Renew the session token where the provider's runs out (Clerk's: a minute) before the
    app is asked with it; None when it is live, else what went wrong."""
    import httpx  # start-up: only runs that make a request load httpx

    if facts.refresh is None:
        return None
    try:
        await facts.refresh()
    except (ProviderFailed, httpx.HTTPError, TimeoutError, AttributeError, TypeError, ValueError) as exc:
        return provider_problem(ctx, "the provider", exc)[1]
    return None



def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None



def wrong_code(code: str) -> str:
    """A code that is surely not `code`, of the same shape."""
    if code.isdigit():
        return str((int(code) + 1) % 10 ** len(code)).zfill(len(code))
    return code[::-1] if code[::-1] != code else code + "x"



def error_said(response: httpx.Response) -> str:
    """What an error answer says, in a few words (Better Auth: {"code", "message"})."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return text[0][:120] if text else ""
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("code", "message", "error") if isinstance(body.get(k), str | int)]
        return ": ".join(parts)[:160]
    return ""
