"""Which database the app really uses, as the URLs its readers see: the schema's tool (prisma,
drizzle-kit) and, where it reads elsewhere, the app's runtime. The first reading is the one
the schema checks and `provision` use; DB001/DB002 judge each.

- The usual app: its database variable, from Next.js's env files (and the runtime client's
  other variable beside it, model.second_database_var).
- A tool in a workspace package (next-forge's packages/database): the variable from the
  files that tool loads (model.database_env_files), and the same variable from the app's
  files, which its Next.js runtime reads.
- A Supabase app whose code reads no database variable: the Supabase project's database —
  the local stack's when its API URL is local, a hosted project's direct URL when one of the
  env's database variables points at that project, else nothing to judge (`unverified`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.core.context import Context, LoadedEnvFile
from checks.project import detectors as d
from checks.project.prismaschema import prisma_schema_files
from checks.project.reading import package_json
from checks.support.hosts import is_loopback
from checks.support.pgurl import InvalidDatabaseUrl, parse_database_url
from checks.support.placeholders import is_placeholder

LOCAL_SUPABASE = "the local Supabase database"
THROUGH_API = "the app reaches its data through the Supabase API and its code reads no database URL"


@dataclass(frozen=True)
class Reading:
    name: str  # the variable, as messages name it (LOCAL_SUPABASE for the local stack's)
    value: str  # the URL, stripped; "" when unset
    source: str | None  # where the value came from: a file relative to the project, "process environment"
    why: str  # who reads it, and how discovery knows
    looked: tuple[str, ...] = ()  # the files it would come from, relative to the project
    write_to: str | None = None  # the file a value for it goes in (`provision local-db` writes it)
    reader: str = ""  # "prisma", "the app's runtime": which of several readings
    unverified: str | None = None  # no database can be named for the app: why, and what would name it
    # The password is a published default (the local Supabase stack's "postgres"), not a
    # secret: masking it would blank the user and the database name in every message.
    published_password: bool = False

    @property
    def origin(self) -> str:
        """Where the value came from, as a message says it."""
        return "the process environment" if self.source == "process environment" else str(self.source)


def database_readings(ctx: Context) -> list[Reading]:
    """The app's database readings, the schema's first; [] when nothing names a database.
    Computed once per run."""
    return list(ctx.once("database.readings", lambda: _readings(ctx)))


def schema_reading(ctx: Context) -> Reading | None:
    readings = database_readings(ctx)
    return readings[0] if readings else None


def _app_files(ctx: Context) -> tuple[str, ...]:
    return tuple(ctx.rel(f.path) for f in ctx.env_files) or (ctx.rel(ctx.env_path),)


def _from_app(ctx: Context, name: str, why: str, reader: str = "") -> Reading:
    return Reading(name, ctx.value(name), ctx.source_of(name), why, _app_files(ctx), ctx.rel(ctx.env_path), reader)


def _from_files(ctx: Context, name: str, files: list[LoadedEnvFile], why: str, reader: str) -> Reading:
    """`name` as a tool that loads `files` (highest first, none overriding the process
    environment: dotenv's rule, and Prisma's) sees it."""
    looked = tuple(ctx.rel(f.path) for f in files)
    holder = next((f for f in files if f.parsed and name in f.parsed.values), None)
    # A value goes where it already is (a file above would hide one written lower), else
    # where the tool's own docs put it.
    write_to = ctx.rel(holder.path) if holder else ctx.model.database_env_write or looked[0]
    if name in ctx.environ:
        return Reading(name, ctx.environ[name].strip(), "process environment", why, looked, write_to, reader)
    if holder is not None and holder.parsed is not None:
        return Reading(name, holder.parsed.values[name].strip(), ctx.rel(holder.path), why, looked, write_to, reader)
    return Reading(name, "", None, why, looked, write_to, reader)


def _readings(ctx: Context) -> list[Reading]:
    model = ctx.model
    if model.database_via == "supabase":
        return [supabase_reading(ctx)]
    name = model.database_var
    if name is None:
        return []
    second = model.second_database_var
    if ctx.tool_env_files:
        tool = "prisma" if "prisma" in model.database_env_why else "the schema's tool"
        first = _from_files(ctx, name, ctx.tool_env_files, f"{model.database_var_why}; {model.database_env_why}", tool)
        # The app's Next.js runtime runs the package's client with the app's own env files.
        runtime = second or name
        in_package = "/" in model.database_env_files[0]  # a workspace package's file, not the app's `.env`
        why = (model.second_database_var_why if second else
               "the app's Next.js runtime reads it from the app's own env files"
               + (", not the package's" if in_package else " (.env.local first)"))
        app_reading = _from_app(ctx, runtime, why, "the app's runtime")
        # The tool reads the app's own `.env` and finds what the runtime finds: one reading, the app's.
        if set(first.looked) <= set(_app_files(ctx)) and \
                (app_reading.name, app_reading.value, app_reading.source) == (first.name, first.value, first.source):
            return [_from_app(ctx, name, model.database_var_why)]
        return [first, app_reading]
    split = _root_prisma_dotenv(ctx, name)
    readings = [_from_app(ctx, name, model.database_var_why)] if split is None else [
        split, _from_app(ctx, name, "the app's Next.js runtime reads it from .env.local first", "the app's runtime")]
    if second is not None:
        readings.append(_from_app(ctx, second, model.second_database_var_why, "the app's runtime"))
    return readings


# -- Supabase ---------------------------------------------------------------------------
def _root_prisma_dotenv(ctx: Context, name: str) -> Reading | None:
    """Prisma in the app itself, with no prisma.config: its CLI loads `.env` and never
    `.env.local` (prisma.io/docs/orm/more/development-environment/environment-variables). When
    `.env` sets `name` to another value than the runtime finds first, `prisma migrate` works on
    that one: its reading, else None (one reading, the runtime's)."""
    if ctx.env_pinned or name in ctx.environ or not prisma_schema_files(ctx.project, package_json(ctx.project)) \
            or any((ctx.project / config).is_file() for config in d.PRISMA_CONFIGS):
        return None
    dotenv = next((f for f in ctx.env_files if f.path.name == ".env" and f.path.parent == ctx.project), None)
    if dotenv is None or dotenv.parsed is None or ctx.source_of(name) in (None, ".env"):
        return None
    value = dotenv.parsed.values.get(name, "").strip()
    if not value or value == ctx.value(name):
        return None
    return _from_files(ctx, name, [dotenv], f"{ctx.model.database_var_why}; the Prisma CLI loads .env, "
                                            "not .env.local", "prisma")


def supabase_project(api_host: str) -> str | None:
    """The project ref of a hosted Supabase API host (`<ref>.supabase.co`), else None."""
    found = d.SUPABASE_API_HOST.match(api_host.lower())
    return found["ref"] if found else None


def is_project_database(raw: str, ref: str) -> bool:
    """Whether the URL `raw` reaches project `ref`'s database: its own host db.<ref>.supabase.co,
    or Supavisor's pooler with the user postgres.<ref>."""
    try:
        url = parse_database_url(raw)
    except InvalidDatabaseUrl:
        return False
    hosts = [host.lower() for host in url.hosts]
    if f"db.{ref}.supabase.co" in hosts:
        return True
    return url.user == f"postgres.{ref}" and any(d.SUPABASE_POOLER_HOST.search(host) for host in hosts)


def _display(raw: str) -> str:
    try:
        return parse_database_url(raw).target
    except InvalidDatabaseUrl:
        return "an unparsable URL"


def supabase_reading(ctx: Context) -> Reading:
    model = ctx.model
    api_var = next((name for name in d.SUPABASE_URL_VARS if ctx.value(name)), d.SUPABASE_URL_VARS[0])
    api = ctx.value(api_var)
    via = model.database_via_why
    if not api or is_placeholder(api):
        state = f"is a placeholder in {_where(ctx, api_var)}" if api else "is not set"
        return Reading(api_var, "", None, via, _app_files(ctx), unverified=(
            f"{via}; {api_var} {state}, so which Supabase project holds its data is not known"))
    host = (urlsplit(api).hostname or "").lower()
    api_from = f"{api_var} in {_where(ctx, api_var)}"
    if is_loopback(host):
        port = model.supabase_db_port or d.SUPABASE_DB_PORT
        shown = f"[{host}]" if ":" in host else host
        url = (f"postgresql://{d.SUPABASE_DB_USER}:{d.SUPABASE_DB_PASSWORD}@{shown}:{port}/"
               f"{d.SUPABASE_DB_NAME}")
        return Reading(LOCAL_SUPABASE, url, model.supabase_db_port_why,
                       f"{api_from} is the local Supabase stack, whose database listens on port {port}; {via}",
                       published_password=True)
    ref = supabase_project(host)
    project = f"hosted Supabase project {ref}" if ref else f"the hosted Supabase project at {host}"
    named = [(name, ctx.value(name)) for name in dict.fromkeys((d.SUPABASE_DB_VAR, *d.DATABASE_VARS))
             if ctx.value(name)]
    for name, value in named:
        # On a custom API domain the ref is unknown: only the variable added for this check counts.
        if is_project_database(value, ref) if ref else name == d.SUPABASE_DB_VAR:
            return Reading(name, value, ctx.source_of(name), f"{name} is the database of {project} ({api_from}); {via}")
    others = ", ".join(f"{name} in {_where(ctx, name)} points at {_display(value)}" for name, value in named)
    return Reading(d.SUPABASE_DB_VAR, "", None, via, _app_files(ctx), unverified=(
        f"{THROUGH_API}; {api_from} is {project}, and no database variable points at its database"
        f"{f' ({others})' if others else ''}: set {d.SUPABASE_DB_VAR} to the project's connection string "
        "(Supabase: Connect → Connection string) so deploy-check can read its schema"))


def _where(ctx: Context, name: str) -> str:
    source = ctx.source_of(name)
    return "the process environment" if source == "process environment" else str(source)
