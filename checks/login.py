"""AUTH003: sign a throwaway identity in through the app's own auth routes, with the
one-time code taken from a local source, and prove the session (DESIGN.md "Auth").

The identity is `deploy-check+<run>@example.test`: `.test` is reserved (RFC 6761) and never
delivers mail. Code sources, each local, none mailing anyone:

- output: the dev server's own lines after the request (the code is masked in them before
  they are stored or shown: checks/devproc.py `DevServer._line`);
- smtp: an SMTP sink (aiosmtpd) on 127.0.0.1 whose address the dev server gets as
  SMTP_HOST/SMTP_PORT (`[auth.login] smtp_env` renames them);
- mailpit: a local Mailpit's API (`supabase start` captures mail there);
- database: Better Auth's `verification` row for the identity, read-only;
- clerk-test: Clerk development instances' fixed code for `+clerk_test` addresses.

The code, the cookies and any token the answers carry join the masker the moment they are
known, so no output (console, JSON, SARIF, the dev server's quoted lines) can show them.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from checks.config import Login, Request
from checks.model import plural

if TYPE_CHECKING:
    import httpx

    from checks.context import Context
    from checks.devproc import DevServer

# better-auth 1.7 src/plugins/email-otp/index.ts: the email-OTP plugin's endpoints, mounted
# under the default basePath /api/auth (Neon Auth's Next.js SDK mounts the same handler).
BETTER_AUTH_LOGIN = {
    "send": Request("/api/auth/email-otp/send-verification-otp", "POST", {"email": "{email}", "type": "sign-in"}),
    "verify": Request("/api/auth/sign-in/email-otp", "POST", {"email": "{email}", "otp": "{otp}"}),
    "session": Request("/api/auth/get-session", "GET"),
}
BETTER_AUTH_SIGN_OUT = Request("/api/auth/sign-out", "POST", {})
# better-auth 1.7 src/api/routes/update-user.ts deleteUser: deletes the signed-in user and its
# sessions where the app sets user.deleteUser.enabled (404 otherwise); a fresh session needs no
# password; with sendDeleteAccountVerification it mails a link instead ("Verification email sent").
BETTER_AUTH_DELETE_USER = Request("/api/auth/delete-user", "POST", {})
DEFAULT_LOGIN = {"better-auth": BETTER_AUTH_LOGIN, "neon-auth": BETTER_AUTH_LOGIN}
# better-auth 1.7 email-otp: the pending code's row is `verification` with identifier
# `<type>-otp-<lower-cased email>` and value `<otp>:<failed attempts>` (storeOTP "plain").
VERIFICATION_IDENTIFIER = "sign-in-otp-{email}"
VERIFICATION_TABLES = ("verification", "neon_auth.verification")
# https://clerk.com/docs/testing/test-emails-and-phones: "+clerk_test" addresses on a
# development instance take the fixed code 424242; never on a production (pk_live_) one.
CLERK_TEST_CODE = "424242"
# https://mailpit.axllent.org/docs/api-v1/: search and message endpoints.
MAILPIT_SEARCH = "/api/v1/search"
MAILPIT_MESSAGE = "/api/v1/message/{id}"
SUPABASE_MAILPIT_PORT = 54324  # supabase/config.toml [inbucket] port, the CLI's default
POLL = 0.1
SLOW_POLL = 0.5  # the database and Mailpit are asked less often than memory
MAX_MESSAGES = 100
MAX_MESSAGE_BYTES = 1 << 20
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


def run_email(login: Login, run_id: str) -> str:
    return login.email.replace("{run}", run_id.split("-")[-1][:12])


def login_plan(ctx: Context) -> tuple[Login | None, str]:
    """The effective `[auth.login]` (the provider's defaults filled in), or None and why."""
    login = ctx.config.login
    provider = ctx.model.auth_provider
    defaults = DEFAULT_LOGIN.get(provider or "", {})
    if not login.explicit and provider in (None, "none"):
        return None, "no auth provider and no [auth.login]: nothing to sign in to"
    if provider == "clerk" and not (login.send or login.verify) and login.otp_from in ("auto", "clerk-test"):
        # Clerk apps sign in through Clerk's Frontend API, not routes of their own: its test
        # mode (a +clerk_test address, code 424242) on the development instance.
        email = login.email if "+clerk_test" in login.email else "deploy-check+clerk_test@example.test"
        return replace(login, via="clerk", otp_from="clerk-test", email=email), ""
    if provider == "supabase" and not (login.send or login.verify):
        # Supabase apps sign in with supabase-js against Supabase Auth, not routes of their
        # own: the local one (`supabase start`) mails the code to its Mailpit.
        return replace(login, via="supabase", otp_from="mailpit" if login.otp_from == "auto" else login.otp_from), ""
    filled = replace(login, send=login.send or defaults.get("send"), verify=login.verify or defaults.get("verify"),
                     session=login.session or defaults.get("session"))
    missing = [name for name in ("send", "verify", "session") if getattr(filled, name) is None]
    if missing:
        return None, (f"no sign-in routes for {provider or 'this app'}: deploy-check knows Better Auth's "
                      f"email-OTP routes (better-auth, neon-auth), Clerk's Frontend API and a local Supabase Auth; set [auth.login] "
                      f"{', '.join(missing)} to the app's own OTP routes")
    return filled, ""


# -- the SMTP sink --------------------------------------------------------------------------


class _Handler:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls the hook by this name
        with self.lock:
            if len(self.messages) < MAX_MESSAGES:
                self.messages.append(([r.lower() for r in envelope.rcpt_tos], bytes(envelope.content or b"")))
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps what it receives in memory and delivers nothing."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = 0
        self._controller: Any = None
        self.problem = ""  # why it is not running, when it could not start

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        from checks.devproc import free_port

        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                      data_size_limit=MAX_MESSAGE_BYTES, ready_timeout=5.0)
        self._controller.start()

    async def stop(self) -> None:
        if self._controller is not None:
            controller, self._controller = self._controller, None
            await asyncio.to_thread(controller.stop)

    def texts_for(self, address: str) -> list[str]:
        with self.handler.lock:
            found = [content for recipients, content in self.handler.messages if address.lower() in recipients]
        return [_message_text(content) for content in found]


def _message_text(content: bytes) -> str:
    message = email.message_from_bytes(content, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            with contextlib.suppress(LookupError, ValueError):
                text = part.get_content()
                parts.append(_strip_html(text) if part.get_content_subtype() == "html" else text)
    return "\n".join(parts) or content.decode("utf-8", "replace")


def _strip_html(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# -- requests ---------------------------------------------------------------------------------


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
            found += list(_secret_fields(response.json()))
    if found:
        ctx.masker.add(found)
        for value in found:  # a signed cookie's parts (`token.signature`) may be echoed alone
            ctx.masker.add(part for part in re.split(r"[.%]", value) if len(part) >= 16)


def _secret_fields(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _secret_fields(v, str(k))]
    if isinstance(value, list):
        return [s for v in value for s in _secret_fields(v, key)]
    if isinstance(value, str) and SECRET_KEYS.search(key) and len(value) >= 6:
        return [value]
    return []


def app_origin(ctx: Context, server: DevServer) -> str:
    """The origin a browser on the app would send: BETTER_AUTH_URL's where it is set (Better
    Auth trusts that one), else the address the dev server printed (`localhost` stays
    `localhost`), else the one that answered."""
    from urllib.parse import urlsplit

    for url in (ctx.env.get("BETTER_AUTH_URL", ""), *server.printed_urls, server.facts.url or ""):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return ""


def cookie_domain(url: str) -> str:
    """The domain a cookie must carry for httpx's cookie jar to send it to `url`: the jar
    (http.cookiejar) calls a host without a dot `<host>.local` (localhost, [::1])."""
    from urllib.parse import urlsplit

    # http.cookiejar request_host/eff_request_host: the netloc without its port, lower-cased,
    # and ".local" appended when it holds no dot.
    host = re.sub(r":\d+$", "", urlsplit(url).netloc.rsplit("@", 1)[-1]).lower()
    return host if "." in host else host + ".local"


def _loopback(url: str) -> bool:
    from checks.devproc import loopback_url

    return loopback_url(url) is not None


async def _send(ctx: Context, server: DevServer, client: httpx.AsyncClient, request: Request,
                values: dict[str, str], *, refusal_expected: bool = False, headers: dict[str, str] | None = None
                ) -> tuple[httpx.Response | None, str | None, list[str]]:
    """(answer, transport problem, the server's lines while it answered)."""
    import httpx

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
    import httpx

    if isinstance(exc, ProviderFailed):
        return exc.step, exc.problem
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "send", f"{service} did not answer within {ctx.config.route_timeout:g} s"
    if isinstance(exc, httpx.HTTPError):
        return "send", ctx.mask(f"{service}: {type(exc).__name__}: {exc}")
    return "send", f"{service} answered an unexpected shape ({type(exc).__name__})"


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


def created_since(stamp: Any, since: float) -> bool:
    """Whether an ISO 8601 time (an auth server's createdAt/created_at) is at or after
    `since` (epoch seconds), allowing the few seconds two clocks on one machine may differ."""
    import datetime as dt

    if not isinstance(stamp, str):
        return False
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp() >= since - 5


def _deletion(response: httpx.Response | None, problem: str | None) -> str:
    path = BETTER_AUTH_DELETE_USER.path
    if response is None:
        return f"not deleted: {path} {problem or 'gave no answer'}"
    if response.status_code == 404:
        return "not deleted: the app does not enable Better Auth's user.deleteUser"
    message = json_object(_json(response)).get("message")
    if response.status_code == 200 and message == "User deleted":
        return f"deleted ({path})"
    if response.status_code == 200:
        return "not deleted: the app confirms a deletion by mail (user.deleteUser.sendDeleteAccountVerification)"
    return f"not deleted: {path} answered {response.status_code}"


def json_object(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else an odd answer holds."""
    return value if isinstance(value, dict) else {}


async def renew(ctx: Context, facts: LoginFacts) -> str | None:
    """Renew the session token where the provider's runs out (Clerk's: a minute) before the
    app is asked with it; None when it is live, else what went wrong."""
    import httpx

    if facts.refresh is None:
        return None
    try:
        await facts.refresh()
    except (ProviderFailed, httpx.HTTPError, TimeoutError, AttributeError, TypeError, ValueError) as exc:
        return provider_problem(ctx, "the provider", exc)[1]
    return None


async def poll_until(sources: _Sources, deadline: float) -> tuple[str, str] | None:
    """One round of the code sources, cut off at the deadline (a slow Mailpit or database
    must not stretch the wait beyond code_timeout)."""
    try:
        return await asyncio.wait_for(sources.poll(), max(0.05, deadline - time.monotonic()))
    except TimeoutError:
        return None


async def _app_accepts(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                       facts: LoginFacts) -> None:
    """After a sign-in at the provider (Clerk, Supabase): does the app itself honour the
    session? Its `[auth.login] session` route must name the identity with the session and
    not without; else DEV004's signed-in routes are the proof; else it is not proven."""
    import httpx

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
    response, problem, _ = await _send(ctx, server, client, login.session, values)
    if response is None or response.status_code >= 400 or facts.email.lower() not in json.dumps(_json(response)).lower():
        said = problem or (f"answered {response.status_code}" if response is not None else "no answer")
        facts.ok, facts.failed_step = False, "session"
        facts.problem = f"the app's {route} {said} without naming {facts.email}: the app does not honour the session"
        return
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                 verify=not _loopback(server.facts.url or "")) as anonymous:
        response, problem, _ = await _send(ctx, server, anonymous, login.session, values)
    if response is None or facts.email.lower() in json.dumps(_json(response)).lower():
        facts.ok, facts.failed_step = False, "session"
        facts.problem = (f"the app's {route} names {facts.email} without the session" if response is not None
                         else f"the app's {route} without the session could not be asked ({problem})")
        return
    facts.app_proof = route


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _wrong(code: str) -> str:
    """A code that is surely not `code`, of the same shape."""
    if code.isdigit():
        return str((int(code) + 1) % 10 ** len(code)).zfill(len(code))
    return code[::-1] if code[::-1] != code else code + "x"


def _said(response: httpx.Response) -> str:
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


# -- code sources -------------------------------------------------------------------------------


class _Sources:
    def __init__(self, ctx: Context, server: DevServer, login: Login, address: str,
                 sink: SmtpSink | None, client: httpx.AsyncClient) -> None:
        self.ctx, self.server, self.login, self.address, self.sink = ctx, server, login, address, sink
        self.client = client
        self.mark = server.codes_count()
        self.notes: dict[str, str] = {}
        self.provider = ctx.model.auth_provider
        self._next_slow = 0.0

    def names(self) -> list[str]:
        if self.login.otp_from != "auto":
            return [self.login.otp_from]
        names = ["output", "smtp"]
        if self.provider in ("better-auth", "neon-auth"):
            names.append("database")
        if self.mailpit_url():
            names.append("mailpit")
        if self.provider == "clerk":
            names.append("clerk-test")
        return names

    def mailpit_url(self) -> str | None:
        if self.login.mailpit_url:
            return self.login.mailpit_url
        config = self.ctx.path("supabase/config.toml")
        if config.is_file():
            import tomllib

            from checks.files import CONFIG_LIMIT, read_text

            with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                inbucket = tomllib.loads(read_text(config, CONFIG_LIMIT)).get("inbucket", {})
                if inbucket.get("enabled", True):
                    return f"http://127.0.0.1:{int(inbucket.get('port', SUPABASE_MAILPIT_PORT))}"
        return None

    async def poll(self) -> tuple[str, str] | None:
        slow = time.monotonic() >= self._next_slow
        if slow:
            self._next_slow = time.monotonic() + SLOW_POLL
        for name in self.names():
            if name in ("database", "mailpit") and not slow:
                continue
            code = await getattr(self, "_" + name.replace("-", "_"))()
            if code:
                return name, code
        return None

    def _match(self, text: str) -> str | None:
        from checks.config import compile_user_pattern

        pattern = compile_user_pattern("auth.login.otp_pattern", self.login.otp_pattern)
        try:
            found = pattern.search(text, timeout=1.0)
        except TimeoutError:
            return None
        return found.group(1) if found else None

    async def _output(self) -> str | None:
        codes = self.server.codes_since(self.mark)
        self.notes["output"] = "no line of the dev server's output matched otp_pattern after the request"
        if not codes:
            return None
        with_address = [code for code, names_it in codes if names_it]
        return (with_address or [code for code, _ in codes])[-1]

    async def _smtp(self) -> str | None:
        if self.sink is None or self.sink.problem:
            self.notes["smtp"] = (self.sink.problem if self.sink is not None
                                  else "no SMTP sink (otp_from names another source)")
            return None
        host_var, port_var = self.login.smtp_env
        texts = self.sink.texts_for(self.address)
        self.notes["smtp"] = (f"the sink on 127.0.0.1:{self.sink.port} (given to the app as {host_var}/{port_var}) "
                              f"received {'no mail' if not texts else 'mail without a code'} for the test address")
        for text in reversed(texts):
            code = self._match(text)
            if code:
                return code
        return None

    async def _database(self) -> str | None:
        import psycopg

        from checks.database import InvalidDatabaseUrl, shared_connection

        identifier = VERIFICATION_IDENTIFIER.format(email=self.address.lower())
        try:
            connection = await shared_connection(self.ctx)
            for table in VERIFICATION_TABLES:
                row = await (await connection.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))).fetchone()
                if not (row and row[0]):
                    continue
                from psycopg import sql

                name = sql.Identifier(*table.split("."))
                # Each send adds a row; verify takes the newest (better-auth email-otp).
                newest = await (await connection.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                    "AND attname IN ('createdAt', 'created_at') AND NOT attisdropped", (table,))).fetchone()
                order = (sql.SQL(" ORDER BY {} DESC NULLS LAST").format(sql.Identifier(newest[0]))
                         if newest else sql.SQL(""))
                async with connection.transaction():
                    await connection.execute("SET LOCAL statement_timeout = '5s'")
                    rows = await (await connection.execute(
                        sql.SQL("SELECT value FROM {} WHERE identifier = %s{} LIMIT 1").format(name, order),
                        (identifier,))).fetchall()
                if not rows:
                    self.notes["database"] = f"{table} holds no row for {identifier}"
                    return None
                value = str(rows[0][0]).split(":", 1)[0]
                if not value.isalnum() or len(value) > 12:
                    self.notes["database"] = (f"{table} keeps the code hashed or encrypted (storeOTP): "
                                              "it cannot be read back")
                    return None
                self.ctx.masker.add([value])
                return value
            self.notes["database"] = f"no Better Auth verification table ({' or '.join(VERIFICATION_TABLES)})"
        except (psycopg.Error, InvalidDatabaseUrl, OSError, TimeoutError) as exc:
            self.notes["database"] = f"cannot read it: {self.ctx.mask(str(exc)) or type(exc).__name__}"
        return None

    async def _mailpit(self) -> str | None:
        import httpx

        base = self.mailpit_url()
        if base is None:
            self.notes["mailpit"] = "no Mailpit: set [auth.login] mailpit_url (supabase/config.toml names none)"
            return None
        if not _loopback(base):
            self.notes["mailpit"] = f"{base} is not on this machine: only a local Mailpit is read"
            return None
        try:
            # A client of its own: the app's session cookies are not Mailpit's business.
            async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as mailpit:
                return await self._mailpit_code(mailpit, base)
        except (httpx.HTTPError, ValueError, AttributeError, TimeoutError) as exc:
            self.notes["mailpit"] = f"{base}: {self.ctx.mask(str(exc)) or type(exc).__name__}"
        return None

    async def _mailpit_code(self, mailpit: httpx.AsyncClient, base: str) -> str | None:
        found = await asyncio.wait_for(mailpit.get(base + MAILPIT_SEARCH, params={"query": f'to:"{self.address}"'},
                                                   timeout=5.0), 5.0)
        if found.status_code != 200:
            self.notes["mailpit"] = f"{base}{MAILPIT_SEARCH} answered {found.status_code}"
            return None
        messages = found.json().get("messages") or []
        self.notes["mailpit"] = f"{base} holds no mail for the test address"
        for message in messages[:5]:
            body = await asyncio.wait_for(mailpit.get(
                base + MAILPIT_MESSAGE.format(id=quote(str(message.get("ID")), safe="")), timeout=5.0), 5.0)
            if body.status_code == 200:
                data = body.json()
                text = str(data.get("Text") or "")[:MAX_MESSAGE_BYTES]
                code = self._match(text + "\n" + _strip_html(str(data.get("HTML") or "")[:MAX_MESSAGE_BYTES]))
                if code:
                    return code
        return None

    async def _clerk_test(self) -> str | None:
        from checks.auth import CLERK_KEYS

        key = next((self.ctx.env.get(k, "") for k in CLERK_KEYS if self.ctx.env.get(k)), "")
        if not key.startswith("pk_test_"):
            self.notes["clerk-test"] = ("the Clerk publishable key is not a development (pk_test_) key: "
                                        "the fixed test code works only there")
            return None
        if "+clerk_test" not in self.address:
            self.notes["clerk-test"] = "the test address lacks +clerk_test (Clerk sends real mail otherwise)"
            return None
        return CLERK_TEST_CODE


# -- the sign-in ---------------------------------------------------------------------------------


async def sign_in(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                  sink: SmtpSink | None, allow_remote: bool = False) -> LoginFacts:
    address = run_email(login, server.run_id)
    facts = LoginFacts(email=address)
    assert server.facts.url is not None
    if not _loopback(server.facts.url) and not allow_remote:
        facts.not_run = (f"the app answers at {server.facts.url}, not on this machine: deploy-check signs "
                         "in only locally unless --allow-remote-login")
        return facts
    if login.otp_from == "clerk-test" or ctx.model.auth_provider == "clerk":
        from checks.auth import CLERK_KEYS

        if any(ctx.env.get(k, "").startswith("pk_live_") for k in CLERK_KEYS) and not allow_remote:
            facts.not_run = "the Clerk key is a production one (pk_live_): no test sign-in without --allow-remote-login"
            return facts
    if login.via in ("clerk", "supabase"):
        server.watch_codes(login.otp_pattern, address)
        try:
            if login.via == "clerk":
                from checks.clerk import clerk_sign_in

                await clerk_sign_in(ctx, server, client, login, facts)
            else:
                from checks.supabase_login import supabase_sign_in

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
        return await _sign_in(ctx, server, client, login, sink, facts, values, started, time.time())
    finally:
        server.watch_codes(None, "")


async def _sign_in(ctx: Context, server: DevServer, client: httpx.AsyncClient, login: Login,
                   sink: SmtpSink | None, facts: LoginFacts, values: dict[str, str], started: float,
                   since: float) -> LoginFacts:
    from checks.devserver import error_lines

    assert login.send and login.verify and login.session

    def broke(step: str, problem: str, lines: list[str], hint: str | None = None) -> LoginFacts:
        facts.failed_step, facts.problem, facts.hint = step, problem, hint
        facts.server_lines = (error_lines(lines) or lines)[:5]
        facts.elapsed_s = round(time.monotonic() - started, 3)
        return facts

    sources = _Sources(ctx, server, login, facts.email, sink, client)
    ctx.report_progress("AUTH003", f"requesting a code for {facts.email}")
    response, problem, lines = await _send(ctx, server, client, login.send, values)
    if response is None or response.status_code >= 400:
        said = problem or f"answered {response.status_code if response else '?'} {_said(response) if response else ''}"
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
    response, problem, lines = await _send(ctx, server, client, login.verify, {**values, "otp": _wrong(code)},
                                           refusal_expected=True)
    if response is None or not 400 <= response.status_code < 500:
        said = problem or (f"answered {response.status_code}" if response else "?")
        return broke("verify", f"{login.verify.method} {login.verify.path} {said} for a wrong code "
                               "(expected a 4xx refusal): the code is not checked", lines)
    values["otp"] = code
    response, problem, lines = await _send(ctx, server, client, login.verify, values)
    if response is None or response.status_code >= 400:
        said = problem or f"answered {response.status_code if response else '?'} {_said(response) if response else ''}"
        return broke("verify", f"{login.verify.method} {login.verify.path} {said.strip()} for the code from "
                               f"{facts.source}", lines)
    if not response.cookies and not _secret_fields(_json(response)):
        return broke("verify", f"{login.verify.method} {login.verify.path} answered {response.status_code} but "
                               "set no cookie and returned no token: no session was created", lines)
    if login.send == BETTER_AUTH_LOGIN["send"]:
        # Only a user this sign-in created is ever deleted (a user made by hand for an app
        # that allows no sign-up is not), and only once its session is proven to be it.
        not_deleting = _keeps_user(ctx, login, _json(response), facts.email, since)

        # A session exists from here on: it is ended after the run, whatever comes next.
        async def sign_out() -> None:
            # The test user is deleted where the app lets a user delete itself, which ends its
            # sessions; else better-auth src/api/routes/sign-out.ts: POST /api/auth/sign-out ends
            # the session. Its CSRF check wants the app's Origin on a POST that carries the cookie.
            origin = {"Origin": app_origin(ctx, server)}
            facts.deleted = not_deleting or ("" if facts.ok else "not deleted: its session was not proven to be it")
            if not facts.deleted:
                response, problem, _ = await _send(ctx, server, client, BETTER_AUTH_DELETE_USER, values,
                                                   refusal_expected=True, headers=origin)
                facts.deleted = _deletion(response, problem)
                if facts.deleted.startswith("deleted"):
                    facts.signed_out = "the session ended with the user"
                    return
            response, problem, _ = await _send(ctx, server, client, BETTER_AUTH_SIGN_OUT, values,
                                               refusal_expected=True, headers=origin)
            facts.signed_out = problem or (f"{BETTER_AUTH_SIGN_OUT.path} answered {response.status_code}"
                                           if response is not None else "no answer")

        facts.sign_out = sign_out
    response, problem, lines = await _send(ctx, server, client, login.session, values)
    if response is None or response.status_code >= 400:
        said = problem or f"answered {response.status_code if response else '?'}"
        return broke("session", f"{login.session.method} {login.session.path} {said.strip()}", lines)
    body = _json(response)
    if not body or facts.email.lower() not in json.dumps(body).lower():
        return broke("session", f"{login.session.method} {login.session.path} answered "
                                f"{'no session' if not body else 'a session for someone else'} after the "
                                "sign-in: the session cookie is not kept or not honoured", lines)
    # The same question without any cookie must not name the identity: a session route that
    # answers anyone proves no session at all.
    import httpx

    async with httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                 verify=not _loopback(server.facts.url or "")) as anonymous:
        response, problem, lines = await _send(ctx, server, anonymous, login.session, values)
    if response is None:
        return broke("session", f"{login.session.method} {login.session.path} without any cookie could not be "
                                f"asked ({problem}): that it refuses anyone else is not proven", lines)
    if facts.email.lower() in json.dumps(_json(response)).lower():
        return broke("session", f"{login.session.method} {login.session.path} names {facts.email} to a request "
                                "without any cookie: it does not read the session", lines)
    facts.ok = True
    facts.app_proof = f"{login.session.method} {login.session.path}"
    facts.elapsed_s = round(time.monotonic() - started, 3)
    return facts
