"""What real apps use, as data (the shape of vercel/vercel's packages/frameworks
detectors: a package name, or a path plus a content pattern). Adding a provider or a
migration tool is adding a row here; `checks/project/__init__.py` evaluates them."""

from __future__ import annotations

import re

from checks.support.lazyre import lazy

# Next.js `next dev` loads these, highest priority first, below the process environment
# (vercel/next.js packages/next-env/index.ts, loadEnvConfig: `.env.${mode}.local`,
# `.env.local` (not in test), `.env.${mode}`, `.env`).
NEXT_DEV_ENV_FILES = (".env.development.local", ".env.local", ".env.development", ".env")
# The example that documents the variables, first found wins (DESIGN.md).
EXAMPLE_FILES = (".env.local.example", ".env.example", ".env.sample", ".env.template")
# Beside `.env.local.example` (which describes `.env.local`), the example of `.env`: an example
# describes the env file it is named after, and Next.js loads `.env.local` over `.env`.
DOTENV_EXAMPLE_FILES = EXAMPLE_FILES[1:]
# A config file that loads `.env` through dotenv (dotenv README: `import 'dotenv/config'`,
# `require('dotenv').config()`, `config({ path: '.env' })`).
DOTENV_LOADS_DOTENV = lazy(
    r"""["']dotenv/config["']|\bconfig\(\s*\)|\bconfig\(\s*\{\s*path\s*:\s*["'](?:\./)?\.env["']""")
# Nx loads the workspace root's env files into its own process, so into every task it runs
# (`next dev` and the schema tool's targets alike), a value already set winning (nx.dev "Define
# Environment Variables", the workspace-root entries `.env.local`, `.local.env`, `.env`; nx
# src/utils/dotenv.ts loadRootEnvFiles). baptisteArno/typebot.io: its docs copy
# `.env.dev.example` to the root `.env`, and `bun dev` runs `nx run-many -t dev -p builder,…`.
NX_ROOT_ENV_FILES = (".env.local", ".local.env", ".env")
NX_WORKSPACE_FILE = "nx.json"
# A package.json script that runs the Nx CLI (`nx run-many -t dev`, `nx dev web`, `bunx nx …`).
NX_COMMAND = lazy(r"(?:^|[\s;&|(])nx\s+\S")
# Other names apps give it, counted where their README or a package.json script copies
# them (`cp env.example .env`, Symfony-style `.env.dist`, dotenv-defaults' `.env.defaults`).
COPIED_EXAMPLE_FILES = ("env.example", "example.env", ".env.dist", ".env.defaults")
# Env files that can hold secrets and must be git-ignored (DESIGN.md ENV006). The Sentry
# wizard writes SENTRY_AUTH_TOKEN to `.env.sentry-build-plugin` and tells the user not to
# commit it (getsentry/sentry-wizard src/nextjs/nextjs-wizard.ts).
SENTRY_WIZARD_ENV_FILE = ".env.sentry-build-plugin"
SECRET_ENV_FILES = (".env", ".env.local", ".env.development.local", ".env.test.local",
                    ".env.production.local", ".env.production", SENTRY_WIZARD_ENV_FILE)
# The Sentry build plugin loads that file into its process.env before reading its options
# (getsentry/sentry-javascript-bundler-plugins packages/bundler-plugin-core: `Object.assign(
# process.env, dotenv.parse(…".env.sentry-build-plugin"…))`); these are the variables it reads
# there (options-mapping.ts: authToken, org, project, url fall back to SENTRY_AUTH_TOKEN, …).
SENTRY_BUILD_PLUGIN_KEYS = ("SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT", "SENTRY_URL")

# Database variables real apps use, in the order they are preferred when the app's own
# config names none: Vercel Postgres/Neon integration (POSTGRES_URL, POSTGRES_PRISMA_URL,
# POSTGRES_URL_NON_POOLING), Neon's (DATABASE_URL, DATABASE_URL_UNPOOLED), Supabase's
# (SUPABASE_DB_URL).
DATABASE_VARS = ("DATABASE_URL", "POSTGRES_URL", "POSTGRES_PRISMA_URL", "DATABASE_URL_UNPOOLED",
                 "POSTGRES_URL_NON_POOLING", "NEON_DATABASE_URL", "SUPABASE_DB_URL", "PG_URL",
                 "PGURL")

# Where a Prisma schema kept in a workspace package reads its variable when prisma runs there
# (next-forge's `cd packages/database && bunx prisma migrate dev`). Without prisma.config.ts,
# the CLI loads `.env` beside the nearest package.json and beside the schema (prisma/prisma
# packages/internals/src/utils/getEnvPaths.ts: rootEnvPath, then --schema's folder,
# ./prisma/.env, ./.env). With one, it loads none ("Prisma config detected, skipping
# environment variable loading", packages/internals/src/utils/loadEnvFile.ts): the config's
# own dotenv does, or Bun, which loads these in the folder it runs in, highest first
# (bun.com/guides/runtime/set-env; prisma/skills prisma-upgrade-v7 env-variables.md).
PRISMA_ENV_FILE = ".env"
BUN_ENV_FILES = (".env.development.local", ".env.local", ".env.development", ".env")
# dotenv's `config({ path: "…" })` with a literal path (dotenv README "Options: path").
DOTENV_CONFIG_PATH = lazy(r"""\bconfig\(\s*\{\s*path\s*:\s*["'`](?P<path>[^"'`$]+)["'`]""")
# Node's own `process.loadEnvFile(path)` (Node docs "process.loadEnvFile": `./.env` when no
# path), a literal or joined to the config's __dirname (rallly packages/database/prisma.config.ts).
NODE_LOAD_ENV_FILE = lazy(r"""\bprocess\.loadEnvFile\(\s*(?:\)|["'`](?P<path>[^"'`$]+)["'`]\s*\)|"""
                          r"""path\.(?:join|resolve)\(\s*__dirname\s*,\s*["'`](?P<joined>[^"'`$]+)["'`]\s*\)\s*\))""")

# A config that loads env files by any means of its own (dotenv, @next/env, Node's
# process.loadEnvFile): then drizzle-kit's own `.env` is not the whole story.
ANY_ENV_LOADER = lazy(r"""\bdotenv\b|@next/env|loadEnvConfig|loadEnvFile|env-cmd|\bconfig\(""")
# drizzle.config's url read from the environment: `url: process.env.X` (drizzle-kit docs "dbCredentials"),
# or `url: env.X` from the app's t3-env module, which reads process.env and loads no file
# (create-t3-app's drizzle template: `import { env } from "~/env"`; ARoyyanF/streak-trackr).
DRIZZLE_ENV_URL = lazy(r"""\bprocess\.env\b|\bimport\s*\{[^}]*\benv\b[^}]*\}\s*from\s*["'](?:~|@|\.{1,2})/(?:src/)?env(?:\.[cm]?[jt]s)?["']""")

PRISMA_SCHEMAS = ("prisma/schema.prisma", "schema.prisma", "prisma/schema")
# A `prisma …` command of a package.json script and its `--schema <path>`/`--schema=<path>`
# (Prisma CLI reference: --schema, relative to where the command runs, which for a script is
# its package.json's folder; typebot.io packages/prisma/package.json: `prisma migrate dev
# --config prisma.config.ts --create-only --schema postgresql/schema.prisma`).
PRISMA_CALL = lazy(r"""(?<![\w@/.$-])prisma\s+(?P<command>[a-z]+)(?P<args>[^&|;]*)""")
PRISMA_SCHEMA_FLAG = lazy(r"""(?<![\w-])--schema(?:=|\s+)["']?(?P<value>[^\s"';]+)""")
DRIZZLE_CONFIGS = ("drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs",
                   "drizzle.config.cjs", "drizzle.config.mts", "drizzle.config.json")
# Prisma 6.6+ moves the datasource URL to prisma.config.ts (prisma/prisma
# packages/config/src/defineConfig.ts: `datasource: { url: env('DATABASE_URL') }`).
PRISMA_CONFIGS = ("prisma.config.ts", "prisma.config.mts", "prisma.config.js")
# prisma.config.ts (Prisma docs "Config API": `schema?: string`, `migrations?: { path }`), as a
# string or path.join/resolve of strings (`path.join("prisma", "schema.prisma")`).
PRISMA_CONFIG_PATH = r"""(?P<expr>["'`][^"'`]+["'`]|path\.(?:join|resolve)\([^)]*\))"""
PRISMA_CONFIG_SCHEMA = lazy(r"""(?:^|[{,])\s*["']?schema["']?\s*:\s*""" + PRISMA_CONFIG_PATH, re.MULTILINE)
# prisma.config.ts's `datasource: { url: … }` (Prisma docs "Config API"), up to its line's end.
PRISMA_CONFIG_URL = lazy(r"""["']?\burl["']?\s*:\s*(?P<expr>[^,\n}]+)""")
PRISMA_CONFIG_MIGRATIONS = lazy(r"""["']?\bmigrations["']?\s*:\s*\{(?P<body>[^{}]*)\}""")
QUOTED = lazy(r"""["'`]([^"'`]+)["'`]""")
PRISMA_CONFIG_MIGRATIONS_PATH = lazy(r"""["']?\bpath["']?\s*:\s*""" + PRISMA_CONFIG_PATH)
# `url = env("DATABASE_URL")` inside `datasource db { … }` (prisma docs, schema reference).
PRISMA_DATASOURCE = lazy(r"datasource\s+\w+\s*\{(?P<body>[^}]*)\}", re.DOTALL)
PRISMA_URL_ENV = lazy(r"""^\s*url\s*=\s*env\(\s*["'](?P<var>[A-Za-z_][A-Za-z0-9_]*)["']\s*\)""",
                            re.MULTILINE)
# `directUrl = env("DIRECT_URL")` beside it: the URL prisma migrate uses while the client
# goes through `url`, a pooler (prisma docs, "Configure Prisma Migrate with PgBouncer").
PRISMA_DIRECT_URL_ENV = lazy(
    r"""^\s*directUrl\s*=\s*env\(\s*["'](?P<var>[A-Za-z_][A-Za-z0-9_]*)["']\s*\)""", re.MULTILINE)
# Where apps create their runtime database client (drizzle docs "Get started": src/db/index.ts;
# create-t3-app src/server/db.ts; Vercel templates lib/db.ts), and the calls that take the URL:
# postgres(url), neon(url), drizzle(url | {connection}), new Pool({ connectionString }), createPool.
RUNTIME_DB_FILES = ("src/db/index.ts", "src/db/index.js", "src/db/client.ts", "src/db/db.ts", "src/db.ts",
                    "db/index.ts", "db/client.ts", "lib/db.ts", "lib/db.js", "lib/db/index.ts",
                    "src/lib/db.ts", "src/lib/db/index.ts", "src/server/db.ts", "src/server/db/index.ts",
                    "server/db.ts", "src/index.ts", "src/client.ts",
                    "app/db.ts")  # vercel/nextjs-postgres-auth-starter keeps its client in app/db.ts
RUNTIME_DB_CALL = lazy(r"""\b(?:postgres|neon|drizzle|Pool|Client|createPool|createClient|Sql|SQL)\s*\(""")
DATABASE_LIKE = lazy(r"DATABASE|POSTGRES|_DB_|^DB_|DB_URL|PG_?URL")
PRISMA_PROVIDER = lazy(r"""^\s*provider\s*=\s*["'](?P<provider>\w+)["']""", re.MULTILINE)
# process.env.X, process.env["X"] (or `X` in backticks), import.meta.env.X, env("X") / env('X'),
# and Bun/Deno-style or t3-env's env.X / env["X"]: the one env reader the families share.
ENV_REFERENCE = lazy(
    r"""(?:process|import\.meta)\.env\.(?P<a>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?:process|import\.meta)\.env\[\s*["'`](?P<b>[A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]"""
    r"""|\benv\(\s*["'](?P<c>[A-Za-z_][A-Za-z0-9_]*)["']\s*\)|(?<![\w$])env\.(?P<d>[A-Z_][A-Z0-9_]*)"""
    r"""|(?<![\w$.])env\[\s*["'`](?P<e>[A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]""")
# drizzle-kit config: `out: "./drizzle"` (default "drizzle"), `dbCredentials: { url: … }`
# (drizzle-team/drizzle-orm drizzle-kit/src/index.ts, defineConfig).
DRIZZLE_OUT = lazy(r"""["']?\bout["']?\s*:\s*["'`](?P<out>[^"'`]+)["'`]""")
DRIZZLE_CREDENTIALS = lazy(r"dbCredentials\s*[\"']?\s*:\s*\{", re.MULTILINE)
DRIZZLE_URL_KEY = lazy(r"""["']?\b(?:url|connectionString)["']?\s*:\s*(?P<expr>`[^`]*`|[^,\n}]+)""")
DRIZZLE_MIGRATIONS = lazy(r"""["']?\bmigrations["']?\s*:\s*\{(?P<body>[^{}]*)\}""")


def drizzle_migrations_key(key: str) -> re.Pattern[str]:
    return re.compile(rf"""["']?\b{key}["']?\s*:\s*["'`](?P<value>[^"'`]+)["'`]""")


# dbmate's own settings (dbmate main.go: --migrations-dir/-d, env DBMATE_MIGRATIONS_DIR,
# default ./db/migrations; --migrations-table, env DBMATE_MIGRATIONS_TABLE, default
# schema_migrations), as package.json scripts pass them.
DBMATE_CALL = lazy(r"\bdbmate\b(?P<args>[^&|;]*)")
DBMATE_DIR = lazy(r"""(?:--migrations-dir|(?<![\w-])-d)(?:=|\s+)["']?(?P<value>[^\s"',]+)""")
DBMATE_TABLE = lazy(r"""--migrations-table(?:=|\s+)["']?(?P<value>[^\s"']+)""")
DBMATE_ENV = ("DBMATE_MIGRATIONS_DIR", "DBMATE_MIGRATIONS_TABLE")
DRIZZLE_DIALECT = lazy(r"""["']?\b(?:dialect|driver)["']?\s*:\s*["'](?P<dialect>[\w-]+)["']""")

# The database an app uses, by what names it (DESIGN.md "Discovery": deploy-check checks
# PostgreSQL only). drizzle-kit `dialect` and legacy `driver` values (drizzle-kit
# src/index.ts, Config: "postgresql" | "mysql" | "sqlite" | "turso" | "singlestore";
# drivers "pg", "mysql2", "better-sqlite", "libsql", "turso", "d1-http", "expo").
DRIZZLE_KINDS = {"postgresql": "postgresql", "pg": "postgresql", "pglite": "postgresql",
                 "aws-data-api": "postgresql", "mysql": "mysql", "mysql2": "mysql",
                 "singlestore": "singlestore", "sqlite": "sqlite", "better-sqlite": "sqlite",
                 "d1-http": "sqlite", "d1": "sqlite", "expo": "sqlite", "durable-sqlite": "sqlite",
                 "turso": "libsql", "libsql": "libsql"}
# Prisma `datasource db { provider = "…" }` (prisma docs, schema reference: postgresql,
# postgres, mysql, sqlite, sqlserver, mongodb, cockroachdb — the last speaks PostgreSQL's wire).
PRISMA_KINDS = {"postgresql": "postgresql", "postgres": "postgresql", "cockroachdb": "postgresql",
                "mysql": "mysql", "sqlite": "sqlite", "sqlserver": "sqlserver", "mongodb": "mongodb"}
# URL schemes that only another database's client takes: libsql's client `libsql:`/`file:`
# (@libsql/client docs), Prisma's SQLite `file:`, mysql2's and Prisma's `mysql://` (mysql2
# README "Using connection URL"). In an app that shows PostgreSQL (a driver, a provider, a
# dialect) such a URL is a wrong one: DB001 fails it, naming both.
URL_KINDS = {"file": "sqlite", "sqlite": "sqlite", "libsql": "libsql", "mysql": "mysql", "mysql2": "mysql"}
# Drivers in package.json, when no config names the dialect (npm package names).
POSTGRES_DRIVERS = ("pg", "postgres", "@neondatabase/serverless", "@vercel/postgres",
                    "@supabase/supabase-js", "pg-promise", "slonik", "@prisma/adapter-pg",
                    "@prisma/adapter-neon", "@electric-sql/pglite", "kysely-postgres-js")
# @libsql/kysely-libsql: Kysely's libSQL dialect, ahead of mysql2, which the same app may
# list for an opt-in dialect (better-auth/better-auth demo/nextjs lib/auth.ts: Turso unless
# USE_MYSQL, its README "TURSO_DATABASE_URL … or USE_MYSQL=true").
OTHER_DRIVERS = (("@libsql/client", "libsql"), ("@prisma/adapter-libsql", "libsql"),
                 ("@libsql/kysely-libsql", "libsql"),
                 ("better-sqlite3", "sqlite"), ("sqlite3", "sqlite"), ("mysql2", "mysql"),
                 ("@planetscale/database", "mysql"), ("mssql", "sqlserver"), ("mongodb", "mongodb"),
                 ("mongoose", "mongodb"))
DATABASE_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "singlestore": "SingleStore",
                  "sqlite": "SQLite", "libsql": "libSQL (Turso)", "sqlserver": "SQL Server",
                  "mongodb": "MongoDB"}

# Auth SDKs in package.json, first match wins (a Neon Auth app also lists better-auth).
# Package names: npm registry pages of each SDK.
AUTH_SDKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("neon-auth", ("@neondatabase/auth", "@neondatabase/neon-js")),
    ("stack", ("@stackframe/stack", "@stackframe/react", "@stackframe/js")),
    ("clerk", ("@clerk/nextjs", "@clerk/clerk-react", "@clerk/remix", "@clerk/react-router",
               "@clerk/tanstack-react-start", "@clerk/astro")),
    ("better-auth", ("better-auth",)),
    ("kinde", ("@kinde-oss/kinde-auth-nextjs", "@kinde-oss/kinde-auth-react")),
    ("authjs", ("next-auth", "@auth/core", "@auth/sveltekit", "@auth/express")),
    ("supabase", ("@supabase/ssr", "@supabase/auth-helpers-nextjs", "@supabase/auth-ui-react",
                  "@supabase/supabase-js")),
)
# Supabase's clients reach the app's data through the project's API (PostgREST), never
# through a connection string (supabase-js README: createClient(supabaseUrl, supabaseKey)).
SUPABASE_CLIENTS = ("@supabase/supabase-js", "@supabase/ssr", "@supabase/auth-helpers-nextjs")
SUPABASE_URL_VARS = ("NEXT_PUBLIC_SUPABASE_URL", "SUPABASE_URL")
# The variable a user adds so deploy-check can read a hosted Supabase project's schema
# (Supabase dashboard: Connect → Connection string; the name Supabase's own docs use).
SUPABASE_DB_VAR = "SUPABASE_DB_URL"
# The local stack's database (supabase/cli apps/cli-go/internal/utils/flags/db_url.go, `local`:
# user postgres, database postgres, Config.Db.Password, default "postgres" in pkg/config/config.go
# NewConfig; port `[db] port` of supabase/config.toml, 54322 in pkg/config/templates/config.toml).
SUPABASE_CONFIG = "supabase/config.toml"
# The CLI as a project dependency has no global command: it runs as `npx supabase <command>`,
# in the folder `supabase init` set up (supabase.com/docs/guides/local-development/cli/getting-started).
SUPABASE_CLI_PACKAGE = "supabase"
SUPABASE_DB_PORT = 54322
SUPABASE_DB_USER = SUPABASE_DB_PASSWORD = SUPABASE_DB_NAME = "postgres"
# A hosted project's API is https://<ref>.supabase.co; its database db.<ref>.supabase.co, or
# Supavisor's pooler with the user postgres.<ref> (supabase/cli internal/utils/api.go
# GetSupabaseHost, GetSupabaseDbHost; internal/utils/connect.go GetPoolerConfig).
SUPABASE_API_HOST = lazy(r"^(?P<ref>[a-z0-9]+)\.supabase\.co$")
SUPABASE_POOLER_HOST = lazy(r"\.pooler\.supabase\.com$")

# Env keys that name a provider when package.json does not (the app may vendor the SDK).
AUTH_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("neon-auth", ("NEON_AUTH_BASE_URL", "NEXT_PUBLIC_NEON_AUTH_URL", "NEON_AUTH_URL")),
    ("stack", ("NEXT_PUBLIC_STACK_PROJECT_ID", "STACK_SECRET_SERVER_KEY")),
    ("clerk", ("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_SECRET_KEY")),
    ("better-auth", ("BETTER_AUTH_SECRET",)),
    ("kinde", ("KINDE_ISSUER_URL", "KINDE_CLIENT_ID")),
    ("authjs", ("NEXTAUTH_SECRET", "NEXTAUTH_URL")),
    ("supabase", ("NEXT_PUBLIC_SUPABASE_URL",)),
)

# Where apps keep their auth code (Auth.js `auth.ts`, create-t3-app `src/server/auth/`,
# the Next.js docs' authentication guide `app/lib/session.ts`), read for their imports.
AUTH_FILES = ("auth.ts", "auth.js", "auth.config.ts", "src/auth.ts", "src/auth.config.ts",
              "lib/auth.ts", "lib/auth.js", "src/lib/auth.ts", "src/lib/auth.js", "app/lib/session.ts",
              "src/app/lib/session.ts", "lib/session.ts", "src/lib/session.ts", "lib/jwt.ts",
              "src/lib/jwt.ts", "middleware.ts", "src/middleware.ts", "server/auth.ts",
              "src/server/auth.ts", "src/server/auth/config.ts", "src/server/auth/index.ts")
IMPORT_FROM = lazy(r"""(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)["'](?P<package>(?:@[\w.-]+/)?[\w.-]+)""",
                         re.MULTILINE)
# Libraries an app signs its own sessions with: custom auth, no provider to ask.
CUSTOM_AUTH_LIBS = ("jose", "jsonwebtoken", "iron-session")

# What says an app uses Sentry: the SDK, its config files, the Next.js wrapper.
SENTRY_PACKAGE_PREFIX = "@sentry/"
SENTRY_FILES = ("sentry.client.config.ts", "sentry.client.config.js", "sentry.server.config.ts",
                "sentry.server.config.js", "sentry.edge.config.ts", "sentry.edge.config.js",
                "instrumentation-client.ts", "instrumentation-client.js", ".sentryclirc",
                "src/sentry.client.config.ts", "src/sentry.server.config.ts")
SENTRY_CALLERS = (("instrumentation.ts", "Sentry"), ("instrumentation.js", "Sentry"),
                  ("src/instrumentation.ts", "Sentry"), ("src/instrumentation.js", "Sentry"),
                  ("instrumentation-client.ts", "Sentry"), ("src/instrumentation-client.ts", "Sentry"))
NEXT_CONFIGS = ("next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs",
                "next.config.mts")
SENTRY_KEY = lazy(r"SENTRY", re.IGNORECASE)

# Lockfiles, nearest first (the app's own, then the workspace root's).
LOCKFILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun"),
             ("bun.lock", "bun"), ("package-lock.json", "npm"), ("npm-shrinkwrap.json", "npm"))
# A workspace root says so (pnpm-workspace.yaml, package.json `workspaces`, turbo.json).
# pnpm-workspace.yaml: its `packages:` list ("  - 'packages/*'"), the only part of it read.
PNPM_WORKSPACE_PACKAGES = lazy(r"^packages:[ \t]*\n(?P<items>(?:[ \t]*-.*\n?|[ \t]+.*\n?|[ \t]*\n)*)",
                                     re.MULTILINE)
PNPM_WORKSPACE_GLOB = lazy(r"""^\s*-\s*["']?([^"'#\s]+)["']?\s*(?:#.*)?$""", re.MULTILINE)
WORKSPACE_MARKERS = ("pnpm-workspace.yaml", "turbo.json", "nx.json", "lerna.json")
