"""`deploy-check provision schema`: apply schema.sql (or the migrations) in one
transaction (DESIGN.md "Provisioning rules").

- Parse first with pglast: a syntax error names file, line and column; nothing is sent.
- Run unasked only what is proven additive from the parse tree (the allow-list of
  checks/schema/safelist.py, judged by checks/schema/additive.py); name every other
  statement with file:line, what it is and why, and refuse it unless --allow-destructive
  (provision/schemaguard.py). The deny-list of checks/schema/guard.py still names what loses
  rows anywhere in the tree (a DELETE in a CTE, a function or trigger that deletes…) and what
  is irreversible but loses none, in their own groups. In a migration history, a statement
  whose only risk is the rows of some tables runs when they hold none at that point.
  --dry-run never refuses: it shows each statement's classification and what a real run
  would refuse, and then exits 1 as that run would.
- COPY … FROM stdin / TO STDOUT is refused before anything is sent, naming the statement.
- BEGIN/COMMIT in the file are left out (they would commit half-way); other transaction
  control (ROLLBACK, SAVEPOINT…) is refused before anything is sent.
- Take a transaction-level advisory lock, so two concurrent runs serialize; the second
  then sees the first one's tables.
- "Already applied" means: every table the schema creates exists with the columns it
  declares, and every index, view, sequence, type, function, schema, extension and
  trigger it creates exists (one query). Then nothing is executed and the run is a no-op (exit 0).
- Otherwise the file is not replayed: provision/schemaplan.py computes the additive
  difference against the live database (CREATE TABLE, ALTER TABLE … ADD COLUMN, CREATE
  INDEX …), shows it, and runs it in one round trip; seed INSERTs for tables that already
  existed are never re-run; what would need a DROP is reported, not done. Any error rolls
  everything back and names the statement and its line (with PostgreSQL's own hint, e.g.
  max_locks_per_transaction for "out of shared memory").
- --dry-run does all of it and rolls back.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from typing import Any

from checks.core.context import Context
from checks.core.db import app_search_path, open_connection
from checks.core.model import every, listed, plural, verb_for
from checks.core.sources import read_schema, schema_paths
from checks.migrations import migrator_for
from checks.schema import push_script
from checks.schema.dialect import foreign_syntax
from checks.schema.facts import parsed_schema, table_columns
from checks.schema.history import where_it_runs
from checks.schema.sqlmodel import SchemaSyntaxError, parse_sources
from checks.support.pgurl import InvalidDatabaseUrl
from provision import Options, Provisioned, ProvisionFailed
from provision.schemaguard import (
    ONE_BY_ONE,
    DryRunStopped,
    Unplaced,
    classification,
    refusal,
    run_guarded,
)
from provision.schemaplan import Step, make_plan, missing_objects, unverified

# A fixed 64-bit key for pg_advisory_xact_lock, derived from a name so it is stable.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"deploy-check provision schema").digest()[:8], "big",
                          signed=True)
LOCK_TIMEOUT = "60s"
APPLY_TIMEOUT = 600.0


async def _applied(connection: Any, parsed: Any, live: dict[Any, Any]) -> bool:
    if not parsed.tables:
        return False
    if not all(table in live and all(column.name in live[table] for column in columns)
               for table, columns in parsed.tables.items()):
        return False
    return not await missing_objects(connection, parsed.objects)


async def provision(ctx: Context, options: Options) -> Provisioned:
    # A history's files are listed (and each confined and hashed) by its migrator: no
    # listing of its own is needed, which at 5,000 files is an lstat and a path check each.
    migrator, migrations = _history(ctx)
    if not migrations and not schema_paths(ctx):
        push = push_script(ctx)  # skateshop: drizzle-kit push from src/db/schema.ts, no migrations
        raise ProvisionFailed(f"no schema.sql and no migrations directory in {ctx.project}" + (
            f": the app creates its tables from its schema code with `{push}`, which deploy-check does not "
            "run (it applies SQL it can read first); run it yourself" if push else ""))
    complete = options.dry_run  # a dry run shows the plan: it needs the statements
    # A history the migrator keeps needs only its pending files parsed: the whole history
    # is read only where the migrator never ran (or --dry-run shows the whole plan).
    whole = options.dry_run or migrator is None
    token = None
    try:
        while True:
            try:
                # An unchanged schema comes from the parse cache (tables and objects only; it
                # holds only schemas the guard has nothing against): enough to see it applied.
                parsed = parsed_schema(ctx, complete=complete) if whole else None
            except SchemaSyntaxError as exc:
                foreign = foreign_syntax(ctx, exc)
                raise ProvisionFailed(f"{foreign + ': ' if foreign else ''}{exc} — nothing was sent "
                                      "to the database") from None
            try:
                return await _guarded_apply(ctx, options, parsed)
            except _NeedsStatements:
                complete = whole = True
            except Unplaced:
                # Rolled back; again, one statement per round trip, to name the failing one.
                token = ONE_BY_ONE.set(True)
    finally:
        if token is not None:
            ONE_BY_ONE.reset(token)


def _outside_how(ctx: Context, migrator: Any) -> str:
    """How to apply a history statement PostgreSQL runs only outside a transaction block: with
    the app's migrator, pasted where it runs, unless that one also wraps it in a transaction."""
    if migrator.single_transaction:
        return (f"`{migrator.apply_command}` fails on it the same way ({migrator.tool} applies every pending "
                "migration in one transaction): take it out of the migration (a plain CREATE INDEX runs in "
                "one) or run it yourself with psql")
    source = ctx.model.schema
    command = where_it_runs(ctx, ctx.path(source.path), migrator.apply_command) if source else migrator.apply_command
    return f"apply the history with the app's own migrator (`{command}`)"


def _refuse(parsed: Any, options: Options, outcome: str = "nothing was applied", history: bool = False,
            how: str = "") -> None:
    """What is refused before anything is sent (or, for a history, before anything pending runs)."""
    if parsed.outside:
        named = "; ".join(f"{s.where} `{s.first_line}`" for s in parsed.outside[:5])
        how = how or "run it yourself with psql once the rest is applied"
        raise ProvisionFailed(
            f"PostgreSQL runs {named}{' …' if len(parsed.outside) > 5 else ''} only outside a transaction block, "
            f"and deploy-check applies {'a history' if history else 'a schema'} in one transaction (all or "
            f"nothing): {how} — {outcome}")
    if parsed.unsupported:
        named = "; ".join(f"{s.where} `{s.first_line}`" for s in parsed.unsupported)
        raise ProvisionFailed(
            f"transaction control that cannot run inside deploy-check's single transaction "
            f"({named}): remove it, the whole schema is applied in one transaction and rolled "
            f"back on any error — {outcome}")
    if parsed.copies:
        named = "; ".join(f"{s.where} `{s.first_line}`" for s in parsed.copies)
        raise ProvisionFailed(
            f"COPY through the client connection ({named}): its rows do not travel through "
            "`provision schema`; load them with psql, or turn them into INSERT statements — "
            f"{outcome}")
    refused = refusal(parsed, history)
    if refused and not options.allow_destructive and not options.dry_run:
        raise ProvisionFailed(f"refusing {refused}\nRe-run with --allow-destructive if that is intended "
                              f"(--dry-run shows how each statement is classified) — {outcome}.")


def _history(ctx: Context) -> tuple[Any, list[Any]]:
    """The project's migrator and its migrations; (None, []) for schema.sql or a plain folder.
    Listed (and each file hashed) once per run."""
    return ctx.once("provision:history", lambda: _read_history(ctx))


def _read_history(ctx: Context) -> tuple[Any, list[Any]]:

    source = ctx.model.schema
    migrator = migrator_for(ctx)
    if migrator is None or source is None or not ctx.path(source.path).is_dir():
        return None, []
    try:
        return migrator, migrator.migrations(ctx.path(source.path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProvisionFailed(f"cannot read the {migrator.tool} migrations in {source.path}: {exc}") from None


class _NeedsStatements(Exception):
    """The cached model shows work to do: parse the files and start over (rolled back)."""


async def _guarded_apply(ctx: Context, options: Options, parsed: Any) -> Provisioned:
    import psycopg  # start-up: only runs that reach a database load psycopg


    migrator, migrations = _history(ctx)
    if migrator is None:
        # A history's guard waits for what is pending; a schema file's runs before connecting.
        _refuse(parsed, options, "nothing was sent to the database")
    try:
        connection = await open_connection(ctx, autocommit=False)
    except (InvalidDatabaseUrl, psycopg.Error, OSError, TimeoutError) as exc:
        raise ProvisionFailed(f"cannot connect to the database: {ctx.mask(str(exc)) or 'timed out'}") from None
    result = Provisioned("schema", changed=False)
    try:
        result = await asyncio.wait_for(
            _apply(connection, ctx, parsed, options, migrator, migrations), APPLY_TIMEOUT)
    except TimeoutError:
        raise ProvisionFailed(f"applying took longer than {APPLY_TIMEOUT:g} s; rolled back") from None
    finally:
        await connection.close()
    return result


def _would_refuse(result: Provisioned, parsed: Any, options: Options, history: bool = False) -> None:
    if not options.dry_run:
        return
    # --dry-run never refuses: it shows how each statement is classified and what a real
    # run would refuse, and runs it all inside the transaction it rolls back.
    result.lines.extend(classification(parsed, history))
    refused = refusal(parsed, history)
    if refused and not options.allow_destructive:
        result.would_refuse = True
        result.lines.append(f"without --dry-run this would refuse {refused}\n"
                            "unless --allow-destructive is given")


async def _apply(connection: Any, ctx: Context, parsed: Any, options: Options,
                 migrator: Any = None, migrations: Any = ()) -> Provisioned:
    import psycopg  # start-up: only runs that reach a database load psycopg

    result = Provisioned("schema", changed=False)
    async with connection.transaction(force_rollback=options.dry_run):
        await connection.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        if options.dry_run and options.stand_ins:
            await connection.execute(options.stand_ins.encode())  # rolled back with the dry run

        search_path = parsed.search_path if parsed is not None else app_search_path(ctx)
        if search_path:
            # The app's path (Prisma's ?schema= never reaches libpq): unqualified names in
            # the file land where the app will look for them.
            from psycopg import sql  # start-up: only runs that reach a database load psycopg

            await connection.execute(sql.SQL("SET LOCAL search_path TO {}").format(
                sql.SQL(", ").join(sql.Identifier(p) if p != "$user" else sql.SQL('"$user"')
                                   for p in search_path)))
        try:
            free = await (await connection.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,))).fetchone()
            if not (free and free[0]):
                # Never a silent wait: another run applies to this database right now.
                print(f"deploy-check provision schema: waiting for another `provision schema` on "
                      f"this database to finish (up to {LOCK_TIMEOUT})", file=sys.stderr, flush=True)
                await connection.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            raise ProvisionFailed(f"another `provision schema` holds the lock for over "
                                  f"{LOCK_TIMEOUT}; nothing applied") from None
        try:
            return await _apply_locked(connection, ctx, parsed, options, migrator, migrations, result)
        except DryRunStopped as stopped:
            # The transaction is aborted; the dry run ends here, with what it showed so far.
            result.lines.append(str(stopped))
            result.lines.append("dry run: rolled back, the database is unchanged")
            result.would_refuse = True
            return result


async def _apply_locked(connection: Any, ctx: Context, parsed: Any, options: Options, migrator: Any,
                        migrations: Any, result: Provisioned) -> Provisioned:
    """The apply proper, in the caller's transaction, under its lock."""
    if migrator is not None:
        await migrator.before_apply(connection)
        facts = await migrator.history(connection, list(migrations))
        if facts.blocked:
            raise ProvisionFailed(f"{facts.blocked}: nothing was applied")
        if facts.foreign:
            raise ProvisionFailed(f"{facts.foreign}; {migrator.tool}'s rows are not added to "
                                  "it: nothing was applied")
        if facts.table_exists:
            return await _apply_pending(connection, ctx, options, migrator, facts, result)
        # The migrator has never run here: the whole history, additively (its tables may
        # have been created by hand), then every migration recorded as the migrator would.
        if parsed is None or not parsed.complete:
            raise _NeedsStatements
        _refuse(parsed, options, history=True, how=_outside_how(ctx, migrator))
    _would_refuse(result, parsed, options, history=migrator is not None)
    await _apply_whole(connection, ctx, parsed, options, result,
                       baseline=migrator)
    if migrator is not None:
        await migrator.record(connection, list(migrations))
        verb = "would record" if options.dry_run else "recorded"
        result.lines.append(f"{verb} {plural(len(migrations), 'migration')} as applied in "
                            f"{migrator.table}, as {migrator.tool} does: `{migrator.apply_command}` "
                            "now finds nothing to do")
        result.changed = not options.dry_run
    if options.dry_run:
        result.lines.append("dry run: rolled back, the database is unchanged")
    return result


async def _apply_pending(connection: Any, ctx: Context, options: Options, migrator: Any, facts: Any,
                         result: Provisioned) -> Provisioned:
    """Only the migrations the migrator's own history does not hold, in its order, then
    their rows, in the transaction (and under the lock) the caller holds."""

    if facts.failed:
        raise ProvisionFailed(f"{migrator.table}: cannot go on past these migrations ({listed(facts.failed)}): "
                              f"resolve them with {migrator.tool} first; nothing was applied")
    if facts.changed:
        result.lines.append(f"changed since applied (not re-run; restore them from git): {listed(facts.changed)}")
    if facts.missing_locally:
        result.lines.append(f"applied but missing locally: {listed(facts.missing_locally)}")
    if not facts.pending:
        result.lines.append(f"nothing pending: {every(facts.files, 'migration')} {verb_for(facts.files, 'is', 'are')} recorded "
                            f"as applied in {migrator.table}")
        return result
    try:
        parsed = parse_sources([read_schema(m.path, ctx.project) for m in facts.pending], app_search_path(ctx))
    except SchemaSyntaxError as exc:
        raise ProvisionFailed(f"{exc} — nothing was applied") from None
    _refuse(parsed, options, history=True, how=_outside_how(ctx, migrator))
    _would_refuse(result, parsed, options, history=True)
    steps = [Step(s, s.text, s.first_line) for s in parsed.statements]
    started = time.perf_counter()
    if steps:
        await run_guarded(connection, ctx, steps, options, True, result)
    await migrator.record(connection, facts.pending)
    elapsed = time.perf_counter() - started
    verb = "would apply" if options.dry_run else "applied"
    result.lines.append(f"{verb} {plural(len(facts.pending), 'pending migration')} of {facts.files} "
                        f"({listed(facts.pending_names)}: {plural(len(steps), 'statement')}) in one "
                        f"transaction and recorded {'them' if len(facts.pending) > 1 else 'it'} in "
                        f"{migrator.table} ({elapsed:.2f} s)")
    result.changed = not options.dry_run
    if options.dry_run:
        result.lines.append("dry run: rolled back, the database is unchanged")
    return result


async def _apply_whole(connection: Any, ctx: Context, parsed: Any, options: Options,
                       result: Provisioned, baseline: Any = None) -> None:
    """The schema (or a whole history the migrator never ran here) against the live
    database: nothing when it is all there, else the additive plan, in the caller's
    transaction."""
    prefix = ctx.project.as_posix().rstrip("/") + "/"  # relative_to is ~10 µs a path, 50 ms at 5,000
    # A history of 5,000 migrations is named by its first files and a count, not on one line.
    # A workspace package's history (rallly's packages/database) as `../../packages/…`, never absolute.
    source_names = listed(p.as_posix().removeprefix(prefix) if p.as_posix().startswith(prefix) else ctx.rel(p)
                          for p in schema_paths(ctx))
    live = await table_columns(connection, list(parsed.tables)) if parsed.tables else {}
    # A history about to be recorded as applied is never taken as applied on its tables
    # alone: its plan is made and every statement it leaves out is looked up (below).
    if baseline is None and await _applied(connection, parsed, live):
        others = f" and its {len(parsed.objects)} other objects" if parsed.objects else ""
        result.lines.append(f"schema already applied: {every(len(parsed.tables), 'table')} of "
                            f"{source_names} {verb_for(len(parsed.tables), 'exists', 'exist')} with their columns{others}")
        return
    if not parsed.complete:
        raise _NeedsStatements
    plan = await make_plan(connection, parsed, live)
    if baseline is not None:
        missing = await unverified(connection, plan)
        if missing:
            shown = "; ".join(f"{s.where} `{s.first_line}`" for s in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise ProvisionFailed(
                f"not recording the {baseline.tool} history in {baseline.table}: its tables exist (applied by "
                f"hand), but {plural(len(missing), 'statement')} of it {'is' if len(missing) == 1 else 'are'} not "
                f"seen in the database ({shown}{more}) — a row-level security switch, policy, constraint or data "
                "change marked done would never run. Run them yourself, then run this again (or baseline with "
                f"{baseline.tool}'s own tools); nothing was applied or recorded")
        if not plan.steps:
            result.lines.append(f"schema already applied: {every(len(parsed.tables), 'table')} of {source_names} "
                                f"{verb_for(len(parsed.tables), 'exists', 'exist')} with their columns, and every other statement of it is seen in the database")
    if not plan.whole_file:
        result.lines.append(f"plan for {source_names} against the live database "
                            f"({len(plan.steps)} additive step{'s' if len(plan.steps) != 1 else ''}):")
        result.lines.extend(f"  {step.label}" for step in plan.steps)
    elif parsed.tables or parsed.objects:
        # What the schema creates, by name: "would apply 5 statements" alone says nothing.
        result.lines.append(f"creates {len(parsed.tables)} table{'s' if len(parsed.tables) != 1 else ''}: "
                            f"{listed(parsed.tables, 20)}")
        kinds: dict[str, list[str]] = {}
        for kind, schema, name, _table in parsed.objects:
            kinds.setdefault(kind, []).append(f"{schema}.{name}" if schema else name)
        for kind, names in kinds.items():
            result.lines.append(f"creates {len(names)} {'object' if kind == 'relation' else kind}"
                                f"{'s' if len(names) != 1 else ''} ({'index, view or sequence' if kind == 'relation' else kind}): "
                                f"{listed(names, 20)}")
    for problem in plan.not_done:
        result.lines.append(f"not done: {problem}")
    if not plan.steps:
        if baseline is None:
            result.lines.append("nothing to add: every table, column and object of the schema exists")
        return
    started = time.perf_counter()
    count = await run_guarded(connection, ctx, plan.steps, options, baseline is not None, result)
    elapsed = time.perf_counter() - started
    verb = "would apply" if options.dry_run else "applied"
    result.changed = not options.dry_run
    result.lines.append(f"{verb} {count} statement{'s' if count != 1 else ''} from "
                        f"{source_names} in one transaction ({elapsed:.2f} s)"
                        + (f"; left out {len(plan.left_out)} about what already exists"
                           if plan.left_out else ""))
    seeds = [s for s, why in plan.left_out if why.startswith("seed")]
    if seeds:
        result.lines.append(f"seed INSERTs not re-run ({', '.join(s.where for s in seeds)}): "
                            "their tables already existed")
    if parsed.skipped:
        result.lines.append(
            f"left out {len(parsed.skipped)} BEGIN/COMMIT statement"
            f"{'s' if len(parsed.skipped) != 1 else ''} "
            f"({', '.join(s.where for s in parsed.skipped)}): the schema ran in one transaction")
