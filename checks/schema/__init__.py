"""Schema family: the tables `schema.sql` (or the migration history) creates exist (DB004),
have not drifted from it (DB005, drift.py), and the migrator's own history agrees with the
files (DB006, history.py). Expected tables come from pglast, never from regular expressions."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

from checks.core.context import Context
from checks.core.db import database_url, shared_connection
from checks.core.model import (
    Outcome,
    Spec,
    every,
    failed,
    listed,
    passed,
    skipped,
    unverified,
    verb_for,
)
from checks.core.registry import check
from checks.core.sources import schema_paths
from checks.project.reading import package_json, relative
from checks.project.workspace import workspace_packages
from checks.schema.facts import (
    FIX_SCHEMA,
    RELKINDS,
    SchemaFacts,
    existing_kinds,
    parsed_schema,
    schema_budget,
    schema_facts,
)
from checks.schema.platform import missing_platforms, references
from checks.support.hosts import is_loopback
from checks.support.pgurl import InvalidDatabaseUrl, parse_database_url

DB004 = Spec(
    "DB004", "schema", "Every table the schema or its migrations create exists",
    "Parses schema.sql (or the migrations) with PostgreSQL's own parser and looks every "
    "table it creates up in information_schema.tables, in its schema, in one query. "
    "`[database] expected_tables` adds more. With no schema source, an empty database of an app "
    "whose runtime module runs CREATE TABLE itself is unverified: its tables appear once it runs.",
    "Apply the schema to this database.", FIX_SCHEMA,
)

NO_SOURCE_HINT = ("Nothing in the project says how the app creates its tables (no schema.sql, migrations "
                  "folder or db:push script): create them with the app's own tool, then add a schema.sql "
                  "(or set [project] schema in deploy-check.toml) so each table can be verified.")


@check(DB004, needs=("DB002",), budget=schema_budget)
async def tables_exist(ctx: Context) -> Outcome:
    facts = await schema_facts(ctx)
    if facts.problem and facts.unverified:
        if facts.problem_hint:
            return replace(unverified(facts.problem), hint=facts.problem_hint, fix="")
        return unverified(facts.problem, None if ctx.model.other_database or facts.parsed is not None
                          else "set [project] schema in deploy-check.toml")
    if facts.problem and facts.parsed is None and not schema_paths(ctx) and not facts.problem_is_skip:
        # No schema file, no migrations folder: `provision schema` has nothing to apply. An
        # app that creates its tables with `drizzle-kit push` / `prisma db push` has its
        # own script for it.
        script = push_script(ctx)
        if script:
            return failed(facts.problem, fix=script,
                          hint=f"The app creates its tables with its own `{script}`: run it against "
                               "this database.")
        return failed(facts.problem, fix="", hint=NO_SOURCE_HINT)
    if facts.problem:
        if facts.problem_hint:
            return failed(facts.problem, hint=facts.problem_hint, fix="")
        return skipped(facts.problem) if facts.problem_is_skip else failed(facts.problem)
    missing = [table for table in facts.expected if table not in facts.present]
    details: dict[str, Any] = {"expected": [str(t) for t in facts.expected],
                               "missing": [str(t) for t in missing]}
    if missing:
        import psycopg  # start-up: only runs that reach a database load psycopg


        # information_schema.tables hides what the role may not touch: such a table exists,
        # and `provision schema` cannot help; say so instead of calling it missing.
        try:
            kinds = await existing_kinds(await shared_connection(ctx), missing)
        except psycopg.Error:
            kinds = {}  # the lookup is a refinement: "missing" stays the safe answer
        hidden = [t for t in missing if kinds.get(t) in ("r", "p")]
        other = {t: RELKINDS.get(kinds[t], f"relkind {kinds[t]}") for t in missing
                 if t in kinds and kinds[t] not in ("r", "p")}
        absent = [t for t in missing if t not in kinds]
        parts = []
        if other:
            parts.append("; ".join(f"{t} exists as {what}, not as a table" for t, what in other.items()))
            details["wrong_kind"] = {str(t): what for t, what in other.items()}
        if absent:
            parts.append(f"{len(absent)} of {len(facts.expected)} expected tables "
                         f"{'is' if len(absent) == 1 else 'are'} missing: {listed(absent)}")
        if hidden:
            parts.append(f"{listed(hidden)} exist{'s' if len(hidden) == 1 else ''} but "
                         "the role of DATABASE_URL has no privilege on "
                         f"{'it' if len(hidden) == 1 else 'them'}")
        details["no_privilege"] = [str(t) for t in hidden]
        hint = None
        if not absent and hidden and not other:
            hint = "GRANT the app's role access to these tables (SELECT, INSERT, UPDATE, DELETE as it needs)."
        elif not absent and other:
            hint = ("Drop or rename the object that takes the table's name (provision schema will "
                    "not do it: that is a destructive change), then apply the schema.")
        fix = None if absent else ""
        platforms = await _missing_platforms_here(ctx, facts) if absent else []
        if platforms:
            # A plain local PostgreSQL lacks the platform's schema: the stand-ins go into the
            # user's own database, not into a new one.
            fix = f"{FIX_SCHEMA} --platform {platforms[0]}"
            hint = (f"The schema references {platforms[0]}'s own tables, which this local database "
                    f"lacks: `{fix}` adds minimal stand-ins for them, then applies the schema.")
            details["missing_platform"] = platforms
        return failed("; ".join(parts), fix=fix, hint=hint, **details)
    return passed(f"{every(len(facts.expected), 'expected table')} {verb_for(len(facts.expected), 'exists', 'exist')} "
                  f"(checked in information_schema.tables)", **details)


# Tools that create the tables straight from the schema code, without migration files.
PUSH_COMMANDS = ("drizzle-kit push", "prisma db push")
# How each package manager runs a package.json script (each tool's docs).
RUN_SCRIPT = {"npm": "npm run", "pnpm": "pnpm run", "yarn": "yarn", "bun": "bun run"}


def push_script(ctx: Context) -> str | None:
    """`npm run db:push` when a package.json script of the app, of its workspace root or of a
    workspace package it depends on runs `drizzle-kit push` or `prisma db push`
    (t3-oss/create-t3-turbo: packages/db/package.json `"push": "pnpm with-env drizzle-kit push"`)."""
    root = (ctx.project / (ctx.model.workspace_root or ".")).resolve()
    packages = workspace_packages(ctx.project.resolve(), root, package_json(ctx.project)) if root != ctx.project.resolve() else []
    for directory in dict.fromkeys((ctx.project, root, *packages)):
        scripts = (package_json(directory) or {}).get("scripts") or {}
        for name, command in scripts.items() if isinstance(scripts, dict) else ():
            if isinstance(command, str) and _runs_push(directory, command):
                run = f"{RUN_SCRIPT.get(ctx.model.package_manager or 'npm', 'npm run')} {shlex.quote(name)}"
                return run if directory == ctx.project else f"cd {shlex.quote(relative(ctx.project, directory))} && {run}"
    return None


# A root script that runs a package's own script (saasfly's package.json: `"db:push": "cd
# ./packages/db/ && bun db:push"`, whose packages/db script runs `prisma db push`).
CD_THEN_RUN = re.compile(r"^cd\s+(?P<dir>[^\s&;|]+)\s*&&\s*(?:bun|pnpm|yarn|npm)\s+(?:run\s+)?(?P<script>[\w:.-]+)")


def _runs_push(directory: Path, command: str) -> bool:
    if any(push in command for push in PUSH_COMMANDS):
        return True
    called = CD_THEN_RUN.match(command.strip())
    if called is None:
        return False
    scripts = (package_json(directory / called["dir"]) or {}).get("scripts") or {}
    inner = scripts.get(called["script"]) if isinstance(scripts, dict) else None
    return isinstance(inner, str) and any(push in inner for push in PUSH_COMMANDS)


async def _missing_platforms_here(ctx: Context, facts: SchemaFacts) -> list[str]:
    """The platforms (supabase, neon-auth) whose schemas the app's schema references and
    this database, on this machine, lacks. A remote database is the platform's own: none."""
    import psycopg  # start-up: only runs that reach a database load psycopg

    try:
        where = parse_database_url(database_url(ctx))
    except InvalidDatabaseUrl:
        return []
    if facts.parsed is None or not all(is_loopback(host) for host in where.hosts):
        return []
    # A schema served from the parse cache has its tables, not its statements: read them.
    parsed = facts.parsed if facts.parsed.complete else parsed_schema(ctx, complete=True)
    try:
        return await missing_platforms(await shared_connection(ctx), references(parsed))
    except psycopg.Error:
        return []  # a refinement of the fix: the plain one stays


# The family's other checks register on import (the registry imports this package).
from checks.schema import drift, history  # noqa: E402, F401
