"""`deploy-check provision local-db`: an embedded PostgreSQL for local development,
its URL written as DATABASE_URL into `.env.local`.

The server lives in `<project>/.deploy-check/local-db/` (see checks/support/pgembed.py),
listens on 127.0.0.1 with a generated password (SCRAM), on a port chosen at first
start and kept. Re-running with the server up changes nothing; with it stopped, it
starts it again. A DATABASE_URL that is already filled with another value is never
overwritten. `stop_local_db(project)` stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import re
import shlex
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

from checks.core.context import Context
from checks.core.db import database_url, no_database_variable, url_var
from checks.core.evidence import run_git
from checks.core.readings import THROUGH_API, database_readings
from checks.core.runner import pasteable
from checks.database.apptls import tls_problem
from checks.database.codeurl import SET_BY_THE_RUNTIME, driver_problem, one_variable
from checks.support.envfile import EnvFile, parse_env_text
from checks.support.hosts import is_loopback
from checks.support.pgbinaries import EmbeddedPostgresError, try_exclusive
from checks.support.pgembed import EmbeddedPostgres
from checks.support.pgurl import InvalidDatabaseUrl, parse_database_url
from checks.support.placeholders import is_placeholder
from provision import Options, Provisioned, ProvisionFailed
from provision.files import write_atomically
from provision.platforms import PLATFORMS, STAND_INS, stand_in_sql
from provision.schema import provision as apply_schema

STATE_DIR = ".deploy-check"
LOCAL_DB_DIR = "local-db"
DATABASE_NAME = "app"
HEADER = "# Local PostgreSQL started by `deploy-check provision local-db`"


def local_db_home(project: Path) -> Path:
    return Path(project).resolve() / STATE_DIR / LOCAL_DB_DIR


def local_db(project: Path, port: int | None = None) -> EmbeddedPostgres:
    """The project's embedded PostgreSQL; `port` is taken at its first start (else the
    kernel picks a free one), and kept in PGDATA after that."""
    return EmbeddedPostgres(local_db_home(project), port=port)


def stop_local_db(project: Path) -> bool:
    """Stop the project's local database if it runs; True when it was running."""
    home = local_db_home(project)
    if not (home / "data" / "PG_VERSION").is_file():
        return False
    return local_db(project).stop()


def masked_url(server: EmbeddedPostgres, dbname: str = DATABASE_NAME) -> str:
    return server.url(dbname).replace(f":{quote(server.password, safe='')}@", ":****@")


def _assignment(key: str) -> re.Pattern[str]:
    """`KEY=value  # comment` on one line, value unquoted or simply quoted."""
    return re.compile(
        rf"""^(?P<head>\s*(?:export\s+)?{re.escape(key)}\s*=)[^\S\r\n]*?"""
        r"""(?:"[^"\n]*"|'[^'\n]*'|[^#\s]*)(?P<comment>[^\S\r\n]+#.*)?$"""
    )


def set_env_value(text: str | None, parsed: EnvFile | None, key: str, value: str) -> str:
    """`text` with `key` set to `value`: the (last) existing assignment is replaced in
    place, keeping `export` and its comment; otherwise the key is appended. Every
    other line, comments included, stays as it was."""
    # Lines as dotenv counts them: split on "\n" only, endings kept.
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text or "")
    entries = [entry for entry in (parsed.entries if parsed else []) if entry.key == key]
    if entries and entries[-1].line <= len(lines):
        index = entries[-1].line - 1
        body = lines[index].rstrip("\r\n")
        ending = lines[index][len(body):] or "\n"
        match = _assignment(key).match(body)
        if match is not None:
            lines[index] = f"{match.group('head')}{value}{match.group('comment') or ''}{ending}"
            return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if not lines:
        lines.append(HEADER + "\n")
    lines.append(f"{key}={value}\n")
    return "".join(lines)


def _ignore_state_dir(project: Path) -> None:
    """Nothing under .deploy-check/ belongs in git (the password is in there)."""
    ignore = Path(project) / STATE_DIR / ".gitignore"
    if not ignore.exists():
        ignore.parent.mkdir(parents=True, exist_ok=True)
        ignore.write_text("# Written by deploy-check: local state, never commit it.\n*\n",
                          encoding="utf-8")


async def _platform_stand_ins(url: str, platform: str) -> str:
    """The platform's objects the app's schema references, as minimal stand-ins
    (provision/platforms.py), created idempotently in the local database."""
    import psycopg  # start-up: only runs that reach a database load psycopg


    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            await connection.execute(stand_in_sql(platform).encode())
    except psycopg.Error as exc:
        raise ProvisionFailed(f"creating the {STAND_INS[platform][0]} stand-ins: "
                              f"{exc.diag.message_primary or exc}") from None
    what = "auth.users, auth.uid(), auth.role(), auth.jwt(), roles anon/authenticated/service_role" \
        if platform == "supabase" else "neon_auth.users_sync"
    return (f"created {STAND_INS[platform][0]} stand-ins for local development: {what} "
            "(minimal stand-ins, not the platform itself)")


async def schema_with_stand_ins(ctx: Context, options: Options) -> Provisioned:
    """`provision schema --platform P`: the platform's stand-ins go into the app's own local
    database (never a new one, never a remote one), then the schema is applied."""
    readings = database_readings(ctx)
    if not readings:
        raise ProvisionFailed(f"{no_database_variable(ctx)}; set [database] url_var in "
                              "deploy-check.toml, or `deploy-check provision local-db` for a local one")
    if readings[0].unverified:
        raise ProvisionFailed(readings[0].unverified)
    if options.platform is None:
        return await apply_schema(ctx, options)
    platform = options.platform
    if platform not in PLATFORMS:
        raise ProvisionFailed(f"--platform {platform!r}: known platforms are {', '.join(PLATFORMS)}")
    if ctx.model.database_via == "supabase":
        # Its database is Supabase's own, which has the real auth schema: stand-ins would replace it.
        raise ProvisionFailed(f"--platform adds stand-ins to a plain PostgreSQL; {url_var(ctx)} is the "
                              "Supabase project's own database, which has the platform's real objects")
    name, raw = url_var(ctx), database_url(ctx)
    if not raw:
        raise ProvisionFailed(f"no database to add the {STAND_INS[platform][0]} stand-ins to: "
                              f"{name} is not set")
    try:
        where = parse_database_url(raw)
    except InvalidDatabaseUrl as exc:
        raise ProvisionFailed(f"{name} {exc}") from None
    if not all(is_loopback(host) for host in where.hosts):
        raise ProvisionFailed(
            f"--platform adds stand-ins only to a database on this machine; {name} points at "
            f"{where.target}, which should be the {STAND_INS[platform][0]} project's own database")
    if options.dry_run:
        said = f"would create {STAND_INS[platform][0]} stand-ins in {where.target}"
        # Made inside the dry run's own transaction, so the plan meets them, and rolled back with it.
        options = replace(options, stand_ins=stand_in_sql(platform))
    else:
        said = await _platform_stand_ins(raw, platform)
    done = await apply_schema(ctx, options)
    done.lines.insert(0, said)
    done.changed = True
    return done


def supabase_refusal(ctx: Context) -> str:
    """Why `provision local-db` starts nothing for an app that reads its data through the
    Supabase API, and how to get it a local database instead (the local Supabase stack)."""
    model = ctx.model
    return (f"{THROUGH_API}, so a local PostgreSQL written into DATABASE_URL would not be its "
            f"database: none was started ({model.database_via_why}). For a local one, run the Supabase stack in "
            f"{ctx.project}: `{model.supabase_start}` (Docker), then set NEXT_PUBLIC_SUPABASE_URL to the API "
            f"URL and NEXT_PUBLIC_SUPABASE_ANON_KEY to the anon key `{model.supabase_start.removesuffix(' start')} "
            f"status` prints, in "
            f"{ctx.rel(ctx.env_path)}; deploy-check then checks its database on port "
            f"{model.supabase_db_port} ({model.supabase_db_port_why})")


@dataclass(frozen=True)
class Target:
    """A variable `provision local-db` writes, and where: the schema's reading, and its other
    readers (checks/core/readings.py)."""

    name: str
    path: Path
    # The schema's, or another reader of the same variable: one holding a database the user
    # chose stops the run (writing the others would split the app's database in two). Another
    # variable (the runtime client's) that holds one is left as it is.
    required: bool


def _targets(ctx: Context) -> list[Target]:
    readings = database_readings(ctx)
    if not readings:
        return [Target(url_var(ctx), ctx.env_path, True)]
    first = readings[0].name
    return [Target(r.name, ctx.path(r.write_to) if r.write_to else ctx.env_path, r.name == first)
            for r in readings]


def _unsafe(ctx: Context, target: Target) -> str | None:
    """Why `provision local-db` must not write `target`: its file (through a symlink, or a
    dotenv path with `..`) lies outside the app's workspace, or git tracks it (the generated
    password would be one commit from the repository). None when it may."""
    root = ctx.project
    if ctx.model.workspace_root not in (None, "."):
        root = (ctx.project / str(ctx.model.workspace_root)).resolve()
    pinned = ctx.env_pinned and target.path == ctx.env_path  # the user named that file
    if not pinned and not target.path.is_relative_to(root):
        return (f"{target.name}'s file resolves to {target.path}, outside {root} (a symlink, or a "
                "path with `..`); refusing to write outside the app's workspace")
    top = run_git(ctx.project, "rev-parse", "--show-toplevel")
    if top is not None and top.returncode == 0:
        listed = run_git(ctx.project, "ls-files", "--", str(target.path))
        if listed is not None and listed.returncode == 0 and listed.stdout.strip():
            return (f"{ctx.rel(target.path)} is tracked by git: the local database's password written "
                    f"there would be one commit from the repository; set {target.name} there yourself, "
                    f"or untrack it (`git -C {shlex.quote(str(target.path.parent))} rm --cached -- "
                    f"{shlex.quote(target.path.name)}`) and run this again")
    return None


def _current(path: Path, name: str) -> str:
    if path.exists() and not path.is_file():
        raise ProvisionFailed(f"{path.name} is not a regular file")
    text = path.read_text(encoding="utf-8") if path.is_file() else None
    parsed = parse_env_text(text, path) if text is not None else None
    return (parsed.values.get(name, "") if parsed else "").strip()


async def provision(ctx: Context, options: Options) -> Provisioned:
    if ctx.model.database_via == "supabase":
        raise ProvisionFailed(supabase_refusal(ctx))
    if ctx.env_local.error:
        raise ProvisionFailed(ctx.env_local.error)
    if ctx.model.database_url_builder and not database_readings(ctx):
        raise ProvisionFailed(built_url_refusal(ctx))
    targets = _targets(ctx)
    server = local_db(ctx.project, options.port)
    if options.port is not None and server.initialized and server.port != options.port:
        raise ProvisionFailed(
            f"this project's local PostgreSQL was created on port {server.port}; to move it to "
            f"port {options.port}, `{pasteable('deploy-check provision local-db --stop', ctx.project)}`, delete "
            f"{local_db_home(ctx.project).relative_to(ctx.project)} (this deletes the local data) "
            "and run this again")
    for target in targets:
        if (why := _unsafe(ctx, target)) is not None:
            raise ProvisionFailed(why)
    ours = server.url(DATABASE_NAME) if server.initialized else None
    # The committed example's own value (`postgresql://postgres:password@localhost:5432/app`,
    # copied by `provision env`) is a template's, not a database the user chose: replaced.
    for target in targets:
        if target.required and not _replaceable(ctx, target.name, _current(target.path, target.name), ours):
            others = [ctx.rel(t.path) for t in targets if t.name == target.name and t.path != target.path]
            also = (f" {' and '.join(others)} must name the same database: copy that URL there, or empty "
                    f"{ctx.rel(target.path)}'s line to use a local database for both." if others else
                    " Empty or remove that line to use a local database instead.")
            raise ProvisionFailed(f"{target.name} in {ctx.rel(target.path)} is already set to another "
                                  f"database; refusing to change it.{also}")
    result = Provisioned("local-db", changed=False)

    platform = options.platform
    if platform is None and ctx.model.auth_provider in PLATFORMS:
        platform = ctx.model.auth_provider  # detected from the app (checks/project)
    if platform is not None and platform not in PLATFORMS:
        raise ProvisionFailed(f"--platform {platform!r}: known platforms are {', '.join(PLATFORMS)}")
    if options.dry_run:
        result.changed = not (server.initialized and server.running
                              and all(_current(t.path, t.name) == ours for t in targets if t.required))
        if result.changed:
            written = ", ".join(f"{t.name} to {ctx.rel(t.path)}" for t in targets)
            result.lines.append(f"would start a local PostgreSQL in {local_db_home(ctx.project)} "
                                f"and write {written}")
        result.lines += driver_warning(ctx, targets)
        return result

    _ignore_state_dir(ctx.project)
    async with _project_lock(ctx.project):
        return await _provision_locked(ctx, server, targets, result, platform=platform)


LOCK_WAIT = 120.0  # a first start (initdb) takes seconds; two runs at once wait their turn


@contextlib.asynccontextmanager
async def _project_lock(project: Path) -> AsyncIterator[None]:
    """One `provision local-db` at a time per project: the second waits, then finds the
    server running and the database created (it used to fail with a raw UniqueViolation)."""


    path = Path(project) / STATE_DIR / "local-db.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + LOCK_WAIT
        while not try_exclusive(handle):
            if time.monotonic() > deadline:
                raise ProvisionFailed(f"another `provision local-db` holds {path} for more than "
                                      f"{LOCK_WAIT:g} s")
            await asyncio.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def _provision_locked(ctx: Context, server: EmbeddedPostgres, targets: list[Target],
                            result: Provisioned, *, platform: str | None = None) -> Provisioned:
    try:
        started = await asyncio.to_thread(server.start)
        created = await asyncio.to_thread(server.create_database, DATABASE_NAME)
    except EmbeddedPostgresError as exc:
        advice = ""
        if "is taken by" in str(exc):
            advice = (f"; stop that process, or delete {local_db_home(ctx.project)} to start over "
                      "on a new port (this deletes the local data)")
        raise ProvisionFailed(f"{exc}{advice}") from None
    ctx.masker.add([server.password])
    url = server.url(DATABASE_NAME)
    shown = masked_url(server)
    where = f"{local_db_home(ctx.project).relative_to(ctx.project)}"
    if started:
        result.lines.append(f"started the local PostgreSQL at {shown} (data in {where}); it keeps "
                            f"running until `{pasteable('deploy-check provision local-db --stop', ctx.project)}`")
    else:
        result.lines.append(f"the local PostgreSQL is already running at {shown}")
    if created:
        result.lines.append(f"created the database {DATABASE_NAME!r}")
    if platform is not None:
        result.lines.append(await _platform_stand_ins(server.url(DATABASE_NAME), platform))
        result.changed = True
    for target in targets:
        # Read again under the lock: a run that held it before may have written the URL. A
        # further variable holding a database of the user's is left as it is.
        if target.required or _replaceable(ctx, target.name, _current(target.path, target.name), url):
            _write_variable(ctx, target.name, url, target.path, result)
    result.changed = result.changed or started or created
    result.lines += driver_warning(ctx, targets)
    return result


def built_url_refusal(ctx: Context) -> str:
    """Why `provision local-db` writes no variable for an app that builds its database URL in
    code (checks/project/urlbuild.py): a DATABASE_URL it never reads would only fool the checks."""
    model = ctx.model
    builder = model.database_url_builder
    needed = [name for name in model.database_url_reads if name not in SET_BY_THE_RUNTIME]
    told = (f"make {', '.join(needed)} in {ctx.rel(ctx.env_path)} match it (its host, port and database are "
            "in that code)" if needed else f"set the variables {builder} reads")
    return (f"{model.database_url_caller} gets the database URL from {builder}, not from one variable: a "
            f"DATABASE_URL written for it would not be read, so no local database was started. Start the "
            f"PostgreSQL {builder} names and {told}; or {one_variable(str(builder))} and run this again")


def driver_warning(ctx: Context, targets: list[Target]) -> list[str]:
    """Warnings where the app's runtime client cannot use a local PostgreSQL: Neon's serverless
    driver with no proxy of the app's own (checks/project/neondriver.py), a client that demands
    TLS, which the embedded server does not offer (checks/project/runtimedb.py)."""
    driver, tls = ctx.model.runtime_driver, ctx.model.runtime_tls
    name = next((t.name for t in reversed(targets)), url_var(ctx))
    found = [driver_problem(driver, name, "127.0.0.1")] if driver and not driver.local_proxy else []  # its address
    found += [tls_problem(tls, tls.variable or name, embedded=True)] if tls is not None else []
    return [f"warning: the local PostgreSQL answers deploy-check, but {problem}. {hint}" for problem, hint in found]


def _replaceable(ctx: Context, name: str, current: str, ours: str | None) -> bool:
    """Empty, a placeholder, the example's own value, or already ours: never a database the
    user chose."""
    shown = {(e.parsed.values.get(name, "") if e.parsed else "").strip() for e in ctx.examples}
    return not current or current == ours or current in shown or is_placeholder(current)


def _write_variable(ctx: Context, name: str, url: str, env_path: Path, result: Provisioned) -> None:
    text = None
    if env_path.is_file():
        with env_path.open(encoding="utf-8", newline="") as stream:  # keep CRLF as it is
            text = stream.read()
    parsed = parse_env_text(text, env_path) if text is not None else None
    current = (parsed.values.get(name, "") if parsed else "").strip()
    if current == url:
        result.lines.append(f"{name} in {ctx.rel(env_path)} already points to it")
    else:
        write_atomically(env_path, set_env_value(text, parsed, name, url), mode=0o600)
        what = "replaced the placeholder (or the example's value) in" if current else "wrote it to"
        result.lines.append(f"{name}: {what} {ctx.rel(env_path)} (mode 0600)")
        result.changed = True
    process_value = ctx.environ.get(name, "").strip()
    if process_value and process_value != url:
        result.lines.append(f"note: {name} is also set in the process environment, which wins "
                            f"over {ctx.rel(env_path)}: unset it to use the local database")
