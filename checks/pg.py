"""The one way deploy-check opens a PostgreSQL connection: bounded in time, never
echoing the password. Shared by the database and schema checks and provisioners."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from checks.context import Context

if TYPE_CHECKING:
    import psycopg
    import psycopg.conninfo


def url_var(ctx: Context) -> str:
    """The variable that holds the app's database URL, as messages name it."""
    return ctx.model.database_var or "DATABASE_URL"


def database_url(ctx: Context) -> str:
    """The URL the app would use; "" when unset or when nothing names the database."""
    name = ctx.model.database_var
    return ctx.value(name) if name else ""


def database_timeout(ctx: Context) -> float:
    return ctx.config.database_timeout or ctx.timeout


async def connect(url: str, timeout: float, *, autocommit: bool = True,
                  dbname: str | None = None) -> psycopg.AsyncConnection[tuple[object, ...]]:
    """Open an async connection; the whole attempt (DNS, TCP, TLS, auth) is bounded
    by `timeout`. libpq's own connect_timeout has a 2 s floor and counts per host."""
    import psycopg

    # Keyword parameters override the URL's (psycopg.conninfo.make_conninfo).
    conninfo = psycopg.conninfo.make_conninfo(
        url, connect_timeout=max(2, int(timeout + 0.999)), **({"dbname": dbname} if dbname else {})
    )
    return await asyncio.wait_for(
        psycopg.AsyncConnection.connect(conninfo, autocommit=autocommit), timeout
    )
