"""DB006: the migrator's own history table against the migration files, read the way the
tool's migrator reads it (checks/migrations)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from checks.core.context import Context
from checks.core.db import app_search_path, shared_connection
from checks.core.model import (
    Outcome,
    Spec,
    every,
    failed,
    listed,
    passed,
    plural,
    skipped,
    unverified,
    verb_for,
    warned,
)
from checks.core.registry import check
from checks.core.sources import listed_by_migrator, read_schema
from checks.migrations import migrator_for
from checks.migrations.base import Migration
from checks.project.detectors import DRIZZLE_CONFIGS
from checks.project.prismaschema import prisma_schema
from checks.project.reading import package_json, relative
from checks.schema.facts import (
    FIX_SCHEMA,
    schema_budget,
    schema_facts,
    unreachable,
)
from checks.schema.sqlmodel import SchemaSyntaxError, Statement, parse_sources
from checks.support.lazyre import lazy
from checks.support.pgurl import InvalidDatabaseUrl

DB006 = Spec(
    "DB006", "schema", "The migrator's own history agrees with the migration files",
    "Reads the app's migrator history table, read-only (its columns, then its rows), as the "
    "migrator itself would — drizzle (drizzle.__drizzle_migrations: sha256 of each file, the "
    "journal's `when`; drizzle-kit 1.0: the folder name, and a 0.x table matched as its "
    "upgrade matches it), Prisma (_prisma_migrations: checksum, finished/rolled back), Supabase "
    "(supabase_migrations.schema_migrations), dbmate and golang-migrate (schema_migrations, "
    "told apart by golang-migrate's `dirty` column) — and names pending migrations, failed or "
    "dirty ones, applied ones whose file changed since, and applied ones missing locally. "
    "Tables present without any history: applied by hand, so the app's own migrator would try "
    "to apply everything again (warning). A history table in another tool's shape fails: "
    "nothing is judged from it.",
    "Apply the pending migrations with `deploy-check provision schema` (it records them in "
    "the migrator's own table) or the app's own migrator; restore a changed file from git "
    "rather than editing an applied migration.",
    FIX_SCHEMA,
)



# The configs drizzle-kit and prisma look for in the folder they run in (drizzle-kit docs
# "Configuration": ./drizzle.config.*; Prisma 6.6+: ./prisma.config.ts).
_OWN_CONFIGS = (*DRIZZLE_CONFIGS, "prisma.config.ts")


def where_it_runs(ctx: Context, history: Path, command: str) -> str:
    """The migrator's own command as pasted in the app: run in the package that holds the
    history (its nearest package.json, where npx finds the tool and its config), so rallly's
    packages/database history reads `cd ../../packages/database && npx prisma migrate deploy`.
    Where the app itself holds the tool's config (a drizzle.config.ts whose `out` is another
    package's folder, a prisma.config.ts), the tool runs from the app: it reads ./ for it."""
    if "<dir>" in command:  # golang-migrate's `-path <dir>`: the history's folder, from the app
        return command.replace("<dir>", shlex.quote(ctx.rel(history)))
    if any((ctx.project / name).is_file() for name in _OWN_CONFIGS):
        return command
    for folder in (history, *history.parents):
        if folder == ctx.project or folder.parent == folder:
            return command
        if (folder / "package.json").is_file():
            return f"cd {shlex.quote(ctx.rel(folder))} && {command}{_schema_flag(folder, command)}"
    return command


def _schema_flag(folder: Path, command: str) -> str:
    """` --schema <path>` where only the package's own scripts name its Prisma schema (typebot.io:
    postgresql/schema.prisma, which `prisma migrate deploy` alone does not find); else ""."""
    if "prisma migrate" not in command:
        return ""
    files, script = prisma_schema(folder, package_json(folder))
    if script is None or not files:
        return ""
    named = files[0] if len(files) == 1 else files[0].parent
    return f" --schema {shlex.quote(relative(folder, named))}"


# Every statement PostgreSQL runs only outside a transaction block names one of these words
# (checks/schema/outside.py), so a pending history without them is not parsed for it.
_OUTSIDE_WORDS = lazy(r"\b(?:CONCURRENTLY|VACUUM|REINDEX|DISCARD|CLUSTER|DATABASE|TABLESPACE|SUBSCRIPTION)\b",
                            re.IGNORECASE)


def pending_outside(ctx: Context, pending: list[Migration]) -> list[Statement]:
    """The statements of the pending migrations that `provision schema` refuses up front,
    since PostgreSQL runs them only outside the one transaction it applies them in (langfuse's
    prisma/migrations/20240104210051_add_model_indices: `CREATE INDEX CONCURRENTLY`)."""
    sources = [source for source in (read_schema(m.path, ctx.project) for m in pending)
               if _OUTSIDE_WORDS.search(source.sql)]
    if not sources:
        return []
    try:
        return parse_sources(sources, app_search_path(ctx)).outside
    except SchemaSyntaxError:
        return []  # the schema's own facts name the syntax error


def _around_transaction(facts: Any, migrator: Any, outside: list[Statement]) -> tuple[str, str, str]:
    """Why `provision schema` refuses, the hint and the fix for pending migrations `provision schema` would refuse: the app's own
    migrator, which runs each migration by itself, where it can; else nothing to paste."""
    named = f"{outside[0].where} `{outside[0].first_line}`" + (
        f" (and {plural(len(outside) - 1, 'more statement')})" if len(outside) > 1 else "")
    why = (f"PostgreSQL runs {named} only outside a transaction block, and `deploy-check provision schema` "
           "applies pending migrations in one transaction, so it refuses them")
    if migrator.single_transaction:
        return why, (f"{why}; `{facts.apply_command}` fails on it the same way ({facts.tool} applies every "
                     "pending migration in one transaction). Take it out of the migration (a plain CREATE INDEX "
                     "runs in one) or run it yourself with psql."), ""
    return why, f"{why}. Apply them with the app's own migrator: `{facts.apply_command}`.", facts.apply_command


@check(DB006, needs=("DB002",), budget=schema_budget)
async def history_agrees(ctx: Context) -> Outcome:
    import psycopg  # start-up: only runs that reach a database load psycopg


    if ctx.model.other_database:
        return unverified(f"database: {ctx.model.other_database}; deploy-check checks PostgreSQL only")
    source = ctx.model.schema
    migrator = migrator_for(ctx)
    if source is None or migrator is None:
        return skipped(f"no migration history: the schema source is "
                       f"{source.path if source else 'not found'}")
    try:
        migrations = migrator.migrations(ctx.path(source.path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return failed(f"cannot read the {migrator.tool} migrations in {source.path}: {exc}")
    listed_by_migrator(ctx, [m.path for m in migrations])
    if not migrations:
        # No file to compare the history with: never "all 0 migrations applied".
        return skipped(f"{source.path} holds no {migrator.tool} migration yet (DB004 says what that means)")
    try:
        connection = await shared_connection(ctx)
    except (psycopg.Error, TimeoutError, InvalidDatabaseUrl) as exc:
        return unverified(unreachable(ctx, exc))
    try:
        facts = await migrator.history(connection, migrations)
    except (psycopg.OperationalError, psycopg.InterfaceError, TimeoutError) as exc:
        return unverified(unreachable(ctx, exc))
    except psycopg.Error as exc:
        # Reached, but its history could not be read (no permission on the schema, a column
        # of another type): nothing is judged, and it says so.
        return failed(f"cannot read {migrator.table}: {ctx.mask(str(exc).strip()) or type(exc).__name__}",
                      hint="Give the app's database user read access to the migrator's history table.")
    details: dict[str, Any] = {"tool": facts.tool, "table": facts.table, "pending": facts.pending_names,
                               "failed": facts.failed, "changed": facts.changed,
                               "missing_locally": facts.missing_locally,
                               "applied": facts.applied, "files": facts.files}
    facts.apply_command = where_it_runs(ctx, ctx.path(source.path), facts.apply_command)
    hint = (f"Apply them with `deploy-check provision schema` (it records them in {facts.table} "
            f"as {facts.tool} does) or with `{facts.apply_command}`.")
    fix: str | None = None  # the catalogue's: deploy-check provision schema
    outside = pending_outside(ctx, facts.pending) if facts.pending and not facts.blocked and not facts.foreign else []
    refused = ""
    if outside:
        refused, hint, fix = _around_transaction(facts, migrator, outside)
    if facts.blocked:
        return failed(f"{source.path}: {facts.blocked}", hint=("Convert the history with `npx drizzle-kit up`, then "
                                                                f"apply it with `{facts.apply_command}` or "
                                                                "`deploy-check provision schema`."), **details)
    if facts.foreign:
        return failed(f"{source.path}: {facts.foreign}; reading it as {facts.tool}'s would misname what "
                      "is applied, so nothing is judged",
                      hint=("Apply the migrations with the tool that recorded them; two migrators on one "
                            "database need a history table each."),
                      **details)
    # The schema's own facts (its parse, its tables in the database) matter only where
    # something is still to apply: an applied history is judged by its table and the files'
    # hashes alone, and parses nothing (issue 21: no pglast on a no-op).
    schema_facts_now = await schema_facts(ctx) if facts.pending or not facts.table_exists else None
    if schema_facts_now is not None and schema_facts_now.problem_hint:
        # A history written for another database (MySQL's backticks): `provision schema`
        # would refuse it, so the fix is the app's own regeneration, not ours.
        return failed(f"{source.path}: {plural(len(facts.pending), 'migration')} pending, which PostgreSQL "
                      f"cannot apply: {schema_facts_now.problem}", hint=schema_facts_now.problem_hint, fix="",
                      **details)
    if schema_facts_now is not None and not facts.table_exists:
        if schema_facts_now.present:
            by_hand = (f"{facts.table} does not exist although the schema's tables do: they were applied by hand, "
                       f"not through the migrator, so `{facts.apply_command}` would try to apply "
                       f"{every(facts.files, 'migration')} again")
            if outside:  # neither command does it: `provision schema` refuses, the migrator re-applies
                return warned(by_hand, hint=f"{refused}. Record the applied ones with {facts.tool}'s own tooling.",
                              fix="", **details)
            return warned(by_hand, hint=("`deploy-check provision schema` records them as applied in "
                                         f"{facts.table} (it applies only what is missing)."), **details)
        return failed(f"{facts.table} does not exist: {every(facts.files, 'migration')} of "
                      f"{source.path} {verb_for(facts.files, 'is', 'are')} pending ({listed(facts.pending_names)})", hint=hint, fix=fix,
                      **details)
    problems = []
    if facts.failed:
        problems.append(f"failed: {listed(facts.failed)}")
    if facts.pending:
        problems.append(f"{plural(len(facts.pending), 'migration')} pending: {listed(facts.pending_names)}")
    if facts.changed:
        problems.append(f"changed since applied: {listed(facts.changed)}")
    if facts.missing_locally:
        problems.append(f"applied but missing locally: {listed(facts.missing_locally)}")
    if problems:
        if facts.failed or facts.changed:
            hint += " A changed file: restore it from git; a failed one: fix it and mark it resolved with the migrator."
        return failed(f"{source.path} ({facts.table}): " + "; ".join(problems), hint=hint, fix=fix, **details)
    return passed(f"{every(facts.files, 'migration')} of {source.path} {verb_for(facts.files, 'is', 'are')} "
                  "applied and unchanged "
                  f"({facts.table})", **details)
