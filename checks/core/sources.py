"""Where the project's contract files are: `schema.sql` or a migrations directory
(DESIGN.md "Configuration": Drizzle, Supabase and dbmate layouts)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from checks.core.context import Context
from checks.project.reading import read_small
from checks.support.errors import RefusedInput
from checks.support.files import (
    JOURNAL_LIMIT,
    MAX_MIGRATION_FILES,
    SCHEMA_LIMIT,
    Confinement,
    at_most,
    read_text,
    too_many,
    undecodable,
)
from checks.support.lazyre import lazy

DEFAULT_SCHEMA = "schema.sql"
# dbmate files hold both directions; only the "up" part describes the schema.
# https://github.com/amacneil/dbmate#creating-migrations
_DBMATE_UP = lazy(r"^--\s*migrate:up\b.*?$", re.MULTILINE)
_DBMATE_DOWN = lazy(r"^--\s*migrate:down\b", re.MULTILINE)


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


def migration_files(directory: Path, kind: str, shown: str = "", inside: Confinement | None = None) -> list[Path]:
    """The files of a migration history in the order its tool applies them (at most
    MAX_MIGRATION_FILES: a larger folder is refused). `inside`: the run's confinement, whose
    one lstat of each file (and one path object) the migrator's reading shares."""
    shown = shown or directory.name
    if kind == "drizzle":
        # drizzle-kit's journal orders the migrations (<out>/meta/_journal.json, entries[].tag;
        # drizzle-orm src/migrator.ts readMigrationFiles).
        text = read_small(directory / "meta" / "_journal.json", JOURNAL_LIMIT)
        try:
            entries = json.loads(text or "")["entries"]
            if len(entries) > MAX_MIGRATION_FILES:
                raise too_many(shown)
            names = [f"{entry['tag']}.sql" for entry in entries]
            files = inside.children(directory, names) if inside else [directory / name for name in names]
            if all(map(inside.is_file if inside else Path.is_file, files)):
                return files
        except (ValueError, KeyError, TypeError):
            pass
        return sorted(at_most(directory.glob("*.sql"), shown))
    if kind in ("prisma", "drizzle-v1"):
        # prisma migrate: <timestamp>_<name>/migration.sql, applied in directory-name order
        return sorted(at_most(directory.glob("*/migration.sql"), shown), key=lambda p: p.parent.name)
    if kind == "golang-migrate":
        # golang-migrate: <version>_<title>.up.sql; the .down.sql files undo, never describe
        return sorted(at_most(directory.glob("*.up.sql"), shown), key=lambda p: _version(p.name))
    if kind in ("supabase", "dbmate"):
        return sorted(at_most(directory.glob("*.sql"), shown))
    return sorted(at_most(directory.rglob("*.sql"), shown), key=lambda p: p.relative_to(directory).as_posix())


def _version(name: str) -> tuple[int, str]:
    digits = re.match(r"\d+", name)
    return (int(digits.group()) if digits else -1, name)


def project_roots(ctx: Context) -> list[Path]:
    """Where the project's schema and migration files may lie: the project, and the
    workspace root above it in a monorepo."""
    roots = [ctx.project]
    if ctx.model.workspace_root not in (None, "."):
        roots.append(ctx.path(str(ctx.model.workspace_root)))
    if ctx.model.supabase_config is not None:
        # The supabase/ folder the app's Supabase CLI runs with, above the app in its repository
        # (checks/project/supabase.py config_file): that folder only, not all that is beside it.
        roots.append(ctx.path(ctx.model.supabase_config).parent)
    return roots


def project_confinement(ctx: Context) -> Confinement:
    """The run's one check that a schema or migration file stays inside the project (each
    file resolved once, however many readers ask)."""
    return ctx.once("confinement", lambda: Confinement(project_roots(ctx)))


def schema_paths(ctx: Context) -> list[Path]:
    """The schema files in apply order; [] when the project has none. A pinned source that
    does not exist, and any file or folder that resolves outside the project, is refused.
    Listed once per run (DB004–DB006, the evidence digests and `provision` all ask)."""
    return list(ctx.once("schema_paths", lambda: _schema_paths(ctx)))


def listed_by_migrator(ctx: Context, files: list[Path]) -> None:
    """A drizzle migrator's files, every one read (so inside the project and regular), in its
    journal's order: what `migration_files` lists for the folder unless the folder is a link
    (listed where it leads). The report's listing of 5,000 migrations takes them instead of
    parsing the journal again."""
    source = ctx.model.schema
    if source is not None and source.kind == "drizzle":
        link = ctx.project / source.path
        if project_confinement(ctx)(link, source.path) == link:
            ctx.once("schema_paths", lambda: files)


def _schema_paths(ctx: Context) -> list[Path]:
    source = ctx.model.schema
    if source is None:
        return []
    inside = project_confinement(ctx)
    link = ctx.project / source.path
    if ctx.config.schema and not link.exists():
        raise RefusedInput(f'deploy-check.toml: [project] schema = "{ctx.config.schema}" does not exist '
                           f"in {ctx.project}")
    path = inside(link, source.path)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = migration_files(path, source.kind, source.path, inside)
        inside.judge_all(files, ctx.rel)
        return files
    return []


def read_schema(path: Path, project: Path | None = None) -> SchemaSource:
    """`project`: the root that locations (and a refusal) name the file relative to."""
    # Outside the project the file is a workspace package's (schema_paths confines it to the
    # monorepo): `../../packages/database/prisma/migrations/<name>/migration.sql`, since every
    # Prisma migration is a `migration.sql`.
    label = path.name if project is None else path.relative_to(project).as_posix() \
        if path.is_relative_to(project) else Path(os.path.relpath(path, project)).as_posix()
    try:
        text = read_text(path, SCHEMA_LIMIT, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise undecodable(exc, label if project is not None else f"{path.parent.name}/{path.name}") from None
    up = _DBMATE_UP.search(text)
    if up is None:
        return SchemaSource(path, text, 1, label)
    down = _DBMATE_DOWN.search(text, up.end())
    body = text[up.end() : down.start() if down else len(text)]
    return SchemaSource(path, body, text[: up.end()].count("\n") + 1, label)


def schema_sources(ctx: Context) -> list[SchemaSource]:
    return [read_schema(path, ctx.project) for path in schema_paths(ctx)]
