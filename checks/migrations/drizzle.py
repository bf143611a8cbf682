"""Drizzle's history, read-only, exactly as drizzle-orm's migrator reads it
(drizzle-orm src/migrator.ts readMigrationFiles: hash = sha256 hex of the file's text,
folderMillis = the journal entry's `when`; src/pg-core/dialect.ts migrate(): table
`drizzle.__drizzle_migrations (id serial, hash text, created_at bigint)`, and it applies
every journal entry whose `when` is newer than the last row's `created_at`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from checks.files import SCHEMA_LIMIT, read_text
from checks.migrations import HistoryFacts

TABLE = "drizzle.__drizzle_migrations"
APPLY = "npx drizzle-kit migrate"


def journal(folder: Path) -> list[tuple[str, int, str]]:
    """(tag, when, sha256) of each journal entry, in order."""
    entries = json.loads(read_text(folder / "meta" / "_journal.json", 4 << 20))["entries"]
    found = []
    for entry in entries:
        text = (folder / f"{entry['tag']}.sql").read_bytes()
        if len(text) > SCHEMA_LIMIT:
            raise OSError(f"{entry['tag']}.sql is over the size limit")
        found.append((str(entry["tag"]), int(entry["when"]), hashlib.sha256(text).hexdigest()))
    return found


async def history(connection: Any, folder: Path) -> HistoryFacts:
    facts = HistoryFacts("drizzle", TABLE, APPLY)
    entries = journal(folder)
    facts.files = len(entries)
    # One round trip: whether the table exists, and its rows when it does.
    cursor = await connection.execute(
        "SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    facts.table_exists = bool(row and row[0])
    rows: list[tuple[str, int]] = []
    if facts.table_exists:
        cursor = await connection.execute(
            "SELECT hash, created_at::bigint FROM drizzle.__drizzle_migrations ORDER BY created_at")
        rows = [(str(h), int(c)) for h, c in await cursor.fetchall() if c is not None]
    facts.applied = len(rows)
    last = max((created for _, created in rows), default=None)
    by_when = {when: (tag, digest) for tag, when, digest in entries}
    facts.pending = [tag for tag, when, _ in entries if last is None or when > last]
    for digest, created in rows:
        if created not in by_when:
            facts.missing_locally.append(f"created_at {created}")
        elif by_when[created][1] != digest:
            facts.changed.append(by_when[created][0])
    return facts
