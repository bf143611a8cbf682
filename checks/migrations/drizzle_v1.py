"""drizzle-kit 1.0's history exactly as drizzle-orm 1.0's migrator keeps it.

drizzle-orm 1.0.0-rc.5 (same code from beta.21; github drizzle-team/drizzle-orm branch `beta`
@748058e, drizzle-orm/src/migrator.ts readMigrationFiles, migrator.utils.ts formatToMillis,
up-migrations/pg.ts, pg-core/async/session.ts migrate):
- the migrations are the folders of `<out>` holding `migration.sql` (snapshot.json is not
  read), in name order; hash = sha256 hex of the file's text; created_at =
  Date.UTC(the folder name's first 14 digits, yyyymmddHHMMSS) in milliseconds;
- the table: `drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL,
  created_at bigint, name text, applied_at timestamp with time zone DEFAULT now())`, one
  row per migration: ("hash", "created_at", "name") = (hash, created_at, folder name);
- a migration is pending when no row holds its folder name (a row whose name is NULL
  matches nothing; hash and created_at are not compared);
- a 0.x table (no `name` column) is upgraded first: each row matched to a folder by its
  created_at cut to whole seconds (several: by hash; none: any folder with its hash), then
  `ADD COLUMN IF NOT EXISTS "name" text`, `… "applied_at" timestamp with time zone DEFAULT
  now()` and `SET "name" = <folder>, "applied_at" = NULL` per row; one row that matches no
  folder and the migrator refuses, changing nothing.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path
from typing import Any

from checks.migrations.base import HistoryFacts, HistoryTable, Migration, table_columns

_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})")
CREATE = ("CREATE TABLE IF NOT EXISTS {} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint, "
          "name text, applied_at timestamp with time zone DEFAULT now())")


def folder_millis(name: str) -> int:
    """Date.UTC of the folder name's 14-digit prefix, in milliseconds."""
    stamp = _STAMP.match(name)
    if stamp is None:
        raise ValueError(f"{name} does not start with drizzle-kit's yyyymmddHHMMSS timestamp")
    year, month, day, hour, minute, second = (int(part) for part in stamp.groups())
    # Date.UTC rolls over what is out of range (month 13 is January of the next year).
    year, month = divmod(year * 12 + month - 1, 12)
    start = calendar.timegm((year, month + 1, 1, 0, 0, 0, 0, 0, 0))
    return (start + (day - 1) * 86400 + hour * 3600 + minute * 60 + second) * 1000


def _seconds(created_at: int) -> int:
    """created_at cut to whole seconds as the upgrade cuts it (its text without the last
    three digits, then "000")."""
    text = str(created_at)
    return int(text[:-3] + "000") if len(text) > 3 else 0


def upgrade_matches(rows: list[tuple[int, str, int | None]], migrations: list[Migration]) -> tuple[
        dict[int, Migration], list[int]]:
    """The 0.x → 1 upgrade's matching (up-migrations/pg.ts): row id → the folder it names,
    and the unmatched ids. One folder of the row's second: it; several: the one with the
    row's hash, else none; no folder of that second: the last folder (by time, then name)
    with the row's hash, as a JS Map built in that order keeps the last."""
    ordered = sorted(migrations, key=lambda m: (folder_millis(m.name), m.name))
    by_millis: dict[int, list[Migration]] = {}
    by_hash: dict[str, Migration] = {}
    for migration in ordered:
        by_millis.setdefault(folder_millis(migration.name), []).append(migration)
        by_hash[migration.checksum] = migration
    matched: dict[int, Migration] = {}
    unmatched: list[int] = []
    for row_id, digest, created_at in rows:
        candidates = by_millis.get(_seconds(created_at), []) if created_at is not None else []
        if len(candidates) == 1:
            match: Migration | None = candidates[0]
        elif candidates:
            match = next((m for m in candidates if m.checksum == digest), None)
        else:
            match = by_hash.get(digest)
        if match is None:
            unmatched.append(row_id)
        else:
            matched[row_id] = match
    return matched, unmatched


class DrizzleV1(HistoryTable):
    tool = "drizzle"
    apply_command = "npx drizzle-kit migrate"
    # drizzle-orm's PgDialect.migrate wraps all pending migrations in one transaction
    # (drizzle-team/drizzle-orm issue 860: "Can't create index concurrently").
    single_transaction = True
    reads = frozenset({"id", "hash", "created_at"})

    def __init__(self, schema: str = "drizzle", table: str = "__drizzle_migrations") -> None:
        self.schema, self.name = schema or "drizzle", table
        self._matched: dict[int, Migration] | None = None  # a 0.x table's rows → their folders

    def migrations(self, folder: Path) -> list[Migration]:
        found = []
        for path in sorted(self.listed(folder, "*/migration.sql"), key=lambda p: p.parent.name):
            folder_millis(path.parent.name)  # a folder drizzle would give NaN is named now
            found.append(Migration(path.parent.name, path, path.parent.name,
                                   self.hasher(self.inside(folder, path))))
        return found

    async def _rows(self, connection: Any, named: bool) -> list[tuple[int, str, int | None, str | None]]:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        name = sql.SQL('"name"' if named else "NULL::text")
        rows = await (await connection.execute(sql.SQL(
            'SELECT id, hash, created_at::bigint, {} FROM {} ORDER BY id').format(name, self._identifier()))).fetchall()
        return [(int(i), str(h), None if c is None else int(c), n) for i, h, c, n in rows]

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        facts = await self._start(connection, migrations)
        if not facts.readable:
            return facts
        named = "name" in facts.columns
        rows = await self._rows(connection, named)
        local = {m.name: m for m in migrations}
        if not named:
            # A drizzle-kit 0.x table: drizzle-kit 1.0 upgrades it on its next run.
            matched, unmatched = upgrade_matches([(i, h, c) for i, h, c, _ in rows], migrations)
            self._matched = matched
            facts.failed = [f"history row id {row_id} (it matches no local folder: drizzle-kit migrate refuses to "
                            "upgrade the 0.x history table)" for row_id in unmatched]
            applied = {m.name for m in matched.values()}
            facts.applied = len(matched)
            facts.pending = [m for m in migrations if m.name not in applied]
            digests = {row_id: digest for row_id, digest, _, _ in rows}
            facts.changed = [m.name for row_id, m in matched.items() if m.checksum != digests[row_id]]
            return facts
        names = {n for _, _, _, n in rows if n is not None}
        facts.applied = len(names)
        facts.pending = [m for m in migrations if m.name not in names]
        for _, digest, _, name in rows:
            if name is None:
                again = next((m.name for m in facts.pending if m.checksum == digest), None)
                if again:
                    facts.failed.append(f"{again} (recorded without a name: drizzle-kit migrate would run it again)")
            elif name not in local:
                facts.missing_locally.append(name)
            elif local[name].checksum != digest:
                facts.changed.append(name)
        return facts

    async def record(self, connection: Any, applied: list[Migration]) -> None:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg


        await self._create_schema(connection)
        await connection.execute(sql.SQL(CREATE).format(self._identifier()))
        if "name" not in (await table_columns(connection, self.schema, self.name) or frozenset()):
            await self._upgrade(connection)
        if applied:
            async with connection.cursor() as cursor:
                await cursor.executemany(
                    sql.SQL('INSERT INTO {} ("hash", "created_at", "name") VALUES (%s, %s, %s)').format(
                        self._identifier()),
                    [(m.checksum, folder_millis(m.name), m.name) for m in applied])

    async def _upgrade(self, connection: Any) -> None:
        """The 0.x table brought to 1.0's shape as drizzle-kit migrate would, before rows are
        added: the matches `history` found in this transaction (it refused unmatched rows)."""
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        if self._matched is None:
            raise ValueError(f"{self.table} is a drizzle-kit 0.x table whose rows were not matched to folders")
        table = self._identifier()
        await connection.execute(sql.SQL('ALTER TABLE {} ADD COLUMN IF NOT EXISTS "name" text').format(table))
        await connection.execute(sql.SQL('ALTER TABLE {} ADD COLUMN IF NOT EXISTS "applied_at" timestamp with time '
                                         "zone DEFAULT now()").format(table))
        if self._matched:
            async with connection.cursor() as cursor:
                await cursor.executemany(sql.SQL('UPDATE {} SET "name" = %s, "applied_at" = NULL WHERE "id" = %s').format(
                    table), [(m.name, row_id) for row_id, m in self._matched.items()])
