"""Prisma Migrate's history exactly as its schema engine keeps it.

prisma-engines schema-engine/connectors/sql-schema-connector (postgres flavour): table
`_prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL,
finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at
TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER
NOT NULL DEFAULT 0)` in the datasource's schema (`?schema=`, default public); a migration
is `prisma/migrations/<timestamp>_<name>/migration.sql`, applied in folder-name order; its
row: a v4 UUID, checksum = sha256 hex of the script, finished_at and applied_steps_count = 1
once it succeeded. `migrate deploy` treats a row with finished_at and rolled_back_at both
NULL as failed and stops; a rolled-back row does not count as applied.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from checks.migrations.base import HistoryFacts, HistoryTable, Migration, compare_by_key
from checks.support.files import SCHEMA_LIMIT

CREATE = """CREATE TABLE IF NOT EXISTS {} (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)"""


def checksum(path: Path) -> str:
    """sha256 hex of the script's bytes (schema-connector checksum.rs)."""

    data = path.read_bytes()
    if len(data) > SCHEMA_LIMIT:
        raise OSError(f"{path.parent.name}/migration.sql is over the size limit")
    return hashlib.sha256(data).hexdigest()


class Prisma(HistoryTable):
    tool = "prisma"
    apply_command = "npx prisma migrate deploy"
    reads = frozenset({"migration_name", "checksum", "finished_at", "rolled_back_at", "started_at"})
    name = "_prisma_migrations"

    def __init__(self, schema: str = "") -> None:
        self.schema = schema  # "" : the search_path's first schema, as Prisma's ?schema= sets it

    async def before_apply(self, connection: Any) -> None:
        # Prisma Migrate creates the schema its URL names (?schema=) before migrating into it.
        await self._create_schema(connection)

    def migrations(self, folder: Path) -> list[Migration]:
        found = [Migration(p.parent.name, p, p.parent.name, checksum(self.inside(folder, p)))
                 for p in self.listed(folder, "*/migration.sql")]
        return sorted(found, key=lambda m: m.name)

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        facts = await self._start(connection, migrations)
        if not facts.readable:
            return facts
        rows = await (await connection.execute(sql.SQL(
            "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at IS NOT NULL "
            "FROM {} ORDER BY started_at").format(self._identifier()))).fetchall()
        recorded: dict[str, str | None] = {}
        for name, digest, finished, rolled_back in rows:
            if rolled_back:
                continue
            if not finished:
                facts.failed.append(f"{name} (started, never finished: `npx prisma migrate resolve`)")
                continue
            recorded[str(name)] = str(digest)
        compare_by_key(facts, migrations, recorded)
        failed = {f.split(" ")[0] for f in facts.failed}
        facts.pending = [m for m in facts.pending if m.name not in failed]
        return facts

    async def record(self, connection: Any, applied: list[Migration]) -> None:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        await self._create_schema(connection)
        await connection.execute(sql.SQL(CREATE).format(self._identifier()))
        if applied:
            async with connection.cursor() as cursor:
                await cursor.executemany(sql.SQL(
                    "INSERT INTO {} (id, checksum, finished_at, migration_name, logs, rolled_back_at, "
                    "started_at, applied_steps_count) VALUES (%s, %s, now(), %s, NULL, NULL, now(), 1)"
                ).format(self._identifier()), [(str(uuid.uuid4()), m.checksum, m.name) for m in applied])
