"""DB005's expected columns read from the parse tree instead of a scratch database, for the
statements whose outcome is certain: plain CREATE TABLE, CREATE INDEX on columns, CREATE
TYPE … AS ENUM, CREATE SCHEMA, COMMENT, and ALTER TABLE … ADD COLUMN / ADD PRIMARY KEY,
UNIQUE or FOREIGN KEY / SET and DROP NOT NULL. The types are not spelled out here: each is
handed, as written, to the live server (resolve.py), whose own type parser normalises it
as CREATE TABLE would (int → integer, varchar(40) → character varying(40), serial →
integer NOT NULL…).

Anything else — a CHECK, a generated column, an expression index, a function, a DO block,
a view, a domain, inheritance, a statement that would fail from scratch — raises
NotDerivable naming it, and DB005 replays the schema on its scratch server as before."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.schema.names import DEFAULT_SCHEMA, TableName, quoted
from checks.schema.sqlmodel import ParsedSchema, Statement

# PostgreSQL truncates longer names (NAMEDATALEN - 1); derived implicit names must stay under.
MAX_NAME = 63
SERIALS = {"smallserial": "int2", "serial2": "int2", "serial": "int4", "serial4": "int4",
           "bigserial": "int8", "serial8": "int8"}
# Zero-argument built-ins a default may call (pg_catalog): what they return decides where.
DEFAULT_FUNCTIONS = {"now": "timestamptz", "gen_random_uuid": "uuid"}


class NotDerivable(Exception):
    """A statement whose effect on the tables the model cannot state with certainty."""


@dataclass
class Default:
    sql: str  # the expression rebuilt from its node, for one LIMIT 0 cast on the live server
    kind: str  # "null", "string", "number", "boolean", "cast", or a function's result type
    cast_type: str = ""  # for "cast": the type it is cast to, which must be the column's own


@dataclass
class DerivedColumn:
    type_sql: str  # the type as written, names quoted: "pg_catalog"."varchar"(40)
    not_null: bool
    where: str
    default: Default | None = None
    identity: bool = False
    said_null: bool = False  # an explicit NULL, which a primary key on it contradicts


@dataclass
class DerivedTable:
    columns: dict[str, DerivedColumn] = field(default_factory=dict)
    primary: tuple[str, ...] = ()
    unique: list[frozenset[str]] = field(default_factory=list)
    constraints: set[str] = field(default_factory=set)


@dataclass
class Derived:
    tables: dict[TableName, DerivedTable] = field(default_factory=dict)
    # Foreign key pairs (table, column, referenced table, column, where): same type, or replay.
    same_type: list[tuple[TableName, str, TableName, str, str]] = field(default_factory=list)
    # (table, column, where) an index with the default btree operator class covers.
    indexed: list[tuple[TableName, str, str]] = field(default_factory=list)
    enums: set[str] = field(default_factory=set)  # type_sql of the enums the schema creates
    unshadowed: set[str] = field(default_factory=set)  # unqualified enum names pg_catalog must lack


def _qualified(schema: str, name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))


def _refuse(statement: Statement, why: str) -> NotDerivable:
    return NotDerivable(f"{statement.where}: {why} (in `{statement.first_line}`)")


def _names(items: Any) -> list[str]:
    return [str(item.sval) for item in items or ()]


class _Model:
    """The walk over the statements, in order, with what a fresh database would then hold."""

    def __init__(self, parsed: ParsedSchema) -> None:
        self.parsed = parsed
        self.derived = Derived()
        self.schemas = {DEFAULT_SCHEMA}
        self.relations: dict[str, set[str]] = {}  # per schema: tables, indexes, sequences, types
        self.statement: Statement | None = None

    def refuse(self, why: str) -> NotDerivable:
        assert self.statement is not None
        return _refuse(self.statement, why)

    def claim(self, schema: str, name: str) -> None:
        """A relation (or type) name in `schema`: a second one of the same name fails from scratch."""
        taken = self.relations.setdefault(schema, set())
        if len(name.encode()) > MAX_NAME or name in taken:
            raise self.refuse(f"the name {quoted(name)} is taken or too long for a certain outcome")
        taken.add(name)

    def table(self, node: Any) -> tuple[TableName, DerivedTable]:
        assert self.statement is not None
        name = TableName(node.schemaname or self.statement.schema, str(node.relname))
        found = self.derived.tables.get(name)
        if found is None:
            raise self.refuse(f"{name} is not created earlier in the schema")
        return name, found

    # -- types and defaults --------------------------------------------------------------------
    def type_sql(self, type_name: Any) -> tuple[str, bool]:
        """The type as written, for the live server's own parser, and whether it was a serial."""
        from pglast import ast  # start-up: only runs that read SQL load pglast

        assert self.statement is not None
        names = _names(type_name.names)
        if type_name.setof or type_name.pct_type or not 1 <= len(names) <= 2:
            raise self.refuse("a type the model does not resolve")
        serial = names[-1] in SERIALS and (len(names) == 1 or names[0] == "pg_catalog")
        if serial:
            if type_name.typmods or type_name.arrayBounds:
                raise self.refuse("a serial with modifiers")
            names = ["pg_catalog", SERIALS[names[-1]]]
        if len(names) == 1 and _qualified(self.statement.schema, names[0]) in self.derived.enums:
            # An enum the schema created where this statement's unqualified names land:
            # PostgreSQL finds it there unless pg_catalog (searched first) has the name.
            self.derived.unshadowed.add(names[0])
            names = [self.statement.schema, names[0]]
        elif len(names) == 1:
            # Unqualified, it must be a built-in: cast as pg_catalog's, the live server
            # refuses any other and the schema is replayed.
            names = ["pg_catalog", names[0]]
        modifiers = []
        for modifier in type_name.typmods or ():
            value = getattr(modifier, "val", None)
            if not isinstance(modifier, ast.A_Const) or not isinstance(value, ast.Integer):
                raise self.refuse("a type modifier that is not a plain number")
            modifiers.append(str(int(value.ival or 0)))
        text = _qualified(names[0], names[1])
        if modifiers:
            text += f"({', '.join(modifiers)})"
        text += "[]" * len(type_name.arrayBounds or ())
        if names[0] != "pg_catalog" and text not in self.derived.enums:
            raise self.refuse(f"the type {'.'.join(names)} is not an enum the schema creates before")
        return text, serial

    def default(self, node: Any) -> Default:
        from pglast import ast  # start-up: only runs that read SQL load pglast
        from pglast.enums import SQLValueFunctionOp  # start-up: only runs that read SQL load pglast
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        if isinstance(node, ast.A_Const):
            value = node.val
            if node.isnull:
                return Default("NULL", "null")
            if isinstance(value, ast.String):
                return Default(sql.Literal(str(value.sval)).as_string(None), "string")
            if isinstance(value, ast.Integer):
                return Default(str(int(value.ival or 0)), "number")
            if isinstance(value, ast.Float) and str(value.fval).replace(".", "", 1).lstrip("-").isdigit():
                return Default(str(value.fval), "number")
            if isinstance(value, ast.Boolean):
                return Default("true" if value.boolval else "false", "boolean")
        if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and not node.arg.isnull:
            inner = self.default(node.arg)
            cast_type, _ = self.type_sql(node.typeName)
            return Default(f"CAST({inner.sql} AS {cast_type})", "cast", cast_type)
        if (isinstance(node, ast.FuncCall) and not node.args and not node.agg_star and not node.over
                and len(_names(node.funcname)) == 1 and _names(node.funcname)[0] in DEFAULT_FUNCTIONS):
            name = _names(node.funcname)[0]
            return Default(f"pg_catalog.{name}()", DEFAULT_FUNCTIONS[name])
        if (isinstance(node, ast.SQLValueFunction) and node.typmod == -1
                and node.op == SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP):
            return Default("CURRENT_TIMESTAMP", "timestamptz")
        raise self.refuse("a default the model does not prove")

    # -- columns and constraints ---------------------------------------------------------------
    def column(self, name: TableName, table: DerivedTable, definition: Any) -> list[Any]:
        """Adds the column; returns its PRIMARY/UNIQUE/FOREIGN constraints, for after the table."""
        from pglast.enums import ConstrType  # start-up: only runs that read SQL load pglast

        assert self.statement is not None
        colname = str(definition.colname)
        if colname in table.columns:
            raise self.refuse(f"column {quoted(colname)} declared twice")
        if (definition.collClause or definition.compression or definition.storage_name or definition.fdwoptions
                or definition.is_not_null or definition.raw_default):
            raise self.refuse(f"column {quoted(colname)}: an option the model does not derive")
        type_sql, serial = self.type_sql(definition.typeName)
        column = DerivedColumn(type_sql, serial, self.statement.where)
        kinds: list[Any] = []
        later = []
        for constraint in definition.constraints or ():
            kind = constraint.contype
            kinds.append(kind)
            if kind == ConstrType.CONSTR_NOTNULL:
                column.not_null = True
            elif kind == ConstrType.CONSTR_DEFAULT:
                column.default = self.default(constraint.raw_expr)
            elif kind == ConstrType.CONSTR_IDENTITY:
                column.identity = column.not_null = True
            elif kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_FOREIGN):
                later.append((constraint, [colname]))
            elif kind == ConstrType.CONSTR_NULL:
                column.said_null = True
            else:
                raise self.refuse(f"column {quoted(colname)}: a constraint the model does not derive")
        once = (ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_PRIMARY)
        if (ConstrType.CONSTR_NULL in kinds and column.not_null) or any(kinds.count(k) > 1 for k in once) or (
                column.identity and (column.default or serial)) or (serial and column.default):
            raise self.refuse(f"column {quoted(colname)}: conflicting constraints")
        if serial or column.identity:  # its sequence takes a relation name
            self.claim(name.schema, f"{name.name}_{colname}_seq")
        table.columns[colname] = column
        return later

    def constraint(self, name: TableName, table: DerivedTable, constraint: Any, keys: list[str] | None = None) -> None:
        from pglast.enums import ConstrType  # start-up: only runs that read SQL load pglast

        assert self.statement is not None
        kind = constraint.contype
        suffix = {ConstrType.CONSTR_PRIMARY: "pkey", ConstrType.CONSTR_UNIQUE: "key",
                  ConstrType.CONSTR_FOREIGN: "fkey"}.get(kind)
        if suffix is None:
            raise self.refuse("a table constraint the model does not derive")
        columns = keys if keys is not None else _names(constraint.keys or constraint.fk_attrs)
        if (not columns or len(set(columns)) != len(columns) or any(c not in table.columns for c in columns)
                or constraint.indexname or constraint.including or constraint.options or constraint.indexspace
                or constraint.without_overlaps):
            raise self.refuse("a constraint on columns the table does not have, or with options")
        implicit = [name.name, suffix] if suffix == "pkey" else [name.name, *columns, suffix]
        conname = str(constraint.conname or "_".join(implicit))
        if conname in table.constraints or conname.endswith("_not_null") or len(conname.encode()) > MAX_NAME:
            raise self.refuse(f"the constraint name {quoted(conname)} is taken or too long")
        table.constraints.add(conname)
        if kind == ConstrType.CONSTR_FOREIGN:
            self.foreign_key(name, table, constraint, columns)
            return
        self.claim(name.schema, conname)  # its index
        if kind == ConstrType.CONSTR_PRIMARY:
            if table.primary:
                raise self.refuse(f"a second primary key on {name}")
            table.primary = tuple(columns)
            if any(table.columns[c].said_null for c in columns):
                raise self.refuse("a primary key on a column declared NULL")
            for column in columns:
                table.columns[column].not_null = True
        table.unique.append(frozenset(columns))
        self.derived.indexed += [(name, c, self.statement.where) for c in columns]

    def foreign_key(self, name: TableName, table: DerivedTable, constraint: Any, columns: list[str]) -> None:
        assert self.statement is not None
        target, referenced = (name, table) if (
            TableName(constraint.pktable.schemaname or self.statement.schema, str(constraint.pktable.relname))
            == name) else self.table(constraint.pktable)
        keys = _names(constraint.pk_attrs) or list(referenced.primary)
        if (len(keys) != len(columns) or frozenset(keys) not in referenced.unique or not constraint.is_enforced
                or constraint.skip_validation or constraint.fk_del_set_cols or constraint.fk_with_period):
            raise self.refuse(f"a foreign key whose target {target} has no matching key")
        self.derived.same_type += [(name, c, target, k, self.statement.where) for c, k in zip(columns, keys, strict=True)]

    # -- statements --------------------------------------------------------------------------
    def create_table(self, node: Any) -> None:
        from pglast import ast  # start-up: only runs that read SQL load pglast

        assert self.statement is not None
        relation = node.relation
        if relation.relpersistence != "p" or relation.catalogname:
            raise self.refuse("a temporary, unlogged or cross-database table")
        if (node.inhRelations or node.partbound or node.partspec or node.ofTypename or node.options
                or node.tablespacename or node.accessMethod or node.constraints or node.nnconstraints
                or node.oncommit):
            raise self.refuse("inheritance, partitions, typed tables or storage options")
        name = TableName(relation.schemaname or self.statement.schema, str(relation.relname))
        if name.schema not in self.schemas:
            raise self.refuse(f"the schema {quoted(name.schema)} is not created earlier in the schema")
        if name in self.derived.tables and node.if_not_exists:
            return  # PostgreSQL skips it with a notice
        self.claim(name.schema, name.name)
        table = self.derived.tables[name] = DerivedTable()
        later: list[tuple[Any, list[str] | None]] = []
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                later += self.column(name, table, element)
            elif isinstance(element, ast.Constraint):
                later.append((element, None))
            else:
                raise self.refuse("LIKE or another element the model does not derive")
        if not table.columns:
            raise self.refuse("a table without columns")
        for constraint, keys in later:
            self.constraint(name, table, constraint, keys)

    def create_index(self, node: Any) -> None:
        assert self.statement is not None
        name, table = self.table(node.relation)
        columns = [str(e.name) for e in node.indexParams or () if e.name]
        if (len(columns) != len(node.indexParams or ()) or node.whereClause or node.options or node.tableSpace
                or node.concurrent or node.indexIncludingParams or node.excludeOpNames or node.primary
                or (node.accessMethod or "btree") != "btree" or any(c not in table.columns for c in columns)
                or any(e.opclass or e.collation or e.opclassopts or e.indexcolname for e in node.indexParams)):
            raise self.refuse("an index the model does not derive (expressions, a partial index, operator "
                              "classes, another method or an unknown column)")
        index = str(node.idxname or "_".join([name.name, *columns, "idx"]))
        if node.if_not_exists and index in self.relations.get(name.schema, set()):
            return
        self.claim(name.schema, index)
        if node.unique:
            table.unique.append(frozenset(columns))
        self.derived.indexed += [(name, c, self.statement.where) for c in columns]

    def create_enum(self, node: Any) -> None:
        assert self.statement is not None
        parts = _names(node.typeName)
        schema, type_name = (parts[0], parts[1]) if len(parts) == 2 else (self.statement.schema, parts[-1])
        labels = _names(node.vals)
        if len(parts) > 2 or schema not in self.schemas or len(set(labels)) != len(labels):
            raise self.refuse("an enum the model does not derive")
        self.claim(schema, type_name)
        self.derived.enums.add(_qualified(schema, type_name))

    def create_schema(self, node: Any) -> None:
        if node.schemaElts or node.authrole or not node.schemaname or (
                node.schemaname in self.schemas and not node.if_not_exists):
            raise self.refuse("a schema the model does not derive")
        self.schemas.add(str(node.schemaname))

    def comment(self, node: Any) -> None:
        from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

        assert self.statement is not None
        parts = _names(node.object) if node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN) else []
        if node.objtype == ObjectType.OBJECT_COLUMN and len(parts) in (2, 3):
            table = TableName(parts[0] if len(parts) == 3 else self.statement.schema, parts[-2])
            if parts[-1] in getattr(self.derived.tables.get(table), "columns", {}):
                return
        if node.objtype == ObjectType.OBJECT_TABLE and len(parts) in (1, 2) and (
                TableName(parts[0] if len(parts) == 2 else self.statement.schema, parts[-1]) in self.derived.tables):
            return
        raise self.refuse("a comment on something the model does not hold")

    def alter_table(self, node: Any) -> None:
        from pglast.enums import (
            AlterTableType as At,  # start-up: only runs that read SQL load pglast
        )
        from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

        if node.objtype != ObjectType.OBJECT_TABLE:
            raise self.refuse("ALTER of something other than a table")
        name, table = self.table(node.relation)
        for command in node.cmds or ():
            column = table.columns.get(str(command.name)) if command.name else None
            if command.subtype == At.AT_AddColumn:
                if command.missing_ok and str(command.def_.colname) in table.columns:
                    continue
                for constraint, keys in self.column(name, table, command.def_):
                    self.constraint(name, table, constraint, keys)
            elif command.subtype == At.AT_AddConstraint:
                self.constraint(name, table, command.def_)
            elif command.subtype == At.AT_SetNotNull and column is not None:
                column.not_null = True
            elif (command.subtype == At.AT_DropNotNull and column is not None and not column.identity
                  and str(command.name) not in table.primary):
                column.not_null = False
            elif command.subtype not in (At.AT_EnableRowSecurity, At.AT_ForceRowSecurity):
                raise self.refuse("an ALTER TABLE the model does not derive")


def derive(parsed: ParsedSchema) -> Derived:
    """The tables a fresh database holds after the schema, or NotDerivable naming the first
    statement the model cannot vouch for."""
    if any(p == "pg_catalog" for p in parsed.search_path) or parsed.copies or parsed.skipped or parsed.unsupported:
        raise NotDerivable("the search_path or the file's transaction control needs a real apply")
    model = _Model(parsed)
    steps = {"CreateStmt": model.create_table, "IndexStmt": model.create_index,
             "CreateEnumStmt": model.create_enum, "CreateSchemaStmt": model.create_schema,
             "CommentStmt": model.comment, "AlterTableStmt": model.alter_table}
    for statement in parsed.statements:
        model.statement = statement
        step = steps.get(statement.kind)
        if step is None:
            raise _refuse(statement, f"{statement.kind} is not derived from the parse tree")
        step(statement.node)
    if set(model.derived.tables) != set(parsed.tables):
        raise NotDerivable("the tables tracked by the parser and by the model differ")
    return model.derived
