"""What `schema.sql` (or the migrations) says, read with pglast — PostgreSQL's own
parser: the tables it creates with their columns, its destructive statements, and
each statement with the file and line it starts on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checks.core.sources import SchemaSource
from checks.support.sqltree import children

DEFAULT_SCHEMA = "public"  # where an unqualified CREATE TABLE lands on Neon and Supabase
# Where an unqualified name lands while a file is parsed: the app's search_path (from its
# URL), then each `SET search_path` in the file.
_CURRENT_SCHEMA: ContextVar[str] = ContextVar("deploy_check_current_schema", default=DEFAULT_SCHEMA)
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)


class SchemaSyntaxError(Exception):
    def __init__(self, path: Path, line: int, column: int, message: str) -> None:
        super().__init__(f"{path.name}:{line}:{column}: {message}")
        self.path, self.line, self.column, self.message = path, line, column, message


def quoted(part: str) -> str:
    """An identifier as PostgreSQL reads it back: plain when it may be, else in quotes."""
    return part if re.fullmatch(r"[a-z_][a-z0-9_$]*", part) else '"' + part.replace('"', '""') + '"'


@dataclass(frozen=True, order=True)
class TableName:
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{quoted(self.schema)}.{quoted(self.name)}"

    @classmethod
    def parse(cls, text: str) -> TableName:
        """`schema.table` or `table` as written in deploy-check.toml (quotes allowed)."""
        from pglast import parse_sql  # start-up: only runs that read SQL load pglast
        from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

        try:
            (raw,) = parse_sql(f"SELECT FROM {text}")
            select: Any = raw.stmt
            relation = select.fromClause[0]
            return cls(relation.schemaname or DEFAULT_SCHEMA, relation.relname)
        except (ParseError, ValueError, AttributeError, IndexError, TypeError):
            raise ValueError(f"not a table name: {text!r}") from None


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

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

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
    # COPY … FROM stdin / TO STDOUT: their data does not travel through `provision schema`.
    copies: list[Statement] = field(default_factory=list)
    # Every other named object the schema creates, as (kind, schema or "", name, table or ""):
    # `provision schema` calls the schema applied only when all of these exist too.
    objects: list[tuple[str, str, str, str]] = field(default_factory=list)
    # BEGIN/COMMIT in the file: left out, the whole schema runs in one transaction anyway.
    skipped: list[Statement] = field(default_factory=list)
    # Transaction control that cannot run inside that one transaction (ROLLBACK, SAVEPOINT…).
    unsupported: list[Statement] = field(default_factory=list)
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


def _relation(node: Any) -> TableName:
    return TableName(node.schemaname or _CURRENT_SCHEMA.get(), node.relname)


def _first_schema(path: list[str]) -> str | None:
    """Where CREATE puts an unqualified name: the first schema of the path ("$user" is
    taken to be absent, as it is on hosted Postgres)."""
    return next((p for p in path if p != "$user"), None)


def _set_search_path(node: Any) -> list[str] | None:
    from pglast import ast  # start-up: only runs that read SQL load pglast

    if not isinstance(node, ast.VariableSetStmt) or (node.name or "").lower() != "search_path":
        return None
    values = []
    for arg in node.args or ():
        value = getattr(getattr(arg, "val", None), "sval", None)
        if value is not None:
            values.append(str(value))
    return values


# -- the destructive-statement guard ----------------------------------------------------------
# It walks every node of every statement, not just the top one: a DELETE inside a CTE, under
# EXPLAIN ANALYZE, behind PREPARE/EXECUTE or MERGE, in the body of a function that a later
# statement calls or a trigger that a later INSERT fires, all empty a table just the same.

# pg_trigger.h TRIGGER_TYPE_INSERT/DELETE/UPDATE/TRUNCATE: the bits of CreateTrigStmt.events.
_TRIGGER_EVENTS = {"InsertStmt": 4, "DeleteStmt": 8, "UpdateStmt": 16, "MergeStmt": 4 | 8 | 16,
                   "TruncateStmt": 32, "CopyStmt": 4}
# DROPs that lose no rows when not CASCADE: the definition is gone, the data is not.
_NO_ROWS_DROPPED = {"OBJECT_INDEX", "OBJECT_VIEW", "OBJECT_FUNCTION", "OBJECT_PROCEDURE",
                    "OBJECT_ROUTINE", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_PUBLICATION",
                    "OBJECT_RULE", "OBJECT_STATISTIC_EXT", "OBJECT_EVENT_TRIGGER", "OBJECT_CAST",
                    "OBJECT_AGGREGATE", "OBJECT_OPERATOR"}
# Statements that define things without running any expression in them at once (a
# column default or a view's query runs later, if ever): not walked, so parsing stays fast.
_RUNS_NOTHING = {"CreateStmt", "IndexStmt", "ViewStmt", "CreateEnumStmt", "CompositeTypeStmt",
                 "CommentStmt", "GrantStmt", "CreateSeqStmt", "AlterSeqStmt", "CreatePolicyStmt",
                 "CreateDomainStmt", "CreateExtensionStmt", "CreateSchemaStmt", "VariableSetStmt"}
# Languages whose function bodies deploy-check reads; C and internal functions come with
# PostgreSQL or an extension, not with the schema file.
_READ_LANGUAGES = {"sql", "plpgsql"}
_NOT_WRITTEN_HERE = {"c", "internal"}


def _last_name(items: Any) -> str:
    parts = [getattr(item, "sval", "") for item in items or ()]
    return parts[-1].lower() if parts else ""


def _relname(node: Any) -> str:
    return str(getattr(node.relation, "relname", "") or "?")


def _option(options: Any, name: str) -> Any:
    for option in options or ():
        if option.defname == name:
            return option
    return None


def _truthy(option: Any) -> bool:
    if option is None:
        return False
    arg = option.arg
    if arg is None:
        return True
    value = getattr(arg, "sval", None)
    if value is None:
        value = getattr(arg, "boolval", getattr(arg, "ival", True))
    return str(value).lower() not in {"false", "off", "0", "no"}


def _plpgsql_queries(body: str, returns_trigger: bool) -> list[str] | str:
    """Every SQL text a PL/pgSQL body runs (statements and expressions), parsed with
    PostgreSQL's own PL/pgSQL parser; a str says why the body cannot be inspected."""
    from pglast import parse_plpgsql  # start-up: only runs that read SQL load pglast
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

    tag = "deploy_check"
    while f"${tag}$" in body:
        tag += "_"
    returns = "trigger" if returns_trigger else "void"
    try:
        tree = parse_plpgsql(f"CREATE FUNCTION deploy_check_body() RETURNS {returns} "
                             f"LANGUAGE plpgsql AS ${tag}${body}${tag}$")
    except ParseError:
        return "its code could not be parsed"
    queries: list[str] = []
    pending: list[Any] = [tree]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            if any(k in item for k in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors", "dynquery")):
                return "dynamic EXECUTE (its SQL cannot be inspected)"
            expr = item.get("PLpgSQL_expr")
            if isinstance(expr, dict) and isinstance(expr.get("query"), str):
                queries.append(expr["query"])
            pending.extend(item.values())
    return queries


def _parse_query(query: str) -> list[Any] | None:
    """A PL/pgSQL query text as statements: a full statement, an expression (`k()`) or an
    assignment (`x := h()`)."""
    from pglast import parse_sql  # start-up: only runs that read SQL load pglast
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

    candidates = [query, f"SELECT {query}"]
    if ":=" in query:
        candidates.append(f"SELECT {query.split(':=', 1)[1]}")
    for candidate in candidates:
        try:
            return [raw.stmt for raw in parse_sql(candidate)]
        except ParseError:
            continue
    return None


@dataclass
class _Guard:
    """What earlier statements defined that makes a later one lose data."""

    functions: dict[str, str] = field(default_factory=dict)  # name -> what its body does
    triggers: dict[TableName, list[tuple[str, str, int]]] = field(default_factory=dict)
    prepared: dict[str, str] = field(default_factory=dict)
    renamed: dict[TableName, tuple[str, str]] = field(default_factory=dict)  # old -> (new, where)

    def statement(self, node: Any, where: str) -> tuple[str | None, str | None]:
        """(why it touches data, why it is irreversible without losing rows) — either may be None."""
        from pglast import ast  # start-up: only runs that read SQL load pglast
        from pglast.enums import (  # start-up: only runs that read SQL load pglast
            AlterTableType,
            DropBehavior,
            ObjectType,
        )

        if isinstance(node, ast.DropStmt):
            kind = ObjectType(int(node.removeType or 0)).name
            if kind in _NO_ROWS_DROPPED and node.behavior != DropBehavior.DROP_CASCADE:
                what = kind.removeprefix("OBJECT_").replace("_", " ")
                first = (node.objects or [None])[0]
                parts = first if isinstance(first, tuple) else (first,)
                name = ".".join(str(getattr(p, "sval", "")) for p in parts if getattr(p, "sval", None))
                return None, f"DROP {what}{' IF EXISTS' if node.missing_ok else ''} {name}".rstrip()
        if isinstance(node, ast.AlterTableStmt):
            dropped = [c for c in node.cmds or () if c.subtype == AlterTableType.AT_DropConstraint]
            if dropped and len(dropped) == len(node.cmds or ()):
                return None, f"ALTER TABLE … DROP CONSTRAINT {dropped[0].name}"
        if isinstance(node, ast.CreateFunctionStmt):
            self._define_function(node)
            return None, None
        if isinstance(node, ast.CreateTrigStmt) and node.relation is not None:
            self.triggers.setdefault(_relation(node.relation), []).append(
                (str(node.trigname), _last_name(node.funcname), int(node.events or 0)))
            return None, None
        if isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TABLE:
            self.renamed[_relation(node.relation)] = (str(node.newname), where)
        if isinstance(node, ast.CreateStmt) and node.relation is not None:
            moved = self.renamed.get(_relation(node.relation))
            if moved is not None:
                return (f"CREATE TABLE {node.relation.relname} after RENAME TO {moved[0]} "
                        f"({moved[1]}): the rows stay in {moved[0]}, the app gets an empty table"), None
        if isinstance(node, ast.PrepareStmt):
            inner = self.reason(node.query, top=False)
            if inner:
                self.prepared[str(node.name)] = inner
            return None, None
        return self.reason(node), None

    def reason(self, node: Any, top: bool = True) -> str | None:
        """What running this (sub)tree does that loses rows, if anything."""
        from pglast import ast  # start-up: only runs that read SQL load pglast
        from pglast.enums import (  # start-up: only runs that read SQL load pglast
            AlterTableType,
            CmdType,
        )

        if node is None:
            return None
        kind = type(node).__name__
        if kind.startswith("Drop"):  # DropStmt, DropRoleStmt, DropOwnedStmt, DropdbStmt, ...
            return "DROP" if kind == "DropStmt" else f"DROP ({kind.removeprefix('Drop').removesuffix('Stmt')})"
        if isinstance(node, ast.ReassignOwnedStmt):
            return "REASSIGN OWNED"
        if isinstance(node, ast.TruncateStmt):
            return "TRUNCATE"
        if isinstance(node, ast.DeleteStmt):
            return "DELETE" if top else f"DELETE (from {_relname(node)})"
        if isinstance(node, ast.UpdateStmt) and node.whereClause is None:
            return f"UPDATE {_relname(node)} without WHERE (every row)"
        if isinstance(node, ast.MergeStmt) and any(
                c.commandType == CmdType.CMD_DELETE for c in node.mergeWhenClauses or ()):
            return f"MERGE INTO {_relname(node)} … THEN DELETE"
        if isinstance(node, ast.AlterTableStmt):
            for command in node.cmds or ():
                if command.subtype == AlterTableType.AT_DropColumn:
                    return f"ALTER TABLE … DROP COLUMN {command.name}"
                if command.subtype == AlterTableType.AT_AlterColumnType:
                    return f"ALTER TABLE … ALTER COLUMN {command.name} TYPE"
        if isinstance(node, ast.ExplainStmt):
            if not _truthy(_option(node.options, "analyze")):
                return None  # plain EXPLAIN plans, it does not run the statement
            inner = self.reason(node.query, top=False)
            return f"EXPLAIN ANALYZE {inner}" if inner else None
        if isinstance(node, ast.ExecuteStmt) and str(node.name) in self.prepared:
            return f"EXECUTE {node.name} (prepared as {self.prepared[str(node.name)]})"
        if isinstance(node, ast.CreateFunctionStmt):
            self._define_function(node)
            return None
        if isinstance(node, ast.DoStmt):
            return self._do_block(node)
        if isinstance(node, ast.FuncCall):
            name = _last_name(node.funcname)
            if name in self.functions:
                return f"{name}(), which runs {self.functions[name]}"
        table = getattr(node, "relation", None)
        if kind in _TRIGGER_EVENTS and isinstance(table, ast.RangeVar) and (
                kind != "CopyStmt" or node.is_from):
            for trigger, function, events in self.triggers.get(_relation(table), ()):
                if events & _TRIGGER_EVENTS[kind] and function in self.functions:
                    verb = kind.removesuffix("Stmt").upper()
                    return (f"{verb} on {table.relname} fires trigger {trigger}, whose function "
                            f"{function}() runs {self.functions[function]}")
        if kind in _RUNS_NOTHING:
            return None
        for child in children(node):
            inner = self.reason(child, top=False)
            if inner:
                if isinstance(child, ast.CommonTableExpr) and " inside WITH " not in inner:
                    return f"{inner} inside WITH {child.ctename}"
                return inner
        return None

    def _sql_reason(self, queries: list[str]) -> str | None:
        for query in queries:
            statements = _parse_query(query)
            if statements is None:
                return "a statement that could not be parsed"
            for statement in statements:
                inner = self.reason(statement)
                if inner:
                    return inner
        return None

    def _do_block(self, node: Any) -> str | None:
        """A DO block runs at once, so what it runs counts. Code that cannot be inspected
        (dynamic EXECUTE, another language) counts as destructive — drizzle's
        `DO $$ BEGIN CREATE TYPE … EXCEPTION WHEN duplicate_object … END $$` passes."""
        options = {o.defname: getattr(o.arg, "sval", None) for o in node.args or ()}
        language = (options.get("language") or "plpgsql").lower()
        if language != "plpgsql":
            return f"DO block in {language} (its code cannot be inspected)"
        queries = _plpgsql_queries(options.get("as") or "", returns_trigger=False)
        if isinstance(queries, str):
            return f"DO block with {queries}" if queries.startswith("dynamic") else f"DO block ({queries})"
        inner = self._sql_reason(queries)
        if inner == "a statement that could not be parsed":
            return "DO block (a statement in it could not be parsed)"
        return f"DO block running {inner}" if inner else None

    def _define_function(self, node: Any) -> None:
        """Remember a function whose body loses data, so a later call or trigger counts."""
        from pglast import ast  # start-up: only runs that read SQL load pglast

        name = _last_name(node.funcname)
        language_option = _option(node.options, "language")
        language = str(getattr(language_option.arg, "sval", "sql") if language_option else "sql").lower()
        self.functions.pop(name, None)  # CREATE OR REPLACE: the new body is what runs
        if language in _NOT_WRITTEN_HERE:
            return
        if language not in _READ_LANGUAGES:
            self.functions[name] = f"code in {language} (it cannot be inspected)"
            return
        body_option = _option(node.options, "as")
        body = ""
        if body_option is not None:
            parts = body_option.arg if isinstance(body_option.arg, tuple) else (body_option.arg,)
            body = str(getattr(parts[0], "sval", "")) if parts else ""
        reason: str | None
        if node.sql_body:  # BEGIN ATOMIC … END: already parsed
            statements: list[Any] = []
            pending = list(node.sql_body) if isinstance(node.sql_body, tuple) else [node.sql_body]
            while pending:
                item = pending.pop(0)
                if isinstance(item, tuple):
                    pending[:0] = list(item)
                elif isinstance(item, ast.Node):
                    statements.append(item)
            reason = next((r for r in (self.reason(s) for s in statements) if r), None)
        elif language == "sql":
            reason = self._sql_reason([body])
        else:
            returns = node.returnType is not None and _last_name(node.returnType.names) == "trigger"
            queries = _plpgsql_queries(body, returns_trigger=returns)
            reason = queries if isinstance(queries, str) else self._sql_reason(queries)
        if reason:
            self.functions[name] = reason


def _transaction_control(node: Any) -> bool | None:
    """None: not transaction control. True: BEGIN/START/COMMIT/END, which only wrap the
    file in the one transaction deploy-check opens anyway — run as written they would
    commit half-way and break both the rollback on error and --dry-run. False: the rest
    (ROLLBACK, SAVEPOINT, PREPARE TRANSACTION…), which cannot be honoured inside it."""
    from pglast import ast  # start-up: only runs that read SQL load pglast
    from pglast.enums import (
        TransactionStmtKind as Kind,  # start-up: only runs that read SQL load pglast
    )

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
        parsed.tables.setdefault(_relation(node.relation), columns)
    elif (isinstance(node, ast.CreateTableAsStmt) and node.into and node.into.rel
          and node.objtype == ObjectType.OBJECT_TABLE):
        # A materialized view is no table (information_schema.tables does not list it):
        # it is one of ParsedSchema.objects.
        parsed.tables.setdefault(_relation(node.into.rel), [])
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        altered = parsed.tables.get(_relation(node.relation))
        if altered is None:
            return
        for command in node.cmds or ():
            if command.subtype == AlterTableType.AT_AddColumn:
                altered.append(_column(command.def_))
            elif command.subtype == AlterTableType.AT_DropColumn:
                altered[:] = [c for c in altered if c.name != command.name]
    elif isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_COLUMN:
        renamed = parsed.tables.get(_relation(node.relation)) if node.relation else None
        if renamed is not None:
            renamed[:] = [replace(c, name=str(node.newname)) if c.name == node.subname else c
                          for c in renamed]
    elif isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TABLE:
        old = _relation(node.relation)
        if old in parsed.tables:
            parsed.tables[TableName(old.schema, str(node.newname))] = parsed.tables.pop(old)
    elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
        for names in node.objects or ():
            parts = [n.sval for n in names]
            parsed.tables.pop(TableName(*parts[-2:]) if len(parts) > 1
                              else TableName(_CURRENT_SCHEMA.get(), parts[0]), None)


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
        table = (str(_relation(node.relation)) if node.relation.schemaname
                 else quoted(str(node.relation.relname)))
        return ("trigger", "", str(node.trigname), table)
    return None


# `COPY … FROM stdin` at the start of a line, as pg_dump writes it before its data lines.
_COPY_FROM_STDIN = re.compile(r"^[ \t]*COPY\b[^;]*?\bFROM\s+stdin\b[^;]*;?", re.IGNORECASE | re.MULTILINE)


def _copy_through_client(node: Any) -> bool:
    """COPY … FROM stdin / TO STDOUT: the rows travel through the client connection."""
    from pglast import ast  # start-up: only runs that read SQL load pglast

    return isinstance(node, ast.CopyStmt) and not node.filename and not node.is_program


def parse_sources(sources: Iterable[SchemaSource], search_path: list[str] | None = None) -> ParsedSchema:
    """`search_path`: the app's (search_path_of_url); unqualified names land in its first
    schema, and after a `SET search_path` in the file, in that one's."""
    token = _CURRENT_SCHEMA.set(_first_schema(search_path or []) or DEFAULT_SCHEMA)
    try:
        return _parse_sources(sources, search_path or [])
    finally:
        _CURRENT_SCHEMA.reset(token)


def _parse_sources(sources: Iterable[SchemaSource], search_path: list[str]) -> ParsedSchema:
    from pglast import parse_sql  # start-up: only runs that read SQL load pglast
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

    parsed = ParsedSchema(search_path=list(search_path))
    guard = _Guard()
    for source in sources:
        try:
            raws = parse_sql(source.sql)
        except ParseError as exc:
            message, offset = (*exc.args, 0)[:2]
            offset = max(0, offset) if isinstance(offset, int) else 0  # 0-based
            copy = _COPY_FROM_STDIN.search(source.sql, 0, offset + 1)
            if copy:  # pg_dump's data lines after `COPY … FROM stdin;` are no SQL
                line = _line_of(source.sql, copy.start(), source.first_line)
                raise SchemaSyntaxError(source.path, line, 1, (
                    f"`{copy.group(0).strip()}` reads its rows from the client (the lines after it), "
                    "which deploy-check does not send: load the data with psql or INSERT statements")) from None
            line = _line_of(source.sql, offset, source.first_line)
            column = offset - (source.sql.rfind("\n", 0, offset) + 1) + 1
            raise SchemaSyntaxError(source.path, line, column, str(message)) from None
        lines = _Lines(source.sql, source.first_line)
        for raw in raws:
            start = raw.stmt_location or 0
            end = start + raw.stmt_len if raw.stmt_len else len(source.sql)
            skip = _LEADING.match(source.sql, start)
            begin = skip.end() if skip else start
            statement = Statement(source.path, lines.at(begin), source.sql[begin:end].strip(),
                                  type(raw.stmt).__name__, raw.stmt, _CURRENT_SCHEMA.get())
            path = _set_search_path(raw.stmt)
            if path is not None:
                _CURRENT_SCHEMA.set(_first_schema(path) or DEFAULT_SCHEMA)
            control = _transaction_control(raw.stmt)
            if control is not None:
                (parsed.skipped if control else parsed.unsupported).append(statement)
                continue
            parsed.statements.append(statement)
            if _copy_through_client(raw.stmt):
                parsed.copies.append(statement)
            loses, irreversible = guard.statement(raw.stmt, statement.where)
            if loses:
                parsed.destructive.append((statement, loses))
            if irreversible:
                parsed.irreversible.append((statement, irreversible))
            _track(parsed, raw.stmt)
            created = _object(raw.stmt)
            if created is not None:
                if created[1] == "" and created[0] in {"relation", "type", "function"} and (
                        _CURRENT_SCHEMA.get() != DEFAULT_SCHEMA):
                    # Looked up where it was created, not on the checking session's path.
                    created = (created[0], _CURRENT_SCHEMA.get(), *created[2:])
                parsed.objects.append(created)
    return parsed
