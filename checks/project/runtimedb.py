"""What the app's runtime database module (detectors.RUNTIME_DB_FILES) does with its connection
beyond reading the URL: it demands TLS itself, or it creates its own tables.

vercel/nextjs-postgres-auth-starter's app/db.ts does both: `postgres(\\`${process.env.POSTGRES_URL!}
?sslmode=require\\`)` (so the app cannot connect to a server without TLS, whatever POSTGRES_URL
says), and `ensureTableExists()` runs `CREATE TABLE "User" (…)` through that client on first use
(so an empty database is what the app expects before it first runs).

TLS is demanded where the client's arguments (or the one local variable they pass, urlbuild.held_in)
add `sslmode=require` / `verify-ca` / `verify-full` (or `ssl=true`) to the URL, or pass the option
`ssl: true`, `ssl: 'require'` or a TLS options object: postgres-js reads `sslmode` from the URL as
its `ssl` option (porsager/postgres src/index.js parseOptions) and falls back to plain text only for
`ssl: 'prefer'` (src/connection.js secure(); README "ssl: false // true, prefer, require, tls.connect
options"); node-postgres sends the SSLRequest for any truthy `ssl` and fails with "The server does
not support SSL connections" when the server declines (node-postgres.com/features/ssl;
packages/pg/lib/connection.js)."""

from __future__ import annotations

import re
from pathlib import Path

from checks.project import detectors as d
from checks.project.logins import COMMENT
from checks.project.model import RuntimeTablesFact, RuntimeTlsFact
from checks.project.reading import arguments, bracketed, env_references, read_small, relative
from checks.project.urlbuild import held_in
from checks.support.lazyre import lazy

# A query-string parameter added to the URL that leaves no plain-text connection.
TLS_SUFFIX = lazy(r"[?&](?P<param>sslmode=(?:require|verify-ca|verify-full)|ssl=(?:true|require))\b")
# The driver option: `ssl: true`, `ssl: 'require'` (postgres-js), `ssl: { … }` (both drivers).
TLS_OPTION = lazy(r"""(?<![\w$.])ssl\s*:\s*(?P<value>true\b|["'](?:require|verify-ca|verify-full)["']|\{)""")
TEMPLATE = lazy(r"`(?:[^`\\]|\\.)*`|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
NAME = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
# A table that outlives the connection (not TEMP): what the app relies on finding next time.
CREATE_TABLE = lazy(rf"\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{NAME}(?:\.{NAME})?)",
                    re.IGNORECASE)


def _modules(root: Path, homes: list[Path]) -> list[tuple[str, str]]:
    """(path relative to the project, text without comments) of each runtime module."""
    found = []
    for home in homes:
        for name in d.RUNTIME_DB_FILES:
            text = read_small(home / name)
            if text:
                found.append((relative(root, home / name), COMMENT.sub("", text)))
    return found


def runtime_tls(root: Path, homes: list[Path]) -> RuntimeTlsFact | None:
    """The runtime client that demands TLS in code, whatever the URL it reads says."""
    for where, text in _modules(root, homes):
        for call in d.RUNTIME_DB_CALL.finditer(text):
            given = bracketed(text, call.end(), 2000)
            parts = arguments(given)
            # `postgres(url)` with `const url = \`${process.env.X}?sslmode=require\``.
            held = held_in(text, parts[0]) if parts else None
            url_text = " ".join(filter(None, (parts[0] if parts else "", held)))
            suffix = TLS_SUFFIX.search(url_text)
            option = TLS_OPTION.search(given)
            if suffix is None and option is None:
                continue
            named = env_references(url_text) or env_references(given) or \
                [ref for ref in env_references(text) if d.DATABASE_LIKE.search(ref)]
            variable = named[0] if named else None
            if suffix is not None:
                how = f"appends ?{suffix['param']} to {variable or 'the URL'}"
            elif option is not None:
                value = option["value"] if option["value"] != "{" else "{ … } (TLS options)"
                how = f"passes ssl: {value} to {call.group(0).rstrip('( ')}()"
            return RuntimeTlsFact(where, variable, how)
    return None


def runtime_tables(root: Path, homes: list[Path]) -> RuntimeTablesFact | None:
    """The tables the runtime module creates itself (`CREATE TABLE` in a query string of it),
    when it also opens the client: they appear once the app runs its code."""
    for where, text in _modules(root, homes):
        if d.RUNTIME_DB_CALL.search(text) is None:
            continue
        tables = [found["name"] for literal in TEMPLATE.finditer(text)
                  for found in CREATE_TABLE.finditer(literal.group(0))]
        if tables:
            return RuntimeTablesFact(where, tuple(dict.fromkeys(tables)))
    return None
