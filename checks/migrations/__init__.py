"""Migration histories as each tool's own migrator sees them (DESIGN.md "Migrations"): which
tool keeps this app's history (`migrator_for`), and one module per tool (drizzle.py,
drizzle_v1.py, prisma.py, supabase.py, dbmate.py, golang_migrate.py) on the shared
`Migrator` interface of base.py. DB006 (the schema family) judges their `HistoryFacts`;
`provision schema` applies `facts.pending` and records them.
"""

from __future__ import annotations

from checks.core.context import Context
from checks.core.db import app_search_path
from checks.core.evidence import text_hasher
from checks.core.sources import project_confinement, project_roots
from checks.migrations.base import HistoryTable, Migrator
from checks.migrations.dbmate import Dbmate
from checks.migrations.drizzle import Drizzle, journal_refused
from checks.migrations.drizzle_v1 import DrizzleV1
from checks.migrations.golang_migrate import GolangMigrate
from checks.migrations.prisma import Prisma
from checks.migrations.supabase import Supabase


def migrator_for(ctx: Context) -> Migrator | None:
    """The migrator of the project's history, None for schema.sql or a plain folder. It
    reads files only inside the project (or its workspace root)."""
    migrator = _migrator(ctx)
    if isinstance(migrator, HistoryTable):
        migrator.roots = tuple(project_roots(ctx))
        migrator.confinement = project_confinement(ctx)
        migrator.hasher = text_hasher(ctx)
    return migrator


def _migrator(ctx: Context) -> Migrator | None:
    source = ctx.model.schema
    if source is None:
        return None
    if source.kind == "drizzle":
        # Where drizzle-orm may be installed: beside the history's config (its parent
        # folder: a monorepo's packages/db), the app, the workspace root.
        homes = [ctx.path(source.path).parent, ctx.project]
        if ctx.model.workspace_root:
            homes.append(ctx.path(ctx.model.workspace_root))
        return Drizzle(*(source.history_table or ("drizzle", "__drizzle_migrations")),
                       blocked=journal_refused(list(dict.fromkeys(homes))))
    if source.kind == "drizzle-v1":
        return DrizzleV1(*(source.history_table or ("drizzle", "__drizzle_migrations")))
    if source.kind == "prisma":
        # Prisma keeps its table in the schema its URL's ?schema= names (default public).
        return Prisma(_first_schema(ctx))
    if source.kind == "supabase":
        return Supabase()
    if source.kind == "dbmate":
        schema, table = source.history_table or ("", "schema_migrations")
        return Dbmate(schema or _first_schema(ctx), table)
    if source.kind == "golang-migrate":
        return GolangMigrate()
    return None



def _first_schema(ctx: Context) -> str:
    """The first schema of the app's search_path (its URL), "" for the server's default."""

    return next((schema for schema in app_search_path(ctx) if schema != "$user"), "")
