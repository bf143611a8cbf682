"""Model facts that used to turn into false gates (issue 19 §2), each on a fixture shaped
after a real public app (tests/fixtures/apps/). Each fixture is copied to a temporary
directory so a test can add env files or `git init`."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from helpers import REPO, detect, git, run_cli, run_json, run_python
from helpers import checks_by_id as checks

FIXTURES = REPO / "tests" / "fixtures" / "apps"


def app(tmp_path: Path, name: str, **files: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target





# -- 1. Sentry is required by a Sentry SDK or config, not by a stray token file ----------


def test_a_stray_sentry_build_plugin_file_does_not_make_sentry_required(tmp_path: Path) -> None:
    project = app(tmp_path, "stray-sentry-plugin")
    model = detect(project)
    assert model["sentry_required"] is False
    assert model["sentry_why"].startswith("the app does not use Sentry")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    _code, report = run_json(project, "--only", "ENV006,sentry")
    found = checks(report)
    assert found["SENTRY001"]["status"] == "skip"
    # The leaked token is still a finding: ENV006, not a Sentry requirement.
    assert found["ENV006"]["status"] == "fail"
    assert ".env.sentry-build-plugin is tracked by git (holds SENTRY_AUTH_TOKEN)" in found["ENV006"]["message"]
    assert "StrayCanaryTokenValue" not in json.dumps(report)


# -- 2. Not every app is PostgreSQL ------------------------------------------------------

TURSO_ENV = ("TURSO_DATABASE_URL=libsql://bookmarks-acme.turso.io\n"
             # a Turso database token is a JWT (docs.turso.tech, "turso db tokens create")
             "TURSO_AUTH_TOKEN=eyJhbGciOiJFZERTQSJ9.eyJhIjoicncifQ.TursoCanarySignature\n")


@pytest.mark.parametrize(("files", "kind", "why"), [
    ({}, "libsql", 'drizzle.config.ts: dialect "turso"'),
    ({"drizzle.config.ts": 'export default { dialect: "sqlite", driver: "turso", out: "./drizzle",\n'
                           '  dbCredentials: { url: process.env.TURSO_DATABASE_URL! } };\n'},
     "libsql", 'drizzle.config.ts: dialect "turso"'),
    ({"drizzle.config.ts": 'export default { dialect: "sqlite", out: "./drizzle",\n'
                           '  dbCredentials: { url: "file:local.db" } };\n'},
     "sqlite", 'drizzle.config.ts: dialect "sqlite"'),
])
def test_a_drizzle_dialect_names_the_database(tmp_path: Path, files: dict[str, str], kind: str,
                                              why: str) -> None:
    model = detect(app(tmp_path, "turso-drizzle", **files))
    assert (model["database_kind"], model["database_kind_why"]) == (kind, why)


def test_prisma_provider_a_dependency_or_a_url_names_the_database(tmp_path: Path) -> None:
    mysql = app(tmp_path / "a", "t3-clerk", **{"prisma/schema.prisma": (
        'datasource db {\n  provider     = "mysql"\n  url          = env("DATABASE_URL")\n'
        '  relationMode = "prisma"\n}\n')})
    assert detect(mysql)["database_kind_why"] == 'prisma/schema.prisma: provider = "mysql"'
    # No config names it: the URL's scheme, else the driver in package.json.
    plain = {"drizzle.config.ts": "export default {};\n",
             "package.json": '{"dependencies": {"better-sqlite3": "11.7.0", "next": "15.1.0"}}\n'}
    by_url = app(tmp_path / "b", "turso-drizzle", **plain, **{".env": "DATABASE_URL=file:./dev.db\n"})
    assert detect(by_url)["database_kind_why"] == "DATABASE_URL is a file: URL"
    by_driver = app(tmp_path / "c", "turso-drizzle", **plain)
    assert (detect(by_driver)["database_kind"], detect(by_driver)["database_kind_why"]) == (
        "sqlite", "package.json depends on better-sqlite3")
    assert detect(app(tmp_path / "d", "prisma-authjs"))["database_kind"] == "postgresql"


def test_a_libsql_app_leaves_the_database_clauses_unverified_not_failed(tmp_path: Path) -> None:
    project = app(tmp_path, "turso-drizzle", **{".env.local": TURSO_ENV})
    _code, report = run_json(project, "--only", "database,schema")
    found = checks(report)
    clause = ('database: the app\'s database is libSQL (Turso) (drizzle.config.ts: dialect "turso"); '
              "deploy-check checks PostgreSQL only")
    for check_id in ("DB001", "DB002", "DB003", "DB004", "DB005", "DB006"):
        assert found[check_id]["status"] == "skip", found[check_id]
        assert "libSQL (Turso)" in found[check_id]["message"], found[check_id]
    assert not found["DB001"]["fix"] and "local-db" not in found["DB001"]["hint"]
    assert report["unverified"].count(clause) == 1
    assert report["verdict"] == "ready"
    assert "TursoCanarySignature" not in json.dumps(report)


@pytest.mark.parametrize("command", ["schema", "local-db"])
def test_provision_says_it_provisions_postgresql_only(tmp_path: Path, command: str) -> None:
    project = app(tmp_path, "turso-drizzle", **{".env.local": TURSO_ENV})
    done = run_cli("provision", command, "--project", str(project))
    assert done.returncode == 2, done.stderr
    assert ('the app\'s database is libSQL (Turso) (drizzle.config.ts: dialect "turso"): '
            "deploy-check provisions PostgreSQL only") in done.stderr
    assert not (project / ".deploy-check").exists()


@pytest.mark.parametrize(("files", "url", "clause"), [
    ({}, "mysql://app:url-canary-1@db.example.com/app", "MySQL (DATABASE_URL is a mysql: URL)"),
    ({}, "mysql2://app:url-canary-1@db.example.com/app", "MySQL (DATABASE_URL is a mysql2: URL)"),
    ({}, "libsql://notes-acme.turso.io?authToken=url-canary-1", "libSQL (Turso) (DATABASE_URL is a libsql: URL)"),
    ({}, "file:./dev.db", "SQLite (DATABASE_URL is a file: URL)"),
])
def test_another_databases_url_in_an_app_without_postgresql_is_unverified(
        tmp_path: Path, files: dict[str, str], url: str, clause: str) -> None:
    # The app's package.json without its driver: nothing in it shows PostgreSQL.
    project = app(tmp_path, "env-example-readme", **{".env.local": f"DATABASE_URL={url}\n",
                  "package.json": '{"dependencies": {"next": "15.1.0", "react": "19.0.0"}}\n'}, **files)
    _code, report = run_json(project, "--only", "database,schema")
    found = checks(report)
    for check_id in ("DB001", "DB002", "DB003", "DB004", "DB005", "DB006"):
        assert found[check_id]["status"] == "skip", found[check_id]
    assert f"database: the app's database is {clause}; deploy-check checks PostgreSQL only" in report["unverified"]
    assert not found["DB001"]["fix"]
    assert "url-canary-1" not in json.dumps(report)


@pytest.mark.parametrize(("fixture", "url", "says"), [
    ("drizzle-direct-url", "mysql://app:url-canary-2@db.example.com/app",
     'is a mysql: URL (MySQL), but the app uses PostgreSQL (drizzle.config.ts: dialect "postgresql")'),
    ("prisma-direct-url", "file:./dev.db",
     'is a file: URL (SQLite), but the app uses PostgreSQL (prisma/schema.prisma: provider = "postgresql")'),
    ("neon-drizzle-dotenv", "mysql://app:url-canary-2@db.example.com/app",
     "but the app uses PostgreSQL ("),
])
def test_another_databases_url_in_a_postgresql_app_fails_naming_both(
        tmp_path: Path, fixture: str, url: str, says: str) -> None:
    project = app(tmp_path, fixture)
    names = [detect(project)["database_var"], detect(project)["second_database_var"]]
    (project / ".env.local").write_text("".join(f"{name}={url}\n" for name in names if name))
    _code, report = run_json(project, "--only", "DB001")
    db001 = checks(report)["DB001"]
    assert db001["status"] == "fail" and says in db001["message"], db001["message"]
    assert "url-canary-2" not in json.dumps(report)


def test_a_postgres_driver_outweighs_a_mysql_url(tmp_path: Path) -> None:
    project = app(tmp_path, "env-example-readme", **{
        ".env.local": "DATABASE_URL=mysql://app:pw@db.example.com/app\n",
        "package.json": '{"dependencies": {"next": "15.1.0", "pg": "8.13.1"}}\n'})
    model = detect(project)
    assert (model["database_kind"], model["database_kind_why"]) == ("postgresql", "package.json depends on pg")
    _code, report = run_json(project, "--only", "DB001")
    assert checks(report)["DB001"]["message"] == (
        "DATABASE_URL in .env.local is a mysql: URL (MySQL), but the app uses PostgreSQL "
        "(package.json depends on pg)")


def test_a_mysql_migration_in_a_postgresql_app_is_named_as_such(tmp_path: Path) -> None:
    project = app(tmp_path, "prisma-mysql-history")
    assert detect(project)["database_kind"] == "postgresql"
    _code, report = run_json(project, "--only", "DB004")
    db004 = checks(report)["DB004"]
    assert db004["status"] == "fail"
    assert db004["message"].startswith(
        "MySQL syntax in a PostgreSQL migration: prisma/migrations/0_init/migration.sql:2 ")
    assert not db004["fix"] and "Regenerate the migration for PostgreSQL" in db004["hint"]


# -- 3. The auth provider comes from an SDK or the app's imports -------------------------


def test_auth_secret_in_an_app_signing_its_own_jwts_is_custom_auth(tmp_path: Path) -> None:
    project = app(tmp_path, "jose-custom-auth", **{".env.local": "AUTH_SECRET=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0\n"})
    model = detect(project)
    assert model["auth_provider"] is None
    assert model["auth_why"].startswith("custom auth: src/lib/auth.ts signs its own sessions with jose")
    _code, report = run_json(project, "--only", "auth")
    assert checks(report)["AUTH001"]["status"] == "skip"
    assert not any(check["status"] == "fail" for check in report["checks"])


def test_an_sdk_imported_by_the_apps_auth_file_names_the_provider(tmp_path: Path) -> None:
    # A vendored or hoisted next-auth: not in the app's package.json, imported by auth.ts.
    project = app(tmp_path, "jose-custom-auth", **{
        "auth.ts": 'import NextAuth from "next-auth";\nimport GitHub from "next-auth/providers/github";\n'
                   "export const { handlers, auth } = NextAuth({ providers: [GitHub] });\n"})
    model = detect(project)
    assert (model["auth_provider"], model["auth_why"]) == ("authjs", "auth.ts imports next-auth")


# -- 4. Example files named as apps name them ------------------------------------------


def test_an_example_the_readme_copies_is_the_example(tmp_path: Path) -> None:
    project = app(tmp_path, "env-example-readme", **{".env.local": "NEXT_PUBLIC_PLAUSIBLE_DOMAIN=linkboard.app\n"})
    assert detect(project)["example_file"] == "env.example"
    _code, report = run_json(project, "--only", "ENV002,ENV003")
    found = checks(report)
    assert found["ENV002"]["status"] == "pass" and found["ENV002"]["message"].startswith("env.example documents 2 keys")
    assert found["ENV003"]["status"] == "fail" and "DATABASE_URL" in found["ENV003"]["message"]
    # Not copied by anyone: a `.env.defaults` may be real defaults, not an example.
    (project / "env.example").rename(project / ".env.defaults")
    assert detect(project)["example_file"] is None


def test_a_monorepo_app_takes_the_example_of_the_package_that_owns_the_database(tmp_path: Path) -> None:
    root = app(tmp_path, "pnpm-monorepo", **{"packages/db/.env.example": "# Neon pooled URL\nPOSTGRES_URL=\n"})
    project = root / "apps" / "web"
    (project / ".env.example").unlink()
    assert detect(project)["example_file"] == "../../packages/db/.env.example"
    _code, report = run_json(project, "--only", "ENV002,ENV003")
    found = checks(report)
    assert found["ENV002"]["status"] == "pass"
    assert found["ENV003"]["status"] == "fail" and "POSTGRES_URL" in found["ENV003"]["message"]


# -- 5. Runtime URL and migration URL -----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_dead_runtime_url_fails_even_when_the_migration_url_works(tmp_path: Path, fresh_db: str) -> None:
    dead = f"postgresql://app:pw-canary-4@127.0.0.1:{_closed_port()}/tasks"
    # drizzle.config.ts imports "dotenv/config": drizzle-kit reads DIRECT_URL from .env only.
    project = app(tmp_path, "drizzle-direct-url", **{".env": f"DIRECT_URL={fresh_db}\nDATABASE_URL={dead}\n"})
    model = detect(project)
    assert model["database_var"] == "DIRECT_URL"
    assert (model["second_database_var"], model["second_database_var_why"]) == (
        "DATABASE_URL", "src/db/index.ts: the app's runtime client reads DATABASE_URL")
    _code, report = run_json(project, "--only", "database,schema")
    found = checks(report)
    assert found["DB001"]["status"] == "pass" and "DATABASE_URL" in found["DB001"]["message"]
    assert found["DB002"]["status"] == "fail"
    assert found["DB002"]["message"].startswith("DATABASE_URL (src/db/index.ts: the app's runtime client "
                                                "reads DATABASE_URL): 127.0.0.1:")
    assert "connection refused" in found["DB002"]["message"]
    assert "pw-canary-4" not in json.dumps(report)
    # Both alive: the schema checks read drizzle-kit's database (DIRECT_URL).
    (project / ".env").write_text(f"DIRECT_URL={fresh_db}\nDATABASE_URL={fresh_db}\n")
    _code, report = run_json(project, "--only", "database,schema")
    found = checks(report)
    assert found["DB002"]["status"] == "pass"
    assert found["DB004"]["status"] == "fail" and "tasks" in found["DB004"]["message"]
    # DB003 judges both connections: each is loopback here, and the runtime's is named.
    assert found["DB003"]["status"] == "pass"
    assert "; DATABASE_URL (src/db/index.ts: the app's runtime client reads DATABASE_URL): " \
        in found["DB003"]["message"], found["DB003"]["message"]


def test_two_dead_database_urls_are_each_named_by_their_variable(tmp_path: Path) -> None:
    """Sentences have subjects (issue 19 §5): with both URLs refused, the first clause said
    only `127.0.0.1:1/app: connection refused`, not which variable held it."""
    migration, runtime = (f"postgresql://app:pw-canary-6@127.0.0.1:{_closed_port()}/tasks" for _ in range(2))
    project = app(tmp_path, "drizzle-direct-url",
                  **{".env": f"DIRECT_URL={migration}\nDATABASE_URL={runtime}\n"})
    _code, report = run_json(project, "--only", "database")
    db002 = checks(report)["DB002"]
    assert db002["status"] == "fail"
    first, second = db002["message"].split("; DATABASE_URL (")
    assert first.startswith("DIRECT_URL (drizzle.config.ts"), first
    assert "connection refused" in first and "connection refused" in second
    assert "pw-canary-6" not in json.dumps(report)


def test_prisma_direct_url_is_checked_beside_the_runtime_url(tmp_path: Path, fresh_db: str) -> None:
    dead = f"postgresql://app:pw-canary-5@127.0.0.1:{_closed_port()}/notes"
    project = app(tmp_path, "prisma-direct-url", **{".env.local": f"DIRECT_URL={fresh_db}\nDATABASE_URL={dead}\n"})
    model = detect(project)
    assert (model["database_var"], model["database_var_why"]) == (
        "DIRECT_URL", 'prisma/schema.prisma: directUrl = env("DIRECT_URL") (prisma migrate)')
    assert (model["second_database_var"], model["second_database_var_why"]) == (
        "DATABASE_URL", 'prisma/schema.prisma: url = env("DATABASE_URL") (the app\'s runtime client)')
    _code, report = run_json(project, "--only", "database,schema")
    found = checks(report)
    assert found["DB001"]["status"] == "pass" and "DATABASE_URL" in found["DB001"]["message"]
    assert found["DB002"]["status"] == "fail"
    assert found["DB002"]["message"].startswith('DATABASE_URL (prisma/schema.prisma: url = env("DATABASE_URL")')
    assert "connection refused" in found["DB002"]["message"]
    assert "pw-canary-5" not in json.dumps(report)
    # Both alive: the schema checks read prisma migrate's database (DIRECT_URL).
    (project / ".env.local").write_text(f"DIRECT_URL={fresh_db}\nDATABASE_URL={fresh_db}\n")
    _code, report = run_json(project, "--only", "database,schema")
    found = checks(report)
    assert found["DB002"]["status"] == "pass"
    assert found["DB004"]["status"] == "fail" and "Note" in found["DB004"]["message"]
    assert found["DB006"]["status"] == "fail" and "_prisma_migrations does not exist" in found["DB006"]["message"]


def test_an_unset_direct_url_fails_db001_beside_a_set_runtime_url(tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path, "prisma-direct-url", **{".env.local": f"DATABASE_URL={fresh_db}\n"})
    _code, report = run_json(project, "--only", "DB001")
    db001 = checks(report)["DB001"]
    assert db001["status"] == "fail" and db001["message"].startswith("DIRECT_URL is not set")


# -- 6. The env file the app's own tools read ---------------------------------------------


def test_hints_and_provision_env_write_the_dotenv_the_apps_tools_read(tmp_path: Path) -> None:
    project = app(tmp_path, "drizzle-dotenv-only")
    model = detect(project)
    assert (model["env_file"], model["env_file_why"]) == (
        ".env", "drizzle.config.ts loads .env through dotenv (drizzle-kit reads no .env.local)")
    _code, report = run_json(project, "--only", "ENV001")
    assert "Create .env from .env.example" in checks(report)["ENV001"]["hint"]
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert (project / ".env").is_file() and not (project / ".env.local").exists()
    assert "SESSION_SECRET=" in (project / ".env").read_text()
    # A README that tells the user to use .env.local keeps Next.js's file.
    (project / "README.md").write_text("cp .env.example .env.local\n")
    assert detect(project)["env_file"] == ".env.local"


def test_a_drizzle_config_that_loads_nothing_reads_the_dotenv_drizzle_kit_loads(tmp_path: Path, fresh_db: str) -> None:
    """leerob/next-saas-starter: drizzle.config.ts loads no env file, drizzle-kit's CLI loads
    `.env` itself, and `.env.example` says "this must be .env, not .env.local". `provision
    local-db` wrote POSTGRES_URL to .env.local and DB001-DB006 passed on it, while `pnpm
    db:migrate` and `pnpm db:seed` (dotenv.config()) still read the empty one in .env."""
    project = app(tmp_path, "drizzle-kit-own-dotenv", **{
        ".env": "POSTGRES_URL=\nAUTH_SECRET=a1b2c3d4e5f60718293a4b5c6d7e8f90\n",
        ".env.local": f"POSTGRES_URL={fresh_db}\n"})
    model = detect(project)
    assert (model["env_file"], model["database_env_files"]) == (".env", [".env"])
    _code, report = run_json(project, "--only", "DB001")
    db001 = checks(report)["DB001"]
    assert db001["status"] == "fail" and "(empty in .env)" in db001["message"]
    assert "Set POSTGRES_URL in .env" in db001["hint"]
    # The same URL in .env serves drizzle-kit and the runtime alike: one reading, a pass.
    (project / ".env.local").unlink()
    (project / ".env").write_text(f"POSTGRES_URL={fresh_db}\nAUTH_SECRET=a1b2c3d4e5f60718293a4b5c6d7e8f90\n")
    _code, report = run_json(project, "--only", "DB001,DB002")
    found = checks(report)
    assert found["DB001"]["status"] == "pass" and found["DB001"]["message"].count("points to") == 1
    assert found["DB002"]["status"] == "pass"


@pytest.mark.parametrize("runner", ["script", "bun"])
def test_a_drizzle_kit_the_apps_scripts_run_with_env_local_reads_env_local(
        tmp_path: Path, fresh_db: str, runner: str) -> None:
    """The pager review: the same config, but the app's own script loads .env.local for the
    tool (`dotenv -e .env.local -- drizzle-kit migrate`), or Bun runs the scripts (it loads
    .env.local into their environment): DB001 failed 'not set where the schema's tool reads
    it' and told the user to copy the URL into .env."""
    project = app(tmp_path, "drizzle-kit-own-dotenv", **{".env.local": f"POSTGRES_URL={fresh_db}\n"})
    package = json.loads((project / "package.json").read_text())
    if runner == "script":
        package["scripts"]["db:migrate"] = "dotenv -e .env.local -- drizzle-kit migrate"
    else:
        package["packageManager"] = "bun@1.2.2"
        (project / "bun.lockb").write_bytes(b"")
    (project / "package.json").write_text(json.dumps(package))
    (project / ".env.example").write_text("POSTGRES_URL=\n")  # no "this must be .env" in it
    _code, report = run_json(project, "--only", "DB001,DB002")
    found = checks(report)
    assert found["DB001"]["status"] == "pass", found["DB001"]
    assert found["DB002"]["status"] == "pass", found["DB002"]


def test_a_prisma_config_that_loads_dotenv_makes_dotenv_the_env_file(tmp_path: Path) -> None:
    """ezeparziale/nextjs-better-auth-template: prisma.config.ts imports "dotenv/config" and the
    README says `cp .env.example .env`. The Prisma CLI reads no .env.local: `provision local-db`
    wrote DATABASE_URL there, and `pnpm db:migrate` still went to the example's database."""
    project = app(tmp_path, "prisma-dotenv-better-auth")
    model = detect(project)
    assert (model["env_file"], model["env_file_why"]) == (
        ".env", "prisma.config.ts loads .env through dotenv (the Prisma CLI reads no .env.local)")
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert (project / ".env").is_file() and not (project / ".env.local").exists()
    _code, report = run_json(project, "--only", "ENV003")
    assert checks(report)["ENV003"]["hint"] == "Fill them in .env (see .env.example)."


@pytest.mark.parametrize(("readme", "env_file"), [
    ("cp .env.example .env\n", ".env"),
    ("cp apps/dashboard/.env.example apps/dashboard/.env\n", ".env"),
    ("cp .env.example .env.local\n", ".env.local"),
    ("cp .env.example .env  # or .env.local\n", ".env.local"),
])
def test_the_env_file_the_readme_copies_the_example_to_is_the_one_named(
        tmp_path: Path, readme: str, env_file: str) -> None:
    """openstatusHQ/openstatus apps/dashboard/README.md: `cp .env.example .env`. ENV003 said
    "Fill them in .env.local (see .env.example)" to a user who had done just that."""
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "dashboard", "dependencies": {"next": "15.0.0"}}')
    (project / ".env.example").write_text("API_KEY=\nAPP_URL=http://localhost:3000\n")
    (project / ".env").write_text("API_KEY=\nAPP_URL=http://localhost:3000\n")
    (project / "README.md").write_text(f"# Dashboard\n\n```sh\n{readme}```\n")
    assert detect(project)["env_file"] == env_file
    _code, report = run_json(project, "--only", "ENV003")
    assert checks(report)["ENV003"]["hint"] == f"Fill them in {env_file} (see .env.example)."


# lobehub/lobe-chat drizzle.config.ts: `let connectionString = process.env.DATABASE_URL!;`
# then `dbCredentials: { url: connectionString }`. With no env file, detect said "database
# var not found" and DB001–DB006 were skipped.
DRIZZLE_HELD = ("import type {{ Config }} from 'drizzle-kit';\nimport * as dotenv from 'dotenv';\ndotenv.config();\n\n"
                "{held}\n\nexport default {{\n  dbCredentials: {{\n    url: connectionString,\n  }},\n"
                "  dialect: 'postgresql',\n  out: './migrations',\n}} satisfies Config;\n")


@pytest.mark.parametrize(("held", "var"), [
    ("let connectionString = process.env.DATABASE_URL!;", "DATABASE_URL"),
    ("const connectionString: string = process.env.POSTGRES_URL as string;", "POSTGRES_URL"),
    ("let connectionString = process.env.DATABASE_URL!;\nif (process.env.CI) connectionString = process.env.CI_DB!;",
     None),  # set twice: no one variable
])
def test_a_drizzle_url_held_in_a_local_variable_is_followed_one_step(tmp_path: Path, held: str,
                                                                      var: str | None) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "lobe", "dependencies": {"drizzle-orm": "0.41.0",
                                                                                        "pg": "8.13.0"}}))
    (project / "drizzle.config.ts").write_text(DRIZZLE_HELD.format(held=held))
    model = detect(project)
    if var is None:
        assert model["database_var"] is None, model  # not guessed
    else:
        assert model["database_var"] == var, model
        assert "dbCredentials reads" in model["database_var_why"]


def test_kyselys_libsql_dialect_beside_an_opt_in_mysql2_names_libsql(tmp_path: Path) -> None:
    # better-auth/better-auth demo/nextjs: @libsql/kysely-libsql (Turso, the README's default)
    # and mysql2 (only with USE_MYSQL=true); the clause named MySQL.
    project = app(tmp_path, "env-example-readme", **{
        ".env.local": "TURSO_DATABASE_URL=libsql://demo-acme.turso.io\n",
        "package.json": '{"dependencies": {"next": "16.0.0", "better-auth": "1.4.0", "kysely": "0.28.0", '
                        '"@libsql/kysely-libsql": "0.4.1", "mysql2": "3.18.2"}}\n'})
    _code, report = run_json(project, "--only", "DB001")
    assert ("database: the app's database is libSQL (Turso) (package.json depends on @libsql/kysely-libsql); "
            "deploy-check checks PostgreSQL only") in report["unverified"], report["unverified"]


def test_a_tsconfig_with_an_open_comment_is_read_in_one_pass(tmp_path: Path) -> None:
    """tsconfig.json is the app's file: a comment left open (`/*a/*a…`, ~900 KB, under the
    read cap) made the comment pattern rescan the rest from every `/*` (about 20 minutes);
    it now runs to the end of the text, and the paths before it are still read."""
    (tmp_path / "tsconfig.json").write_text(
        '{"compilerOptions": {"paths": {"@/*": ["./src/*"]}}}\n' + "/*a" * 300_000, encoding="utf-8")
    done = run_python("from pathlib import Path; from checks.project.tsconfig import tsconfig_paths; "
                      f"print(tsconfig_paths(Path({str(tmp_path)!r})))", timeout=30, check=True)
    assert done.stdout.strip() == "[('@/*', ['src/*'])]"
