"""Schema family: the tables `schema.sql` creates exist (DB004) and have not drifted
from it (DB005). Expected tables come from pglast, never from regular expressions."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checks.core.context import Context
from checks.core.db import app_search_path, database_timeout, shared_connection
from checks.core.model import (
    Outcome,
    Spec,
    failed,
    listed,
    passed,
    plural,
    skipped,
    unverified,
    warned,
)
from checks.core.registry import check
from checks.core.sources import schema_paths, schema_sources
from checks.migrations import migrator_for
from checks.schema.platform import references, stand_in_sql
from checks.schema.scratch import (
    SCRATCH_PREFIX,
    NoScratchServer,
    missing_extensions,
    scratch_server,
    sweep,
)
from checks.schema.sqlmodel import Column, ParsedSchema, SchemaSyntaxError, TableName, parse_sources
from checks.support.errors import DeployCheckError
from checks.support.pg import connect
from checks.support.pgurl import InvalidDatabaseUrl

if TYPE_CHECKING:
    import psycopg

    from checks.schema.sqlmodel import ParsedSchema, TableName

FIX_SCHEMA = "deploy-check provision schema"

DB004 = Spec(
    "DB004", "schema", "Every table schema.sql creates exists",
    "Parses schema.sql (or the migrations) with PostgreSQL's own parser and looks every "
    "table it creates up in information_schema.tables, in its schema, in one query. "
    "`[database] expected_tables` adds more.",
    "Apply the schema to this database.", FIX_SCHEMA,
)
DB005 = Spec(
    "DB005", "schema", "Tables match schema.sql (no drift)",
    "Applies schema.sql to a scratch database on a server of our own (the embedded "
    "PostgreSQL started for the run, or `[database] scratch_url`; never the app's server), "
    "then compares column names, types and nullability of every expected table with the "
    "live database. Where no such server can be had (or it lacks an extension the schema "
    "creates), compares column names from the parsed statements and says why.",
    "Write a migration that brings the live table in line with schema.sql (or update "
    "schema.sql to what production really has); `provision schema` never alters tables.",
)

# One query for any number of tables: the pairs travel as two parallel arrays.
# Only a table counts: a view, a foreign table or a materialized view of the same name
# holds no rows of the app's own (a partitioned table is a 'BASE TABLE' here too).
PRESENT_TABLES = """
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND (table_schema, table_name) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
"""
RELKINDS = {"v": "a view", "m": "a materialized view", "f": "a foreign table", "S": "a sequence",
            "i": "an index", "c": "a composite type"}
COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND (n.nspname, c.relname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
ORDER BY n.nspname, c.relname, a.attnum
"""
# Statements whose objects live in the cluster, not in the scratch database.
CLUSTER_WIDE = {"CreateRoleStmt", "CreateTableSpaceStmt"}

ColumnShape = tuple[str, bool]  # (type as format_type prints it, NOT NULL)


@dataclass
class SchemaFacts:
    parsed: ParsedSchema | None = None
    problem: str | None = None  # no schema file, syntax error, unreachable database
    problem_is_skip: bool = False
    unverified: bool = False  # the skip leaves the schema clause of the gate unchecked
    expected: list[TableName] = field(default_factory=list)
    present: set[TableName] = field(default_factory=set)


def _arrays(tables: list[TableName]) -> tuple[list[str], list[str]]:
    return [t.schema for t in tables], [t.name for t in tables]


async def present_tables(connection: psycopg.AsyncConnection[Any],
                         tables: list[TableName]) -> set[TableName]:

    cursor = await connection.execute(PRESENT_TABLES, _arrays(tables))
    return {TableName(schema, name) for schema, name in await cursor.fetchall()}


async def table_columns(connection: psycopg.AsyncConnection[Any],
                        tables: list[TableName]) -> dict[TableName, dict[str, ColumnShape]]:

    cursor = await connection.execute(COLUMNS, _arrays(tables))
    found: dict[TableName, dict[str, ColumnShape]] = {}
    for schema, table, column, type_name, not_null in await cursor.fetchall():
        found.setdefault(TableName(schema, table), {})[column] = (type_name, bool(not_null))
    return found


async def existing_kinds(connection: psycopg.AsyncConnection[Any],
                         tables: list[TableName]) -> dict[TableName, str]:
    """Those of `tables` that exist in pg_class, with their relkind: a table that
    information_schema hides (no privilege), or another kind of object of that name."""

    cursor = await connection.execute(
        "SELECT t.schema, t.name, c.relkind::text FROM unnest(%s::text[], %s::text[]) AS t(schema, name) "
        "JOIN pg_namespace n ON n.nspname = t.schema "
        "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name",
        _arrays(tables))
    return {TableName(schema, name): kind for schema, name, kind in await cursor.fetchall()}


def expected_tables(ctx: Context, parsed: ParsedSchema) -> list[TableName]:
    tables = list(parsed.tables)
    for text in ctx.config.expected_tables:
        try:
            extra = TableName.parse(text)
        except ValueError as exc:
            raise DeployCheckError(f"deploy-check.toml: database.expected_tables: {exc}") from None
        if extra not in tables:
            tables.append(extra)
    return tables


PARSE_CACHE_FILE = ".deploy-check/schema-parse.json"


def _inputs_digest(ctx: Context, *extra: object) -> str:
    import pglast  # start-up: only runs that read SQL load pglast

    digest = hashlib.sha256()
    for source in schema_sources(ctx):
        digest.update(json.dumps([str(source.path), source.first_line]).encode())
        digest.update(source.sql.encode())
    digest.update(json.dumps([app_search_path(ctx), str(pglast.__version__), *map(str, extra)]).encode())
    return digest.hexdigest()


def _write_cache(ctx: Context, relative: str, payload: dict[str, Any]) -> None:
    cache = ctx.project / relative
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        ignore = cache.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass  # a read-only project: the next run parses again


def parsed_schema(ctx: Context, *, complete: bool = False) -> ParsedSchema:
    """The schema as parse_sources reads it; for an unchanged schema (sha256 of the files
    and the app's search_path), the tables and objects come from a cache under
    .deploy-check/ instead of pglast (0.5 s at 1,000 tables). Only a schema with nothing
    the guard or the transaction rules object to is cached, so a refusal is never skipped.
    `complete=True` always parses (the statements themselves are needed)."""


    key = _inputs_digest(ctx)
    if not complete:
        try:
            stored = json.loads((ctx.project / PARSE_CACHE_FILE).read_text(encoding="utf-8"))
            if stored.get("key") == key:
                return ParsedSchema(
                    tables={TableName(str(schema), str(name)): [Column(str(c), bool(n)) for c, n in columns]
                            for schema, name, columns in stored["tables"]},
                    objects=[(str(k), str(s), str(n), str(t)) for k, s, n, t in stored["objects"]],
                    search_path=app_search_path(ctx), complete=False)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no cache, or an unreadable one: parse
    parsed = parse_sources(schema_sources(ctx), app_search_path(ctx))
    if not (parsed.destructive or parsed.irreversible or parsed.copies or parsed.unsupported
            or parsed.skipped):
        _write_cache(ctx, PARSE_CACHE_FILE, {
            "key": key, "objects": [list(o) for o in parsed.objects],
            "tables": [[t.schema, t.name, [[c.name, c.not_null] for c in columns]]
                       for t, columns in parsed.tables.items()]})
    return parsed


async def collect(ctx: Context) -> SchemaFacts:
    import psycopg  # start-up: only runs that reach a database load psycopg


    if not schema_paths(ctx):
        if ctx.config.schema:  # named on purpose: its absence is a gap, not "no schema"
            return SchemaFacts(problem=f"[project] schema = {ctx.config.schema!r} in deploy-check.toml, "
                               f"but {ctx.config.schema} is missing or holds no .sql file")
        if ctx.model.schema is not None:
            return SchemaFacts(problem=f"{ctx.model.schema.path} ({ctx.model.schema.kind}, "
                               f"{ctx.model.schema.why}) holds no migration file yet")
        return await _without_schema(ctx)
    try:
        parsed = parsed_schema(ctx)
    except SchemaSyntaxError as exc:
        return SchemaFacts(problem=f"the schema does not parse: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        return SchemaFacts(problem=f"cannot read the schema: {exc}")
    facts = SchemaFacts(parsed, expected=expected_tables(ctx, parsed))
    if not facts.expected:
        facts.problem, facts.problem_is_skip = "the schema creates no table", True
        return facts
    try:
        connection = await shared_connection(ctx)
        facts.present = await present_tables(connection, facts.expected)
    except (psycopg.Error, OSError, TimeoutError, InvalidDatabaseUrl) as exc:
        facts.problem = f"the database is not reachable: {ctx.mask(str(exc)) or type(exc).__name__}"
        facts.problem_is_skip = True
    return facts


# Tables the app could have created, outside the schemas a platform or PostgreSQL owns.
USER_TABLES = """
SELECT count(*) FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND table_schema NOT IN ('pg_catalog', 'information_schema', 'auth', 'storage', 'realtime',
                           'supabase_functions', 'supabase_migrations', 'extensions', 'graphql',
                           'graphql_public', 'pgsodium', 'vault', 'net', 'cron', 'neon_auth',
                           'drizzle', '_realtime', 'pgbouncer')
  AND table_schema NOT LIKE 'pg\\_%'
"""


async def _without_schema(ctx: Context) -> SchemaFacts:
    """No schema source: an empty database must not pass (the app's tables were never
    created); tables that are there cannot be judged, and the report says so."""
    import psycopg  # start-up: only runs that reach a database load psycopg


    looked = ctx.model.schema_why
    try:
        connection = await shared_connection(ctx)
        cursor = await connection.execute(USER_TABLES)
        row = await cursor.fetchone()
        count = int(row[0]) if row else 0
    except (psycopg.Error, OSError, TimeoutError, InvalidDatabaseUrl) as exc:
        return SchemaFacts(problem=f"{looked}; and the database is not reachable: "
                           f"{ctx.mask(str(exc)) or type(exc).__name__}", problem_is_skip=True)
    if count == 0:
        return SchemaFacts(problem=f"the database has no table of the app, and {looked}: nothing "
                           "says what it should hold")
    return SchemaFacts(problem=f"schema: {looked}; the database's {count} tables are not verified",
                       problem_is_skip=True, unverified=True)


async def schema_facts(ctx: Context) -> SchemaFacts:
    return await ctx.fact("schema", lambda: collect(ctx))


def _budget(ctx: Context) -> float:
    return database_timeout(ctx) * 2 + 5


@check(DB004, needs=("DB002",), budget=_budget)
async def tables_exist(ctx: Context) -> Outcome:
    facts = await schema_facts(ctx)
    if facts.problem and facts.unverified:
        return unverified(facts.problem, "set [project] schema in deploy-check.toml")
    if facts.problem:
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
        return failed("; ".join(parts), fix=None if absent else "", hint=hint, **details)
    return passed(f"all {len(facts.expected)} expected tables exist "
                  f"(checked in information_schema.tables)", **details)


def compare(expected: dict[TableName, dict[str, ColumnShape]],
            live: dict[TableName, dict[str, ColumnShape]], *, names_only: bool) -> dict[str, Any]:
    """Per table: columns missing, extra, and with another type or nullability."""
    drift: dict[str, Any] = {}
    for table, columns in expected.items():
        actual = live.get(table)
        if actual is None:
            continue  # DB004's business
        entry: dict[str, Any] = {}
        missing = [c for c in columns if c not in actual]
        extra = [c for c in actual if c not in columns]
        if missing:
            entry["missing"] = missing
        if extra:
            entry["extra"] = extra
        if not names_only:
            changed = {
                name: {"expected": _shape(shape), "actual": _shape(actual[name])}
                for name, shape in columns.items() if name in actual and actual[name] != shape
            }
            if changed:
                entry["changed"] = changed
        if entry:
            drift[str(table)] = entry
    return drift


def _shape(shape: ColumnShape) -> str:
    return f"{shape[0]}{' NOT NULL' if shape[1] else ''}"


async def _copy_platform_objects(ctx: Context, parsed: ParsedSchema,
                                 scratch: psycopg.AsyncConnection[Any]) -> None:
    """auth.users, auth.uid(), anon/authenticated/service_role, neon_auth.users_sync…: the
    platform's objects the schema references, copied from the live database (read-only
    there) so the schema applies to the scratch database as it does to the live one."""
    import psycopg  # start-up: only runs that reach a database load psycopg


    refs = references(parsed)
    if not refs:
        return
    statements = await stand_in_sql(await shared_connection(ctx), refs)
    # A copied function body may name objects copied after it: its body is not checked now.
    await scratch.execute("SET LOCAL check_function_bodies = off")
    for text in statements:
        try:
            await scratch.execute(text)
        except psycopg.Error as exc:
            raise RuntimeError(f"copying the platform's `{text[:60]}` from the live database: "
                               f"{exc.diag.message_primary or exc}") from None


async def scratch_columns(ctx: Context, parsed: ParsedSchema, tables: list[TableName],
                          live_major: int) -> tuple[dict[TableName, dict[str, ColumnShape]], str]:
    """Apply the schema to a throw-away database on a server of our own (checks/schema/scratch.py)
    and read back what it made, with the label of that server. Raises NoScratchServer when
    there is none (or it lacks an extension the schema creates): DB005 then compares names."""
    import psycopg  # start-up: only runs that reach a database load psycopg
    from pglast import ast  # start-up: only runs that read SQL load pglast
    from psycopg import sql  # start-up: only runs that reach a database load psycopg


    if parsed.unsupported:
        first = parsed.unsupported[0]
        raise RuntimeError(f"{first.where}: transaction control `{first.first_line}` cannot run "
                           "inside one transaction")
    server = await scratch_server(ctx, live_major)
    timeout = database_timeout(ctx)
    try:
        admin = await connect(server.admin_url, timeout)
    except (psycopg.Error, OSError, TimeoutError) as exc:
        raise NoScratchServer(f"cannot connect to {server.label}: {ctx.mask(str(exc))}") from None
    try:
        wanted = sorted({str(s.node.extname) for s in parsed.statements
                         if isinstance(s.node, ast.CreateExtensionStmt)})
        lacking = await missing_extensions(admin, wanted)
        if lacking:
            raise NoScratchServer(f"{server.label} lacks the extension"
                                  f"{'s' if len(lacking) > 1 else ''} {', '.join(lacking)} the schema creates")
        if server.sweep:
            await sweep(admin)
        name = SCRATCH_PREFIX + secrets.token_hex(6)
        try:
            await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise NoScratchServer(f"the role of {server.label} may not create databases: {exc}") from None
        try:
            scratch = await connect(server.admin_url, timeout, autocommit=False, dbname=name)
            try:
                if parsed.search_path:  # as the app's connections (Prisma's ?schema= too)
                    await scratch.execute(sql.SQL("SET search_path TO {}").format(
                        sql.SQL(", ").join(sql.Identifier(p) for p in parsed.search_path if p != "$user")))
                await _copy_platform_objects(ctx, parsed, scratch)
                # One transaction, rolled back: cluster-wide objects such as roles do not
                # outlive the check. A role that already exists on a shared scratch server
                # is not a failure to apply "from scratch": such statements run under a savepoint.
                # One round trip for the whole file; only when it fails are the statements
                # run one by one, to name the failing one (or skip an existing role).
                await scratch.execute("SAVEPOINT deploy_check_batch")
                try:
                    await scratch.execute("\n;\n".join(s.text for s in parsed.statements))
                    return await table_columns(scratch, tables), server.label
                except psycopg.Error:
                    await scratch.execute("ROLLBACK TO SAVEPOINT deploy_check_batch")
                for statement in parsed.statements:
                    cluster_wide = statement.kind in CLUSTER_WIDE
                    try:
                        if cluster_wide:
                            await scratch.execute("SAVEPOINT deploy_check_global")
                        await scratch.execute(statement.text)
                    except psycopg.Error as exc:
                        if cluster_wide and exc.sqlstate == "42710":  # duplicate_object
                            await scratch.execute("ROLLBACK TO SAVEPOINT deploy_check_global")
                            continue
                        message = exc.diag.message_primary or str(exc)
                        hint = f" — PostgreSQL's hint: {exc.diag.message_hint}" if exc.diag.message_hint else ""
                        if exc.sqlstate == "53200":  # out of shared memory: a server limit, not drift
                            raise NoScratchServer(f"{server.label} ran out of shared memory: "
                                                  f"{message}{hint}") from None
                        raise RuntimeError(f"{statement.where}: {message} "
                                           f"(in `{statement.first_line}`){hint}") from None
                return await table_columns(scratch, tables), server.label
            finally:
                await scratch.rollback()
                await scratch.close()
        finally:
            await admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        await admin.close()


CACHE_FILE = ".deploy-check/schema-target.json"


def _cache_key(ctx: Context, live_major: int) -> str:
    """sha256 of what decides the target: the schema files' text (in order), the app's
    search_path, the scratch server asked for, and the live server's major version."""
    return _inputs_digest(ctx, ctx.config.scratch_url or "", live_major)


async def target_columns(ctx: Context, parsed: ParsedSchema,
                         live_major: int) -> tuple[dict[TableName, dict[str, ColumnShape]], str]:
    """What the schema makes of every table it creates (types as PostgreSQL prints them),
    built on a scratch database once and then read from a cache under the project's
    .deploy-check/ while the schema inputs and the server's major version stay the same:
    an unchanged schema costs no scratch database at all."""


    key = _cache_key(ctx, live_major)
    cache = ctx.project / CACHE_FILE
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            columns = {TableName(str(schema), str(name)): {c: (str(t), bool(n)) for c, (t, n) in cols.items()}
                       for schema, name, cols in stored["columns"]}
            return columns, f"{stored['label']}, cached for this schema"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no cache, or one from another version: build it
    if not parsed.complete:
        parsed = parsed_schema(ctx, complete=True)
    columns, label = await asyncio.wait_for(scratch_columns(ctx, parsed, list(parsed.tables), live_major),
                                            _budget(ctx) + 50)
    _write_cache(ctx, CACHE_FILE, {
        "key": key, "label": label,
        "columns": [[t.schema, t.name, {c: list(shape) for c, shape in cols.items()}]
                    for t, cols in columns.items()]})
    return columns, label


@check(DB005, needs=("DB004",), budget=lambda ctx: _budget(ctx) + 60)
async def no_drift(ctx: Context) -> Outcome:
    import psycopg  # start-up: only runs that reach a database load psycopg


    facts = await schema_facts(ctx)
    if facts.problem or facts.parsed is None:
        return skipped(facts.problem or "no schema")
    tables = [t for t in facts.parsed.tables if t in facts.present]
    if not tables:
        return skipped("none of the schema's tables exists yet (see DB004)")

    connection = await shared_connection(ctx)
    live = await table_columns(connection, tables)
    live_major = connection.info.server_version // 10000
    try:
        expected, label = await target_columns(ctx, facts.parsed, live_major)
        expected = {t: expected[t] for t in tables if t in expected}
        method = f"a scratch database on {label}"
        names_only = False
    except NoScratchServer as exc:
        method = f"column names from the parsed statements ({ctx.mask(str(exc))})"
        expected = {t: {c.name: ("", c.not_null) for c in facts.parsed.tables[t]} for t in tables}
        names_only = True
    except RuntimeError as exc:
        return failed(f"the schema does not apply to a fresh database: {ctx.mask(str(exc))}",
                      hint="Fix the schema so it applies from scratch; a new environment starts empty.")
    except psycopg.Error as exc:
        return failed(f"could not build the comparison: {ctx.mask(str(exc))}")
    drift = compare(expected, live, names_only=names_only)
    details: dict[str, Any] = {"method": method, "drift": drift, "tables": [str(t) for t in tables]}
    blocking = {t: e for t, e in drift.items() if "missing" in e or "changed" in e}
    if blocking:
        parts = []
        for table, entry in blocking.items():
            found = [f"missing {', '.join(entry['missing'])}"] if "missing" in entry else []
            found += [f"{col} is {c['actual']}, schema says {c['expected']}"
                      for col, c in entry.get("changed", {}).items()]
            parts.append(f"{table}: {'; '.join(found)}")
        return failed(f"{plural(len(blocking), 'table')} drifted from the "
                      f"schema: {' | '.join(parts)} (compared via {method})", **details)
    if drift:
        extra = "; ".join(f"{t}: {', '.join(e['extra'])}" for t, e in drift.items())
        return warned(f"columns the schema does not declare: {extra} (compared via {method})",
                      **details)
    return passed(f"{plural(len(tables), 'table')} {'matches' if len(tables) == 1 else 'match'} the schema (compared via {method})", **details)


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


@check(DB006, needs=("DB002",), budget=_budget)
async def history_agrees(ctx: Context) -> Outcome:
    import psycopg  # start-up: only runs that reach a database load psycopg


    source = ctx.model.schema
    migrator = migrator_for(ctx)
    if source is None or migrator is None:
        return skipped(f"no migration history: the schema source is "
                       f"{source.path if source else 'not found'}")
    try:
        migrations = migrator.migrations(ctx.path(source.path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return failed(f"cannot read the {migrator.tool} migrations in {source.path}: {exc}")
    if not migrations:
        # No file to compare the history with: never "all 0 migrations applied".
        return skipped(f"{source.path} holds no {migrator.tool} migration yet (DB004 says what that means)")
    try:
        connection = await shared_connection(ctx)
    except (psycopg.Error, TimeoutError, InvalidDatabaseUrl) as exc:
        return skipped(f"the database is not reachable: {ctx.mask(str(exc)) or type(exc).__name__}")
    try:
        facts = await migrator.history(connection, migrations)
    except (psycopg.OperationalError, psycopg.InterfaceError, TimeoutError) as exc:
        return skipped(f"the database is not reachable: {ctx.mask(str(exc)) or type(exc).__name__}")
    except psycopg.Error as exc:
        # Reached, but its history could not be read (no permission on the schema, a column
        # of another type): nothing is judged, and it says so.
        return failed(f"cannot read {migrator.table}: {ctx.mask(str(exc).strip()) or type(exc).__name__}",
                      hint="Give the app's database user read access to the migrator's history table.")
    details: dict[str, Any] = {"tool": facts.tool, "table": facts.table, "pending": facts.pending_names,
                               "failed": facts.failed, "changed": facts.changed,
                               "missing_locally": facts.missing_locally,
                               "applied": facts.applied, "files": facts.files}
    hint = (f"Apply them with `deploy-check provision schema` (it records them in {facts.table} "
            f"as {facts.tool} does) or with `{facts.apply_command}`.")
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
    if not facts.table_exists:
        schema_facts_now = await schema_facts(ctx)
        if schema_facts_now.present:
            return warned(f"{facts.table} does not exist although the schema's tables do: they were "
                          f"applied by hand, not through the migrator, so `{facts.apply_command}` would "
                          f"try to apply all {plural(facts.files, 'migration')} again",
                          hint=("`deploy-check provision schema` records them as applied in "
                                f"{facts.table} (it applies only what is missing)."), **details)
        return failed(f"{facts.table} does not exist: all {plural(facts.files, 'migration')} of "
                      f"{source.path} are pending ({listed(facts.pending_names)})", hint=hint, **details)
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
        return failed(f"{source.path} ({facts.table}): " + "; ".join(problems), hint=hint, **details)
    return passed(f"all {plural(facts.files, 'migration')} of {source.path} are applied and unchanged "
                  f"({facts.table})", **details)
