"""Where the one-time code comes from, each source local and none mailing anyone: the dev
server's own output, the SMTP sink, a local Mailpit, Better Auth's `verification` row
(read-only), Clerk's fixed test code."""

from __future__ import annotations

import asyncio
import contextlib
import time
import tomllib
from typing import TYPE_CHECKING
from urllib.parse import quote

from checks.core.db import shared_connection
from checks.project.config import Login, compile_user_pattern
from checks.runtime.signin.facts import is_local_url
from checks.runtime.signin.providers import CLERK_KEYS
from checks.runtime.signin.sink import MAX_MESSAGE_BYTES, SmtpSink, _strip_html
from checks.support.files import CONFIG_LIMIT, read_text
from checks.support.pgurl import InvalidDatabaseUrl

if TYPE_CHECKING:
    import httpx

    from checks.core.context import Context
    from checks.runtime.process import DevServer


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



async def poll_until(sources: CodeSources, deadline: float) -> tuple[str, str] | None:
    """One round of the code sources, cut off at the deadline (a slow Mailpit or database
    must not stretch the wait beyond code_timeout)."""
    try:
        return await asyncio.wait_for(sources.poll(), max(0.05, deadline - time.monotonic()))
    except TimeoutError:
        return None



class CodeSources:
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
        import psycopg  # start-up: only runs that reach a database load psycopg


        identifier = VERIFICATION_IDENTIFIER.format(email=self.address.lower())
        try:
            connection = await shared_connection(self.ctx)
            for table in VERIFICATION_TABLES:
                row = await (await connection.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))).fetchone()
                if not (row and row[0]):
                    continue
                from psycopg import sql  # start-up: only runs that reach a database load psycopg

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
        import httpx  # start-up: only runs that make a request load httpx

        base = self.mailpit_url()
        if base is None:
            self.notes["mailpit"] = "no Mailpit: set [auth.login] mailpit_url (supabase/config.toml names none)"
            return None
        if not is_local_url(base):
            self.notes["mailpit"] = f"{base} is not on this machine: only a local Mailpit is read"
            return None
        try:
            # A client of its own: the app's session cookies are not Mailpit's business.
            async with httpx.AsyncClient(event_hooks=self.ctx.response_hooks(), follow_redirects=False, trust_env=False) as mailpit:
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
        key = next((self.ctx.env.get(k, "") for k in CLERK_KEYS if self.ctx.env.get(k)), "")
        if not key.startswith("pk_test_"):
            self.notes["clerk-test"] = ("the Clerk publishable key is not a development (pk_test_) key: "
                                        "the fixed test code works only there")
            return None
        if "+clerk_test" not in self.address:
            self.notes["clerk-test"] = "the test address lacks +clerk_test (Clerk sends real mail otherwise)"
            return None
        return CLERK_TEST_CODE
