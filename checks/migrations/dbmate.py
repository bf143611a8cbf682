r"""dbmate's history exactly as dbmate keeps it.

dbmate pkg/dbmate/migration.go: a migration file is `<version>_<name>.sql`, the version
being its leading digits, applied in version order, its `-- migrate:up` part only.
pkg/driver/postgres/postgres.go (v2.35): `create table if not exists <schema>.schema_migrations
(version varchar primary key)` (the schema: the one named in --migrations-table, else the
URL's search_path, else current_schema()), `insert into … (version) values ($1)` per
migration; a migration is applied when its version has a row (pkg/dbmate/db.go: versions
are the leading digits of `^(\d+).*\.sql$`, files in name order).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from checks.migrations.base import (
    HistoryFacts,
    HistoryTable,
    Migration,
    compare_by_key,
    versioned_files,
)

_VERSION = re.compile(r"^(\d+).*\.sql$")


class Dbmate(HistoryTable):
    tool = "dbmate"
    apply_command = "dbmate up"
    reads = frozenset({"version"})
    marks = (("dirty", "golang-migrate"),)

    def __init__(self, schema: str = "", table: str = "schema_migrations") -> None:
        self.schema, self.name = schema, table

    def migrations(self, folder: Path) -> list[Migration]:
        return versioned_files(self, folder, "*.sql", _VERSION)

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        facts = await self._start(connection, migrations)
        if not facts.readable:
            return facts
        rows = await (await connection.execute(
            sql.SQL("SELECT version::text FROM {}").format(self._identifier()))).fetchall()
        compare_by_key(facts, migrations, {str(version): None for (version,) in rows})
        return facts

    async def record(self, connection: Any, applied: list[Migration]) -> None:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        await self._create_schema(connection)
        await connection.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (version varchar PRIMARY KEY)").format(self._identifier()))
        if applied:
            async with connection.cursor() as cursor:
                await cursor.executemany(sql.SQL("INSERT INTO {} (version) VALUES (%s)").format(self._identifier()),
                                         [(m.key,) for m in applied])
