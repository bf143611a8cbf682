"""Database family: DATABASE_URL is a real connection string (DB001), the database
answers (DB002), and a remote one is reached over TLS (DB003).

One connection attempt per run yields a `DatabaseFacts` (gathered once through
`ctx.fact`); DB002 and DB003 are pure judgements of it.

For the schema family: `await shared_connection(ctx)` is the run's one live autocommit
connection (the same one DB002 judged; closed at the end of the run); declare
`needs=("DB002",)` so a failed connection skips the check with the reason.
`await open_connection(ctx, autocommit=False)` opens a separate one for a provisioner's
transaction. Both bound name lookup + connect by the database timeout and register the
password with `ctx.masker`.

psycopg is imported inside the functions that need it: an env-only run never loads it.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any

from checks.core.context import Context
from checks.core.db import database_timeout, url_var
from checks.core.model import Outcome, Spec, Status, failed, passed, skipped, unverified, warned
from checks.core.readings import LOCAL_SUPABASE, Reading, database_readings
from checks.core.registry import check
from checks.database.apptls import judge_app_tls
from checks.database.codeurl import judge_built_url, judge_runtime_driver
from checks.database.facts import (
    DNS_PROBE,
    DatabaseFacts,
    ErrorKind,
    _server_reason,
    database_facts,
    reading_facts,
)
from checks.database.readings import reading_label, same_database
from checks.project.compose import ComposeService, postgres_services
from checks.project.detectors import DATABASE_NAMES, URL_KINDS
from checks.project.scriptdb import ScriptServer, script_servers
from checks.support.hosts import is_loopback
from checks.support.pgurl import (
    TLS_REQUIRING_SSLMODES,
    DatabaseUrl,
    InvalidDatabaseUrl,
    parse_database_url,
)
from checks.support.placeholders import is_placeholder

FIX_LOCAL_DB = "deploy-check provision local-db"
CONSOLE_HINT = ("copy the connection string from your provider's console (Neon: project "
                "dashboard → Connect; Supabase: Connect → Connection string)")

SUPABASE_HOSTED_HINT = ("Add the project's connection string as SUPABASE_DB_URL to the app's env file "
                        "(Supabase: Connect → Connection string), or check against the local stack: "
                        "`supabase start` and NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321.")

OTHER_DATABASE_HINT = ("Check this database with its own tools (drizzle-kit, prisma, turso); "
                       "deploy-check's database and schema checks read PostgreSQL only.")

DB001 = Spec(
    "DB001", "database", "DATABASE_URL is a real PostgreSQL connection string",
    "The app reaches its database through DATABASE_URL (the name is `[database] url_var`). "
    "It must be set, be a postgres:// or postgresql:// URL with a host (or socket) and a "
    "database name, and not be a placeholder copied from docs. Where the schema's tool reads it "
    "from other files than the app (Prisma in a workspace package: packages/database/.env), both "
    "values are checked and must name one database. A Supabase app whose code reads no database "
    "URL is checked against its project's own database: the local stack's (supabase/config.toml "
    "[db] port), or for a hosted project the SUPABASE_DB_URL you add; a DATABASE_URL its code "
    "never reads is not its database.",
    f"For a real deployment, {CONSOLE_HINT}; for local development run "
    f"`{FIX_LOCAL_DB}`.",
    FIX_LOCAL_DB,
)
DB002 = Spec(
    "DB002", "database", "The database accepts a connection",
    "deploy-check connects with DATABASE_URL as the app would (psycopg/libpq) within the "
    "database timeout, and reports the server version, the round-trip latency and whether "
    "TLS is in use. Each way of failing (authentication, missing database, refused, "
    "unresolvable host, timeout, TLS required) is named with its own hint. A host that does "
    "not resolve where this machine resolves no other name either (no DNS) leaves the "
    "clause unverified instead. Where the app's runtime module demands TLS in code "
    "(`?sslmode=require` appended to the URL, `ssl: true`), it connects again requiring TLS.",
    "Fix DATABASE_URL or the server so that the connection succeeds.",
)
DB003 = Spec(
    "DB003", "database", "A remote database is reached over TLS",
    "A database that is not on this machine (not loopback) must be reached over TLS: the "
    "password and every row otherwise cross the network in clear text, and managed "
    "PostgreSQL (Neon, Supabase) refuses such connections. A loopback or unix-socket "
    "connection without TLS is fine.",
    "Add `?sslmode=require` (or verify-full) to DATABASE_URL. If this is a private network "
    "you trust (docker compose), waive DB003 in deploy-check.toml with the reason.",
)


def _budget(ctx: Context) -> float:
    # For each URL the app reads: the connection and the latency probe, each bounded by the
    # database timeout, and after a name that did not resolve, the DNS probe. The runner's
    # limit must not cut our own, better-worded timeout short.
    readings = max(1, len(database_readings(ctx)))
    again = database_timeout(ctx) if ctx.model.runtime_tls else 0  # as the app connects: judge_app_tls
    return readings * (2 * database_timeout(ctx) + DNS_PROBE + again) + 2


# -- DB001 -----------------------------------------------------------------------------
def _in(source: str | None) -> str:
    return "the process environment" if source == "process environment" else str(source)


@check(DB001)
def url_is_real(ctx: Context) -> Outcome:
    if ctx.model.other_database:
        # No PostgreSQL to start or URL to fix: neither the catalogue's fix nor its hint applies.
        return replace(unverified(f"database: {ctx.model.other_database}; deploy-check checks "
                                  "PostgreSQL only", kind=ctx.model.database_kind),
                       hint=OTHER_DATABASE_HINT, fix="")
    readings = database_readings(ctx)
    if not readings and ctx.model.database_url_builder:
        return judge_built_url(ctx)
    if not readings:
        # Checking a variable the app never reads would prove nothing about its database.
        return unverified(f"database: {ctx.model.database_var_why}",
                          "set [database] url_var in deploy-check.toml if the app has a database")
    if readings[0].unverified:
        return replace(unverified(f"database: {readings[0].unverified}", variable=readings[0].name),
                       hint=SUPABASE_HOSTED_HINT, fix="")
    judged = [_judge_url(ctx, reading) for reading in readings]
    outcome = judged[0]
    for reading, said in zip(readings[1:], judged[1:], strict=True):
        outcome = both(outcome, reading_label(readings, reading), said)
    return same_database(readings, outcome)


def both(first: Outcome, name: str, second: Outcome) -> Outcome:
    """One outcome for the app's two database variables (drizzle-kit's and the runtime
    client's): a failure of either fails, and the message names both."""
    details = {**first.details, "also": {**first.details.get("also", {}), name: second.details}}
    bad = [o for o in (first, second) if o.status is not Status.PASS]
    if not bad:
        return passed(f"{first.message}; {second.message}", **details)
    # A fail, then a warning, outranks a skip: the skip of one URL must not hide the other's
    # warning (`--fail-level warn`), and what a skip leaves open stays listed as open.
    worst = next((o for o in bad if o.status is Status.FAIL), None) or next(
        (o for o in bad if o.status is Status.WARN), bad[0])
    opened = [o.details["unverified"] for o in bad if isinstance(o.details.get("unverified"), str)]
    details.pop("unverified", None)
    details.pop("blocked_by", None)
    if opened:
        details["unverified"] = "; ".join(dict.fromkeys(opened))
    if worst.status is Status.SKIP and "blocked_by" in worst.details:
        details["blocked_by"] = worst.details["blocked_by"]
    return Outcome(worst.status, "; ".join(o.message for o in bad), details, worst.hint, worst.fix)


def per_reading(readings: list[Reading], said: list[Outcome]) -> Outcome:
    """One outcome of DB002 or DB003 over the app's database readings (drizzle-kit's URL and
    the runtime client's): each but a passing first is named by its variable and reader."""
    if len(said) == 1:
        return said[0]
    named = [replace(outcome, message=f"{_named(readings, reading)}: {outcome.message}")
             if index or outcome.status is not Status.PASS else outcome
             for index, (reading, outcome) in enumerate(zip(readings, said, strict=True))]
    outcome = named[0]
    for reading, other in zip(readings[1:], named[1:], strict=True):
        outcome = both(outcome, reading_label(readings, reading), other)
    return outcome


def _judge_url(ctx: Context, reading: Reading) -> Outcome:
    name, raw, source, why = reading.name, reading.value, reading.source, reading.why
    if not raw:
        looked = ", ".join(reading.looked)
        where = (f"empty in {_in(source)}" if source
                 else f"neither in the process environment nor in {looked}")
        reader = f" where {reading.reader} reads it" if reading.reader else ""
        return failed(f"{name} is not set{reader} ({where})", variable=name, source=source,
                      reader=reading.reader or None)
    if is_placeholder(raw):
        return failed(f"{name} in {_in(source)} is a placeholder copied from docs, "
                      "not a connection string", variable=name, source=source)
    scheme = raw.split(":", 1)[0].strip().lower()
    if scheme in URL_KINDS and ctx.model.database_kind == "postgresql":
        # The app shows PostgreSQL; the URL is another database's: a real misconfiguration.
        other = DATABASE_NAMES[URL_KINDS[scheme]]
        return replace(failed(f"{name} in {_in(source)} is a {scheme}: URL ({other}), but the app "
                              f"uses PostgreSQL ({ctx.model.database_kind_why})", variable=name,
                              source=source, scheme=scheme),
                       hint=f"Set {name} to the app's PostgreSQL connection string: {CONSOLE_HINT}.",
                       fix="")
    try:
        url = parse_database_url(raw)
    except InvalidDatabaseUrl as exc:
        # local-db refuses a variable the user set: only a corrected URL fixes this one.
        return replace(failed(f"{name} in {_in(source)} {exc}", variable=name, source=source),
                       hint=f"Correct {name}: {CONSOLE_HINT}. For a local database instead, empty "
                            f"it and run `{FIX_LOCAL_DB}`.", fix="")
    if url.password and not reading.published_password:
        ctx.masker.add([url.password])
    ignored = list(url.ignored_parameters)
    extra = f"; ignoring {', '.join(ignored)} (not libpq parameters)" if ignored else ""
    return passed(f"{name} (from {_in(source)}; {why}) points to "
                  f"{url.display}{extra}", variable=name, source=source, host=url.host,
                  port=url.ports[0] if url.ports else None, database=url.database,
                  user=url.user, sslmode=url.sslmode, ignored_parameters=ignored)


# -- DB002 -----------------------------------------------------------------------------
# What DB002 says for each way of failing: (message, hint). Fields: target
# (host:port/db), user, database, host, sslmode, timeout, reason (the server's words).
FAILURES: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.AUTH_FAILED: (
        "{target}: authentication failed for user {user!r} ({reason})",
        f"The user or password in DATABASE_URL is wrong or was rotated: {CONSOLE_HINT}."),
    ErrorKind.NOT_ALLOWED: (
        "{target}: the server does not let user {user!r} connect from here ({reason})",
        "The server's access rules (pg_hba.conf, IP allow-list) reject this client: allow it "
        "in the provider's settings."),
    ErrorKind.DATABASE_MISSING: (
        "{target}: database {database!r} does not exist on the server",
        "Create it (createdb, or in the provider's console) or fix the database name at the "
        "end of DATABASE_URL."),
    ErrorKind.REFUSED: (
        "{target}: connection refused, nothing listens on that port",
        "Is PostgreSQL running there, on that port? Check the host and port in DATABASE_URL."),
    ErrorKind.UNRESOLVABLE: (
        "host name {host!r} does not resolve, while this machine resolves other names ({reason})",
        "Check the host in DATABASE_URL for a typo; a deleted Neon endpoint or Supabase "
        "project stops resolving; a private name resolves only on its VPN."),
    ErrorKind.UNREACHABLE: (
        "{target}: the network cannot reach the host ({reason})",
        "Check the network, VPN or firewall between this machine and the database."),
    ErrorKind.TIMEOUT: (
        "{target}: no answer within {timeout:g} s",
        "A firewall may drop the traffic, or the server is overloaded or far away; raise "
        "`[database] timeout` or --timeout if it is merely slow."),
    ErrorKind.TLS_REQUIRED: (
        "{target}: the server requires TLS and the connection did not use it ({reason})",
        "Add ?sslmode=require to DATABASE_URL (Neon and Supabase require TLS)."),
    ErrorKind.TLS_UNAVAILABLE: (
        "{target}: DATABASE_URL requires TLS (sslmode={sslmode}) but the server does not offer it",
        "Enable TLS on the server; drop sslmode=require only for a server on this machine."),
    ErrorKind.TLS_CERTIFICATE: (
        "{target}: the server's TLS certificate was not accepted ({reason})",
        "With sslmode=verify-full or verify-ca, point sslrootcert at the provider's CA (or "
        "sslrootcert=system), or use sslmode=require."),
    ErrorKind.NOT_POSTGRES: (
        "{target}: something answers there, but not PostgreSQL ({reason})",
        "The host or port in DATABASE_URL points at another service: check the port."),
    ErrorKind.OTHER: (
        "{target}: could not connect ({reason})",
        "Read the server's message; check DATABASE_URL and the server."),
}


def _started_by_script(url: DatabaseUrl, servers: list[ScriptServer], runner: str) -> tuple[str, str | None] | None:
    """The app starts this database itself (pglite-server from a package.json script): run
    that, or the dev script that runs it. No fix: it runs in the foreground until stopped."""
    port = url.ports[0] if url.ports else 5432
    for server in servers:
        if server.port == port:
            start = f"{runner} run dev" if server.dev_runs_it else f"{runner} run {server.script}"
            via = f" (its {server.script} script runs pglite-server)" if server.dev_runs_it else " (pglite-server)"
            return (f"The app starts this database itself: `{start}`{via} listens on port {port}. Run it, "
                    "and check again while it runs."), None
    return None


def _refused_fix(url: DatabaseUrl, name: str, compose: list[ComposeService]) -> tuple[str, str | None]:
    """(hint, fix) for a refused database on this machine. `provision local-db` refuses a
    variable the user set, so it is never the fix here: the app's own compose service
    publishing that port is, else the hint says what to start."""
    port = url.ports[0] if url.ports else 5432
    for service in compose:
        if port in service.published:
            command = f"docker compose -f {shlex.quote(str(service.file))} up -d {shlex.quote(service.name)}"
            return (f"Start the app's PostgreSQL: {service.file.name} runs it as service "
                    f"{service.name!r} ({service.image}) on port {port}."), command
    return (f"Start the PostgreSQL that {name} names ({url.target}: your docker compose, "
            f"`pg_ctl start` or the system service), or empty {name} and run `{FIX_LOCAL_DB}` "
            "for a local one."), None


def judge_reachable(facts: DatabaseFacts, name: str = "DATABASE_URL",
                    compose: list[ComposeService] | None = None,
                    refused: tuple[str, str | None] | None = None) -> Outcome:
    """`refused`: (hint, fix) when nothing listens, where the reading says what to start."""
    if facts.url_problem is not None:
        return skipped(f"not run: {facts.url_problem} (see DB001)", blocked_by="DB001")
    details = facts.details()
    url = facts.url
    assert url is not None
    if not facts.reachable:
        kind = facts.error_kind or ErrorKind.OTHER
        if kind is ErrorKind.NO_DNS:  # the machine, not the database: nothing was asked
            return replace(unverified(
                f"database: {name} cannot be reached from this machine, which resolves neither {url.host} "
                f"nor any other name it asked ({_server_reason(facts.error)})", **details),
                hint="This machine has no working DNS (an air-gapped CI runner, a VPN that is down): run the "
                     "check where the database can be reached.")
        message, hint = FAILURES[kind]
        local = all(is_loopback(host) for host in url.hosts)
        fix: str | None = ""
        if kind is ErrorKind.REFUSED and local:
            hint, fix = refused or _refused_fix(url, name, compose or [])
        return failed(message.format(target=url.target, user=url.user, database=url.database,
                                     host=url.host, sslmode=url.sslmode, timeout=facts.timeout,
                                     reason=_server_reason(facts.error)),
                      hint=hint, fix=fix, **details)
    latency = ("no round trip" if facts.latency_ms is None
               else f"{facts.latency_ms:g} ms round trip")
    return passed(
        f"connected to PostgreSQL {facts.server_version} at {url.target} as {url.user!r} in "
        f"{facts.connect_ms:g} ms ({latency}, TLS {'on' if facts.tls else 'off'})",
        **details,
    )


def _named(readings: list[Reading], reading: Reading) -> str:
    """A reading as DB002 names it: its reader where another reads the same variable, else
    the variable and why the app reads it."""
    label = reading_label(readings, reading)
    return label if label != reading.name else f"{reading.name} ({reading.why})"


def _start_supabase(ctx: Context, reading: Reading) -> tuple[str, str | None] | None:
    """The local Supabase stack's database is started by the Supabase CLI, not by us."""
    if reading.name != LOCAL_SUPABASE:
        return None
    start = ctx.model.supabase_start
    where = "" if start.startswith("cd ") else f" in {ctx.project.name}"  # else the command says where
    return (f"Start the local Supabase stack with `{start}`{where} (its database "
            f"listens on port {ctx.model.supabase_db_port}: {ctx.model.supabase_db_port_why}).", start)


@check(DB002, needs=("DB001",), budget=_budget)
async def database_reachable(ctx: Context) -> Outcome:
    compose = postgres_services(ctx.project)
    servers, runner = script_servers(ctx.project), ctx.model.package_manager or "npm"
    readings = database_readings(ctx)
    if not readings:
        facts = await database_facts(ctx)
        started = _started_by_script(facts.url, servers, runner) if facts.url else None
        return judge_reachable(facts, url_var(ctx), compose, started)
    # Two connection strings, two possible culprits: each is named with its reader.
    judged = []
    for index, reading in enumerate(readings):
        facts = await reading_facts(ctx, index, reading)
        started = _start_supabase(ctx, reading) or (_started_by_script(facts.url, servers, runner) if facts.url else None)
        judged.append(judge_reachable(facts, reading.name, compose, started))
    judged = await judge_app_tls(ctx, readings, judge_runtime_driver(ctx, readings, judged))
    return per_reading(readings, judged)


# -- DB003 -----------------------------------------------------------------------------
def judge_tls(facts: DatabaseFacts, name: str = "DATABASE_URL") -> Outcome:
    if facts.url_problem is not None:
        return skipped(f"not run: {facts.url_problem} (see DB001)", blocked_by="DB001")
    if not facts.reachable or facts.url is None:
        return skipped("not run: no connection to judge (see DB002)", blocked_by="DB002")
    url = facts.url
    where = facts.hostaddr if facts.hostaddr and facts.hostaddr != url.host else None
    host = f"{url.host} ({where})" if where else url.host
    details: dict[str, Any] = {"host": url.host, "hostaddr": facts.hostaddr, "tls": facts.tls,
                               "loopback": facts.is_loopback, "sslmode": url.sslmode}
    if facts.tls:
        if not facts.is_loopback and url.sslmode not in TLS_REQUIRING_SSLMODES:
            return warned(
                f"TLS is in use to {host}, but {name} does not require it "
                f"(sslmode={url.sslmode or 'unset'}): node-postgres and other drivers that do not "
                "negotiate TLS by themselves would connect in clear text",
                hint=f"Add ?sslmode=require (or verify-full) to {name}.", **details)
        return passed(f"TLS in use to {host}", **details)
    if facts.is_loopback:
        kind = "a unix socket" if url.socket else "loopback"
        return passed(f"{host} is {kind}: no TLS, and none needed (the traffic never leaves this "
                      "machine)", **details)
    return failed(f"{host} is not loopback and the connection does not use TLS: the password and "
                  "data cross the network in clear text", **details)


def judge_tls_readings(readings: list[Reading], facts: list[DatabaseFacts]) -> Outcome:
    """DB003 over each URL the app reads (drizzle-kit's DIRECT_URL and the runtime client's
    DATABASE_URL): the runtime's one carries the app's traffic, so it is judged too."""
    return per_reading(readings, [judge_tls(found, reading.name)
                                  for reading, found in zip(readings, facts, strict=True)])


@check(DB003, needs=("DB001",), budget=_budget)
async def remote_uses_tls(ctx: Context) -> Outcome:
    readings = database_readings(ctx)
    if not readings:
        return judge_tls(await database_facts(ctx), url_var(ctx))
    return judge_tls_readings(readings, [await reading_facts(ctx, index, reading)
                                         for index, reading in enumerate(readings)])
