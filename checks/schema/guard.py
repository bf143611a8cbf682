"""The destructive-statement guard: which statements of a schema source could lose data (a
DROP, a DELETE or UPDATE, a TRUNCATE, a function or trigger that writes), named with
file:line so `provision schema` refuses them unless --allow-destructive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.schema.names import TableName, relation_name
from checks.support.sqltree import children, parse_sql

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



def input_types(node: Any) -> tuple[str, ...]:
    """The argument types a CREATE FUNCTION is called by (its OUT and TABLE columns are
    not): two functions of one name are two functions unless these match."""
    shown = []
    for parameter in node.parameters or ():
        if getattr(parameter.mode, "value", parameter.mode) in ("o", "t"):
            continue
        names = ".".join(str(getattr(p, "sval", "")) for p in parameter.argType.names or ())
        shown.append(names + "[]" * len(parameter.argType.arrayBounds or ()))
    return tuple(shown)



def _plpgsql_queries(body: str, returns_trigger: bool, function: Any = None) -> list[str] | str:
    """Every SQL text a PL/pgSQL body runs (statements and expressions), parsed with
    PostgreSQL's own PL/pgSQL parser; a str says why the body cannot be inspected. With the
    CREATE FUNCTION node, its own signature: a body that RETURNs a value does not compile as
    a void function's (rallly's nanoid(size int) RETURNS text)."""
    from pglast import parse_plpgsql  # start-up: only runs that read SQL load pglast
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast
    from pglast.stream import RawStream  # start-up: only runs that read SQL load pglast

    tag = "deploy_check"
    while f"${tag}$" in body:
        tag += "_"
    returns = "trigger" if returns_trigger else "void"
    wrapped = f"CREATE FUNCTION deploy_check_body() RETURNS {returns} LANGUAGE plpgsql AS ${tag}${body}${tag}$"
    try:
        printed = RawStream()(function) if function is not None else wrapped
    except Exception:  # a node pglast's printer does not know: the body alone, then
        printed = wrapped
    try:
        tree = parse_plpgsql(printed)
    except ParseError:
        return "code that could not be parsed"
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
    assignment (`x := h()`, read as `SELECT x, h()`)."""
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

    candidates = [query, f"SELECT {query}"]
    if ":=" in query:  # the target's subscripts run too: `a[wipe()] := 1`
        target, value = query.split(":=", 1)
        candidates.append(f"SELECT {target}, {value}")
    for candidate in candidates:
        try:
            return [raw.stmt for raw in parse_sql(candidate)]
        except ParseError:
            continue
    return None



@dataclass
class DestructiveGuard:
    """What earlier statements defined that makes a later one lose data."""

    functions: dict[str, str] = field(default_factory=dict)  # name -> what a body of that name does
    # (qualified name, argument types) -> what its body does: a new overload of a name is
    # another function, and leaves the one that writes in place.
    overloads: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
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
            self.triggers.setdefault(relation_name(node.relation), []).append(
                (str(node.trigname), _last_name(node.funcname), int(node.events or 0)))
            return None, None
        if isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TABLE:
            self.renamed[relation_name(node.relation)] = (str(node.newname), where)
        if isinstance(node, ast.CreateStmt) and node.relation is not None:
            moved = self.renamed.get(relation_name(node.relation))
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
            for trigger, function, events in self.triggers.get(relation_name(table), ()):
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
        name = _last_name(node.funcname)
        language_option = _option(node.options, "language")
        language = str(getattr(language_option.arg, "sval", "sql") if language_option else "sql").lower()
        key = (".".join(str(getattr(p, "sval", "")) for p in node.funcname), input_types(node))
        self.overloads.pop(key, None)  # CREATE OR REPLACE: the new body is what runs
        self._read_function(node, language, key)
        self.functions.pop(name, None)
        for (qualified, _), why in self.overloads.items():
            if qualified.rsplit(".", 1)[-1].lower() == name:
                self.functions[name] = why
                break

    def _read_function(self, node: Any, language: str, key: tuple[str, tuple[str, ...]]) -> None:
        from pglast import ast  # start-up: only runs that read SQL load pglast

        if language in _NOT_WRITTEN_HERE:
            return
        if language not in _READ_LANGUAGES:
            self.overloads[key] = f"code in {language} (it cannot be inspected)"
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
            queries = _plpgsql_queries(body, returns_trigger=returns, function=node)
            reason = queries if isinstance(queries, str) else self._sql_reason(queries)
        if reason:
            self.overloads[key] = reason
