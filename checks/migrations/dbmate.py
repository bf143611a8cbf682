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

from checks.migrations import HistoryFacts, Migration, compare_by_key, table_exists

_VERSION = re.compile(r"^(\d+).*\.sql$")


class Dbmate:
    tool = "dbmate"
    apply_command = "dbmate up"

    def __init__(self, schema: str = "", table: str = "schema_migrations") -> None:
        self.schema, self.name = schema, table

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def _identifier(self) -> Any:
        from psycopg import sql

        return sql.Identifier(*([self.schema] if self.schema else []), self.name)

    def migrations(self, folder: Path) -> list[Migration]:
        found = []
        for path in folder.glob("*.sql"):
            version = _VERSION.match(path.name)
            if version:
                found.append(Migration(path.stem, path, version.group(1)))
        return sorted(found, key=lambda m: m.key)

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        from psycopg import sql

        facts = HistoryFacts(self.tool, self.table, self.apply_command, files=len(migrations))
        facts.table_exists = await table_exists(connection, self.schema, self.name)
        if not facts.table_exists:
            facts.pending = list(migrations)
            return facts
        rows = await (await connection.execute(
            sql.SQL("SELECT version::text FROM {}").format(self._identifier()))).fetchall()
        compare_by_key(facts, migrations, {str(version): None for (version,) in rows})
        return facts

    async def record(self, connection: Any, applied: list[Migration]) -> None:
        from psycopg import sql

        if self.schema:
            await connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        await connection.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (version varchar PRIMARY KEY)").format(self._identifier()))
        if applied:
            async with connection.cursor() as cursor:
                await cursor.executemany(sql.SQL("INSERT INTO {} (version) VALUES (%s)").format(self._identifier()),
                                         [(m.key,) for m in applied])
