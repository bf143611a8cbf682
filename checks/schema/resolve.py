"""The derived columns' types as PostgreSQL itself reads them, asked of the live server in
two read-only queries whatever the table count: `SELECT NULL::<type>, …, CAST(<default> AS
<type>), … LIMIT 0` goes through the same type parser as CREATE TABLE (typmods included,
and each default literal through the type's input function), and `format_type` prints
what it found exactly as the catalogue query of the live tables does. Nothing runs: LIMIT 0
returns no row, and every expression is a literal, a cast or now()/gen_random_uuid()."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checks.schema.derived import Derived, NotDerivable
from checks.schema.facts import ColumnShape
from checks.schema.names import TableName

if TYPE_CHECKING:
    import psycopg

# Built-in type oids, fixed in PostgreSQL's pg_type.dat.
NUMBERS = {20, 21, 23, 700, 701, 1700}  # int8, int2, int4, float4, float8, numeric
INTEGERS = {20, 21, 23}
BOOLEAN, UUID = 16, 2950
TIMES = {1082, 1114, 1184}  # date, timestamp, timestamptz: now() is assignable to each
# Types whose default btree operator class comes with PostgreSQL (pg_opclass.dat): bool,
# bytea, "char", int8/2/4, text, oid, float4/8, bpchar, varchar, date, time, timestamp,
# timestamptz, interval, timetz, numeric, uuid, jsonb.
BTREE = {16, 17, 18, 20, 21, 23, 25, 26, 700, 701, 1042, 1043, 1082, 1083, 1114, 1184, 1186, 1266,
         1700, 2950, 3802}
DEFAULT_RESULTS = {"number": NUMBERS, "boolean": {BOOLEAN}, "timestamptz": TIMES, "uuid": {UUID}}

FORMAT = ("SELECT format_type(u.o, u.m) FROM unnest(%s::oid[], %s::int4[]) WITH ORDINALITY AS u(o, m, n) "
          "ORDER BY u.n")

# pg_catalog is searched before the search_path: an enum named like a built-in is not found.
SHADOWED = ("SELECT n FROM unnest(%s::text[]) AS n "
            "WHERE to_regtype(quote_ident('pg_catalog') || '.' || quote_ident(n)) IS NOT NULL")


async def resolve(connection: psycopg.AsyncConnection[Any],
                  derived: Derived) -> dict[TableName, dict[str, ColumnShape]]:
    """Per table, per column: (the type as format_type prints it, NOT NULL). Raises
    NotDerivable when the live server does not read a type or a default as the model needs."""
    import psycopg  # start-up: only runs that reach a database load psycopg

    types = list(dict.fromkeys([c.type_sql for t in derived.tables.values() for c in t.columns.values()]
                               + [c.default.cast_type for t in derived.tables.values()
                                  for c in t.columns.values() if c.default and c.default.cast_type]))
    defaults = list(dict.fromkeys((c.default.sql, c.type_sql) for t in derived.tables.values()
                                  for c in t.columns.values() if c.default))
    selected = [f"NULL::{t}" for t in types] + [f"CAST(({d}) AS {t})" for d, t in defaults]
    try:
        if derived.unshadowed:
            shadowed = await (await connection.execute(SHADOWED, (sorted(derived.unshadowed),))).fetchall()
            if shadowed:
                raise NotDerivable(f"pg_catalog has a type named {shadowed[0][0]}, which an unqualified "
                                   "name finds before the schema's enum")
        cursor = await connection.execute(f"SELECT {', '.join(selected)} LIMIT 0")
        result = cursor.pgresult
        if result is None:
            raise NotDerivable("the live server returned no description of the types")
        found = [(int(result.ftype(i)), int(result.fmod(i))) for i in range(len(types))]
        printed = await (await connection.execute(FORMAT, ([o for o, _ in found], [m for _, m in found]))).fetchall()
    except psycopg.Error as exc:
        raise NotDerivable("the live server does not read a type or default of the schema as written: "
                           f"{exc.diag.message_primary or exc}") from None
    oid = {t: o for t, (o, _) in zip(types, found, strict=True)}
    shown = {t: str(row[0]) for t, row in zip(types, printed, strict=True)}
    enums = {oid[t] for t in derived.enums if t in oid}
    columns: dict[TableName, dict[str, ColumnShape]] = {}
    for name, derived_table in derived.tables.items():
        for column_name, column in derived_table.columns.items():
            kind = oid[column.type_sql]
            default = column.default
            if default is not None and (
                    (default.kind in DEFAULT_RESULTS and kind not in DEFAULT_RESULTS[default.kind])
                    or (default.kind == "cast" and oid[default.cast_type] != kind)):
                raise NotDerivable(f"{column.where}: the default of {name}.{column_name} needs a conversion "
                                   "the model does not prove")
            if column.identity and kind not in INTEGERS:
                raise NotDerivable(f"{column.where}: an identity column of type {shown[column.type_sql]}")
            columns.setdefault(name, {})[column_name] = (shown[column.type_sql], column.not_null)
    for table, column_name, target, key, where in derived.same_type:
        if oid[derived.tables[table].columns[column_name].type_sql] != oid[derived.tables[target].columns[key].type_sql]:
            raise NotDerivable(f"{where}: a foreign key between columns of different types")
    for table, column_name, where in derived.indexed:
        if oid[derived.tables[table].columns[column_name].type_sql] not in BTREE | enums:
            raise NotDerivable(f"{where}: an index on a type without a default btree operator class")
    return columns
