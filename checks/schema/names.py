"""Names in SQL as PostgreSQL resolves them: a table's schema-qualified name, an identifier
quoted the way PostgreSQL prints it, and the schema an unqualified name lands in while a
file is parsed (the app's search_path, then each SET search_path)."""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from checks.support.sqltree import parse_sql

DEFAULT_SCHEMA = "public"  # where an unqualified CREATE TABLE lands on Neon and Supabase



# Where an unqualified name lands while a file is parsed: the app's search_path (from its
# URL), then each `SET search_path` in the file.
CURRENT_SCHEMA: ContextVar[str] = ContextVar("deploy_check_current_schema", default=DEFAULT_SCHEMA)
# The whole path then, as written: an unqualified DROP or ALTER reaches an object in any of its
# schemas, not only the first (`SET search_path TO audit, public; DROP INDEX x` drops public.x).
CURRENT_PATH: ContextVar[tuple[str, ...]] = ContextVar("deploy_check_current_path", default=())



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
        from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

        try:
            (raw,) = parse_sql(f"SELECT FROM {text}")
            select: Any = raw.stmt
            relation = select.fromClause[0]
            return cls(relation.schemaname or DEFAULT_SCHEMA, relation.relname)
        except (ParseError, ValueError, AttributeError, IndexError, TypeError):
            raise ValueError(f"not a table name: {text!r}") from None



def relation_name(node: Any) -> TableName:
    return TableName(node.schemaname or CURRENT_SCHEMA.get(), node.relname)
