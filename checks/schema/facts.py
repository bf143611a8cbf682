"""What the schema checks judge, gathered once per run: the schema source parsed (cached by
its inputs' digest), the tables it creates, and which of them the live database holds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checks.core.context import Context
from checks.core.db import app_search_path, database_timeout, shared_connection
from checks.core.evidence import file_digest
from checks.core.sources import schema_paths, schema_sources
from checks.schema.dialect import FOREIGN_HINT, foreign_syntax, syntax_problem
from checks.schema.names import TableName
from checks.schema.sqlmodel import Column, ParsedSchema, SchemaSyntaxError, parse_sources
from checks.support.errors import DeployCheckError
from checks.support.files import SCHEMA_LIMIT
from checks.support.pgurl import InvalidDatabaseUrl
from checks.support.state import read_state, write_state

if TYPE_CHECKING:
    import psycopg

    from checks.schema.names import TableName
    from checks.schema.sqlmodel import ParsedSchema


FIX_SCHEMA = "deploy-check provision schema"



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
    problem_hint: str | None = None  # where the catalogue's hint and fix do not apply
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
    # Each file's own digest (read once per run, shared with the report's inputs and the
    # migrator's checksums): its text, and so what the parse would see, is a function of it.
    try:
        for path in schema_paths(ctx):
            found = file_digest(ctx, path)
            if found.size > SCHEMA_LIMIT:
                raise OSError(f"{path.name} is over the size limit")
            digest.update(json.dumps([str(path), found.raw]).encode())
    except OSError:
        # Unreadable or too large: reading it the parse's way says why, in its own words.
        for source in schema_sources(ctx):
            digest.update(source.sql.encode())
    digest.update(json.dumps([app_search_path(ctx), str(pglast.__version__), *map(str, extra)]).encode())
    return digest.hexdigest()



def parsed_schema(ctx: Context, *, complete: bool = False) -> ParsedSchema:
    """The schema as parse_sources reads it; for an unchanged schema (sha256 of the files
    and the app's search_path), the tables and objects come from a cache under
    .deploy-check/ instead of pglast (0.5 s at 1,000 tables). Only a schema with nothing
    the guard or the transaction rules object to is cached, so a refusal is never skipped.
    `complete=True` always parses (the statements themselves are needed)."""


    key = _inputs_digest(ctx)
    if not complete:
        try:
            stored = (read_state(ctx.project, PARSE_CACHE_FILE) or ({}, 0))[0]
            if stored.get("key") == key:
                return ParsedSchema(
                    tables={TableName(str(schema), str(name)): [Column(str(c), bool(n)) for c, n in columns]
                            for schema, name, columns in stored["tables"]},
                    objects=[(str(k), str(s), str(n), str(t)) for k, s, n, t in stored["objects"]],
                    search_path=app_search_path(ctx), complete=False)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no cache, or an unreadable one: parse
    parsed = parse_sources(schema_sources(ctx), app_search_path(ctx))
    if not (parsed.destructive or parsed.irreversible or parsed.unproven or parsed.copies or parsed.unsupported
            or parsed.skipped):
        write_state(ctx.project, PARSE_CACHE_FILE, {
            "key": key, "objects": [list(o) for o in parsed.objects],
            "tables": [[t.schema, t.name, [[c.name, c.not_null] for c in columns]]
                       for t, columns in parsed.tables.items()]})
    return parsed



async def collect(ctx: Context) -> SchemaFacts:
    import psycopg  # start-up: only runs that reach a database load psycopg


    if ctx.model.other_database:
        return SchemaFacts(problem=f"database: {ctx.model.other_database}; deploy-check checks "
                           "PostgreSQL only", problem_is_skip=True, unverified=True)
    if not schema_paths(ctx):
        if ctx.config.schema:  # named on purpose: its absence is a gap, not "no schema"
            return SchemaFacts(problem=f"[project] schema = {ctx.config.schema!r} in deploy-check.toml, "
                               f"but {ctx.config.schema} is missing or holds no .sql file")
        if ctx.model.schema is not None:
            # An app that pushes its schema (skateshop: `drizzle-kit push`, an out folder holding
            # only meta/_journal.json) has its tables without a migration file: judged as no source.
            return await _without_schema(ctx, f"{ctx.model.schema.path} ({ctx.model.schema.kind}, "
                                              f"{ctx.model.schema.why}) holds no migration file yet")
        return await _without_schema(ctx)
    try:
        parsed = parsed_schema(ctx)
    except SchemaSyntaxError as exc:
        foreign = foreign_syntax(ctx, exc) is not None
        return SchemaFacts(problem=syntax_problem(ctx, exc), problem_hint=FOREIGN_HINT if foreign else None)
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
        # Reached only where DB002 was left out of the run (else DB004 waits for it): a
        # clause nobody checked, never a quiet skip (`check --only schema` must not be READY).
        facts.problem = unreachable(ctx, exc)
        facts.problem_is_skip = facts.unverified = True
    return facts


def unreachable(ctx: Context, exc: BaseException) -> str:
    """The schema clause a database that could not be reached leaves unchecked."""
    return f"schema: the database is not reachable: {ctx.mask(str(exc)) or type(exc).__name__}"



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



async def _without_schema(ctx: Context, looked: str | None = None) -> SchemaFacts:
    """No schema source (or one with no migration file yet): an empty database must not pass
    (the app's tables were never created); tables that are there cannot be judged, and the
    report says so."""
    import psycopg  # start-up: only runs that reach a database load psycopg


    looked = looked or ctx.model.schema_why
    try:
        connection = await shared_connection(ctx)
        cursor = await connection.execute(USER_TABLES)
        row = await cursor.fetchone()
        count = int(row[0]) if row else 0
    except (psycopg.Error, OSError, TimeoutError, InvalidDatabaseUrl) as exc:
        return SchemaFacts(problem=f"schema: {looked}; and the database is not reachable: "
                           f"{ctx.mask(str(exc)) or type(exc).__name__}", problem_is_skip=True, unverified=True)
    created = ctx.model.runtime_tables
    if count == 0 and created is not None and ctx.model.schema is None:
        # vercel/nextjs-postgres-auth-starter: app/db.ts creates "User" on first use; empty is
        # what the app expects before it first runs, and nothing else says what it will hold.
        tables = ", ".join(created.tables)
        return SchemaFacts(problem=f"schema: the app creates its tables at run time ({created.file} runs "
                           f"CREATE TABLE {tables}): they appear only once the app runs, and {looked}",
                           problem_is_skip=True, unverified=True,
                           problem_hint=f"Run the app once against this database ({created.file} then creates "
                                        f"{tables}) and check again; to check its tables before it runs, add a "
                                        "schema.sql (or set [project] schema in deploy-check.toml).")
    if count == 0:
        return SchemaFacts(problem=f"the database has no table of the app, and {looked}: nothing "
                           "says what it should hold")
    return SchemaFacts(problem=f"schema: {looked}; the database's {count} tables are not verified",
                       problem_is_skip=True, unverified=True)



async def schema_facts(ctx: Context) -> SchemaFacts:
    return await ctx.fact("schema", lambda: collect(ctx))



def schema_budget(ctx: Context) -> float:
    return database_timeout(ctx) * 2 + 5
