"""Where the project's contract files are: `schema.sql` or a migrations directory
(DESIGN.md "Configuration": Drizzle, Supabase and dbmate layouts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.context import Context

DEFAULT_SCHEMA = "schema.sql"
MIGRATION_DIRS = ("drizzle", "supabase/migrations", "db/migrations")
# dbmate files hold both directions; only the "up" part describes the schema.
# https://github.com/amacneil/dbmate#creating-migrations
_DBMATE_UP = re.compile(r"^--\s*migrate:up\b.*?$", re.MULTILINE)
_DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b", re.MULTILINE)


@dataclass(frozen=True)
class SchemaSource:
    path: Path
    sql: str
    first_line: int  # line of `sql`'s first line inside `path` (dbmate skips a header)


def schema_paths(ctx: Context) -> list[Path]:
    """The schema files in apply order; [] when the project has none."""
    configured = ctx.config.schema
    candidates = [configured] if configured else [DEFAULT_SCHEMA, *MIGRATION_DIRS]
    for name in candidates:
        path = ctx.path(name)
        if path.is_file():
            return [path]
        if path.is_dir():
            return sorted(path.rglob("*.sql"), key=lambda p: p.relative_to(path).as_posix())
    return []


def read_schema(path: Path) -> SchemaSource:
    text = path.read_text(encoding="utf-8-sig")
    up = _DBMATE_UP.search(text)
    if up is None:
        return SchemaSource(path, text, 1)
    down = _DBMATE_DOWN.search(text, up.end())
    body = text[up.end() : down.start() if down else len(text)]
    return SchemaSource(path, body, text[: up.end()].count("\n") + 1)


def schema_sources(ctx: Context) -> list[SchemaSource]:
    return [read_schema(path) for path in schema_paths(ctx)]
