r"""The Supabase CLI's history exactly as `supabase db push` keeps it.

supabase/cli v2.104 apps/cli-go/pkg/migration/file.go: `^([0-9]+)_(.*)\.sql$` (version,
name), applied in version order; statements from parser.SplitAndTrim (cut at each `;`,
`;` and spaces trimmed, comments kept, empty pieces dropped). history.go: schema
`supabase_migrations`, table `schema_migrations (version text NOT NULL PRIMARY KEY)` plus
`statements text[]` and `name text` (ADD COLUMN IF NOT EXISTS), one row per migration:
(version, name, statements). A migration is applied when its version has a row; nothing
is hashed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from checks.core.sources import read_schema
from checks.migrations.base import (
    HistoryFacts,
    HistoryTable,
    Migration,
    compare_by_key,
    versioned_files,
)
from checks.support.sqltree import parse_sql

_FILE = re.compile(r"^([0-9]+)_(.*)\.sql$")
SCHEMA, NAME = "supabase_migrations", "schema_migrations"


class Supabase(HistoryTable):
    tool = "supabase"
    apply_command = "supabase db push"
    reads = frozenset({"version"})
    schema, name = SCHEMA, NAME

    def migrations(self, folder: Path) -> list[Migration]:
        return versioned_files(self, folder, "*.sql", _FILE)

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        facts = await self._start(connection, migrations)
        if not facts.readable:
            return facts
        rows = await (await connection.execute(
            "SELECT version FROM supabase_migrations.schema_migrations")).fetchall()
        compare_by_key(facts, migrations, {str(version): None for (version,) in rows})
        return facts

    async def record(self, connection: Any, applied: list[Migration]) -> None:
        await connection.execute("CREATE SCHEMA IF NOT EXISTS supabase_migrations")
        await connection.execute("CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations "
                                 "(version text NOT NULL PRIMARY KEY)")
        await connection.execute("ALTER TABLE supabase_migrations.schema_migrations "
                                 "ADD COLUMN IF NOT EXISTS statements text[]")
        await connection.execute("ALTER TABLE supabase_migrations.schema_migrations "
                                 "ADD COLUMN IF NOT EXISTS name text")
        if applied:
            rows = []
            for migration in applied:
                match = _FILE.match(migration.path.name)
                rows.append((migration.key, match.group(2) if match else migration.name,
                             split_and_trim(read_schema(migration.path).sql)))
            async with connection.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) "
                    "VALUES (%s, %s, %s)", rows)


def split_and_trim(sql: str) -> list[str]:
    """The file cut after each statement's `;` (found by PostgreSQL's own parser, so a `;`
    in a string, a comment or a dollar-quoted body does not cut), each piece trimmed of
    `;` and spaces, empty ones dropped: the CLI's SplitAndTrim, comments included."""
    pieces, start = [], 0
    for raw in parse_sql(sql):  # pglast's locations count characters
        location = raw.stmt_location or 0
        end = location + raw.stmt_len if raw.stmt_len else len(sql)
        semicolon = sql.find(";", end)
        cut = len(sql) if semicolon < 0 else semicolon + 1
        pieces.append(sql[start:cut])
        start = cut
    pieces.append(sql[start:])
    trimmed = (piece.strip().rstrip(";").strip() for piece in pieces)
    return [piece for piece in trimmed if piece]
