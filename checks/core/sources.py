"""Where the project's contract files are: `schema.sql` or a migrations directory
(DESIGN.md "Configuration": Drizzle, Supabase and dbmate layouts)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from checks.core.context import Context
from checks.project.reading import read_small
from checks.support.files import SCHEMA_LIMIT, read_text

DEFAULT_SCHEMA = "schema.sql"
# dbmate files hold both directions; only the "up" part describes the schema.
# https://github.com/amacneil/dbmate#creating-migrations
_DBMATE_UP = re.compile(r"^--\s*migrate:up\b.*?$", re.MULTILINE)
_DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b", re.MULTILINE)


@dataclass(frozen=True)
class SchemaSource:
    path: Path
    sql: str
    first_line: int  # line of `sql`'s first line inside `path` (dbmate skips a header)
    # How a location names the file: relative to the project
    # (`prisma/migrations/20240101_init/migration.sql`), never the bare file name.
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.path.name


def migration_files(directory: Path, kind: str) -> list[Path]:
    """The files of a migration history in the order its tool applies them."""
    if kind == "drizzle":
        # drizzle-kit's journal orders the migrations (<out>/meta/_journal.json, entries[].tag;
        # drizzle-orm src/migrator.ts readMigrationFiles).


        text = read_small(directory / "meta" / "_journal.json")
        try:
            entries = json.loads(text or "")["entries"]
            files = [directory / f"{entry['tag']}.sql" for entry in entries]
            if all(f.is_file() for f in files):
                return files
        except (ValueError, KeyError, TypeError):
            pass
        return sorted(directory.glob("*.sql"))
    if kind in ("prisma", "drizzle-v1"):
        # prisma migrate: <timestamp>_<name>/migration.sql, applied in directory-name order
        return sorted(directory.glob("*/migration.sql"), key=lambda p: p.parent.name)
    if kind == "golang-migrate":
        # golang-migrate: <version>_<title>.up.sql; the .down.sql files undo, never describe
        return sorted(directory.glob("*.up.sql"), key=lambda p: _version(p.name))
    if kind in ("supabase", "dbmate"):
        return sorted(directory.glob("*.sql"))
    return sorted(directory.rglob("*.sql"), key=lambda p: p.relative_to(directory).as_posix())


def _version(name: str) -> tuple[int, str]:
    digits = re.match(r"\d+", name)
    return (int(digits.group()) if digits else -1, name)


def schema_paths(ctx: Context) -> list[Path]:
    """The schema files in apply order; [] when the project has none."""
    source = ctx.model.schema
    if source is None:
        return []
    path = ctx.path(source.path)
    if path.is_file():
        return [path]
    if path.is_dir():
        return migration_files(path, source.kind)
    return []


def read_schema(path: Path, project: Path | None = None) -> SchemaSource:
    """`project`: the root that locations are relative to."""
    text = read_text(path, SCHEMA_LIMIT, encoding="utf-8-sig")
    label = (path.relative_to(project).as_posix() if project is not None and path.is_relative_to(project)
             else path.name)
    up = _DBMATE_UP.search(text)
    if up is None:
        return SchemaSource(path, text, 1, label)
    down = _DBMATE_DOWN.search(text, up.end())
    body = text[up.end() : down.start() if down else len(text)]
    return SchemaSource(path, body, text[: up.end()].count("\n") + 1, label)


def schema_sources(ctx: Context) -> list[SchemaSource]:
    return [read_schema(path, ctx.project) for path in schema_paths(ctx)]
