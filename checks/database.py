"""Database family: DATABASE_URL is a real connection string (DB001), the database
answers (DB002), and a remote one is reached over TLS (DB003).

One connection attempt per run yields a `DatabaseFacts` (gathered once through
`ctx.fact`); DB002 and DB003 are pure judgements of it.

For the schema family: `await shared_connection(ctx)` is the run's one live autocommit
connection (the same one DB002 judged; closed at the end of the run); declare
`needs=("DB002",)` so a failed connection skips the check with the reason.
`await open_connection(ctx, autocommit=False)` opens a separate one for a provisioner's
transaction. Both bound name lookup + connect by the database timeout and register the
password with `ctx.masker`.

psycopg is imported inside the functions that need it: an env-only run never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import ipaddress
import re
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from checks.context import Context
from checks.env import is_placeholder
from checks.hosts import is_loopback
from checks.model import Outcome, Spec, failed, passed, skipped, unverified, warned
from checks.pg import connect, database_timeout, database_url, url_var
from checks.registry import check
from checks.secrets import Masker

if TYPE_CHECKING:
    import psycopg

FIX_LOCAL_DB = "deploy-check provision local-db"
CONSOLE_HINT = ("copy the connection string from your provider's console (Neon: project "
                "dashboard → Connect; Supabase: Connect → Connection string)")

DB001 = Spec(
    "DB001", "database", "DATABASE_URL is a real PostgreSQL connection string",
    "The app reaches its database through DATABASE_URL (the name is `[database] url_var`). "
    "It must be set, be a postgres:// or postgresql:// URL with a host (or socket) and a "
    "database name, and not be a placeholder copied from docs.",
    f"For a real deployment, {CONSOLE_HINT}; for local development run "
    f"`{FIX_LOCAL_DB}`.",
    FIX_LOCAL_DB,
)
DB002 = Spec(
    "DB002", "database", "The database accepts a connection",
    "deploy-check connects with DATABASE_URL as the app would (psycopg/libpq) within the "
    "database timeout, and reports the server version, the round-trip latency and whether "
    "TLS is in use. Each way of failing (authentication, missing database, refused, "
    "unresolvable host, timeout, TLS required) is named with its own hint.",
    "Fix DATABASE_URL or the server so that the connection succeeds.",
)
DB003 = Spec(
    "DB003", "database", "A remote database is reached over TLS",
    "A database that is not on this machine (not loopback) must be reached over TLS: the "
    "password and every row otherwise cross the network in clear text, and managed "
    "PostgreSQL (Neon, Supabase) refuses such connections. A loopback or unix-socket "
    "connection without TLS is fine.",
    "Add `?sslmode=require` (or verify-full) to DATABASE_URL. If this is a private network "
    "you trust (docker compose), waive DB003 in deploy-check.toml with the reason.",
)


# -- DATABASE_URL --------------------------------------------------------------------
class InvalidDatabaseUrl(ValueError):
    """DATABASE_URL cannot be used; the message never contains the password."""


SCHEMES = ("postgres", "postgresql")
# libpq sslmode values that make the client insist on TLS
# (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION).
TLS_REQUIRING_SSLMODES = ("require", "verify-ca", "verify-full")


@dataclass(frozen=True)
class DatabaseUrl:
    scheme: str
    user: str
    hosts: tuple[str, ...]
    ports: tuple[int, ...]
    database: str
    sslmode: str | None
    conninfo: str = field(repr=False)  # the URL less the parameters libpq does not know
    password: str = field(default="", repr=False)
    ignored_parameters: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return ",".join(self.hosts)

    @property
    def socket(self) -> bool:
        return all(host.startswith("/") for host in self.hosts)

    @property
    def target(self) -> str:
        """host:port/database, for messages."""
        ports = ",".join(map(str, self.ports)) or "5432"
        where = self.host if self.socket else f"{self.host}:{ports}"
        return f"{where}/{self.database}"

    @property
    def display(self) -> str:
        """The URL without its password, for messages."""
        user = f"{self.user}@" if self.user else ""
        query = f"?sslmode={self.sslmode}" if self.sslmode else ""
        return f"{self.scheme}://{user}{self.target}{query}"


@functools.cache
def libpq_keywords() -> frozenset[str]:
    """Every connection parameter this libpq knows (PQconndefaults)."""
    from psycopg import pq

    return frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())


def _without_unknown_parameters(url: str) -> tuple[str, tuple[str, ...]]:
    """Drop query parameters libpq would reject ("invalid URI query parameter") but
    the app's driver ignores or uses itself: Prisma's `pgbouncer`, `connection_limit`,
    `schema`, node-postgres's `uselibpqcompat`..."""
    head, question, rest = url.partition("?")
    if not question:
        return url, ()
    query, hash_, fragment = rest.partition("#")
    kept: list[str] = []
    ignored: list[str] = []
    for part in query.split("&"):
        if not part:
            continue
        key = unquote(part.partition("=")[0])
        if key in libpq_keywords():
            kept.append(part)
        else:
            ignored.append(key)
    rebuilt = head + (f"?{'&'.join(kept)}" if kept else "") + (hash_ + fragment if hash_ else "")
    return rebuilt, tuple(ignored)


def parse_database_url(url: str) -> DatabaseUrl:
    """What DB001 accepts, parsed by libpq itself (what DB002 connects with).
    Raises InvalidDatabaseUrl with a message that names the problem, never the password."""
    url = url.strip()
    if "://" not in url:
        if re.search(r"\b(host|dbname|user)\s*=", url):
            raise InvalidDatabaseUrl("is a libpq keyword string, not a URL: Node drivers need "
                                     "postgresql://user:password@host:5432/dbname")
        raise InvalidDatabaseUrl("is not a URL (expected postgresql://user:password@host:5432/dbname)")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise InvalidDatabaseUrl(f"has the scheme {scheme!r}, not postgres:// or postgresql://")
    parts = urlsplit(url)
    # An '@' after the authority, or two in it: the password holds an unencoded '@', '/',
    # '?' or '#', and drivers would split the URL in the middle of it.
    if parts.netloc.count("@") > 1 or "@" in parts.path + parts.query + parts.fragment:
        raise InvalidDatabaseUrl("has an unencoded '@', '/', '?' or '#' in its user or password "
                                 "part: percent-encode them (%40, %2F, %3F, %23)")
    conninfo, ignored = _without_unknown_parameters(url)
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo)
    except Error as exc:
        # libpq quotes the offending token, which may be the password itself.
        password = parts.password or ""
        reason = Masker([password, unquote(password)])(str(exc).strip())
        raise InvalidDatabaseUrl(f"cannot be parsed by libpq: {reason}") from None
    host_list = str(params.get("host") or params.get("hostaddr") or "")
    hosts = tuple(host for host in host_list.split(",") if host)
    if not hosts:
        raise InvalidDatabaseUrl("names no host (expected …@host:5432/dbname, "
                                 "or ?host=/socket/dir)")
    ports: list[int] = []
    for port in str(params.get("port") or "").split(","):
        if not port:
            continue
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidDatabaseUrl(f"has the port {port!r}, not a number from 1 to 65535")
        ports.append(int(port))
    database = str(params.get("dbname") or "")
    if not database:
        raise InvalidDatabaseUrl("names no database (add /dbname after the host)")
    sslmode = params.get("sslmode")
    return DatabaseUrl(
        scheme=scheme, user=str(params.get("user") or ""), hosts=hosts, ports=tuple(ports),
        database=database, sslmode=str(sslmode) if sslmode else None, conninfo=conninfo,
        password=str(params.get("password") or ""), ignored_parameters=ignored,
    )


# -- connection failures -------------------------------------------------------------
class ErrorKind(enum.StrEnum):
    AUTH_FAILED = "auth_failed"
    NOT_ALLOWED = "not_allowed"
    DATABASE_MISSING = "database_missing"
    REFUSED = "refused"
    UNRESOLVABLE = "unresolvable"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS_REQUIRED = "tls_required"
    TLS_UNAVAILABLE = "tls_unavailable"
    TLS_CERTIFICATE = "tls_certificate"
    NOT_POSTGRES = "not_postgres"
    OTHER = "other"


# psycopg reports connection failures as OperationalError without a SQLSTATE, so the
# kind comes from the message text: libpq's (fe-connect.c, fe-secure-openssl.c), the
# server's (auth.c, postinit.c), psycopg's own (_conninfo_attempts_async.py,
# connection_async.py) and Neon's proxy ("connection is insecure"). First match wins:
# when several hosts/addresses were tried, the most specific failure names the problem.
ERROR_PATTERNS: tuple[tuple[ErrorKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        (ErrorKind.TLS_UNAVAILABLE, r"server does not support SSL, but SSL was required"),
        (ErrorKind.TLS_CERTIFICATE, r"certificate verify failed"
                                    r"|root certificate file .* does not exist"
                                    r"|server certificate for .* does not match host name"
                                    r"|could not (read|load) root certificate"),
        (ErrorKind.TLS_REQUIRED, r"no pg_hba\.conf entry for .*(no encryption|SSL off)"
                                 r"|connection is insecure|SSL connection is required"
                                 r"|(SSL|TLS|encryption) (is )?required"),
        (ErrorKind.NOT_POSTGRES, r"received invalid response to SSL negotiation"
                                 r"|expected authentication request from server"
                                 r"|invalid (length of )?startup packet"),
        (ErrorKind.AUTH_FAILED, r"password authentication failed|authentication failed for user"
                                r"|role \".*\" does not exist|no password supplied"
                                r"|password is required|SCRAM authentication"),
        (ErrorKind.NOT_ALLOWED, r"no pg_hba\.conf entry|pg_hba\.conf rejects connection"),
        (ErrorKind.DATABASE_MISSING, r"database \".*\" does not exist"),
        (ErrorKind.REFUSED, r"connection refused"),
        (ErrorKind.UNRESOLVABLE, r"could not translate host name|failed to resolve host"
                                 r"|name or service not known|nodename nor servname"
                                 r"|temporary failure in name resolution|no address associated"),
        (ErrorKind.UNREACHABLE, r"network is unreachable|no route to host|host is unreachable"),
        (ErrorKind.TIMEOUT, r"timeout expired|timed out"),
    )
)


def classify_error(text: str) -> ErrorKind:
    for kind, pattern in ERROR_PATTERNS:
        if pattern.search(text):
            return kind
    # A server with a non-English lc_messages: its catalog's words (checks/pgmessages.py).
    from checks.pgmessages import classify

    translated = classify(text)
    return ErrorKind(translated) if translated else ErrorKind.OTHER


def _server_reason(text: str) -> str:
    """libpq's own words without psycopg's 'connection failed: connection to server at
    …, port … failed:' prefix, on one line."""
    first = text.strip().split("\nMultiple connection attempts failed", 1)[0]
    first = re.sub(r"^connection failed:\s*", "", first)
    first = re.sub(r'^connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed:\s*',
                   "", first)
    return " ".join(re.sub(r"\b(FATAL|ERROR):", "", first).split())


# -- facts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DatabaseFacts:
    """One connection attempt, as plain data. `url_problem` set: none was made."""

    timeout: float
    url: DatabaseUrl | None = None
    url_problem: str | None = None
    reachable: bool = False
    error_kind: ErrorKind | None = None
    error: str = ""  # the library's text, masked
    server_version: str | None = None
    connect_ms: float | None = None
    latency_ms: float | None = None
    tls: bool | None = None
    hostaddr: str | None = None  # the address actually connected to
    is_loopback: bool | None = None

    def details(self) -> dict[str, Any]:
        url = self.url
        found: dict[str, Any] = {
            "host": url.host if url else None,
            "port": url.ports[0] if url and url.ports else None,
            "database": url.database if url else None,
            "user": url.user if url else None,
            "sslmode": url.sslmode if url else None,
            "timeout_s": self.timeout,
        }
        if self.reachable:
            found.update(server_version=self.server_version, latency_ms=self.latency_ms,
                         connect_ms=self.connect_ms, tls=self.tls, hostaddr=self.hostaddr,
                         loopback=self.is_loopback)
        elif self.error_kind is not None:
            found.update(error_kind=self.error_kind.value, error=self.error)
        if url and url.ignored_parameters:
            found["ignored_parameters"] = list(url.ignored_parameters)
        return found


async def _lookup(host: str, port: int, timeout: float) -> list[str]:
    """getaddrinfo in a daemon thread. psycopg resolves in the event loop's default
    executor, whose threads asyncio.run() joins at exit: a resolver hanging past the
    timeout would hold up the whole run. A daemon thread is simply left behind."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[list[str]] = loop.create_future()

    def deliver(addresses: list[str] | None, error: OSError | None) -> None:
        if answer.done():
            return  # timed out already
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(addresses or [])

    def work() -> None:
        addresses: list[str] | None = None
        error: OSError | None = None
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       proto=socket.IPPROTO_TCP)
            addresses = list(dict.fromkeys(str(entry[4][0]) for entry in found))
        except OSError as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(deliver, addresses, error)

    threading.Thread(target=work, name=f"resolve {host}", daemon=True).start()
    try:
        return await asyncio.wait_for(answer, timeout)
    except TimeoutError:
        raise OSError(f"no answer from the resolver within {timeout:g} s") from None


async def resolve_hosts(conninfo: str, timeout: float) -> str:
    """`conninfo` with its host names resolved into `hostaddr`, one attempt per address as
    psycopg itself does (psycopg/_conninfo_attempts_async.py), but bounded; libpq still
    uses `host` for TLS verification and SNI. Sockets, IP addresses and an explicit
    hostaddr are left to libpq."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(conninfo)
    hosts = str(params.get("host") or "").split(",")
    if params.get("hostaddr") or not all(hosts) or any(
            host.startswith("/") or _is_ip_address(host) for host in hosts):
        return conninfo
    ports = str(params.get("port") or "").split(",")
    if len(ports) == 1:
        ports *= len(hosts)
    attempts: list[tuple[str, str, str]] = []
    failure = ""
    for host, port in zip(hosts, ports, strict=False):
        try:
            found = await _lookup(host, int(port or 5432), timeout)
        except OSError as exc:
            failure = f"failed to resolve host {host!r}: {exc}"
            continue
        attempts += [(host, address, port) for address in found]
    if not attempts:
        raise psycopg.OperationalError(failure)
    extra = {"host": ",".join(a[0] for a in attempts), "hostaddr": ",".join(a[1] for a in attempts)}
    if any(a[2] for a in attempts):
        extra["port"] = ",".join(a[2] for a in attempts)
    return make_conninfo(conninfo, **extra)


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


async def open_connection(ctx: Context, *, autocommit: bool = True,
                          dbname: str | None = None) -> psycopg.AsyncConnection[tuple[Any, ...]]:
    """A new connection to DATABASE_URL (for a provisioner's own transaction; checks use
    `shared_connection`). Name lookup and connection together are bounded by the database
    timeout, and the password joins `ctx.masker`. The caller closes it. Raises
    InvalidDatabaseUrl, TimeoutError or psycopg.OperationalError (mask its text with
    `ctx.mask`; `classify_error` names the kind). `dbname` connects to another database
    of the same server (DB005's scratch database)."""
    url = parse_database_url(database_url(ctx))
    if url.password:
        ctx.masker.add([url.password])
    timeout = database_timeout(ctx)
    started = time.monotonic()
    conninfo = await resolve_hosts(url.conninfo, timeout)
    remaining = max(0.1, timeout - (time.monotonic() - started))
    return await connect(conninfo, remaining, autocommit=autocommit, dbname=dbname)


async def shared_connection(ctx: Context) -> psycopg.AsyncConnection[tuple[Any, ...]]:
    """The run's one autocommit connection to DATABASE_URL, opened on first use (by
    DB002's facts or whichever check comes first) and closed when the run ends. Raises as
    `open_connection` does, the same exception for every caller."""

    async def open_shared() -> psycopg.AsyncConnection[tuple[Any, ...]]:
        connection = await open_connection(ctx)
        ctx.add_cleanup(connection.close)
        return connection

    return await ctx.fact("database.connection", open_shared)


async def _probe(connection: psycopg.AsyncConnection[tuple[Any, ...]]) -> float:
    """Median of three `SELECT 1` round trips, in ms."""
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        await connection.execute("SELECT 1")
        rounds.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(rounds), 2)


async def collect_facts(ctx: Context) -> DatabaseFacts:
    import psycopg

    timeout = database_timeout(ctx)
    raw = database_url(ctx)
    try:
        url = parse_database_url(raw) if raw and not is_placeholder(raw) else None
    except InvalidDatabaseUrl as exc:
        return DatabaseFacts(timeout, url_problem=f"{url_var(ctx)} {exc}")
    if url is None:
        state = "is a placeholder" if raw else "is not set"
        return DatabaseFacts(timeout, url_problem=f"{url_var(ctx)} {state}")
    ctx.report_progress("DB002", f"connecting to {url.target}")
    started = time.perf_counter()
    try:
        connection = await shared_connection(ctx)
    except TimeoutError:
        return DatabaseFacts(timeout, url, error_kind=ErrorKind.TIMEOUT,
                             error=f"no answer within {timeout:g} s")
    except InvalidDatabaseUrl as exc:  # the value changed between the two parses: unlikely
        return DatabaseFacts(timeout, url_problem=f"{url_var(ctx)} {exc}")
    except (psycopg.Error, OSError) as exc:
        text = ctx.mask(str(exc))
        return DatabaseFacts(timeout, url, error_kind=classify_error(text), error=text)
    connect_ms = round((time.perf_counter() - started) * 1000, 1)
    try:
        latency_ms: float | None = await asyncio.wait_for(_probe(connection), timeout)
    except (TimeoutError, psycopg.Error):
        latency_ms = None  # connected is what DB002 asks; a failed probe only loses a number
    hostaddr = connection.info.hostaddr or None
    return DatabaseFacts(
        timeout, url, reachable=True,
        server_version=connection.info.parameter_status("server_version"),
        connect_ms=connect_ms, latency_ms=latency_ms, tls=connection.pgconn.ssl_in_use,
        hostaddr=hostaddr, is_loopback=is_loopback(hostaddr or connection.info.host),
    )


async def database_facts(ctx: Context) -> DatabaseFacts:
    return await ctx.fact("database", lambda: collect_facts(ctx))


def _budget(ctx: Context) -> float:
    # The connection and the latency probe are each bounded by the database timeout;
    # the runner's limit must not cut our own, better-worded timeout short.
    return 2 * database_timeout(ctx) + 2


# -- DB001 -----------------------------------------------------------------------------
def _in(source: str | None) -> str:
    return "the process environment" if source == "process environment" else str(source)


@check(DB001)
def url_is_real(ctx: Context) -> Outcome:
    if ctx.model.database_var is None:
        # Checking a variable the app never reads would prove nothing about its database.
        return unverified(f"database: {ctx.model.database_var_why}",
                          "set [database] url_var in deploy-check.toml if the app has a database")
    name = url_var(ctx)
    raw = database_url(ctx)
    source = ctx.source_of(name)
    if not raw:
        looked = ", ".join(ctx.rel(f.path) for f in ctx.env_files) or ctx.rel(ctx.env_path)
        where = (f"empty in {_in(source)}" if source
                 else f"neither in the process environment nor in {looked}")
        return failed(f"{name} is not set ({where})", variable=name, source=source)
    if is_placeholder(raw):
        return failed(f"{name} in {_in(source)} is a placeholder copied from docs, "
                      "not a connection string", variable=name, source=source)
    try:
        url = parse_database_url(raw)
    except InvalidDatabaseUrl as exc:
        return failed(f"{name} in {_in(source)} {exc}", variable=name, source=source)
    if url.password:
        ctx.masker.add([url.password])
    ignored = list(url.ignored_parameters)
    extra = f"; ignoring {', '.join(ignored)} (not libpq parameters)" if ignored else ""
    return passed(f"{name} (from {_in(source)}; {ctx.model.database_var_why}) points to "
                  f"{url.display}{extra}", variable=name, source=source, host=url.host,
                  port=url.ports[0] if url.ports else None, database=url.database,
                  user=url.user, sslmode=url.sslmode, ignored_parameters=ignored)


# -- DB002 -----------------------------------------------------------------------------
# What DB002 says for each way of failing: (message, hint). Fields: target
# (host:port/db), user, database, host, sslmode, timeout, reason (the server's words).
FAILURES: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.AUTH_FAILED: (
        "{target}: authentication failed for user {user!r} ({reason})",
        f"The user or password in DATABASE_URL is wrong or was rotated: {CONSOLE_HINT}."),
    ErrorKind.NOT_ALLOWED: (
        "{target}: the server does not let user {user!r} connect from here ({reason})",
        "The server's access rules (pg_hba.conf, IP allow-list) reject this client: allow it "
        "in the provider's settings."),
    ErrorKind.DATABASE_MISSING: (
        "{target}: database {database!r} does not exist on the server",
        "Create it (createdb, or in the provider's console) or fix the database name at the "
        "end of DATABASE_URL."),
    ErrorKind.REFUSED: (
        "{target}: connection refused, nothing listens on that port",
        f"Is PostgreSQL running there, on that port? For local development `{FIX_LOCAL_DB}` "
        "starts one."),
    ErrorKind.UNRESOLVABLE: (
        "host name {host!r} does not resolve ({reason})",
        "Check the host in DATABASE_URL for a typo; a deleted Neon endpoint or Supabase "
        "project stops resolving; check DNS or the VPN."),
    ErrorKind.UNREACHABLE: (
        "{target}: the network cannot reach the host ({reason})",
        "Check the network, VPN or firewall between this machine and the database."),
    ErrorKind.TIMEOUT: (
        "{target}: no answer within {timeout:g} s",
        "A firewall may drop the traffic, or the server is overloaded or far away; raise "
        "`[database] timeout` or --timeout if it is merely slow."),
    ErrorKind.TLS_REQUIRED: (
        "{target}: the server requires TLS and the connection did not use it ({reason})",
        "Add ?sslmode=require to DATABASE_URL (Neon and Supabase require TLS)."),
    ErrorKind.TLS_UNAVAILABLE: (
        "{target}: DATABASE_URL requires TLS (sslmode={sslmode}) but the server does not offer it",
        "Enable TLS on the server; drop sslmode=require only for a server on this machine."),
    ErrorKind.TLS_CERTIFICATE: (
        "{target}: the server's TLS certificate was not accepted ({reason})",
        "With sslmode=verify-full or verify-ca, point sslrootcert at the provider's CA (or "
        "sslrootcert=system), or use sslmode=require."),
    ErrorKind.NOT_POSTGRES: (
        "{target}: something answers there, but not PostgreSQL ({reason})",
        "The host or port in DATABASE_URL points at another service: check the port."),
    ErrorKind.OTHER: (
        "{target}: could not connect ({reason})",
        "Read the server's message; check DATABASE_URL and the server."),
}


def judge_reachable(facts: DatabaseFacts) -> Outcome:
    if facts.url_problem is not None:
        return skipped(f"not run: {facts.url_problem} (see DB001)", blocked_by="DB001")
    details = facts.details()
    url = facts.url
    assert url is not None
    if not facts.reachable:
        kind = facts.error_kind or ErrorKind.OTHER
        message, hint = FAILURES[kind]
        local = all(is_loopback(host) for host in url.hosts)
        fix = FIX_LOCAL_DB if kind is ErrorKind.REFUSED and local else None
        return failed(message.format(target=url.target, user=url.user, database=url.database,
                                     host=url.host, sslmode=url.sslmode, timeout=facts.timeout,
                                     reason=_server_reason(facts.error)),
                      hint=hint, fix=fix, **details)
    latency = ("no round trip" if facts.latency_ms is None
               else f"{facts.latency_ms:g} ms round trip")
    return passed(
        f"connected to PostgreSQL {facts.server_version} at {url.target} as {url.user!r} in "
        f"{facts.connect_ms:g} ms ({latency}, TLS {'on' if facts.tls else 'off'})",
        **details,
    )


@check(DB002, needs=("DB001",), budget=_budget)
async def database_reachable(ctx: Context) -> Outcome:
    return judge_reachable(await database_facts(ctx))


# -- DB003 -----------------------------------------------------------------------------
def judge_tls(facts: DatabaseFacts) -> Outcome:
    if facts.url_problem is not None:
        return skipped(f"not run: {facts.url_problem} (see DB001)", blocked_by="DB001")
    if not facts.reachable or facts.url is None:
        return skipped("not run: no connection to judge (see DB002)", blocked_by="DB002")
    url = facts.url
    where = facts.hostaddr if facts.hostaddr and facts.hostaddr != url.host else None
    host = f"{url.host} ({where})" if where else url.host
    details: dict[str, Any] = {"host": url.host, "hostaddr": facts.hostaddr, "tls": facts.tls,
                               "loopback": facts.is_loopback, "sslmode": url.sslmode}
    if facts.tls:
        if not facts.is_loopback and url.sslmode not in TLS_REQUIRING_SSLMODES:
            return warned(
                f"TLS is in use to {host}, but DATABASE_URL does not require it "
                f"(sslmode={url.sslmode or 'unset'}): node-postgres and other drivers that do not "
                "negotiate TLS by themselves would connect in clear text",
                hint="Add ?sslmode=require (or verify-full) to DATABASE_URL.", **details)
        return passed(f"TLS in use to {host}", **details)
    if facts.is_loopback:
        kind = "a unix socket" if url.socket else "loopback"
        return passed(f"{host} is {kind}: no TLS, and none needed (the traffic never leaves this "
                      "machine)", **details)
    return failed(f"{host} is not loopback and the connection does not use TLS: the password and "
                  "data cross the network in clear text", **details)


@check(DB003, needs=("DB001",), budget=_budget)
async def remote_uses_tls(ctx: Context) -> Outcome:
    return judge_tls(await database_facts(ctx))
