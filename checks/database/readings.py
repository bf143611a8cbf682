"""DB001 over several readings of the app's database (checks/core/readings.py): how each is
named in a message, and the one mismatch no single URL shows — the schema's tool and the
app's runtime reading the same variable from different files, set to different databases
(next-forge: prisma migrates what packages/database/.env names, the app reads what its own
.env.local names)."""

from __future__ import annotations

from dataclasses import replace

from checks.core.model import Outcome, Status, failed
from checks.core.readings import Reading
from checks.project.detectors import SUPABASE_POOLER_HOST
from checks.support.hosts import is_loopback
from checks.support.pgurl import InvalidDatabaseUrl, parse_database_url, search_path_of_url

# Neon's pooled endpoint is the same database: its host adds `-pooler` to the endpoint id
# (neon.com/docs/connect/connection-pooling: ep-…-pooler.<region>.aws.neon.tech).
NEON_POOLER = "-pooler."


def reading_label(readings: list[Reading], reading: Reading) -> str:
    """The reading's variable, and which reader it is where another reads the same one."""
    same = sum(1 for other in readings if other.name == reading.name) > 1
    return f"{reading.name} ({reading.reader})" if same and reading.reader else reading.name


def _identity(raw: str) -> tuple[tuple[str, ...], tuple[int, ...], str, tuple[str, ...]] | None:
    """Where a URL's tables are: the database, and the search_path its connections use
    (Prisma's `?schema=app` migrates app."Page"; a client without it reads public."Page")."""
    try:
        url = parse_database_url(raw)
        path = tuple(search_path_of_url(raw))
    except (InvalidDatabaseUrl, ValueError):
        return None
    ports = url.ports or (5432,)
    hosts = tuple(sorted({_server(host, url.user) for host in url.hosts}))
    if any(SUPABASE_POOLER_HOST.search(host.lower()) for host in url.hosts) and url.user.startswith("postgres."):
        ports = (5432,)  # Supavisor's session (5432) and transaction (6543) ports: one database
    # No search_path is PostgreSQL's default, `"$user", public`: Prisma's `?schema=public`.
    return hosts, ports, url.database, path if path not in ((), ("public",)) else ("public",)


def _server(host: str, user: str) -> str:
    """The server a host name reaches, as far as the URL says: every loopback name is this
    machine; Neon's `-pooler` endpoint and Supabase's Supavisor pooler (user postgres.<ref>)
    are their project's database (checks/core/readings.py is_project_database)."""
    host = host.lower()
    if is_loopback(host):
        return "localhost"
    if SUPABASE_POOLER_HOST.search(host) and user.startswith("postgres."):
        return f"db.{user.removeprefix('postgres.')}.supabase.co"
    return host.replace(NEON_POOLER, ".", 1)


def same_database(readings: list[Reading], outcome: Outcome) -> Outcome:
    """`outcome` (every reading judged), failed when two readings of one variable name
    different databases: the migrations go to one, the app reads the other."""
    if outcome.status is not Status.PASS:
        return _copy_hint(readings, outcome)
    for index, first in enumerate(readings):
        for other in readings[index + 1:]:
            if other.name != first.name:
                continue  # Prisma's directUrl and url may well differ: a pooler and its database
            a, b = _identity(first.value), _identity(other.value)
            if a is None or b is None or a == b:
                continue
            return replace(failed(
                f"{first.name} in {first.origin} ({first.reader}) and in {other.origin} ({other.reader}) "
                f"name different databases ({_target(first.value)} and {_target(other.value)}): "
                f"{first.reader} works on one while the app reads the other", variable=first.name,
                sources=[first.source, other.source]),
                hint=f"Use one connection string for {first.name} in {first.origin} and {other.origin}.",
                fix="")
    return outcome


def _target(raw: str) -> str:
    path = search_path_of_url(raw)
    return parse_database_url(raw).target + (f" (schema {', '.join(path)})" if path else "")


def _copy_hint(readings: list[Reading], outcome: Outcome) -> Outcome:
    """When one reader has the URL and another reader of the same variable lacks it,
    `provision local-db` would refuse (it never replaces a database the user chose): the fix
    is to copy it."""
    for first in readings:
        for other in readings:
            if other is first or other.name != first.name or not first.value or other.value:
                continue
            return replace(outcome, hint=f"Set {other.name} in {other.write_to}, where {other.reader} reads it, "
                                         f"to the same URL as in {first.origin}.", fix="")
    return outcome
