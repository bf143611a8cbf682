"""Drizzle's history exactly as drizzle-orm's migrator keeps it.

drizzle-orm 0.45 src/migrator.ts readMigrationFiles: the journal (`<out>/meta/_journal.json`,
entries[{tag, when}]) orders the files; hash = sha256 hex of the file's text; folderMillis
= the entry's `when`. src/pg-core/dialect.ts migrate(): `CREATE SCHEMA IF NOT EXISTS
"drizzle"`, `CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY
KEY, hash text NOT NULL, created_at bigint)`; it applies every entry whose `when` is newer
than the `created_at` of the last row (by created_at) and inserts ("hash", "created_at") =
(hash, when) for each. `migrationsSchema`/`migrationsTable` (drizzle.config `migrations: {
schema, table }`) rename the two.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from checks.migrations.base import HistoryFacts, HistoryTable, Migration
from checks.project.reading import package_json
from checks.support.files import JOURNAL_LIMIT, MAX_MIGRATION_FILES, read_text, too_many


class Drizzle(HistoryTable):
    tool = "drizzle"
    apply_command = "npx drizzle-kit migrate"
    # drizzle-orm's PgDialect.migrate wraps all pending migrations in one transaction
    # (drizzle-team/drizzle-orm issue 860: "Can't create index concurrently").
    single_transaction = True
    # drizzle-orm 1.0 adds `name` when it upgrades the table: 0.x rows written into it would
    # have none, and 1.0 would run those migrations again.
    marks = (("name", "drizzle-kit 1.0"),)
    reads = frozenset({"hash", "created_at"})

    def __init__(self, schema: str = "drizzle", table: str = "__drizzle_migrations", blocked: str = "") -> None:
        self.schema, self.name, self.blocked = schema or "drizzle", table, blocked

    def migrations(self, folder: Path) -> list[Migration]:
        journal = self.inside(folder, folder / "meta" / "_journal.json")
        entries = json.loads(read_text(journal, JOURNAL_LIMIT))["entries"]
        if len(entries) > MAX_MIGRATION_FILES:
            raise too_many(self._shown(folder, folder))
        names = [f"{entry['tag']}.sql" for entry in entries]
        if self.confinement is None:
            paths = [self.inside(folder, folder / name) for name in names]  # a tag may hold ../
        else:
            # The run's (migrator_for): one path object per file, and its hasher opens each
            # through the run's confinement, which refuses one leading out before reading it.
            paths = self.confinement.children(folder, names)
        hasher = self.hasher
        return [Migration(str(entry["tag"]), path, str(int(entry["when"])), hasher(path))
                for entry, path in zip(entries, paths, strict=True)]

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        facts = await self._start(connection, migrations)
        if not facts.readable:
            return facts
        rows = await (await connection.execute(sql.SQL(
            "SELECT hash, created_at::bigint FROM {} ORDER BY created_at").format(self._identifier()))).fetchall()
        recorded = [(str(h), int(c)) for h, c in rows if c is not None]
        facts.applied = len(recorded)
        last = max((created for _, created in recorded), default=None)
        whens = [int(m.key) for m in migrations]  # once: 5,000 migrations are compared three ways
        by_when = dict(zip(whens, migrations, strict=True))
        if last is None:
            facts.pending = list(migrations)
        else:
            facts.pending = [m for m, when in zip(migrations, whens, strict=True) if when > last]
            applied = {created for _, created in recorded}
            # drizzle applies only what is newer than its last row: an entry merged in with an
            # older `when` (two branches) is never applied by it, and its tables never appear.
            facts.failed = [f"{m.name} (never applied: its journal `when` is older than the last applied "
                            "migration, so drizzle-kit migrate skips it for good; regenerate it)"
                            for m, when in zip(migrations, whens, strict=True) if when <= last and when not in applied]
        for digest, created in recorded:
            migration = by_when.get(created)
            if migration is None:
                facts.missing_locally.append(f"created_at {created}")
            elif migration.checksum != digest:
                facts.changed.append(migration.name)
        return facts

    async def record(self, connection: Any, applied: list[Migration]) -> None:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        await self._create_schema(connection)
        await connection.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)"
        ).format(self._identifier()))
        if applied:
            async with connection.cursor() as cursor:
                await cursor.executemany(
                    sql.SQL('INSERT INTO {} ("hash", "created_at") VALUES (%s, %s)').format(self._identifier()),
                    [(m.checksum, int(m.key)) for m in applied])


def journal_refused(homes: list[Path]) -> str:
    """Why the app's drizzle-orm refuses a journal layout ("" when it reads it): drizzle-orm
    1.0's readMigrationFiles throws on `<out>/meta/_journal.json` ("run drizzle-kit up");
    1.0.0-beta.1 still read the journal. `homes`: the folders that may install or declare
    it, nearest first (a monorepo's packages/db, the app, the workspace root); the installed
    version first, else the declared one."""

    installed = [(package_json(home / "node_modules" / "drizzle-orm") or {}).get("version") for home in homes]
    declared = [block.get("drizzle-orm") for home in homes for section in ("dependencies", "devDependencies")
                if isinstance(block := (package_json(home) or {}).get(section), dict)]
    version = next((v for v in installed + declared if isinstance(v, str)), "")
    found = re.search(r"(\d+)\.\d+\.\d+(?:-beta\.(\d+))?", version)
    if found is None or int(found.group(1)) < 1 or (found.group(2) is not None and int(found.group(2)) < 2):
        return ""
    return (f"the app's drizzle-orm {version} refuses this journal layout (meta/_journal.json): its migrator "
            "wants drizzle-kit 1.0's folders; run `npx drizzle-kit up` to convert them")
