"""The one way deploy-check opens a PostgreSQL connection: bounded in time, never
echoing the password. Shared by the database and schema checks and provisioners."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from checks.core.context import Context
from checks.core.readings import Reading, schema_reading
from checks.support.pg import connect, resolve_hosts
from checks.support.pgurl import InvalidDatabaseUrl, parse_database_url, search_path_of_url

if TYPE_CHECKING:
    import psycopg
    import psycopg.conninfo


def url_var(ctx: Context) -> str:
    """The variable that holds the app's database URL, as messages name it."""
    reading = schema_reading(ctx)
    return reading.name if reading else ctx.model.database_var or "DATABASE_URL"


def database_url(ctx: Context) -> str:
    """The URL of the database the app uses (the schema's reading: checks/core/readings.py);
    "" when unset or when nothing names the database."""
    reading = schema_reading(ctx)
    return reading.value if reading else ""


def no_database_variable(ctx: Context) -> str:
    """What to say when nothing names the app's database, with what was looked for."""
    reading = schema_reading(ctx)
    if reading is not None and reading.unverified:
        return reading.unverified
    looked = ctx.model.database_var_why.removeprefix("nothing names the app's database: ")
    return f"no database variable found ({looked})"


def unset(reading: Reading) -> str:
    """"DATABASE_URL is empty", and where, for a sentence about the reading's value."""
    if reading.source:
        return f"{reading.name} is empty (in {reading.origin})"
    return f"{reading.name} is empty (not set in the process environment or {', '.join(reading.looked)})"


def database_timeout(ctx: Context) -> float:
    return ctx.config.database_timeout or ctx.timeout


async def open_connection(ctx: Context, *, autocommit: bool = True, dbname: str | None = None,
                          reading: Reading | None = None) -> psycopg.AsyncConnection[tuple[Any, ...]]:
    """A new connection to the app's database (for a provisioner's own transaction; checks use
    `shared_connection`). Name lookup and connection together are bounded by the database
    timeout, and the password joins `ctx.masker`. The caller closes it. Raises
    InvalidDatabaseUrl, TimeoutError or psycopg.OperationalError (mask its text with
    `ctx.mask`; `classify_error` names the kind). `dbname` connects to another database
    of the same server (DB005's scratch database); `reading` another of the app's database
    readings (the runtime's, checks/core/readings.py)."""
    reading = reading or schema_reading(ctx)
    if reading is None or reading.unverified:
        raise InvalidDatabaseUrl(no_database_variable(ctx))
    if not reading.value:
        raise InvalidDatabaseUrl(unset(reading))
    try:
        url = parse_database_url(reading.value)
    except InvalidDatabaseUrl as exc:
        raise InvalidDatabaseUrl(f"{reading.name} {exc}") from None  # a sentence with its subject
    if url.password and not reading.published_password:
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


def app_search_path(ctx: Context) -> list[str]:
    """The search_path the app's own connections use (its DATABASE_URL), so unqualified
    names are looked up where the app will look for them, not always in public."""
    try:
        return search_path_of_url(database_url(ctx))
    except ValueError:  # a URL urlsplit rejects (DB001 reports it): the server's default path
        return []
