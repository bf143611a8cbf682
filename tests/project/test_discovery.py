"""Zero-config discovery on the layouts real Next.js apps have (tests/fixtures/apps/),
and the false READYs those layouts used to get. Each fixture is copied to a temporary
directory so a test can add env files, `git init`, or write deploy-check.toml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from helpers import REPO, clean_environ, detect, git, run_cli, run_json, write_project
from helpers import checks_by_id as checks

FIXTURES = REPO / "tests" / "fixtures" / "apps"
PG_PASSWORD = "pg-canary-Vx82kQ"  # tests/conftest.py


def app(tmp_path: Path, name: str, **files: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target





# -- the model, per layout -------------------------------------------------------------


def test_neon_drizzle_with_dotenv_and_postgres_url(tmp_path: Path) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": "POSTGRES_URL=\n"})
    model = detect(project)
    assert model["database_var"] == "POSTGRES_URL"
    assert model["database_var_why"] == "drizzle.config.ts: dbCredentials reads POSTGRES_URL"
    assert model["schema"] == {"kind": "drizzle", "path": "src/db/migrations",
                               "why": "drizzle.config.ts: out = 'src/db/migrations'", "history_table": None}
    assert model["example_file"] == ".env.example"
    assert model["env_files"] == [{"path": ".env", "keys": 1}]
    assert model["sentry_required"] is False
    assert model["auth_provider"] is None


def test_prisma_datasource_names_the_variable_and_package_manager(tmp_path: Path) -> None:
    model = detect(app(tmp_path, "prisma-authjs"))
    # The datasource has a directUrl: prisma migrate's variable is the one the schema checks
    # read, and the client's `url` is checked beside it (issue 19 §2).
    assert model["database_var"] == "POSTGRES_URL_NON_POOLING"
    assert model["database_var_why"] == 'prisma/schema.prisma: directUrl = env("POSTGRES_URL_NON_POOLING") (prisma migrate)'
    assert model["second_database_var"] == "POSTGRES_PRISMA_URL"
    assert model["second_database_var_why"] == ('prisma/schema.prisma: url = env("POSTGRES_PRISMA_URL") '
                                                "(the app's runtime client)")
    assert model["schema"]["kind"] == "prisma" and model["schema"]["path"] == "prisma/migrations"
    assert model["auth_provider"] == "authjs"
    assert model["auth_why"] == "package.json depends on next-auth"
    assert model["package_manager"] == "pnpm"
    assert model["dev_command"] == "pnpm run dev"


def test_supabase_layout(tmp_path: Path) -> None:
    model = detect(app(tmp_path, "supabase"))
    assert model["schema"]["kind"] == "supabase"
    assert model["auth_provider"] == "supabase"


def test_dbmate_settings_in_the_env_name_its_folder_and_table(tmp_path: Path) -> None:
    # dbmate reads DBMATE_MIGRATIONS_DIR / DBMATE_MIGRATIONS_TABLE from .env (dbmate main.go EnvVars).
    project = tmp_path / "app"
    (project / "sql" / "schema").mkdir(parents=True)
    (project / "sql" / "schema" / "20240101000000_init.sql").write_text(
        "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n")
    (project / ".env").write_text("DBMATE_MIGRATIONS_DIR=./sql/schema\nDBMATE_MIGRATIONS_TABLE=migrations\n")
    model = detect(project)
    assert model["schema"] == {"kind": "dbmate", "path": "sql/schema", "why": "DBMATE_MIGRATIONS_DIR in the app's env",
                               "history_table": ["", "migrations"]}


@pytest.mark.parametrize("spelling", ["string", "path.join", "one line"])
def test_prisma_config_names_the_schema_and_the_migrations_folder(tmp_path: Path, spelling: str) -> None:
    # Shaped after Prisma 6/7 apps whose prisma.config.ts moves both (Prisma docs "Config API":
    # `schema`, `migrations: { path, seed }`, `datasource: { url: env("DATABASE_URL") }`).
    where = {"string": ('"packages/prisma/schema.prisma"', '"packages/prisma/migrations"'),
             "path.join": ('path.join("packages", "prisma", "schema.prisma")',
                           'path.join("packages", "prisma", "migrations")'),
             "one line": ('"packages/prisma/schema.prisma"', '"packages/prisma/migrations"')}[spelling]
    project = tmp_path / "app"
    config = ('import "dotenv/config";\nimport path from "node:path";\n'
              'import { defineConfig, env } from "prisma/config";\n\nexport default defineConfig({\n'
              f'  schema: {where[0]},\n  migrations: {{\n    path: {where[1]},\n'
              '    seed: "tsx packages/prisma/src/seed.ts",\n  },\n'
              '  datasource: {\n    url: env("DATABASE_URL"),\n  },\n});\n')
    if spelling == "one line":
        config = (f'export default defineConfig({{ schema: {where[0]}, migrations: {{ path: {where[1]} }}, '
                  'datasource: { url: env("DATABASE_URL") } });\n')
    files = {
        "prisma.config.ts": config,
        "packages/prisma/schema.prisma": 'generator client {\n  provider = "prisma-client"\n}\n\n'
                                         'datasource db {\n  provider = "postgresql"\n}\n',
        "packages/prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
        "packages/prisma/migrations/20250101000000_init/migration.sql": "CREATE TABLE t (id int);\n",
        "package.json": '{"name": "app", "dependencies": {"@prisma/client": "7.0.0"}}\n',
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    model = detect(project)
    assert model["schema"]["kind"] == "prisma" and model["schema"]["path"] == "packages/prisma/migrations"
    assert model["schema"]["why"] == "prisma.config.ts: migrations.path = 'packages/prisma/migrations'"
    assert model["database_var"] == "DATABASE_URL"


def test_pnpm_monorepo_finds_the_workspace_root(tmp_path: Path) -> None:
    model = detect(app(tmp_path, "pnpm-monorepo") / "apps" / "web")
    assert model["package_manager"] == "pnpm"
    assert model["workspace_root"] == "../.."
    assert model["dev_command"] == "pnpm run dev"
    assert "packageManager 'pnpm@9.15.0'" in model["dev_why"]
    # The database lives in the workspace package the app depends on ("@acme/db": "workspace:*").
    assert model["schema"] == {"kind": "drizzle", "path": "../../packages/db/drizzle",
                               "why": "../../packages/db/drizzle.config.ts: out = 'drizzle'", "history_table": None}
    assert model["database_var"] == "POSTGRES_URL"
    assert model["database_var_why"] == "../../packages/db/drizzle.config.ts: dbCredentials reads POSTGRES_URL"


def test_a_workspace_package_the_app_does_not_depend_on_is_not_its_database(tmp_path: Path) -> None:
    project = app(tmp_path, "pnpm-monorepo") / "apps" / "web"
    (project / "package.json").write_text('{"name": "web", "scripts": {"dev": "next dev"}}\n')
    assert detect(project)["schema"] is None


def test_a_double_star_workspace_glob_reaches_a_package_one_level_down(tmp_path: Path) -> None:
    """openstatus's pnpm-workspace.yaml says `packages/**/*`: its database package is packages/db,
    one level down (`**` matches no folder), beside packages/notifications/slack two levels down.
    Read as `packages/*/*`, the libSQL app's drizzle history was "not found"."""
    project = app(tmp_path, "pnpm-turso-monorepo") / "apps" / "dashboard"
    model = detect(project)
    assert model["schema"] == {"kind": "drizzle", "path": "../../packages/db/drizzle",
                               "why": "../../packages/db/drizzle.config.ts: out = 'drizzle'", "history_table": None}
    assert model["database_kind"] == "libsql"
    assert model["database_kind_why"] == '../../packages/db/drizzle.config.ts: dialect "turso"'
    # A libSQL app's database clauses are unverified, never failed as a bad PostgreSQL.
    _code, report = run_json(project, "--only", "database,schema")
    assert {c["status"] for c in report["checks"]} == {"skip"}
    assert any("libSQL (Turso)" in clause for clause in report["unverified"])


def test_sentry_wizard_files_make_sentry_required(tmp_path: Path) -> None:
    model = detect(app(tmp_path, "sentry-wizard"))
    assert model["sentry_required"] is True
    assert model["sentry_why"] == "package.json depends on @sentry/nextjs"


def test_drizzle_config_that_composes_the_url_names_no_variable(tmp_path: Path) -> None:
    # The shape of many real configs: `url: \`postgres://${process.env.POSTGRES_USER}:…\``
    project = app(tmp_path, "neon-drizzle-dotenv", **{
        ".env.example": "POSTGRES_USER=\nPOSTGRES_PASSWORD=\n",
        "drizzle.config.ts": 'export default { out: "./src/db/migrations", dbCredentials: {\n'
                             '  url: `postgres://${process.env.POSTGRES_USER}:${process.env.POSTGRES_PASSWORD}@localhost/app`,\n'
                             "} };\n"})
    model = detect(project)
    assert model["database_var"] is None
    assert "builds the database URL from POSTGRES_USER, POSTGRES_PASSWORD" in model["database_var_why"]


def test_env_files_load_in_next_dev_order(tmp_path: Path) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{
        ".env": "A=from-env\nB=from-env\nC=from-env\nD=from-env\n",
        ".env.development": "A=from-development\nB=from-development\nC=from-development\n",
        ".env.local": "A=from-local\nB=from-local\n",
        ".env.development.local": "A=from-development-local\n",
    })
    from checks.core.context import Context
    from checks.project.config import load_config

    ctx = Context(project=project, config=load_config(project), environ={})
    assert [ctx.rel(f.path) for f in ctx.env_files] == [
        ".env.development.local", ".env.local", ".env.development", ".env"]
    assert {k: ctx.source_of(k) for k in "ABCD"} == {
        "A": ".env.development.local", "B": ".env.local", "C": ".env.development", "D": ".env"}
    assert ctx.value("C") == "from-development"
    pinned = Context(project=project, config=load_config(project), environ={},
                     env_file_override=project / ".env")
    assert [f.path.name for f in pinned.env_files] == [".env"] and pinned.value("A") == "from-env"


# -- the false READYs -----------------------------------------------------------------


def test_empty_database_behind_postgres_url_is_not_ready(tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": f"POSTGRES_URL={fresh_db}\n"})
    code, report = run_json(project, "--only", "env,database,schema")
    found = checks(report)
    assert code == 1 and report["verdict"] == "not_ready"
    assert found["DB001"]["status"] == "pass" and "POSTGRES_URL (from .env" in found["DB001"]["message"]
    assert found["DB004"]["status"] == "fail"
    assert "public.notes" in found["DB004"]["message"] and "public.tags" in found["DB004"]["message"]
    assert PG_PASSWORD not in json.dumps(report)
    # The fix it names works on the same layout, with no configuration.
    done = run_cli("provision", "schema", "--project", str(project))
    assert done.returncode == 0, done.stderr
    code, report = run_json(project, "--only", "database,schema")
    assert checks(report)["DB004"]["status"] == "pass", checks(report)["DB004"]


def test_database_without_any_schema_source_is_not_ready_when_empty(tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path, "stack-auth", **{".env.local": f"DATABASE_URL={fresh_db}\n"})
    _code, report = run_json(project, "--only", "database,schema")
    db004 = checks(report)["DB004"]
    assert db004["status"] == "fail"
    assert "no schema source: looked for" in db004["message"]


def test_a_variable_the_app_never_reads_is_not_checked(tmp_path: Path, fresh_db: str) -> None:
    # DATABASE_URL works, but the app (drizzle.config.ts) reads POSTGRES_URL, which is empty.
    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": f"DATABASE_URL={fresh_db}\nPOSTGRES_URL=\n"})
    code, report = run_json(project, "--only", "database")
    db001 = checks(report)["DB001"]
    assert code == 1 and db001["status"] == "fail"
    assert "POSTGRES_URL is not set (empty in .env)" in db001["message"]


def test_auth_secret_placeholder_and_example_url_copied_fail(tmp_path: Path) -> None:
    example = (FIXTURES / "prisma-authjs" / ".env.example").read_text()
    project = app(tmp_path, "prisma-authjs", **{
        ".env": example.replace('AUTH_SECRET=""', "AUTH_SECRET=***")
                       .replace('AUTH_DISCORD_ID=""', "AUTH_DISCORD_ID=1234567890")
                       .replace('AUTH_DISCORD_SECRET=""', "AUTH_DISCORD_SECRET=discord-secret-canary-77")})
    code, report = run_json(project, "--only", "env,auth,database")
    found = checks(report)
    assert code == 1
    assert found["ENV004"]["status"] == "fail"
    assert "AUTH_SECRET" in found["ENV004"]["message"]
    assert found["AUTH001"]["status"] == "fail" and "AUTH_SECRET is a placeholder" in found["AUTH001"]["message"]
    assert found["DB001"]["status"] == "fail" and "POSTGRES_PRISMA_URL" in found["DB001"]["message"]
    assert "discord-secret-canary-77" not in json.dumps(report)


def test_secret_copied_from_the_example_is_a_placeholder(tmp_path: Path) -> None:
    project = app(tmp_path, "stack-auth", **{
        ".env.example": "NEXTAUTH_SECRET=my-superstrong-secret\n",
        ".env.local": "NEXTAUTH_SECRET=my-superstrong-secret\n"})
    (project / ".env.local.example").unlink()
    _code, report = run_json(project, "--only", "ENV004")
    env004 = checks(report)["ENV004"]
    assert env004["status"] == "fail"
    assert "the same value as the committed .env.example" in env004["message"]


def test_neon_auth_placeholder_url_fails_and_db001_does_not_crash(tmp_path: Path) -> None:
    example = (FIXTURES / "neon-auth" / ".env.example").read_text()
    project = app(tmp_path, "neon-auth", **{
        ".env.local": example.replace("NEON_AUTH_COOKIE_SECRET=", "NEON_AUTH_COOKIE_SECRET=" + "c" * 40)})
    _code, report = run_json(project, "--only", "auth,database")
    found = checks(report)
    assert found["AUTH001"]["status"] == "fail"
    assert "NEON_AUTH_BASE_URL is a placeholder" in found["AUTH001"]["message"]
    assert found["DB001"]["status"] == "fail" and "placeholder" in found["DB001"]["message"]
    assert found["AUTH002"]["status"] == "skip"


@pytest.mark.parametrize(("fixture", "empty"), [
    ("stack-auth", ["NEXT_PUBLIC_STACK_PROJECT_ID is empty", "STACK_SECRET_SERVER_KEY is empty"]),
    ("t3-clerk", ["NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is empty", "CLERK_SECRET_KEY is empty"]),
])
def test_an_sdk_without_its_keys_fails_auth001(tmp_path: Path, fixture: str, empty: list[str]) -> None:
    code, report = run_json(app(tmp_path, fixture), "--only", "auth")
    auth001 = checks(report)["AUTH001"]
    assert code == 1 and auth001["status"] == "fail"
    for said in empty:
        assert said in auth001["message"]
    assert "package.json depends on" in auth001["message"]


def test_stack_auth_project_is_asked_for_by_id(tmp_path: Path, httpserver: HTTPServer) -> None:
    project_id = "0d7b2f2e-3a52-4a4b-9d6c-1f0e2b3c4d5e"
    # Stack's API answers the current project's config for a valid client key.
    httpserver.expect_request("/api/v1/projects/current", headers={
        "x-stack-project-id": project_id, "x-stack-access-type": "client"}).respond_with_json(
        {"id": project_id, "display_name": "demo", "config": {}})
    env = (f"NEXT_PUBLIC_STACK_PROJECT_ID={project_id}\nNEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY=pck_{'p' * 40}\n"
           f"STACK_SECRET_SERVER_KEY=ssk_{'s' * 40}\nNEXT_PUBLIC_STACK_API_URL={httpserver.url_for('/').rstrip('/')}\n")
    _code, report = run_json(app(tmp_path, "stack-auth", **{".env.local": env}), "--only", "auth")
    found = checks(report)
    assert found["AUTH002"]["status"] == "pass", found["AUTH002"]
    assert "s" * 40 not in json.dumps(report)


def test_stack_auth_answering_another_project_fails(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/projects/current").respond_with_json({"id": "someone-else"})
    env = (f"NEXT_PUBLIC_STACK_PROJECT_ID=mine\nNEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY=pck_{'p' * 40}\n"
           f"STACK_SECRET_SERVER_KEY=ssk_{'s' * 40}\nNEXT_PUBLIC_STACK_API_URL={httpserver.url_for('/').rstrip('/')}\n")
    _code, report = run_json(app(tmp_path, "stack-auth", **{".env.local": env}), "--only", "auth")
    assert checks(report)["AUTH002"]["status"] == "fail"


@pytest.mark.parametrize(("body", "status"), [
    # supabase/auth internal/api/api.go HealthCheck
    ({"version": "v2.170.0", "name": "GoTrue", "description": "GoTrue is a user registration API"}, "pass"),
    ("<html><body>Sign in</body></html>", "fail"),  # a login page's 200 is not Supabase Auth
])
def test_supabase_health_must_be_gotrue(tmp_path: Path, httpserver: HTTPServer, body: Any, status: str) -> None:
    if isinstance(body, dict):
        httpserver.expect_request("/auth/v1/health").respond_with_json(body)
    else:
        httpserver.expect_request("/auth/v1/health").respond_with_data(body, content_type="text/html")
    env = (f"NEXT_PUBLIC_SUPABASE_URL={httpserver.url_for('/').rstrip('/')}\n"
           "NEXT_PUBLIC_SUPABASE_ANON_KEY=eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2ln\n")
    _code, report = run_json(app(tmp_path, "supabase", **{".env.local": env}), "--only", "auth")
    assert checks(report)["AUTH002"]["status"] == status, checks(report)["AUTH002"]


def test_committed_wizard_token_fails_env006_naming_file_and_key(tmp_path: Path) -> None:
    project = app(tmp_path, "sentry-wizard")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    _code, report = run_json(project, "--only", "ENV006")
    env006 = checks(report)["ENV006"]
    assert env006["status"] == "fail"
    assert ".env.sentry-build-plugin is tracked by git (holds SENTRY_AUTH_TOKEN)" in env006["message"]
    assert env006["fix"].startswith("git rm --cached --ignore-unmatch -- .env.sentry-build-plugin; "
                                    "( git check-ignore -q --no-index -- .env.sentry-build-plugin || ")
    assert "WizardCanaryTokenValue" not in json.dumps(report)


def test_an_untracked_dotenv_that_is_not_ignored_fails(tmp_path: Path) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": "POSTGRES_URL=postgresql://a:pw-canary-1@db.example.com/a\n"})
    git(project, "init", "-q")
    _, report = run_json(project, "--only", "ENV006")
    assert ".env is not ignored by git (holds POSTGRES_URL)" in checks(report)["ENV006"]["message"]
    (project / ".gitignore").write_text(".env*\n!.env.example\n")
    _code, report = run_json(project, "--only", "ENV006")
    assert checks(report)["ENV006"]["status"] == "pass"


def test_an_app_without_sentry_skips_sentry001(tmp_path: Path) -> None:
    _code, report = run_json(app(tmp_path, "neon-drizzle-dotenv"), "--only", "sentry")
    sentry001 = checks(report)["SENTRY001"]
    assert sentry001["status"] == "skip"
    assert sentry001["message"].startswith("the app does not use Sentry")


def test_a_missing_package_manager_or_node_modules_fails_dev001_with_the_fix(tmp_path: Path) -> None:
    _code, report = run_json(app(tmp_path, "pnpm-monorepo") / "apps" / "web", "--only", "DEV001")
    dev001 = checks(report)["DEV001"]
    assert dev001["status"] == "fail"
    assert dev001["fix"] in ("corepack enable", "cd ../.. && pnpm install --frozen-lockfile")


# -- unverified is not ready by omission ---------------------------------------------


def test_a_folder_that_is_not_an_app_is_said_to_be_one(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _code, report = run_json(tmp_path / "empty", "--only", "env")
    assert any("does not look like an app" in clause for clause in report["unverified"])
    strict, _ = run_json(tmp_path / "empty", "--only", "env,ENV002", "--strict")
    assert strict == 1


def test_unverified_clauses_are_on_the_console_verdict_line(tmp_path: Path) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": "NOTHING=1\n", ".env.example": "NOTHING=\n",
                                                      "package.json": "{}\n"})
    (project / "drizzle.config.ts").unlink()
    done = run_cli("check", "--project", str(project), "--skip", "auth,sentry")
    verdict = done.stdout.strip().splitlines()[-1]
    assert verdict.startswith("verdict: READY — ")
    assert "database: nothing names the app's database" in verdict
    assert "devserver: package.json has no `dev` script" in verdict
    strict = run_cli("check", "--project", str(project), "--skip", "auth,sentry", "--strict")
    assert strict.returncode == 1 and "NOT READY (--strict)" in strict.stdout


def test_no_unverified_clause_is_listed_twice(tmp_path: Path) -> None:
    # DEV004 without signed-in routes says so itself; the gate's own "not walked end to end"
    # clause must not repeat it, nested.
    _code, report = run_json(app(tmp_path, "neon-drizzle-dotenv"), "--only", "devserver")
    clauses = report["unverified"]
    described = [c for c in clauses if "signed-in core flow is not described" in c]
    assert len(described) == 1, clauses
    assert not any(a != b and b in a for a in clauses for b in clauses), clauses


def test_detect_write_config_pins_the_model_and_never_overwrites(tmp_path: Path) -> None:
    project = app(tmp_path, "prisma-authjs")
    done = run_cli("detect", "--project", str(project), "--write-config")
    assert done.returncode == 0, done.stderr
    text = (project / "deploy-check.toml").read_text()
    assert 'url_var = "POSTGRES_URL_NON_POOLING"' in text and 'provider = "authjs"' in text
    before = detect(app(tmp_path / "unpinned", "prisma-authjs"))
    pinned = detect(project)
    assert pinned["database_var_why"] == "deploy-check.toml: [database] url_var"
    # Pinning what was found keeps the app's other variable checked (its runtime client's).
    assert before["second_database_var"] == "POSTGRES_PRISMA_URL"
    assert (pinned["second_database_var"], pinned["second_database_var_why"]) == (
        before["second_database_var"], before["second_database_var_why"])
    again = run_cli("detect", "--project", str(project), "--write-config")
    assert again.returncode == 2 and "already exists" in again.stderr
    # A pin to another variable is the user's one choice: nothing beside it.
    (project / "deploy-check.toml").write_text('[database]\nurl_var = "MY_DATABASE_URL"\n')
    assert (detect(project)["database_var"], detect(project)["second_database_var"]) == ("MY_DATABASE_URL", None)


def test_detect_console_names_what_and_why(tmp_path: Path) -> None:
    done = run_cli("detect", "--project", str(app(tmp_path, "neon-drizzle-dotenv")))
    assert done.returncode == 0
    assert "POSTGRES_URL  (drizzle.config.ts: dbCredentials reads POSTGRES_URL)" in done.stdout
    assert "src/db/migrations (drizzle)" in done.stdout


def test_secrets_in_dotenv_and_development_files_are_masked_everywhere(tmp_path: Path) -> None:
    canaries = {".env": "API_SECRET=dotenv-canary-3f9a1c", ".env.development": "SESSION_SECRET=devfile-canary-8b2e4d"}
    project = app(tmp_path, "neon-drizzle-dotenv", **{name: line + "\n" for name, line in canaries.items()},
                  **{"deploy-check.toml": '[dev_server]\ncommand = "echo dotenv-canary-3f9a1c devfile-canary-8b2e4d; exit 3"\n'})
    for fmt in ("console", "json", "junit", "github", "markdown"):
        done = run_cli("check", "--project", str(project), "--only", "env,devserver", "-f", fmt,
                       env=clean_environ())
        said = done.stdout + done.stderr
        assert "dotenv-canary-3f9a1c" not in said and "devfile-canary-8b2e4d" not in said, fmt


def test_example_relative_to_project_and_named_in_messages(tmp_path: Path) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{"config/env.sample": "POSTGRES_URL=\nOTHER=\n",
                                                      ".env": "POSTGRES_URL=x\n"})
    _code, report = run_json(project, "--only", "ENV002,ENV003", "--example", "config/env.sample")
    found = checks(report)
    assert "config/env.sample documents 2 keys" in found["ENV002"]["message"]
    # drizzle.config.ts loads no env file: drizzle-kit loads .env itself, so that is the file to fill.
    assert found["ENV003"]["hint"] == "Fill them in .env (see config/env.sample)."


def test_provision_env_generates_only_app_chosen_secrets(tmp_path: Path) -> None:
    project = app(tmp_path, "stack-auth", **{
        ".env.local.example": "AUTH_SECRET=\nBETTER_AUTH_SECRET=\nSTRIPE_WEBHOOK_SECRET=\n"
                              "GITHUB_CLIENT_SECRET=\nVERCEL_AUTOMATION_BYPASS_SECRET=\nPASSWORD_SALT=\n"
                              "POSTGRES_URL=\n",
        ".env": "POSTGRES_URL=postgresql://app:pw-canary-2@db.example.com/app\n"})
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    from checks.support.envfile import read_env_file

    values = read_env_file(project / ".env.local").values
    assert all(len(values[k]) >= 32 for k in ("AUTH_SECRET", "BETTER_AUTH_SECRET", "PASSWORD_SALT"))
    for provider_issued in ("STRIPE_WEBHOOK_SECRET", "GITHUB_CLIENT_SECRET", "VERCEL_AUTOMATION_BYPASS_SECRET"):
        assert values[provider_issued] == ""
    # filled in .env: an empty line in .env.local would hide it from the app
    assert "POSTGRES_URL" not in values


def test_a_placeholder_sentry_key_is_never_well_formed(tmp_path: Path) -> None:
    env = ("NEXT_PUBLIC_SENTRY_DSN=https://a785682ddda742d7a8a4088810e67791@o1.ingest.sentry.io/1\n"
           "SENTRY_AUTH_TOKEN=sntrys_***\nSENTRY_ORG=acme\nSENTRY_PROJECT=web\n")
    code, report = run_json(app(tmp_path, "sentry-wizard", **{".env.local": env}), "--only", "SENTRY001")
    sentry001 = checks(report)["SENTRY001"]
    assert code == 1 and sentry001["status"] == "fail"
    assert "SENTRY_AUTH_TOKEN (SENTRY_AUTH_TOKEN in .env.local) is a placeholder" in sentry001["message"]


JWKS = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                  "kid": "k1", "alg": "EdDSA"}]}


def test_kinde_issuer_is_discovered_over_oidc(tmp_path: Path, httpserver: HTTPServer) -> None:
    issuer = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_json(
        {"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks"})
    httpserver.expect_request("/.well-known/jwks").respond_with_json(JWKS)
    project = app(tmp_path, "stack-auth", **{
        "package.json": '{"dependencies": {"@kinde-oss/kinde-auth-nextjs": "2.4.6"}}\n',
        ".env.local": f"KINDE_CLIENT_ID=abc\nKINDE_CLIENT_SECRET=kinde-secret-canary-1\nKINDE_ISSUER_URL={issuer}\n"})
    _, report = run_json(project, "--only", "auth")
    found = checks(report)
    assert [found["AUTH001"]["status"], found["AUTH002"]["status"]] == ["pass", "pass"], found
    assert "kinde-secret-canary-1" not in json.dumps(report)


def test_neon_auth_alias_and_the_host_root_jwks(tmp_path: Path, httpserver: HTTPServer) -> None:
    # <base>/.well-known/jwks.json answers 404: the host root's is tried next.
    httpserver.expect_request("/.well-known/jwks.json").respond_with_json(JWKS)
    env = (f"NEXT_PUBLIC_NEON_AUTH_URL={httpserver.url_for('/neondb/auth')}\n"
           f"NEON_AUTH_COOKIE_SECRET={'c' * 40}\n")
    _, report = run_json(app(tmp_path, "neon-auth", **{".env.local": env}), "--only", "auth")
    auth002 = checks(report)["AUTH002"]
    assert auth002["status"] == "pass", auth002
    assert auth002["details"]["url"].endswith(f":{httpserver.port}/.well-known/jwks.json")


def test_golang_migrate_applies_only_up_files_in_version_order(tmp_path: Path) -> None:
    from checks.core.sources import migration_files
    from checks.project.database import directory_kind

    folder = tmp_path / "migrations"
    folder.mkdir()
    for name in ("10_tags.up.sql", "10_tags.down.sql", "2_init.up.sql", "2_init.down.sql"):
        (folder / name).write_text("SELECT 1;\n")
    assert directory_kind(folder) == "golang-migrate"
    assert [p.name for p in migration_files(folder, "golang-migrate")] == ["2_init.up.sql", "10_tags.up.sql"]


def test_drizzle_files_follow_the_journal(tmp_path: Path) -> None:
    from checks.core.sources import migration_files

    folder = app(tmp_path, "neon-drizzle-dotenv") / "src" / "db" / "migrations"
    assert [p.name for p in migration_files(folder, "drizzle")] == ["0000_init.sql", "0001_tags.sql"]


def test_detect_never_prints_a_secret(tmp_path: Path) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{
        ".env": "API_SECRET=detect-canary-5c1d9e\n",
        "deploy-check.toml": '[dev_server]\ncommand = "API_SECRET=detect-canary-5c1d9e next dev"\n'})
    for fmt in ("console", "json"):
        done = run_cli("detect", "--project", str(project), "--format", fmt)
        assert done.returncode == 0 and "detect-canary-5c1d9e" not in done.stdout + done.stderr, fmt


# -- DB006: drizzle's own history ------------------------------------------------------


def drizzle_rows(url: str, rows: list[tuple[str, int]]) -> None:
    import psycopg

    # The shape drizzle-orm's pg migrator creates (src/pg-core/dialect.ts migrate()).
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS drizzle")
        connection.execute("CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations "
                           "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)")
        for digest, created in rows:
            connection.execute("INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (%s, %s)",
                               (digest, created))


def file_hash(project: Path, tag: str) -> str:
    import hashlib

    return hashlib.sha256((project / "src/db/migrations" / f"{tag}.sql").read_bytes()).hexdigest()


def test_db006_names_pending_changed_and_missing_drizzle_migrations(tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": f"POSTGRES_URL={fresh_db}\n"})
    drizzle_rows(fresh_db, [("0" * 64, 1733000000000), ("f" * 64, 1700000000000)])
    _, report = run_json(project, "--only", "database,DB006")
    db006 = checks(report)["DB006"]
    assert db006["status"] == "fail"
    assert "1 migration pending: 0001_tags" in db006["message"]
    assert "changed since applied: 0000_init" in db006["message"]
    assert "applied but missing locally: created_at 1700000000000" in db006["message"]
    assert "npx drizzle-kit migrate" in db006["hint"]


def test_db006_passes_when_the_history_matches_the_files(tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": f"POSTGRES_URL={fresh_db}\n"})
    drizzle_rows(fresh_db, [(file_hash(project, "0000_init"), 1733000000000),
                            (file_hash(project, "0001_tags"), 1733100000000)])
    _, report = run_json(project, "--only", "database,DB006")
    assert checks(report)["DB006"]["status"] == "pass", checks(report)["DB006"]


def test_db006_warns_when_tables_were_applied_by_hand(tmp_path: Path, fresh_db: str) -> None:
    import psycopg

    project = app(tmp_path, "neon-drizzle-dotenv", **{".env": f"POSTGRES_URL={fresh_db}\n"})
    with psycopg.connect(fresh_db, autocommit=True) as connection:
        for tag in ("0000_init", "0001_tags"):
            connection.execute((project / "src/db/migrations" / f"{tag}.sql").read_text())
    _, report = run_json(project, "--only", "database,schema")
    db006 = checks(report)["DB006"]
    assert db006["status"] == "warn"
    assert "applied by hand, not through the migrator" in db006["message"]


def test_db006_reads_a_prisma_history_too(tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path, "prisma-authjs", **{".env": f"POSTGRES_PRISMA_URL={fresh_db}\n"
                                                        f"POSTGRES_URL_NON_POOLING={fresh_db}\n"})
    _, report = run_json(project, "--only", "database,DB006")
    db006 = checks(report)["DB006"]
    assert db006["status"] == "fail"
    assert "_prisma_migrations does not exist: the 1 migration of prisma/migrations is pending" in db006["message"]
    assert "npx prisma migrate deploy" in db006["hint"]


def test_yarn_plug_n_play_counts_as_installed(tmp_path: Path) -> None:
    from checks.core.context import Context
    from checks.project.config import load_config
    from checks.runtime.preflight import preflight

    project = app(tmp_path, "stack-auth", **{"yarn.lock": "# yarn lockfile v1\n", ".pnp.cjs": "// pnp\n"})
    ctx = Context(project=project, config=load_config(project), environ={})
    problem = preflight(ctx, "next dev")  # no package manager word: only the install is in question
    assert problem is None, problem
    (project / ".pnp.cjs").unlink()
    missing = preflight(Context(project=project, config=load_config(project), environ={}), "next dev")
    assert missing is not None and "node_modules" in missing[0]


def test_check_fix_never_provisions_a_folder_that_is_not_an_app(tmp_path: Path) -> None:
    from checks.cli.fixing import run_fixes
    from checks.core.context import Context
    from checks.core.model import CheckResult, Report, Status
    from checks.project.config import load_config

    folder = tmp_path / "not-an-app"
    folder.mkdir()
    done = run_cli("check", "--project", str(folder), "--only", "env", "--fix")
    assert list(folder.iterdir()) == []
    # Such a folder has no env example, so no check offers `provision env` any more (it would
    # exit 1 when pasted); the guard itself, with a report that asks for the fixer anyway:
    asked = CheckResult("ENV001", "env", "An env file supplies the app's variables", Status.FAIL,
                        "no env file", "", "deploy-check provision env", 0)
    report = Report("deploy-check", str(folder), "", 0, Status.FAIL, [asked])
    said, changed = run_fixes(report, lambda: Context(project=folder, config=load_config(folder), environ={}))
    assert "not running `deploy-check provision env`" in "\n".join(said) + done.stderr
    assert not changed
    assert list(folder.iterdir()) == []


def test_detect_counts_keys_in_words(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local": "API_URL=x\n", ".env": "A=1\nB=2\n", "package.json": "{}\n"})
    done = run_cli("detect", "--project", str(project))
    assert ".env.local (1 key)" in done.stdout and ".env (2 keys)" in done.stdout, done.stdout


def test_a_missing_package_manager_gets_a_fix_that_runs_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`install bun (https://bun.sh)` was printed as a fix: a syntax error when pasted."""
    from checks.core.context import Context
    from checks.project.config import load_config
    from checks.runtime.preflight import preflight

    project = write_project(tmp_path / "app", {"package.json": '{"packageManager": "bun@1.3.10"}\n'})
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no bun, no npm
    ctx = Context(project=project, config=load_config(project), environ={})
    for command in ("bun run dev", "npm run dev"):
        found = preflight(ctx, command)
        assert found is not None and found[1] == "" and "https://" in found[0], found
    (empty / "npm").write_text("#!/bin/sh\nexit 0\n")
    (empty / "npm").chmod(0o755)
    assert preflight(ctx, "bun run dev") == ("`bun run dev` needs bun, which is not installed (not on PATH)",
                                              "npm install --global bun@1.3.10")


def test_a_workspace_root_names_first_the_app_its_dev_script_starts(tmp_path: Path) -> None:
    # lukevella/rallly: package.json `"dev": "turbo dev --filter=@rallly/web"`, beside
    # apps/landing (also Next.js); `--project apps/landing` was suggested, alphabetically first.
    root = write_project(tmp_path / "rallly", {
        "package.json": '{"name": "rallly", "private": true, "scripts": {"dev": "turbo dev --filter=@rallly/web"}}\n',
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
        "apps/landing/package.json": '{"name": "@rallly/landing", "dependencies": {"next": "15.5.0"}}\n',
        "apps/web/package.json": '{"name": "@rallly/web", "dependencies": {"next": "15.5.0"}}\n'})
    assert detect(root)["workspace_apps"] == ["apps/web", "apps/landing"]
    done = run_cli("check", "--project", str(root))
    assert done.returncode == 2
    assert "its Next.js apps are apps/web, apps/landing; check one with --project apps/web" in done.stderr


def test_a_workspace_root_is_refused_naming_its_apps(tmp_path: Path) -> None:
    """Run on a turborepo/pnpm root (vercel/next-forge, formbricks), deploy-check judged
    the root as the app: Sentry "not required" though apps/app uses it, READY."""
    root = app(tmp_path, "pnpm-monorepo")
    model = detect(root)
    assert (model["looks_like_app"], model["workspace_apps"]) == (False, ["apps/web"])
    done = run_cli("check", "--project", str(root))
    assert done.returncode == 2 and done.stdout == ""
    assert "a workspace root, not an app: its Next.js app is apps/web; check one with --project apps/web" in done.stderr
    # Pinned on purpose (deploy-check.toml at the root): checked as asked.
    (root / "deploy-check.toml").write_text("[sentry]\nrequired = false\n")
    assert run_cli("check", "--project", str(root), "--only", "env").returncode in (0, 1)
    # The app itself is an app.
    assert detect(root / "apps" / "web")["looks_like_app"] is True


def test_a_workspace_glob_outside_the_workspace_is_ignored_not_an_internal_error(tmp_path: Path) -> None:
    # An absolute glob in pnpm-workspace.yaml made Path.glob raise NotImplementedError: every
    # command ended in "internal error".
    root = write_project(tmp_path / "ws", {
        "package.json": '{"name": "ws", "packageManager": "pnpm@9.0.0"}',
        "pnpm-workspace.yaml": 'packages:\n  - "/tmp/*"\n  - "apps/*"\n',
        "apps/web/package.json": '{"name": "web", "dependencies": {"next": "15.0.0"}}'})
    done = run_cli("detect", "--project", str(root / "apps" / "web"), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
