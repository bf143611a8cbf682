"""The allow-list guard's provisioning side (issue 20): what `provision schema` refuses
before it runs anything, what it settles against the database inside its transaction, and
how it runs the steps.

- Refused up front (unless --allow-destructive): every statement whose verdict
  (checks/schema/additive.py) is not additive — except, in a migration history, one whose
  only risk is to the rows of named tables: that one is settled when it is reached.
- CREATE OR REPLACE of an object (and a seed into, or copying rows from, a `CREATE TABLE IF
  NOT EXISTS` table: checks/schema/seeds.py) is additive only where the object does not exist
  before the apply: one query, before any step runs.
- In a migration history, a DROP TABLE / DROP COLUMN / UPDATE… runs when the tables it
  touches hold no rows at that point of the transaction (nothing to lose: a history applied
  to an empty database); a write also needs the tables to have no trigger or rule. Else
  it is named and the whole apply rolls back.
- In a migration history, a DROP, RENAME or ALTER of an index, sequence, type, function,
  trigger, policy, schema, extension or publication this apply does not create runs when
  that object does not exist before the apply (one query with the CREATE OR REPLACE one):
  a `DROP … IF EXISTS` of nothing, or of what an earlier migration of the same apply made
  under a name deploy-check cannot follow, loses nothing. A publication that publishes no
  table counts as not there (Supabase's own `supabase_realtime` starts empty).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from checks.core.context import Context
from checks.core.model import plural
from checks.schema.calls import unsafe_call
from checks.schema.names import TableName, quoted
from checks.schema.platform import platform_hint
from checks.schema.seeds import READ
from checks.schema.sqlmodel import ParsedSchema, Statement
from checks.support.sqltree import parse_sql
from provision import Options, Provisioned, ProvisionFailed
from provision.schemaplan import MISSING_OBJECTS, Step

_KEYED = "SELECT o.kind, o.schema, o.name, o.tbl"

# Rows, then (for a write) triggers and rules, of one table that may not exist yet.
_HOLDS = """
SELECT to_regclass(%(name)s) IS NOT NULL,
       EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(%(name)s) AND NOT tgisinternal),
       EXISTS (SELECT 1 FROM pg_rewrite WHERE ev_class = to_regclass(%(name)s) AND rulename <> '_RETURN')
"""


def deferred(statement: Statement, history: bool) -> bool:
    """Settled against the database, not refused up front."""
    verdict = statement.verdict
    if verdict is None:
        return False
    return bool(verdict.absent or verdict.calls) or (history and bool(verdict.empty or verdict.gone))


def refusal(parsed: ParsedSchema, history: bool) -> str | None:
    """The statements --allow-destructive is needed for, before anything runs: the
    deny-list's two groups as before (rows lost; irreversible but losing none), then every
    other statement not proven additive, one line each."""
    # Deferred ones are settled later; additive ones (a DROP of what this same apply
    # created) were named by the deny-list but lose nothing that existed before.
    held = {id(s) for s in parsed.statements
            if deferred(s, history) or (s.verdict is not None and s.verdict.additive)}
    groups = []
    destructive = [(s, r) for s, r in parsed.destructive if id(s) not in held]
    irreversible = [(s, r) for s, r in parsed.irreversible if id(s) not in held]
    if destructive:
        groups.append("destructive statements that touch data ("
                      + "; ".join(f"{s.where} {reason}" for s, reason in destructive) + ")")
    if irreversible:
        groups.append("irreversible statements that lose no rows ("
                      + "; ".join(f"{s.where} {reason}" for s, reason in irreversible) + ")")
    named = {id(s) for s, _ in parsed.destructive} | {id(s) for s, _ in parsed.irreversible}
    others = [s for s in parsed.unproven if id(s) not in named and id(s) not in held]
    if others:
        groups.append(f"{plural(len(others), 'statement')} not proven additive:"
                      + "".join(f"\n  {line(s)}" for s in others))
    return "; ".join(groups) if groups else None


def line(statement: Statement) -> str:
    """file:line, what it is, why it is (not) additive."""
    verdict = statement.verdict
    why = verdict.why if verdict is not None else "not classified"
    return f"{statement.where} `{statement.first_line}`: {why}"


def classification(parsed: ParsedSchema, history: bool) -> list[str]:
    """What --dry-run shows: every statement with its verdict."""
    counted = [s for s in parsed.statements if s.verdict is not None]
    additive = [s for s in counted if s.verdict is not None and s.verdict.additive and not s.verdict.absent
                and not s.verdict.calls]
    lines = [f"classification of {plural(len(counted), 'statement')}: {len(additive)} additive, "
             f"{len(counted) - len(additive)} not proven additive or settled against the database:"]
    for statement in counted:
        verdict = statement.verdict
        assert verdict is not None
        if verdict.additive and not verdict.absent and not verdict.calls:
            word = "additive"
        elif verdict.additive and not verdict.absent:
            names = ", ".join(f"{key[2]}()" for key in verdict.calls)
            word = f"additive if no function named like {names} exists before this apply"
        elif verdict.absent:
            # A seed: each table it reads, or writes, that a CREATE TABLE IF NOT EXISTS may not have made.
            read = ", ".join(dict.fromkeys(key[2] for key in verdict.absent
                                           if key[3] == READ or statement.kind == "InsertStmt"))
            word = f"additive if {read} did not exist before this apply" if read else "additive if it does not exist yet"
        elif history and verdict.empty:
            word = f"runs if {', '.join(map(str, verdict.empty))} hold{'s' if len(verdict.empty) == 1 else ''} no rows"
        elif history and verdict.gone:
            # One per object: an unqualified name is looked up in each schema of its path.
            shown = {(key[0], key[2]): key for key in reversed(verdict.gone)}.values()
            word = f"runs if {' and '.join(_before(key, False) for key in reversed(shown))} before this apply"
        else:
            word = "NOT additive (needs --allow-destructive)"
        lines.append(f"  {statement.where} {word}: `{statement.first_line}` — {verdict.why}")
    return lines


def _before(key: tuple[str, str, str, str], there: bool) -> str:
    """An object a history's DROP/RENAME/ALTER names, as it is (or is not) before the apply."""
    kind, schema, name, table = key
    shown = f"{quoted(schema)}.{quoted(name)}" if schema else quoted(name)
    if kind == "published":
        return f"publication {shown} publishes {'tables' if there else 'no table'}"
    return (f"{'' if kind == 'relation' else kind + ' '}{shown}{' on ' + table if table else ''} "
            f"{'exists' if there else 'does not exist'}")


async def replaced(connection: Any, steps: list[Step], history: bool = False) -> list[tuple[Statement, str]]:
    """The steps whose CREATE OR REPLACE (or seed) meets an object that already exists, and
    in a history, those whose DROP/RENAME/ALTER meets an object that exists before the
    apply, each with why."""
    wanted = [(step.statement, key, _clash(key))
              for step in steps if step.statement.verdict is not None
              for key in step.statement.verdict.absent]
    wanted += [(step.statement, key, f"it calls {key[2]}(), which this apply creates, and a function named "
                f"{key[2]} exists before it: the call may run that one")
               for step in steps if step.statement.verdict is not None for key in step.statement.verdict.calls]
    if history:
        wanted += [(step.statement, key, f"{_before(key, True)} before this apply")
                   for step in steps if step.statement.verdict is not None
                   and not step.statement.verdict.additive for key in step.statement.verdict.gone]
    if not wanted:
        return []
    columns = [list(column) for column in zip(*(key for _, key, _ in wanted), strict=True)]
    rows = await (await connection.execute(MISSING_OBJECTS.replace("SELECT o.kind, o.name", _KEYED, 1),
                                           columns)).fetchall()
    missing = {(str(k), str(s), str(n), str(t)) for k, s, n, t in rows}
    found: list[tuple[Statement, str]] = []
    for statement, key, why in wanted:
        if key not in missing and all(statement is not s for s, _ in found):
            found.append((statement, why))
    return found


def _clash(key: tuple[str, str, str, str]) -> str:
    """Why a statement whose verdict needs `key` absent is refused when it exists."""
    if key[3] == READ:  # a seed copying rows of a `CREATE TABLE IF NOT EXISTS` table (seeds.py)
        shown = f"{quoted(key[1])}.{quoted(key[2])}" if key[1] else quoted(key[2])
        return (f"it copies the rows of {shown}, which exists before this apply (the CREATE TABLE IF NOT "
                "EXISTS before it created nothing)")
    return "it replaces what exists in the database"


def _runnable(step: Step, history: bool) -> bool:
    verdict = step.statement.verdict
    return verdict is None or verdict.additive or (history and bool(verdict.empty or verdict.gone))


def derived_calls(steps: list[Step]) -> list[tuple[Statement, str]]:
    """The plan's own `ALTER TABLE … ADD COLUMN` for a column a grown CREATE TABLE declares
    on a table that exists: its default runs for the rows there now, so it may call only
    safe functions (the CREATE TABLE itself was additive: it creates nothing that runs)."""
    found = []
    for step in steps:
        if step.sql == step.statement.text or step.statement.kind != "CreateStmt":
            continue
        why = unsafe_call([raw.stmt for raw in parse_sql(step.sql)])
        if why:
            found.append((step.statement, f"{step.label} runs its default for the rows there: {why}"))
    return found


async def _holds(connection: Any, statement: Statement) -> str | None:
    """Why running `statement` now could lose something: a table it touches holds rows (or,
    for a write, has a trigger or rule)."""
    verdict = statement.verdict
    assert verdict is not None
    for table in await _touched(connection, verdict.empty, statement):
        name = _regclass(table, statement)
        row = await (await connection.execute(_HOLDS, {"name": name})).fetchone()
        if not row or not row[0]:
            continue
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        rows = await (await connection.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(
            sql.Identifier(table.schema, table.name)))).fetchone()
        if rows and rows[0]:
            return f"{table} holds rows"
        if verdict.triggers and (row[1] or row[2]):
            return f"{table} has a {'trigger' if row[1] else 'rule'} the write would fire"
    return None


_RESOLVED = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%s)
"""


async def _touched(connection: Any, tables: tuple[TableName, ...], statement: Statement) -> list[TableName]:
    """The tables a statement's rows check covers: each as parsed and, for a name in the
    statement's own schema (unqualified, as a rule), the table the live session resolves it to
    at this point — after a `SET search_path TO audit, public` a `DROP TABLE "User"` drops
    public."User" when audit has none."""
    found = list(tables)
    for table in tables:
        if table.schema != statement.schema:
            continue
        row = await (await connection.execute(_RESOLVED, (quoted(table.name),))).fetchone()
        if row and TableName(str(row[0]), str(row[1])) not in found:
            found.append(TableName(str(row[0]), str(row[1])))
    return found


def _regclass(table: TableName, statement: Statement) -> str:
    return str(TableName(table.schema or statement.schema, table.name))


async def run_guarded(connection: Any, ctx: Context, steps: list[Step], options: Options,
                      history: bool, result: Provisioned) -> int:
    """Run the steps in the caller's transaction: settle the deferred verdicts first (and,
    in a history, each row-count on reaching its statement), in as few round trips as the
    checks allow. Returns how many steps ran."""
    allowed = options.allow_destructive
    if not allowed:
        clashes = await replaced(connection, steps, history)
        clashes += derived_calls(steps)
        if clashes:
            listed = "".join(f"\n  {s.where} `{s.first_line}`: {why}" for s, why in clashes)
            if not options.dry_run:
                raise ProvisionFailed(f"refusing {plural(len(clashes), 'statement')} not proven additive:{listed}"
                                      "\nRe-run with --allow-destructive if that is intended; nothing was applied")
            result.lines.append(f"without --dry-run this would refuse:{listed}")
            result.would_refuse = True
        if options.dry_run:
            # A dry run rolls back, but a shell command, an ended session or a sequence moved
            # by setval() is not undone: what a real run would refuse is not run at all.
            skipped = {id(s) for s, _ in clashes}
            kept = [step for step in steps if id(step.statement) not in skipped and _runnable(step, history)]
            if len(kept) < len(steps):
                left = sorted({step.statement.where for step in steps if step not in kept},
                              key=lambda w: [int(p) if p.isdigit() else p for p in w.replace(":", " ").split()])
                result.lines.append(f"not run by the dry run (not proven additive): {', '.join(left)}")
                try:
                    return await _run_batches(connection, ctx, kept, options, history, result)
                except ProvisionFailed as exc:
                    # A later statement may need what the dry run left out (a DO block that
                    # renames an index a later migration drops): say so, and stop showing.
                    failed = str(exc).removesuffix("; rolled back, nothing was applied")
                    one = len(left) == 1
                    raise DryRunStopped(
                        f"the dry run stopped: {failed} — it did not run {', '.join(left)} (a real run "
                        f"refuses {'it' if one else 'them'} without --allow-destructive), and this statement "
                        f"may need what {'it does' if one else 'they do'}; the statements after it were "
                        "not tried") from None
    return await _run_batches(connection, ctx, steps, options, history, result)


class DryRunStopped(Exception):
    """A dry run that left statements out met a statement that failed: it ends there."""


async def _run_batches(connection: Any, ctx: Context, steps: list[Step], options: Options,
                       history: bool, result: Provisioned) -> int:
    """The steps in as few round trips as the row checks of a history allow."""
    allowed = options.allow_destructive
    batch_start = 0
    left: list[str] = []  # what the dry run refused and so did not run

    async def run(start: int, stop: int) -> None:
        try:
            await run_steps(connection, ctx, steps[start:stop], start, len(steps))
        except ProvisionFailed as exc:
            if not left:
                raise
            failed = str(exc).removesuffix("; rolled back, nothing was applied")
            raise DryRunStopped(f"the dry run stopped: {failed} — it did not run {', '.join(left)} (a real run "
                                "refuses it), and this statement may need what it does; the statements after "
                                "it were not tried") from None

    for number, step in enumerate(steps):
        verdict = step.statement.verdict
        if allowed or not history or verdict is None or verdict.additive or not verdict.empty:
            continue
        if number > batch_start:
            await run(batch_start, number)
        batch_start = number
        loses = await _holds(connection, step.statement)
        named = f"{step.statement.where} `{step.statement.first_line}` ({verdict.why})"
        if loses is None:
            result.lines.append(f"ran {named}: nothing to lose, "
                                f"{', '.join(map(str, verdict.empty))} held no rows")
        elif options.dry_run:
            # Not run: its triggers may do what the rollback does not undo (a setval()).
            result.lines.append(f"without --dry-run this would refuse {named}: {loses}; not run by the dry run")
            result.would_refuse = True
            left.append(step.statement.where)
            batch_start = number + 1
        else:
            raise ProvisionFailed(f"refusing {named}: {loses}. Re-run with --allow-destructive if that "
                                  "is intended; rolled back, nothing was applied")
    if batch_start < len(steps):
        await run(batch_start, len(steps))
    return len(steps)


class Unplaced(Exception):
    """A batch failed and PostgreSQL's error names no position in it: the transaction is
    aborted, so the apply is run again with each statement in its own round trip
    (ONE_BY_ONE), where the first that fails is the one."""


ONE_BY_ONE: ContextVar[bool] = ContextVar("deploy_check_one_by_one", default=False)


async def run_steps(connection: Any, ctx: Context, steps: list[Step], first: int = 0,
                    total: int | None = None) -> None:
    """Steps in one round trip (a multi-statement simple query, as `psql -1 -f` sends
    them one by one); on an error, the statement is found from the error position, or else
    (Unplaced) the apply is run again one statement per round trip, up to the failing one
    (only then: the cost of naming is paid on failure, not on every statement). `first` and
    `total` number them within the whole apply.

    No savepoint: PostgreSQL lets a transaction use an enum value it added only when the
    type and the value were made outside any subtransaction ("unsafe use of new value"), and
    histories do add a value in one migration and use it in the next (formbricks'
    SurveyStatus 'scheduled'), each in its own transaction as `prisma migrate deploy` runs them."""
    import psycopg  # start-up: only runs that reach a database load psycopg

    failing, inner_position = None, None
    if ONE_BY_ONE.get():
        for number, step in enumerate(steps):
            try:
                await connection.execute(step.sql)
            except psycopg.Error as exc:
                error, failing = exc, number
                break
        if failing is None:
            return
    else:
        separator = "\n;\n"  # a statement may end in a -- comment: the ; goes on its own line
        spans, offset = [], 0
        for step in steps:
            spans.append((offset, offset + len(step.sql)))
            offset += len(step.sql) + len(separator)
        try:
            await connection.execute(separator.join(step.sql for step in steps))
            return
        except psycopg.Error as exc:
            error = exc
        position = error.diag.statement_position
        if position and position.isdigit():
            at = int(position) - 1
            for number, (begin, end) in enumerate(spans):
                if begin <= at <= end:
                    failing, inner_position = number, at - begin
                    break
        if failing is None:
            raise Unplaced
    step = steps[failing]
    line = step.statement.line
    if inner_position is not None and step.sql == step.statement.text:
        line += step.sql.count("\n", 0, inner_position)
    message = error.diag.message_primary or str(error)
    hint = f" — PostgreSQL's hint: {error.diag.message_hint}" if error.diag.message_hint else ""
    platform = platform_hint(message)
    if platform:
        hint += f" — {platform}"
    where = step.statement.label or step.statement.path.name
    raise ProvisionFailed(
        f"statement {first + failing + 1} of {total or len(steps)} failed at {where}:{line}: "
        f"{ctx.mask(message)} (in `{step.label}`){ctx.mask(hint)}; rolled back, nothing was applied")
