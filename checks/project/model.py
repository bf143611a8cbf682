"""The project model: what the app really uses, as facts each with its `why` (the file
relative to the project, and what in it named the fact); found by discovery (this package's
__init__), read by every family through `ctx.model`, printed by `deploy-check detect`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from checks.project.detectors import DATABASE_NAMES

SchemaKind = Literal["sql", "drizzle", "drizzle-v1", "prisma", "supabase", "dbmate", "golang-migrate", "plain"]



@dataclass(frozen=True)
class EnvFileFact:
    path: str  # relative to the project
    keys: int



@dataclass(frozen=True)
class SchemaFact:
    kind: SchemaKind
    path: str  # relative to the project: the file, or the migrations directory
    why: str
    # (schema, table) of the migrator's history where the app's config renames it
    # (drizzle.config `migrations: { schema, table }`); None: the tool's default.
    history_table: tuple[str, str] | None = None



@dataclass(frozen=True)
class RuntimeDriverFact:
    package: str  # "@neondatabase/serverless", or drizzle-orm's adapter of it
    file: str  # the runtime module that uses it, relative to the project
    transport: str  # "http" (neon()) or "websocket" (Pool, Client)
    what: str  # how it is used: "Pool (drizzle-orm/neon-serverless)"
    local_proxy: str | None = None  # "neonConfig.wsProxy in src/db/index.ts": the app routes it itself


@dataclass(frozen=True)
class RuntimeTlsFact:
    """The runtime client demands TLS in code (checks/project/runtimedb.py)."""

    file: str  # the runtime module, relative to the project
    variable: str | None  # the env variable whose URL it connects to; None: not named there
    how: str  # "appends ?sslmode=require to POSTGRES_URL", "passes ssl: true to Pool()"


@dataclass(frozen=True)
class RuntimeTablesFact:
    """The runtime module creates tables itself when it runs (checks/project/runtimedb.py)."""

    file: str  # relative to the project
    tables: tuple[str, ...]  # as the code names them: '"User"', 'public.todos'


@dataclass(frozen=True)
class ValueShape:
    """What the app's env schema asks of a variable's value where it is set (zod's
    `z.string().length(32)`, `.min(n)`, `.max(n)`, `.url()`): what a value deploy-check
    generates must meet. `file`: the schema file that says so, relative to the project."""

    file: str
    length: int | None = None
    min: int | None = None
    max: int | None = None
    format: str | None = None  # a zod string format (url, email, uuid…) no random token meets



@dataclass
class ProjectModel:
    root: Path
    # Env files the app loads, highest priority first (Next.js `next dev` order).
    env_files: list[EnvFileFact] = field(default_factory=list)
    example_file: str | None = None
    example_files: list[str] = field(default_factory=list)  # every example in use, example_file first
    env_file: str = ".env.local"  # the file hints name and `provision env` writes
    # The app's env schema (checks/project/envschema.py: t3-env's createEnv, a zod object it
    # parses process.env with): its files, and the keys it lets be missing (`.optional()`,
    # `.default(…)`) or requires, each with the file that says so.
    env_schema_files: list[str] = field(default_factory=list)
    env_schema_optional: dict[str, str] = field(default_factory=dict)
    env_schema_required: dict[str, str] = field(default_factory=dict)
    env_schema_shapes: dict[str, ValueShape] = field(default_factory=dict)  # what a value must look like
    # Keys a zod object lets be missing while a transform or refinement of the whole object may
    # still demand them (karakeep packages/shared/config.ts): no proof for ENV003, which keeps
    # them as the example says, but enough to leave AUTH004 unverified (never a pass).
    env_schema_loose: dict[str, str] = field(default_factory=dict)
    env_file_why: str = "Next.js's file for local values"
    database_var: str | None = None
    database_var_why: str = ""
    # The runtime client's variable where it is not the migration tool's (drizzle.config,
    # Prisma directUrl): DB001/DB002 check both.
    second_database_var: str | None = None
    second_database_var_why: str = ""
    # The env files the schema's tool reads the database variable from, highest priority first,
    # relative to the project, when it runs in a workspace package outside the app (next-forge's
    # ../../packages/database/.env; checks/project/dbenv.py); [] when it reads the app's own.
    database_env_files: list[str] = field(default_factory=list)
    database_env_write: str | None = None  # the one of them `provision local-db` writes
    database_env_why: str = ""
    # "supabase": the app reaches its data through the Supabase API and its code reads no
    # database variable, so the checks judge the Supabase project's database (the local stack's
    # on supabase_db_port, or a hosted one's direct URL; checks/core/readings.py).
    database_via: str | None = None
    database_via_why: str = ""
    supabase_db_port: int | None = None
    supabase_db_port_why: str = ""
    supabase_start: str = "supabase start"  # how this app starts its local stack (project/supabase.py)
    supabase_config: str | None = None  # the supabase/config.toml its CLI runs with, relative to the app
    # The URL is built in code, not read from one variable (checks/project/urlbuild.py): the
    # file that wants it (drizzle.config.ts), the code that builds it ("getDatabaseUri()
    # (lib/utils.ts)"), and the variables that code reads, those with a fallback apart ([] when
    # deploy-check cannot follow it). database_var is then None: nothing is guessed.
    database_url_caller: str | None = None
    database_url_builder: str | None = None
    database_url_reads: list[str] = field(default_factory=list)
    database_url_defaulted: list[str] = field(default_factory=list)
    # The runtime client's driver where it cannot talk to a plain PostgreSQL by itself
    # (@neondatabase/serverless: checks/project/neondriver.py).
    runtime_driver: RuntimeDriverFact | None = None
    # The runtime client demands TLS in code, and the tables its module creates on first use.
    runtime_tls: RuntimeTlsFact | None = None
    runtime_tables: RuntimeTablesFact | None = None
    # postgresql, sqlite, libsql, mysql, … (detectors.DATABASE_NAMES); None: nothing named it
    database_kind: str | None = None
    database_kind_why: str = ""
    schema: SchemaFact | None = None
    schema_why: str = ""  # when `schema` is None: what was looked for
    auth_provider: str | None = None  # neon-auth, stack, supabase, clerk, authjs, better-auth, kinde, oidc, none
    auth_why: str = ""
    # How users sign in, from the app's code (checks/project/logins.py): provider ids such as
    # "github", "credentials", "nodemailer", "email-otp"; "hosted" for a hosted sign-in page.
    login_methods: list[str] = field(default_factory=list)
    login_where: str | None = None  # the file that names them, relative to the project
    login_why: str = ""
    # Auth.js: the env variables its OAuth provider calls read for their client id and secret.
    login_credentials: list[str] = field(default_factory=list)
    # Auth.js: the providers registered only under an `if (…)` of the app's own setting, and its condition.
    login_guarded: list[str] = field(default_factory=list)
    login_guard: str = ""
    # Better Auth: the env variables its `secret:` option reads, in order (logins.secret_option);
    # None when the config passes no `secret:` (better-auth then reads its own names).
    auth_secret_names: list[str] | None = None
    auth_secret_stops: list[str] = field(default_factory=list)  # process.env reads before `??`
    auth_secret_direct: list[str] = field(default_factory=list)  # read straight from process.env
    # A committed literal ending the `secret:` chain: [its length, whether it is a placeholder].
    auth_secret_literal: list[Any] | None = None
    sentry_required: bool = False
    sentry_why: str = ""
    package_manager: str | None = None
    workspace_root: str | None = None  # relative to the project, "." when it is the root
    dev_command: str | None = None
    dev_why: str = ""
    looks_like_app: bool = True
    looks_like_app_why: str = ""
    workspace_apps: list[str] = field(default_factory=list)  # a workspace root's Next.js apps

    @property
    def other_database(self) -> str | None:
        """"the app's database is SQLite (why)" when it is not PostgreSQL (deploy-check
        checks and provisions PostgreSQL only); None for PostgreSQL or an unnamed one."""
        if self.database_kind is None or self.database_kind == "postgresql":
            return None
        name = DATABASE_NAMES.get(self.database_kind, self.database_kind)
        return f"the app's database is {name} ({self.database_kind_why})"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["root"] = str(self.root)
        return data
