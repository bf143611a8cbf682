"""A migration written for another database: when PostgreSQL's parser rejects a file whose
text is plainly MySQL or SQLite (a history generated for another provider, then the app
moved to PostgreSQL), the report names the dialect and the line, not only the parse error."""

from __future__ import annotations

import re

from checks.core.context import Context
from checks.schema.sqlmodel import SchemaSyntaxError
from checks.support.files import read_text
from checks.support.lazyre import lazy

# What PostgreSQL never accepts and the other dialects write: MySQL/SQLite quote identifiers
# with backticks; MySQL writes AUTO_INCREMENT and `ENGINE=`, SQLite AUTOINCREMENT (MySQL
# 8.0 reference "CREATE TABLE"; sqlite.org/autoinc.html).
MYSQL_ONLY = lazy(r"\bAUTO_INCREMENT\b|\bENGINE\s*=|\bUNSIGNED\b|DEFAULT CHARACTER SET", re.IGNORECASE)
SQLITE_ONLY = lazy(r"\bAUTOINCREMENT\b|\bPRAGMA\b|\bWITHOUT ROWID\b", re.IGNORECASE)
BACKTICK_NAME = lazy(r"`[^`\n]+`")
FILE_LIMIT = 8 << 20
FOREIGN_HINT = ("Regenerate the migration for PostgreSQL (Prisma: `prisma migrate diff --from-empty "
                "--to-schema-datamodel prisma/schema.prisma --script`; drizzle: `drizzle-kit generate` "
                "with dialect \"postgresql\"), then apply it.")


def _dialect(text: str) -> str | None:
    if MYSQL_ONLY.search(text):
        return "MySQL"
    if SQLITE_ONLY.search(text):
        return "SQLite"
    return "MySQL" if BACKTICK_NAME.search(text) else None


def foreign_syntax(ctx: Context, error: SchemaSyntaxError) -> str | None:
    """"MySQL syntax in a PostgreSQL migration: <file>:<line>" when the file PostgreSQL's
    parser rejected is written in another dialect; None when it is PostgreSQL with a mistake."""
    try:
        text = read_text(error.path, FILE_LIMIT)
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    upto = lines[: max(error.line, 1)]
    # The line the parser stopped at, else the first line before it that shows the dialect.
    candidates = [error.line] if 0 < error.line <= len(lines) else []
    candidates += [number for number, line in enumerate(upto, 1) if number != error.line]
    for number in candidates:
        line = lines[number - 1]
        if line.lstrip().startswith("--") or _dialect(line) is None:
            continue
        dialect = _dialect(text) or "MySQL"
        what = "schema" if ctx.model.schema is not None and ctx.model.schema.kind == "sql" else "migration"
        return f"{dialect} syntax in a PostgreSQL {what}: {ctx.rel(error.path)}:{number}"
    return None


def syntax_problem(ctx: Context, error: SchemaSyntaxError) -> str:
    """How a schema that does not parse is named: the dialect where it is another one."""
    foreign = foreign_syntax(ctx, error)
    if foreign:
        return f"{foreign} (PostgreSQL's parser: {error.message})"
    return f"the schema does not parse: {error}"
