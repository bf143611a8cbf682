"""DB002/DB003's facts: one connection attempt per run, what it reached, and the kind of
failure in words a user can act on."""

from __future__ import annotations

import asyncio
import enum
import re
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checks.core.context import Context
from checks.core.db import (
    database_timeout,
    open_connection,
    shared_connection,
    url_var,
)
from checks.core.readings import Reading, schema_reading
from checks.support.hosts import is_loopback
from checks.support.pgmessages import classify
from checks.support.pgurl import DatabaseUrl, InvalidDatabaseUrl, parse_database_url
from checks.support.placeholders import is_placeholder
from checks.support.resolve import resolves_other_names

if TYPE_CHECKING:
    import psycopg


# -- connection failures -------------------------------------------------------------
# Seconds for telling a missing host from a machine without DNS, after a name did not
# resolve (checks/support/resolve.py): a short bound, counted in DB002's budget per reading.
DNS_PROBE = 2.0


class ErrorKind(enum.StrEnum):
    AUTH_FAILED = "auth_failed"
    NOT_ALLOWED = "not_allowed"
    DATABASE_MISSING = "database_missing"
    REFUSED = "refused"
    UNRESOLVABLE = "unresolvable"  # while other names resolve: the host is missing
    NO_DNS = "no_dns"  # nor does any other name: this machine resolves none
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS_REQUIRED = "tls_required"
    TLS_UNAVAILABLE = "tls_unavailable"
    TLS_CERTIFICATE = "tls_certificate"
    NOT_POSTGRES = "not_postgres"
    OTHER = "other"



def classify_error(text: str) -> ErrorKind:
    for kind, pattern in ERROR_PATTERNS:
        if pattern.search(text):
            return kind
    # A server with a non-English lc_messages: its catalog's words (checks/support/pgmessages.py).

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



async def _probe(connection: psycopg.AsyncConnection[tuple[Any, ...]]) -> float:
    """Median of three `SELECT 1` round trips, in ms."""
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        await connection.execute("SELECT 1")
        rounds.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(rounds), 2)



async def collect_facts(ctx: Context, reading: Reading | None = None) -> DatabaseFacts:
    """The facts of the app's database (the schema's reading), or of another of its
    readings (the runtime's, on a connection of its own, closed at the end of the run)."""
    import psycopg  # start-up: only runs that reach a database load psycopg

    timeout = database_timeout(ctx)
    shared = reading is None
    reading = reading or schema_reading(ctx)
    raw = reading.value if reading else ""
    name = reading.name if reading else url_var(ctx)
    try:
        url = parse_database_url(raw) if raw and not is_placeholder(raw) else None
    except InvalidDatabaseUrl as exc:
        return DatabaseFacts(timeout, url_problem=f"{name} {exc}")
    if url is None:
        state = "is a placeholder" if raw else "is not set"
        return DatabaseFacts(timeout, url_problem=f"{name} {state}")
    ctx.report_progress("DB002", f"connecting to {url.target}")
    started = time.perf_counter()
    try:
        if shared:
            connection = await shared_connection(ctx)
        else:
            connection = await open_connection(ctx, reading=reading)
            ctx.add_cleanup(connection.close)
    except TimeoutError:
        return DatabaseFacts(timeout, url, error_kind=ErrorKind.TIMEOUT,
                             error=f"no answer within {timeout:g} s")
    except InvalidDatabaseUrl as exc:  # the value changed between the two parses: unlikely
        return DatabaseFacts(timeout, url_problem=f"{name} {exc}")
    except (psycopg.Error, OSError) as exc:
        text = ctx.mask(str(exc))
        kind = classify_error(text)
        if kind is ErrorKind.UNRESOLVABLE and not await resolves_other_names(url.host, min(timeout, DNS_PROBE)):
            kind = ErrorKind.NO_DNS
        return DatabaseFacts(timeout, url, error_kind=kind, error=text)
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


async def reading_facts(ctx: Context, index: int, reading: Reading) -> DatabaseFacts:
    """The facts of the app's `index`th database reading (0: the schema's, on the run's
    shared connection)."""
    if index == 0:
        return await database_facts(ctx)
    return await ctx.fact(f"database.{index}", lambda: collect_facts(ctx, reading))


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
