"""DB005: the live tables against what the schema source makes of them. The source is
applied to a scratch database on a server of our own (never the app's), and the columns
of both are compared; the scratch target is cached by the inputs' digest."""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from checks.core.context import Context
from checks.core.db import database_timeout, shared_connection
from checks.core.model import (
    Outcome,
    Spec,
    failed,
    passed,
    plural,
    skipped,
    unverified,
    warned,
)
from checks.core.registry import check
from checks.schema.derived import NotDerivable, derive
from checks.schema.facts import (
    CLUSTER_WIDE,
    ColumnShape,
    _inputs_digest,
    parsed_schema,
    schema_budget,
    schema_facts,
    table_columns,
)
from checks.schema.names import TableName
from checks.schema.platform import references, stand_in_sql
from checks.schema.resolve import resolve
from checks.schema.scratch import (
    SCRATCH_PREFIX,
    NoScratchServer,
    missing_extensions,
    scratch_server,
    sweep,
)
from checks.schema.sqlmodel import ParsedSchema
from checks.support.pg import connect
from checks.support.state import read_state, write_state

if TYPE_CHECKING:
    import psycopg

    from checks.schema.names import TableName
    from checks.schema.sqlmodel import ParsedSchema


DB005 = Spec(
    "DB005", "schema", "Tables match the schema (no drift)",
    "Compares column names, types and nullability of every expected table with the live "
    "database. Where every statement's outcome is certain from the parse tree (plain CREATE "
    "TABLE, column indexes, enums, ALTER TABLE … ADD), the expected columns come from it, "
    "their types read by the live server's own type parser (read-only, no row). Otherwise "
    "the schema is applied to a scratch database on a server of our own (the embedded "
    "PostgreSQL started for the run, or `[database] scratch_url`; never the app's server). "
    "Where no such server can be had (or it lacks an extension the schema creates), "
    "compares column names from the parsed statements and says why.",
    "Write a migration that brings the live table in line with the schema, with the app's "
    "own tool (`drizzle-kit generate`, `prisma migrate dev`…), or update the schema to what "
    "the database really has. `provision schema` never changes or drops an existing column: "
    "over a migration history it applies only migrations not yet recorded, and from "
    "schema.sql it adds missing tables and columns.",
)



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
    source = ctx.model.schema
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
                async def prepare() -> None:
                    if parsed.search_path:  # as the app's connections (Prisma's ?schema= too)
                        path = [p for p in parsed.search_path if p != "$user"]
                        if path and source is not None and source.kind == "prisma":
                            # Prisma Migrate creates the schema its URL names before it migrates
                            # into it (checks/migrations/prisma.py); its migration.sql does not.
                            await scratch.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                                sql.Identifier(path[0])))
                        await scratch.execute(sql.SQL("SET search_path TO {}").format(
                            sql.SQL(", ").join(sql.Identifier(p) for p in path)))
                    await _copy_platform_objects(ctx, parsed, scratch)

                await prepare()
                # One transaction, rolled back: cluster-wide objects such as roles do not
                # outlive the check. A role that already exists on a shared scratch server
                # is not a failure to apply "from scratch": such statements run under a savepoint.
                # One round trip for the whole file; only when it fails is it run again, one
                # statement at a time, to name the failing one (or skip an existing role).
                # Nothing else runs in a subtransaction: PostgreSQL lets a transaction use an
                # enum value it added only when the type and the value were made outside any
                # ("unsafe use of new value"), and histories add one and use it later.
                try:
                    await scratch.execute("\n;\n".join(s.text for s in parsed.statements))
                    return await table_columns(scratch, tables), server.label
                except psycopg.Error:
                    await scratch.rollback()
                await prepare()
                for statement in parsed.statements:
                    cluster_wide = statement.kind in CLUSTER_WIDE
                    try:
                        if cluster_wide:
                            await scratch.execute("SAVEPOINT deploy_check_global")
                        await scratch.execute(statement.text)
                        if cluster_wide:
                            await scratch.execute("RELEASE SAVEPOINT deploy_check_global")
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



MODEL_LABEL = "the parsed statements, types read by the live server's own parser"


async def target_columns(ctx: Context, parsed: ParsedSchema, live_major: int,
                         declined: list[str] | None = None) -> tuple[dict[TableName, dict[str, ColumnShape]], str]:
    """What the schema makes of every table it creates (types as PostgreSQL prints them):
    from the parse tree where that is certain (derived.py, resolve.py), else built on a
    scratch database; then read from a cache under the project's .deploy-check/ while the
    schema inputs and the server's major version stay the same. Why the parse tree was not
    enough goes into `declined`."""


    key = _cache_key(ctx, live_major)
    try:
        stored = (read_state(ctx.project, CACHE_FILE) or ({}, 0))[0]
        if stored.get("key") == key:
            columns = {TableName(str(schema), str(name)): {c: (str(t), bool(n)) for c, (t, n) in cols.items()}
                       for schema, name, cols in stored["columns"]}
            return columns, f"{stored['label']}, cached for this schema"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no cache, or one from another version: build it
    if not parsed.complete:
        parsed = parsed_schema(ctx, complete=True)
    try:
        columns, label = await resolve(await shared_connection(ctx), derive(parsed)), MODEL_LABEL
    except NotDerivable as exc:
        if declined is not None:
            declined.append(ctx.mask(str(exc)))
        columns, label = await asyncio.wait_for(scratch_columns(ctx, parsed, list(parsed.tables), live_major),
                                                schema_budget(ctx) + 50)
    write_state(ctx.project, CACHE_FILE, {
        "key": key, "label": label,
        "columns": [[t.schema, t.name, {c: list(shape) for c, shape in cols.items()}]
                    for t, cols in columns.items()]})
    return columns, label



@check(DB005, needs=("DB004",), budget=lambda ctx: schema_budget(ctx) + 60)
async def no_drift(ctx: Context) -> Outcome:
    import psycopg  # start-up: only runs that reach a database load psycopg


    facts = await schema_facts(ctx)
    if facts.problem and facts.unverified:
        return unverified(facts.problem)
    if facts.problem or facts.parsed is None:
        return skipped(facts.problem or "no schema")
    tables = [t for t in facts.parsed.tables if t in facts.present]
    if not tables:
        return skipped("none of the schema's tables exists yet (see DB004)")

    connection = await shared_connection(ctx)
    live = await table_columns(connection, tables)
    live_major = connection.info.server_version // 10000
    declined: list[str] = []
    try:
        expected, label = await target_columns(ctx, facts.parsed, live_major, declined)
        expected = {t: expected[t] for t in tables if t in expected}
        method = label if label.startswith(MODEL_LABEL) else f"a scratch database on {label}"
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
    if declined:  # the parse tree was not enough: the first statement that needed a real apply
        details["replayed_because"] = declined[0]
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
