"""golang-migrate's history exactly as it keeps it.

golang-migrate source/parse.go: `^([0-9]+)_(.*)\\.(down|up)\\.(.*)$` — only `.up.sql` files
describe the schema, in version order. database/postgres/postgres.go: `CREATE TABLE IF NOT
EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null)`,
one row: SetVersion truncates the table and inserts (version, dirty); a migration runs with
dirty = true and is marked clean after it succeeded. Everything up to `version` is applied.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from checks.migrations.base import HistoryFacts, HistoryTable, Migration, versioned_files

_UP = re.compile(r"^([0-9]+)_(.*)\.up\.sql$")


class GolangMigrate(HistoryTable):
    tool = "golang-migrate"
    apply_command = "migrate -path <dir> -database \"$DATABASE_URL\" up"
    reads = frozenset({"version", "dirty"})
    name = "schema_migrations"

    def migrations(self, folder: Path) -> list[Migration]:
        return sorted(versioned_files(self, folder, "*.up.sql", _UP, ".up.sql"), key=lambda m: int(m.key))

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        facts = await self._start(connection, migrations)
        if not facts.readable:
            return facts
        row = await (await connection.execute(
            "SELECT version::bigint, dirty FROM schema_migrations LIMIT 1")).fetchone()
        if row is None:
            facts.pending = list(migrations)
            return facts
        version, dirty = int(row[0]), bool(row[1])
        facts.applied = sum(1 for m in migrations if int(m.key) <= version)
        if dirty:
            name = next((m.name for m in migrations if int(m.key) == version), str(version))
            facts.failed.append(f"{name} (dirty: it failed half-way; `migrate force` after fixing it)")
        facts.pending = [m for m in migrations if int(m.key) > version]
        if all(int(m.key) != version for m in migrations):
            facts.missing_locally.append(f"version {version}")
        return facts

    async def record(self, connection: Any, applied: list[Migration]) -> None:
        await connection.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                                 "(version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)")
        if applied:
            await connection.execute("TRUNCATE schema_migrations")
            await connection.execute("INSERT INTO schema_migrations (version, dirty) VALUES (%s, false)",
                                     (int(applied[-1].key),))
