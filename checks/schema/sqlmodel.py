"""What `schema.sql` (or the migrations) says, read with pglast — PostgreSQL's own
parser: the tables it creates with their columns, its destructive statements, and
each statement with the file and line it starts on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checks.core.sources import SchemaSource
from checks.schema.additive import Classifier, Verdict
from checks.schema.calls import _setting, _walk
from checks.schema.guard import DestructiveGuard
from checks.schema.names import (
    CURRENT_PATH,
    CURRENT_SCHEMA,
    DEFAULT_SCHEMA,
    TableName,
    quoted,
    relation_name,
)
from checks.schema.outside import outside_transaction
from checks.support.lazyre import lazy
from checks.support.pgurl import search_path_list
from checks.support.sqltree import parse_sql

_LEADING = lazy(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)


class SchemaSyntaxError(Exception):
    def __init__(self, path: Path, line: int, column: int, message: str, label: str = "") -> None:
        super().__init__(f"{label or path.name}:{line}:{column}: {message}")
        self.path, self.line, self.column, self.message = path, line, column, message


@dataclass(frozen=True)
class Column:
    name: str
    not_null: bool


@dataclass(frozen=True)
class Statement:
    path: Path
    line: int
    text: str
    kind: str  # the pglast node name: CreateStmt, IndexStmt, ...
    node: Any = field(compare=False, repr=False)
    schema: str = DEFAULT_SCHEMA  # where an unqualified name in it lands (the search_path)
    label: str = ""  # the file as a location names it (SchemaSource.label)
    # Proven additive or not, and why (additive.py); None for what is never run.
    verdict: Verdict | None = field(default=None, compare=False, repr=False)

    @property
    def where(self) -> str:
        return f"{self.label or self.path.name}:{self.line}"

    @property
    def first_line(self) -> str:
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return first if len(first) <= 80 else first[:77] + "..."


@dataclass
class ParsedSchema:
    statements: list[Statement] = field(default_factory=list)
    # Tables the schema leaves behind, with the columns it declares for them (in order).
    tables: dict[TableName, list[Column]] = field(default_factory=dict)
    # Statements that lose rows (DELETE anywhere in the tree, DROP TABLE, a call of a function
    # whose body deletes…), with why.
    destructive: list[tuple[Statement, str]] = field(default_factory=list)
    # Irreversible but losing no rows (DROP CONSTRAINT, DROP INDEX, DROP PUBLICATION IF EXISTS…).
    irreversible: list[tuple[Statement, str]] = field(default_factory=list)
    # Every statement not proven additive (or additive only if what it replaces is absent),
    # in order; the refusal names each (provision/schemaguard.py).
    unproven: list[Statement] = field(default_factory=list)
    # COPY … FROM stdin / TO STDOUT: their data does not travel through `provision schema`.
    copies: list[Statement] = field(default_factory=list)
    # Every other named object the schema creates, as (kind, schema or "", name, table or ""):
    # `provision schema` calls the schema applied only when all of these exist too.
    objects: list[tuple[str, str, str, str]] = field(default_factory=list)
    # BEGIN/COMMIT in the file: left out, the whole schema runs in one transaction anyway.
    skipped: list[Statement] = field(default_factory=list)
    # Transaction control that cannot run inside that one transaction (ROLLBACK, SAVEPOINT…).
    unsupported: list[Statement] = field(default_factory=list)
    # What PostgreSQL runs only outside any transaction block (CREATE INDEX CONCURRENTLY…).
    outside: list[Statement] = field(default_factory=list)
    # The app's search_path (from its URL) the file was read with; empty: the default.
    search_path: list[str] = field(default_factory=list)
    # False: read from the parse cache (tables and objects only, no statements): what
    # needs the statements parses the files again (checks/schema.py `parsed_schema`).
    complete: bool = True


def _line_of(sql: str, offset: int, first_line: int) -> int:
    return first_line + sql.count("\n", 0, offset)


class _Lines:
    """Line numbers of increasing offsets, counting each newline once (linear in the file)."""

    def __init__(self, sql: str, first_line: int) -> None:
        self.sql, self.offset, self.line = sql, 0, first_line

    def at(self, offset: int) -> int:
        if offset < self.offset:
            return _line_of(self.sql, offset, self.line - self.sql.count("\n", 0, self.offset))
        self.line += self.sql.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _column(definition: Any) -> Column:
    from pglast.enums import ConstrType  # start-up: only runs that read SQL load pglast

    kinds = {c.contype for c in (definition.constraints or ())}
    not_null = bool(definition.is_not_null) or bool(kinds & {ConstrType.CONSTR_NOTNULL,
                                                              ConstrType.CONSTR_PRIMARY,
                                                              ConstrType.CONSTR_IDENTITY})
    return Column(definition.colname, not_null)


def _first_schema(path: list[str]) -> str | None:
    """Where CREATE puts an unqualified name: the first schema of the path ("$user" is
    taken to be absent, as it is on hosted Postgres)."""
    return next((p for p in path if p != "$user"), None)


def _set_search_path(node: Any) -> list[str] | None:
    from pglast import ast  # start-up: only runs that read SQL load pglast

    if isinstance(node, ast.SelectStmt):
        return _set_config_path(node)
    if not isinstance(node, ast.VariableSetStmt) or (node.name or "").lower() != "search_path":
        return None
    values = []
    for arg in node.args or ():
        value = getattr(getattr(arg, "val", None), "sval", None)
        if value is not None:
            values.append(str(value))
    return values


def _set_config_path(node: Any) -> list[str] | None:
    """`SELECT [pg_catalog.]set_config('search_path', 'audit, public', false)`, allowed as a
    SET is (safelist.py) and moving unqualified names just as far: a later `DROP INDEX x`
    reaches audit.x, which the lookups of provision/schemaguard.py must then look at."""
    for item in _walk(node.targetList):
        if (type(item).__name__ == "FuncCall" and str(getattr(item.funcname[-1], "sval", "")).lower() == "set_config"
                and _setting(item) == "search_path" and len(item.args or ()) > 1):
            value = getattr(getattr(item.args[1], "val", None), "sval", None)
            if isinstance(value, str):
                return search_path_list(value)
    return None


# -- the destructive-statement guard ----------------------------------------------------------
# It walks every node of every statement, not just the top one: a DELETE inside a CTE, under
# EXPLAIN ANALYZE, behind PREPARE/EXECUTE or MERGE, in the body of a function that a later
# statement calls or a trigger that a later INSERT fires, all empty a table just the same.


def _transaction_control(node: Any) -> bool | None:
    """None: not transaction control. True: BEGIN/START/COMMIT/END, which only wrap the
    file in the one transaction deploy-check opens anyway — run as written they would
    commit half-way and break both the rollback on error and --dry-run. False: the rest
    (ROLLBACK, SAVEPOINT, PREPARE TRANSACTION…), which cannot be honoured inside it."""
    from pglast import ast  # start-up: only runs that read SQL load pglast

    # start-up: only runs that read SQL load pglast
    from pglast.enums import TransactionStmtKind as Kind

    if not isinstance(node, ast.TransactionStmt):
        return None
    return node.kind in (Kind.TRANS_STMT_BEGIN, Kind.TRANS_STMT_START, Kind.TRANS_STMT_COMMIT)


def _track(parsed: ParsedSchema, node: Any) -> None:
    """Follow what the statements do to tables, in order (migrations add and drop)."""
    from pglast import ast  # start-up: only runs that read SQL load pglast
    from pglast.enums import (  # start-up: only runs that read SQL load pglast
        AlterTableType,
        ObjectType,
    )

    if isinstance(node, ast.CreateStmt) and getattr(node.relation, "relpersistence", "p") != "t":
        columns = [_column(e) for e in node.tableElts or () if isinstance(e, ast.ColumnDef)]
        parsed.tables.setdefault(relation_name(node.relation), columns)
    elif (isinstance(node, ast.CreateTableAsStmt) and node.into and node.into.rel
          and node.objtype == ObjectType.OBJECT_TABLE):
        # A materialized view is no table (information_schema.tables does not list it):
        # it is one of ParsedSchema.objects.
        parsed.tables.setdefault(relation_name(node.into.rel), [])
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        altered = parsed.tables.get(relation_name(node.relation))
        if altered is None:
            return
        for command in node.cmds or ():
            if command.subtype == AlterTableType.AT_AddColumn:
                altered.append(_column(command.def_))
            elif command.subtype == AlterTableType.AT_DropColumn:
                altered[:] = [c for c in altered if c.name != command.name]
    elif isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_COLUMN:
        renamed = parsed.tables.get(relation_name(node.relation)) if node.relation else None
        if renamed is not None:
            renamed[:] = [replace(c, name=str(node.newname)) if c.name == node.subname else c
                          for c in renamed]
    elif isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TABLE:
        old = relation_name(node.relation)
        if old in parsed.tables:
            parsed.tables[TableName(old.schema, str(node.newname))] = parsed.tables.pop(old)
    elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
        for names in node.objects or ():
            parts = [n.sval for n in names]
            parsed.tables.pop(TableName(*parts[-2:]) if len(parts) > 1
                              else TableName(CURRENT_SCHEMA.get(), parts[0]), None)


def _names(items: Any) -> tuple[str, str]:
    parts = [item.sval for item in items or ()]
    return (parts[-2] if len(parts) > 1 else "", parts[-1] if parts else "")


def _object(node: Any) -> tuple[str, str, str, str] | None:
    """The named non-table object a statement creates, if any (see ParsedSchema.objects)."""
    from pglast import ast  # start-up: only runs that read SQL load pglast
    from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

    def relation(kind: str, rangevar: Any) -> tuple[str, str, str, str]:
        return (kind, rangevar.schemaname or "", rangevar.relname, "")

    if isinstance(node, ast.IndexStmt) and node.idxname and node.relation is not None:
        return ("relation", node.relation.schemaname or "", node.idxname, "")
    if (isinstance(node, ast.CreateTableAsStmt) and node.into and node.into.rel
            and node.objtype == ObjectType.OBJECT_MATVIEW):
        return relation("relation", node.into.rel)
    if isinstance(node, ast.CreateSeqStmt):
        return relation("relation", node.sequence)
    if isinstance(node, ast.ViewStmt):
        return relation("relation", node.view)
    if isinstance(node, ast.CompositeTypeStmt):
        return relation("type", node.typevar)
    if isinstance(node, ast.CreateEnumStmt):
        return ("type", *_names(node.typeName), "")
    if isinstance(node, ast.CreateDomainStmt):
        return ("type", *_names(node.domainname), "")
    if isinstance(node, ast.CreateFunctionStmt):
        return ("function", *_names(node.funcname), "")
    if isinstance(node, ast.CreateSchemaStmt) and node.schemaname:
        return ("schema", "", node.schemaname, "")
    if isinstance(node, ast.CreateExtensionStmt):
        return ("extension", "", str(node.extname), "")
    if isinstance(node, ast.CreateTrigStmt) and node.relation is not None:
        table = (str(relation_name(node.relation)) if node.relation.schemaname
                 else quoted(str(node.relation.relname)))
        return ("trigger", "", str(node.trigname), table)
    return None


# `COPY … FROM stdin` at the start of a line, as pg_dump writes it before its data lines.
_COPY_FROM_STDIN = lazy(r"^[ \t]*COPY\b[^;]*?\bFROM\s+stdin\b[^;]*;?", re.IGNORECASE | re.MULTILINE)


def _copy_through_client(node: Any) -> bool:
    """COPY … FROM stdin / TO STDOUT: the rows travel through the client connection."""
    from pglast import ast  # start-up: only runs that read SQL load pglast

    return isinstance(node, ast.CopyStmt) and not node.filename and not node.is_program


def parse_sources(sources: Iterable[SchemaSource], search_path: list[str] | None = None) -> ParsedSchema:
    """`search_path`: the app's (search_path_of_url); unqualified names land in its first
    schema, and after a `SET search_path` in the file, in that one's."""
    token = CURRENT_SCHEMA.set(_first_schema(search_path or []) or DEFAULT_SCHEMA)
    path_token = CURRENT_PATH.set(tuple(search_path or ()))
    try:
        return _parse_sources(sources, search_path or [])
    finally:
        CURRENT_PATH.reset(path_token)
        CURRENT_SCHEMA.reset(token)


def _located_statements(sql: str) -> list[tuple[int, int, Any]]:
    """(start, end, raw statement) of each statement of `sql`, parsed one at a time: one
    parse_sql of a whole 5,000-table file holds its C tree and JSON at once (~60 MiB peak,
    ~20 MiB more than the statements' own trees)."""
    from pglast.parser import ParseError, split  # start-up: only runs that read SQL load pglast

    located = []
    for part in split(sql, with_parser=True, only_slices=True):
        text = sql[part]
        try:
            raws = parse_sql(text)
        except ParseError as exc:  # where it is in the whole file, not in this statement
            message, offset = (*exc.args, 0)[:2]
            raise ParseError(message, part.start + (offset if isinstance(offset, int) else 0)) from None
        for raw in raws:
            begin = part.start + (raw.stmt_location or 0)
            located.append((begin, begin + raw.stmt_len if raw.stmt_len else part.stop, raw))
    return located


def _parse_sources(sources: Iterable[SchemaSource], search_path: list[str]) -> ParsedSchema:
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

    parsed = ParsedSchema(search_path=list(search_path))
    guard, classifier = DestructiveGuard(), Classifier()
    for source in sources:
        try:
            located = _located_statements(source.sql)
        except ParseError as exc:
            message, offset = (*exc.args, 0)[:2]
            offset = max(0, offset) if isinstance(offset, int) else 0  # 0-based
            copy = _COPY_FROM_STDIN.search(source.sql, 0, offset + 1)
            if copy:  # pg_dump's data lines after `COPY … FROM stdin;` are no SQL
                line = _line_of(source.sql, copy.start(), source.first_line)
                raise SchemaSyntaxError(source.path, line, 1, (
                    f"`{copy.group(0).strip()}` reads its rows from the client (the lines after it), "
                    "which deploy-check does not send: load the data with psql or INSERT statements"),
                    source.name) from None
            line = _line_of(source.sql, offset, source.first_line)
            column = offset - (source.sql.rfind("\n", 0, offset) + 1) + 1
            raise SchemaSyntaxError(source.path, line, column, str(message), source.name) from None
        lines = _Lines(source.sql, source.first_line)
        for start, end, raw in located:
            skip = _LEADING.match(source.sql, start)
            begin = skip.end() if skip else start
            statement = Statement(source.path, lines.at(begin), source.sql[begin:end].strip(),
                                  type(raw.stmt).__name__, raw.stmt, CURRENT_SCHEMA.get(), source.name)
            path = _set_search_path(raw.stmt)
            if path is not None:
                CURRENT_SCHEMA.set(_first_schema(path) or DEFAULT_SCHEMA)
                CURRENT_PATH.set(tuple(path))
            control = _transaction_control(raw.stmt)
            if control is not None:
                (parsed.skipped if control else parsed.unsupported).append(statement)
                continue
            if outside_transaction(raw.stmt):
                parsed.outside.append(statement)
            loses, irreversible = guard.statement(raw.stmt, statement.where)
            verdict = classifier.classify(raw.stmt, loses or irreversible)
            statement = replace(statement, verdict=verdict)
            if _copy_through_client(raw.stmt):
                parsed.copies.append(statement)
            if loses:
                parsed.destructive.append((statement, loses))
            if irreversible:
                parsed.irreversible.append((statement, irreversible))
            parsed.statements.append(statement)
            if not verdict.additive or verdict.absent or verdict.calls:
                parsed.unproven.append(statement)
            _track(parsed, raw.stmt)
            created = _object(raw.stmt)
            if created is not None:
                if created[1] == "" and created[0] in {"relation", "type", "function"} and (
                        CURRENT_SCHEMA.get() != DEFAULT_SCHEMA):
                    # Looked up where it was created, not on the checking session's path.
                    created = (created[0], CURRENT_SCHEMA.get(), *created[2:])
                parsed.objects.append(created)
    return parsed
