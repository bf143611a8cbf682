"""What `schema.sql` (or the migrations) says, read with pglast — PostgreSQL's own
parser: the tables it creates with their columns, its destructive statements, and
each statement with the file and line it starts on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checks.sources import SchemaSource

DEFAULT_SCHEMA = "public"  # where an unqualified CREATE TABLE lands on Neon and Supabase
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
        from pglast import parse_sql
        from pglast.parser import ParseError

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
    destructive: list[tuple[Statement, str]] = field(default_factory=list)
    # Every other named object the schema creates, as (kind, schema or "", name, table or ""):
    # `provision schema` calls the schema applied only when all of these exist too.
    objects: list[tuple[str, str, str, str]] = field(default_factory=list)
    # BEGIN/COMMIT in the file: left out, the whole schema runs in one transaction anyway.
    skipped: list[Statement] = field(default_factory=list)
    # Transaction control that cannot run inside that one transaction (ROLLBACK, SAVEPOINT…).
    unsupported: list[Statement] = field(default_factory=list)


def _line_of(sql: str, offset: int, first_line: int) -> int:
    return first_line + sql.count("\n", 0, offset)


def _column(definition: Any) -> Column:
    from pglast.enums import ConstrType

    kinds = {c.contype for c in (definition.constraints or ())}
    not_null = bool(definition.is_not_null) or bool(kinds & {ConstrType.CONSTR_NOTNULL,
                                                              ConstrType.CONSTR_PRIMARY,
                                                              ConstrType.CONSTR_IDENTITY})
    return Column(definition.colname, not_null)


def _relation(node: Any) -> TableName:
    return TableName(node.schemaname or DEFAULT_SCHEMA, node.relname)


def _destructive_reason(node: Any) -> str | None:
    from pglast import ast
    from pglast.enums import AlterTableType

    kind = type(node).__name__
    if kind.startswith("Drop"):  # DropStmt, DropRoleStmt, DropOwnedStmt, DropdbStmt, ...
        return "DROP" if kind == "DropStmt" else f"DROP ({kind.removeprefix('Drop').removesuffix('Stmt')})"
    if isinstance(node, ast.ReassignOwnedStmt):
        return "REASSIGN OWNED"
    if isinstance(node, ast.TruncateStmt):
        return "TRUNCATE"
    if isinstance(node, ast.DeleteStmt):
        return "DELETE"
    if isinstance(node, ast.AlterTableStmt):
        for command in node.cmds or ():
            if command.subtype == AlterTableType.AT_DropColumn:
                return f"ALTER TABLE … DROP COLUMN {command.name}"
            if command.subtype == AlterTableType.AT_AlterColumnType:
                return f"ALTER TABLE … ALTER COLUMN {command.name} TYPE"
            if command.subtype == AlterTableType.AT_DropConstraint:
                return f"ALTER TABLE … DROP CONSTRAINT {command.name}"
    if isinstance(node, ast.DoStmt):
        return _do_block_reason(node)
    return None


def _do_block_reason(node: Any) -> str | None:
    """A DO block runs at once, so what it runs counts: its SQL statements are parsed
    with PostgreSQL's own PL/pgSQL parser and checked like top-level ones. Code that
    cannot be inspected (dynamic EXECUTE, another language) counts as destructive —
    drizzle's `DO $$ BEGIN CREATE TYPE … EXCEPTION WHEN duplicate_object … END $$`
    passes, a DO block that drops or deletes does not."""
    from pglast import parse_plpgsql, parse_sql
    from pglast.parser import ParseError

    options = {o.defname: getattr(o.arg, "sval", None) for o in node.args or ()}
    language = (options.get("language") or "plpgsql").lower()
    if language != "plpgsql":
        return f"DO block in {language} (its code cannot be inspected)"
    body = options.get("as") or ""
    tag = "deploy_check"
    while f"${tag}$" in body:
        tag += "_"
    try:
        tree = parse_plpgsql(f"CREATE FUNCTION deploy_check_do() RETURNS void LANGUAGE plpgsql "
                             f"AS ${tag}${body}${tag}$")
    except ParseError:
        return "DO block (its code could not be parsed)"
    queries: list[str] = []
    pending: list[Any] = [tree]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            if any(k in item for k in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors")):
                return "DO block with dynamic EXECUTE (its SQL cannot be inspected)"
            if "PLpgSQL_stmt_execsql" in item:
                queries.append(item["PLpgSQL_stmt_execsql"]["sqlstmt"]["PLpgSQL_expr"]["query"])
            pending.extend(item.values())
    for query in queries:
        try:
            inner = [raw.stmt for raw in parse_sql(query)]
        except ParseError:
            return "DO block (a statement in it could not be parsed)"
        for statement in inner:
            reason = _destructive_reason(statement)
            if reason:
                return f"DO block running {reason}"
    return None


def _transaction_control(node: Any) -> bool | None:
    """None: not transaction control. True: BEGIN/START/COMMIT/END, which only wrap the
    file in the one transaction deploy-check opens anyway — run as written they would
    commit half-way and break both the rollback on error and --dry-run. False: the rest
    (ROLLBACK, SAVEPOINT, PREPARE TRANSACTION…), which cannot be honoured inside it."""
    from pglast import ast
    from pglast.enums import TransactionStmtKind as Kind

    if not isinstance(node, ast.TransactionStmt):
        return None
    return node.kind in (Kind.TRANS_STMT_BEGIN, Kind.TRANS_STMT_START, Kind.TRANS_STMT_COMMIT)


def _track(parsed: ParsedSchema, node: Any) -> None:
    """Follow what the statements do to tables, in order (migrations add and drop)."""
    from pglast import ast
    from pglast.enums import AlterTableType, ObjectType

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
            parsed.tables.pop(TableName(*parts[-2:]) if len(parts) > 1 else TableName(DEFAULT_SCHEMA, parts[0]), None)


def _names(items: Any) -> tuple[str, str]:
    parts = [item.sval for item in items or ()]
    return (parts[-2] if len(parts) > 1 else "", parts[-1] if parts else "")


def _object(node: Any) -> tuple[str, str, str, str] | None:
    """The named non-table object a statement creates, if any (see ParsedSchema.objects)."""
    from pglast import ast
    from pglast.enums import ObjectType

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


def parse_sources(sources: Iterable[SchemaSource]) -> ParsedSchema:
    from pglast import parse_sql
    from pglast.parser import ParseError

    parsed = ParsedSchema()
    for source in sources:
        try:
            raws = parse_sql(source.sql)
        except ParseError as exc:
            message, offset = (*exc.args, 0)[:2]
            offset = max(0, offset) if isinstance(offset, int) else 0  # 0-based
            line = _line_of(source.sql, offset, source.first_line)
            column = offset - (source.sql.rfind("\n", 0, offset) + 1) + 1
            raise SchemaSyntaxError(source.path, line, column, str(message)) from None
        for raw in raws:
            start = raw.stmt_location or 0
            end = start + raw.stmt_len if raw.stmt_len else len(source.sql)
            skip = _LEADING.match(source.sql, start)
            begin = skip.end() if skip else start
            statement = Statement(source.path, _line_of(source.sql, begin, source.first_line),
                                  source.sql[begin:end].strip(), type(raw.stmt).__name__, raw.stmt)
            control = _transaction_control(raw.stmt)
            if control is not None:
                (parsed.skipped if control else parsed.unsupported).append(statement)
                continue
            parsed.statements.append(statement)
            reason = _destructive_reason(raw.stmt)
            if reason:
                parsed.destructive.append((statement, reason))
            _track(parsed, raw.stmt)
            created = _object(raw.stmt)
            if created is not None:
                parsed.objects.append(created)
    return parsed
