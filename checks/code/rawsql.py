"""CODE004's facts: SQL built by interpolation and handed to a SQL client (`$queryRawUnsafe`,
`sql.unsafe`, a pool's `.query`), and whether a receiver is known to be such a client."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from checks.code.facts import RawSql
from checks.code.nodes import assigned_in_function, first_argument, site
from checks.code.sessions import packages
from checks.code.sqltext import sql_text
from checks.project.detectors import OTHER_DRIVERS, POSTGRES_DRIVERS

if TYPE_CHECKING:
    from ast_grep_py import SgNode

UNSAFE_SQL_METHODS = {"$queryRawUnsafe", "$executeRawUnsafe", "unsafe"}  # Prisma; postgres.js
QUERY_METHODS = {"query", "execute"}  # pg, mysql2, @neondatabase/serverless
# What a SQL client hands out for one connection or transaction, itself a SQL client: pg's
# pool.connect(), postgres.js' sql.begin(), knex's transaction(), mysql2's getConnection()
SQL_SESSIONS = {"connect", "begin", "transaction", "getConnection", "reserve"}
# `.query`/`.execute` is every other library's verb too (a workflow engine's execute, a cache's
# query): it is SQL only on a receiver known to be a SQL client: by the name such clients go by
# in their docs (pg's `pool`/`client`, postgres.js and neon's `sql`, drizzle's `db`, `knex`,
# kysely, a transaction's `tx`), made in the file by a SQL client's factory, or imported from one.
SQL_RECEIVER = re.compile(r"^(?:pool|client|db|sql|pg|knex|kysely|prisma|tx|trx|conn|connection|database|"
                          r"mysql|neon|postgres)$|^(?:pg|db|sql|mysql|postgres|neon|read|write|primary|replica)"
                          r"(?:Pool|Client|Db|DB|Conn|Connection)$|(?:Db|DB|Sql|SQL)$")  # not redisClient, workerPool
SQL_FACTORY = re.compile(r"^(?:await\s+)?(?:new\s+)?(?:\w+\.)*(?:Pool|Client|PrismaClient|Kysely|postgres|neon|"
                         r"drizzle|knex|Knex|createPool|createConnection|createClient|sql)\b")


# The SQL drivers and auth SDKs are the project detectors' tables (one list: STYLE "Detection is
# data"), plus what only code reads: query builders and ORMs that name no dialect, and session
# libraries no provider detection needs. Each with its subpaths (`next-auth/next`, `mysql2/promise`).
SQL_PACKAGES = packages([*POSTGRES_DRIVERS, *(name for name, kind in OTHER_DRIVERS if kind != "mongodb"),
                          "knex", "kysely", "drizzle-orm", "@prisma/client"])
SQL_TEXT = re.compile(r"\b(?:select\b[\s\S]*\bfrom|insert\s+into|update\b[\s\S]*\bset|delete\s+from|"
                      r"where|order\s+by|limit)\b", re.IGNORECASE)
OPEN_TEXT = "SQL built from constants and placeholders, except: "
USER_INPUT = re.compile(r"\.json\(\)|searchParams\.get\(|\bparams\b|\.query\b\s*\[|req\.body|request\.body")


def raw_sql(call: SgNode, name: str, imports: dict[str, tuple[str, str]]) -> RawSql | None:
    argument = first_argument(call)  # None for a tagged template: parameterized
    found = _interpolated(call, name, argument, imports)
    if found is None or argument is None:
        return None
    # Text built only from constants and placeholders (`${marks}` of `ids.map((_, i) => `$${i + 1}`)`,
    # `${TABLE}` of `const TABLE = "users"`) is no injection, whatever the receiver and the values.
    built = sql_text(argument)
    if built.constant:
        return None
    if built.unknown is None and found.certain:
        # What only other modules of the app can settle goes with the finding: the judge, which
        # sees every file, follows it (CODE004 in checks/code/__init__.py).
        follow = tuple((i.module, i.name, i.strict, i.reason) for i in built.imports)
        if any(i.strict for i in built.imports):  # an imported call: a fail unless its module says otherwise
            return replace(found, imports=follow, reasons=tuple(built.reasons))
        if built.lookups and len(built.lookups) == len(built.open):
            why = (f"SQL built by a template whose only ${{…}} are lookups in the constant "
                   f"{', '.join(built.lookups)}: only its values can reach the SQL")
        else:
            why = f"{OPEN_TEXT}{'; '.join(built.open)}"
        return RawSql(found.api, why, found.site, False, follow, tuple(built.reasons))
    return found


def _interpolated(call: SgNode, name: str, argument: SgNode | None,
                  imports: dict[str, tuple[str, str]]) -> RawSql | None:
    """The finding, before the text's parts are followed: SQL built by interpolation (or read
    from the request) into a raw API, certain when the receiver is known to be a SQL client."""
    method = name.rsplit(".", 1)[-1]
    unsafe = method in UNSAFE_SQL_METHODS or name in ("sql.raw", "raw")
    if argument is None or (not unsafe and method not in QUERY_METHODS):
        return None
    callee = call.field("function")
    receiver = callee.field("object") if callee is not None and callee.kind() == "member_expression" else None

    def sql_client() -> bool:  # asked only of a call that would be a finding: `.query(` is everywhere
        return unsafe or (receiver is not None and _sql_client(call, receiver, imports))

    if argument.kind() == "identifier":
        built = assigned_in_function(call, argument.text())
        if built is None:
            return None
        argument = built
        if _reads_request(call, built.text()):
            # Request input into a `.query`/`.execute` of anything else is an argument, not SQL
            # (papermark's WorkflowEngine.execute(entryLinkId, …)), unless it reads as SQL: then
            # the receiver is what is not known.
            if sql_client():
                return RawSql(name, f"`{argument.text()[:60]}` comes from the request", site(call))
            if SQL_TEXT.search(built.text()):
                return RawSql(name, f"SQL-like text from the request, `{argument.text()[:60]}`, on "
                              f"`{receiver.text()[:40] if receiver else name}`, not known to be a SQL client",
                              site(call), certain=False)
            return None
    interpolated = (argument.kind() == "template_string" and argument.find(kind="template_substitution")) or (
        argument.kind() == "binary_expression" and "+" in [c.text() for c in argument.children()])
    if not interpolated or (not unsafe and not SQL_TEXT.search(argument.text())):
        return None
    how = "a template with ${…}" if argument.kind() == "template_string" else "a + concatenation"
    if not sql_client():
        return RawSql(name, f"SQL-like text built by {how}, on `{receiver.text()[:40] if receiver else name}`, "
                      "not known to be a SQL client", site(call), certain=False)
    return RawSql(name, f"SQL built by {how}", site(call))


def _reads_request(call: SgNode, text: str) -> bool:
    """Whether `text` reads the request. `params` is a route's params unless the function made
    it an array of its own (`const params = []; … params.push(value)`, umami's rawQuery in
    src/lib/prisma.ts, which collects the query's values)."""
    found = {match.group(0) for match in USER_INPUT.finditer(text)}
    if found == {"params"}:
        made = assigned_in_function(call, "params")
        return made is None or made.kind() != "array"
    return bool(found)


def _sql_client(call: SgNode, receiver: SgNode, imports: dict[str, tuple[str, str]]) -> bool:
    """Whether `receiver` is known to be a SQL client: its name, the factory it is made by in
    this file, or the SQL package it is imported from."""
    named = receiver.field("property") if receiver.kind() == "member_expression" else receiver
    if named is None or named.kind() not in ("identifier", "property_identifier"):
        return False
    return _sql_name(call, named.text(), named.kind() == "identifier", imports, 0)


def _sql_name(call: SgNode, name: str, variable: bool, imports: dict[str, tuple[str, str]], depth: int) -> bool:
    made = assigned_in_function(call, name) if variable else None
    if made is None and variable:
        made = assigned_in_function(call.get_root().root(), name)  # a module-level client
    while made is not None and made.kind() in ("await_expression", "parenthesized_expression") \
            and made.named_children():
        made = made.named_children()[0]
    if made is not None:
        if SQL_FACTORY.match(made.text()):
            return True
        if made.kind() == "new_expression":  # what the file says it is wins: `const db = new WorkflowEngine()`
            return False
        callee = made.field("function") if made.kind() == "call_expression" else None
        if callee is not None and callee.kind() == "member_expression" and depth < 3 and \
                (callee.field("property") or callee).text() in SQL_SESSIONS:
            # node-postgres's `const client = await pool.connect()`, a transaction's `db.begin()`
            holder = callee.field("object")
            inner = holder.field("property") if holder is not None and holder.kind() == "member_expression" else holder
            if inner is not None and inner.kind() in ("identifier", "property_identifier") and \
                    _sql_name(call, inner.text(), inner.kind() == "identifier", imports, depth + 1):
                return True
        # any other call (`getPool()`, pg-promise's `pgp(url)`): its name and import decide
    imported = imports.get(name) if variable else None
    if imported is not None and SQL_PACKAGES.match(imported[0]):
        return True
    return bool(SQL_RECEIVER.search(name))
