"""What `provision schema` runs for a declarative schema.sql on a database that already
holds part of it: the additive difference, never a replay (issue 10).

The target is what the parsed file leaves behind (checks/schema/sqlmodel.py: tables with their
final columns after renames, and every other named object); the live side is read in two
queries (columns of the schema's tables, and which of its other objects are missing). Then,
in file order:

- CREATE TABLE of a missing table runs as written, and so does every later statement about
  that table (its indexes, triggers, seed INSERTs, ALTER TABLEs): it is new.
- CREATE TABLE of a table that exists becomes one `ALTER TABLE … ADD COLUMN` per declared
  column the live table lacks (the column definition deparsed by pglast).
- `ALTER TABLE … ADD COLUMN` in the file (a grown file) runs for the columns still missing.
- A statement that creates a missing index, view, sequence, type, function, schema,
  extension or trigger runs.
- `SET` runs (it shapes how the statements after it resolve names).
- Everything else about what already exists is left out and listed, seed INSERTs above all:
  rows are never inserted twice.
- Columns the live table has and the schema no longer declares would need a DROP COLUMN:
  reported, never done.

An empty database (none of the schema's tables exists) gets the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.schema.names import TableName
from checks.schema.sqlmodel import ParsedSchema, Statement, _object

# MISSING_OBJECTS with the whole key, so each statement can be matched to its object.
_KEYED = "SELECT o.kind, o.schema, o.name, o.tbl"


@dataclass
class Step:
    statement: Statement
    sql: str
    label: str  # what the plan shows: "CREATE TABLE public.tags", "ALTER TABLE … ADD COLUMN b"


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    left_out: list[tuple[Statement, str]] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)  # would need a destructive change
    whole_file: bool = False


def _table(statement: Statement) -> TableName | None:
    from pglast import ast  # start-up: only runs that read SQL load pglast

    node, default = statement.node, statement.schema
    relation = getattr(node, "relation", None) or getattr(node, "table", None)
    if isinstance(relation, ast.RangeVar) and relation.relname:
        return TableName(relation.schemaname or default, relation.relname)
    into = getattr(node, "into", None)
    if isinstance(into, ast.IntoClause) and into.rel is not None:
        return TableName(into.rel.schemaname or default, str(into.rel.relname))
    return None


def _deparse(node: Any) -> str:
    from pglast.stream import RawStream  # start-up: only runs that read SQL load pglast

    return str(RawStream()(node))


async def make_plan(connection: Any, parsed: ParsedSchema,
                    live: dict[TableName, dict[str, Any]]) -> Plan:
    """`live`: the columns of the schema's tables that exist (checks.schema.table_columns)."""
    from pglast import ast  # start-up: only runs that read SQL load pglast
    from pglast.enums import AlterTableType  # start-up: only runs that read SQL load pglast


    plan = Plan()
    if not live:
        plan.whole_file = True
        plan.steps = [Step(s, s.text, s.first_line) for s in parsed.statements]
        return plan
    missing: set[tuple[str, str, str, str]] = set()
    if parsed.objects:
        columns = [list(column) for column in zip(*parsed.objects, strict=True)]
        rows = await (await connection.execute(MISSING_OBJECTS.replace("SELECT o.kind, o.name", _KEYED, 1),
                                               columns)).fetchall()
        missing = {(str(k), str(s), str(n), str(t)) for k, s, n, t in rows}
    final = {table: {c.name for c in columns} for table, columns in parsed.tables.items()}
    created: set[TableName] = set()
    added: dict[TableName, set[str]] = {}

    def column_missing(table: TableName, name: str) -> bool:
        return (name in final.get(table, {name}) and name not in live.get(table, {})
                and name not in added.setdefault(table, set()))

    for statement in parsed.statements:
        node = statement.node
        table = _table(statement)
        if isinstance(node, ast.CreateStmt) and table is not None:
            if table not in live:
                created.add(table)
                plan.steps.append(Step(statement, statement.text, f"CREATE TABLE {table}"))
                continue
            before = len(plan.steps)
            for element in node.tableElts or ():
                if isinstance(element, ast.ColumnDef) and column_missing(table, str(element.colname)):
                    added[table].add(str(element.colname))
                    plan.steps.append(Step(statement, f"ALTER TABLE {table} ADD COLUMN {_deparse(element)}",
                                           f"ALTER TABLE {table} ADD COLUMN {element.colname}"))
            if len(plan.steps) == before:
                plan.left_out.append((statement, "already exists"))
            continue
        if table is not None and table in created:
            plan.steps.append(Step(statement, statement.text, statement.first_line))
            continue
        if isinstance(node, ast.AlterTableStmt) and table is not None and table in live:
            before = len(plan.steps)
            for command in node.cmds or ():
                if (command.subtype == AlterTableType.AT_AddColumn and command.def_ is not None
                        and column_missing(table, str(command.def_.colname))):
                    added[table].add(str(command.def_.colname))
                    plan.steps.append(Step(statement, f"ALTER TABLE {table} ADD COLUMN {_deparse(command.def_)}",
                                           f"ALTER TABLE {table} ADD COLUMN {command.def_.colname}"))
            if len(plan.steps) == before:
                plan.left_out.append((statement, "already applied"))
            continue
        created_object = _object(node)
        if created_object is not None:
            if created_object in missing:
                plan.steps.append(Step(statement, statement.text, statement.first_line))
            else:
                plan.left_out.append((statement, "already exists"))
            continue
        if isinstance(node, ast.VariableSetStmt):
            plan.steps.append(Step(statement, statement.text, statement.first_line))
            continue
        why = ("seed rows are inserted only with their new table" if isinstance(node, ast.InsertStmt)
               else "about objects that already exist")
        plan.left_out.append((statement, why))
    for table, live_columns in live.items():
        extra = [name for name in live_columns if table in final and name not in final[table]]
        if extra:
            plan.not_done.append(f"{table} has column{'s' if len(extra) > 1 else ''} "
                                 f"{', '.join(extra)} that the schema no longer declares "
                                 "(dropping needs a migration; left alone)")
    return plan


# What a left-out statement's effect looks like in the catalogs, for the ones that can be
# looked up: ALTER TABLE … ADD CONSTRAINT <name>, ENABLE/FORCE ROW LEVEL SECURITY, ALTER
# COLUMN … SET NOT NULL, CREATE POLICY. One query per statement (a baseline is rare).
_CONSTRAINT = ("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = "
               "to_regclass(quote_ident(%s) || '.' || quote_ident(%s)))")
_ROW_SECURITY = ("SELECT coalesce((SELECT relrowsecurity FROM pg_class WHERE oid = "
                 "to_regclass(quote_ident(%s) || '.' || quote_ident(%s))), false)")
_FORCE_ROW_SECURITY = ("SELECT coalesce((SELECT relforcerowsecurity FROM pg_class WHERE oid = "
                       "to_regclass(quote_ident(%s) || '.' || quote_ident(%s))), false)")
_NOT_NULL = ("SELECT coalesce((SELECT attnotnull FROM pg_attribute WHERE attname = %s AND attrelid = "
             "to_regclass(quote_ident(%s) || '.' || quote_ident(%s))), false)")
_POLICY = ("SELECT EXISTS (SELECT 1 FROM pg_policy WHERE polname = %s AND polrelid = "
           "to_regclass(quote_ident(%s) || '.' || quote_ident(%s)))")


async def unverified(connection: Any, plan: Plan) -> list[Statement]:
    """The statements the plan left out whose effect is not seen in the database: all of
    them must be there before a history the migrator never ran may be recorded as applied
    (a left-out ENABLE ROW LEVEL SECURITY, policy, constraint or UPDATE would otherwise be
    marked done and never run by anyone)."""
    from pglast import ast  # start-up: only runs that read SQL load pglast
    from pglast.enums import AlterTableType  # start-up: only runs that read SQL load pglast

    async def holds(query: str, *params: str) -> bool:
        row = await (await connection.execute(query, params)).fetchone()
        return bool(row and row[0])

    missing = []
    for statement, _why in plan.left_out:
        node, table = statement.node, _table(statement)
        if isinstance(node, ast.CreateStmt) and table is not None:
            continue  # the table and every column it declares exist (make_plan saw them)
        if _object_of(node) is not None:
            continue  # the index, view, type, function… exists (make_plan looked it up)
        if isinstance(node, ast.AlterTableStmt) and table is not None:
            seen = True
            for command in node.cmds or ():
                kind = command.subtype
                if kind == AlterTableType.AT_AddColumn:
                    continue  # present, or make_plan would have added it
                if kind == AlterTableType.AT_AddConstraint and getattr(command.def_, "conname", None):
                    seen = await holds(_CONSTRAINT, str(command.def_.conname), table.schema, table.name)
                elif kind == AlterTableType.AT_EnableRowSecurity:
                    seen = await holds(_ROW_SECURITY, table.schema, table.name)
                elif kind == AlterTableType.AT_ForceRowSecurity:
                    seen = await holds(_FORCE_ROW_SECURITY, table.schema, table.name)
                elif kind == AlterTableType.AT_SetNotNull and command.name:
                    seen = await holds(_NOT_NULL, str(command.name), table.schema, table.name)
                else:
                    seen = False
                if not seen:
                    break
            if seen:
                continue
        if isinstance(node, ast.CreatePolicyStmt) and node.table is not None:
            schema = node.table.schemaname or statement.schema
            if await holds(_POLICY, str(node.policy_name), schema, str(node.table.relname)):
                continue
        missing.append(statement)
    return missing


def _object_of(node: Any) -> Any:
    return _object(node)


# One round trip: which of the schema's other objects (indexes, views, sequences, types,
# functions, schemas, extensions, triggers, policies) do not exist; 'any function': no
# function of that name in any schema. A name without a schema
# is looked up on the session's search_path, as the statement that creates it would be.
# 'published' is a publication that publishes some table (or all): one that publishes
# none holds nothing a DROP or ALTER PUBLICATION could lose (provision/schemaguard.py).
MISSING_OBJECTS = """
SELECT o.kind, o.name
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS o(kind, schema, name, tbl)
WHERE NOT CASE o.kind
    WHEN 'relation' THEN to_regclass(CASE WHEN o.schema = '' THEN quote_ident(o.name)
                                     ELSE quote_ident(o.schema) || '.' || quote_ident(o.name) END) IS NOT NULL
    WHEN 'type' THEN to_regtype(CASE WHEN o.schema = '' THEN quote_ident(o.name)
                                ELSE quote_ident(o.schema) || '.' || quote_ident(o.name) END) IS NOT NULL
    WHEN 'function' THEN EXISTS (
        SELECT 1 FROM pg_proc p WHERE p.proname = o.name AND (
            CASE WHEN o.schema = '' THEN p.pronamespace = ANY (current_schemas(true)::regnamespace[])
                 ELSE p.pronamespace = to_regnamespace(quote_ident(o.schema)) END))
    WHEN 'any function' THEN EXISTS (SELECT 1 FROM pg_proc p WHERE p.proname = o.name)
    WHEN 'schema' THEN to_regnamespace(quote_ident(o.name)) IS NOT NULL
    WHEN 'extension' THEN EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = o.name)
    WHEN 'trigger' THEN EXISTS (SELECT 1 FROM pg_trigger t
                                WHERE t.tgname = o.name AND t.tgrelid = to_regclass(o.tbl))
    WHEN 'policy' THEN EXISTS (SELECT 1 FROM pg_policy p
                               WHERE p.polname = o.name AND p.polrelid = to_regclass(o.tbl))
    WHEN 'published' THEN EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = o.name
                                  AND (p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_tables t
                                                                 WHERE t.pubname = o.name)))
    ELSE true END
"""



async def missing_objects(connection: Any, objects: list[tuple[str, str, str, str]]) -> list[str]:
    if not objects:
        return []
    columns = [list(column) for column in zip(*objects, strict=True)]
    rows = await (await connection.execute(MISSING_OBJECTS, columns)).fetchall()
    return [f"{kind} {name}" for kind, name in rows]
