"""A Supabase app (tests/fixtures/apps/supabase-nextjs, shaped after vercel/next.js
examples/with-supabase) reads its data through the Supabase API, never a DATABASE_URL. The
checks judge the Supabase project's database: the local stack's (a real PostgreSQL standing
in for `supabase start`'s, with its published user and password) when the API URL is local;
a hosted project's is unverified until a variable points at it. A DATABASE_URL the app's code
never reads is never the subject of a pass."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from checks.project.supabase import start_command
from checks.support.pgbinaries import free_port
from checks.support.pgembed import EmbeddedPostgres

from helpers import PG_PASSWORD, REPO, checks_by_id, committed, detect, run_cli, run_json

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "supabase-nextjs"
# A JWT-shaped anon key (header.payload.signature), as `supabase status` prints one.
ANON_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl"
HOSTED = "https://abcdefghijklmnopqrst.supabase.co"  # <ref>.supabase.co, the dashboard's API URL


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """The local Supabase stack's database as the CLI makes it: user postgres, password
    postgres, database postgres (supabase/cli internal/utils/flags/db_url.go)."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("supabase-db") / "server", password="postgres",
                              durable=False, timeout=60)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def supabase_app(tmp_path: Path, env_local: str, *, db_port: int | None = None, **files: str) -> Path:
    project = tmp_path / "supabase-nextjs"
    shutil.copytree(FIXTURE, project)
    (project / ".env.local").write_text(env_local)
    if db_port is not None:
        config = project / "supabase" / "config.toml"
        config.write_text(config.read_text().replace("port = 54322", f"port = {db_port}"))
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    return project


def notes_table(url: str, present: bool) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS notes" if not present else
                           "CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, title text NOT NULL)")


def database_checks(project: Path) -> tuple[dict[str, dict[str, object]], dict[str, object]]:
    _code, report = run_json(project, "--only", "database,schema")
    return checks_by_id(report), report


def test_detect_says_the_app_reads_its_data_through_the_supabase_api(tmp_path: Path, fresh_db: str) -> None:
    model = detect(supabase_app(tmp_path, f"DATABASE_URL={fresh_db}\nNEXT_PUBLIC_SUPABASE_URL={HOSTED}\n"))
    assert model["database_var"] is None
    assert model["database_via"] == "supabase"
    assert "DATABASE_URL in .env.local is not read by the app's code, and not checked" in model["database_via_why"]
    assert model["supabase_db_port"] == 54322
    assert model["supabase_db_port_why"] == "supabase/config.toml: [db] port = 54322"


def test_a_database_url_the_app_never_reads_does_not_pass_the_schema_checks(
        tmp_path: Path, fresh_db: str, local_stack: EmbeddedPostgres) -> None:
    # What `provision local-db` + `provision schema` used to leave: DATABASE_URL names a
    # database holding the app's table, while the app's local Supabase stack has none.
    notes_table(fresh_db, present=True)
    notes_table(local_stack.url("postgres"), present=False)
    env = (f"DATABASE_URL={fresh_db}\nNEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321\n"
           f"NEXT_PUBLIC_SUPABASE_ANON_KEY={ANON_KEY}\n")
    project = supabase_app(tmp_path, env, db_port=local_stack.port)
    results, _report = database_checks(project)
    db001 = str(results["DB001"]["message"])
    assert results["DB001"]["status"] == "pass"
    assert db001.startswith(f"the local Supabase database (from supabase/config.toml: [db] port = {local_stack.port}; "
                            "NEXT_PUBLIC_SUPABASE_URL in .env.local is the local Supabase stack")
    assert f"points to postgresql://postgres@127.0.0.1:{local_stack.port}/postgres" in db001
    assert results["DB004"]["status"] == "fail"
    assert "public.notes" in str(results["DB004"]["message"])
    # Applying the schema goes into the stack's database, the one the app reads.
    applied = run_cli("provision", "schema", "--project", str(project))
    assert applied.returncode == 0, applied.stderr
    assert f"target: postgresql://postgres@127.0.0.1:{local_stack.port}/postgres (the local Supabase database" \
        in applied.stderr
    results, _report = database_checks(project)
    assert results["DB004"]["status"] == "pass", results["DB004"]
    assert results["DB006"]["status"] == "pass", results["DB006"]
    assert PG_PASSWORD not in str(results)
    with psycopg.connect(local_stack.url("postgres"), autocommit=True) as connection:
        connection.execute("DROP TABLE notes; DROP SCHEMA supabase_migrations CASCADE")


def test_a_stopped_local_stack_is_started_with_the_supabase_cli(tmp_path: Path) -> None:
    port = free_port()
    project = supabase_app(tmp_path, "NEXT_PUBLIC_SUPABASE_URL=http://localhost:54321\n", db_port=port)
    db002 = database_checks(project)[0]["DB002"]
    assert db002["status"] == "fail"
    assert "connection refused" in str(db002["message"])
    assert db002["fix"] == "supabase start"
    assert db002["fix_command"] in ("supabase start", f"cd {project} && supabase start")
    assert f"its database listens on port {port}" in str(db002["hint"])


def test_a_cli_installed_as_a_dev_dependency_is_started_through_npx(tmp_path: Path) -> None:
    """`npm i supabase --save-dev` gives no global `supabase` command (Supabase CLI docs,
    getting started): the fix a user pastes must run the project's own CLI."""
    project = supabase_app(tmp_path, "NEXT_PUBLIC_SUPABASE_URL=http://localhost:54321\n", db_port=free_port())
    package = json.loads((project / "package.json").read_text())
    package["devDependencies"] = {"supabase": "2.33.9"}
    (project / "package.json").write_text(json.dumps(package))
    db002 = database_checks(project)[0]["DB002"]
    assert db002["fix"] == "npx supabase start"
    assert "`npx supabase start`" in str(db002["hint"])


def test_the_stack_of_a_workspace_is_started_where_its_config_is(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    app = root / "apps" / "web"
    (root / "supabase").mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text("[db]\nport = 54322\n")
    (root / "package.json").write_text(json.dumps({"devDependencies": {"supabase": "2.33.9"}}))
    app.mkdir(parents=True)
    assert start_command(app, [app], root) == "cd ../.. && npx supabase start"
    assert start_command(root, [root], None) == "npx supabase start"
    (root / "package.json").write_text("{}")
    assert start_command(root, [root], None) == "supabase start"


def test_a_hosted_project_without_a_direct_url_is_unverified_naming_the_variable(
        tmp_path: Path, fresh_db: str) -> None:
    notes_table(fresh_db, present=True)
    env = f"DATABASE_URL={fresh_db}\nNEXT_PUBLIC_SUPABASE_URL={HOSTED}\nNEXT_PUBLIC_SUPABASE_ANON_KEY={ANON_KEY}\n"
    results, report = database_checks(supabase_app(tmp_path, env))
    db001 = str(results["DB001"]["message"])
    assert results["DB001"]["status"] == "skip"
    assert "hosted Supabase project abcdefghijklmnopqrst, and no database variable points at its database" in db001
    assert "DATABASE_URL in .env.local points at 127.0.0.1:" in db001
    assert "set SUPABASE_DB_URL to the project's connection string" in db001
    assert {results[i]["status"] for i in ("DB004", "DB005", "DB006")} == {"skip"}
    unverified = report["unverified"]
    assert isinstance(unverified, list) and any("SUPABASE_DB_URL" in clause for clause in unverified)
    strict = run_cli("check", "--project", str(supabase_app(tmp_path / "again", env)), "--only", "database,schema",
                     "--strict")
    assert strict.returncode == 1


@pytest.mark.parametrize(("variable", "url"), [
    ("SUPABASE_DB_URL", "postgresql://postgres:pw-Xr3@db.abcdefghijklmnopqrst.supabase.co:5432/postgres"),
    # Supavisor's pooler: the user carries the project ref (supabase/cli internal/utils/connect.go).
    ("DATABASE_URL", "postgresql://postgres.abcdefghijklmnopqrst:pw-Xr3@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"),
])
def test_a_url_that_points_at_the_hosted_project_is_its_database(tmp_path: Path, variable: str, url: str) -> None:
    env = f"{variable}={url}\nNEXT_PUBLIC_SUPABASE_URL={HOSTED}\n"
    _code, report = run_json(supabase_app(tmp_path, env), "--only", "DB001")
    db001 = checks_by_id(report)["DB001"]
    assert db001["status"] == "pass", db001
    assert f"{variable} (from .env.local; {variable} is the database of hosted Supabase project " \
           "abcdefghijklmnopqrst" in str(db001["message"])
    assert "pw-Xr3" not in str(report)


def test_a_url_of_another_project_is_not_the_apps_database(tmp_path: Path) -> None:
    other = "postgresql://postgres:pw-Xr3@db.zzzzzzzzzzzzzzzzzzzz.supabase.co:5432/postgres"
    _code, report = run_json(supabase_app(tmp_path, f"SUPABASE_DB_URL={other}\nNEXT_PUBLIC_SUPABASE_URL={HOSTED}\n"),
                             "--only", "DB001")
    db001 = checks_by_id(report)["DB001"]
    assert db001["status"] == "skip"
    assert "SUPABASE_DB_URL in .env.local points at db.zzzzzzzzzzzzzzzzzzzz.supabase.co:5432/postgres" \
        in str(db001["message"])


def test_a_database_url_the_code_reads_keeps_the_usual_path(tmp_path: Path, fresh_db: str) -> None:
    # A Supabase app that also queries Postgres directly (postgres.js over DATABASE_URL).
    db = 'import postgres from "postgres";\nexport const sql = postgres(process.env.DATABASE_URL!);\n'
    project = supabase_app(tmp_path, f"DATABASE_URL={fresh_db}\nNEXT_PUBLIC_SUPABASE_URL={HOSTED}\n",
                           **{"lib/db.ts": db})
    model = detect(project)
    assert model["database_var"] == "DATABASE_URL" and model["database_via"] is None
    assert model["database_var_why"] == "DATABASE_URL in .env.local; the app's code reads it (lib/db.ts)"
    results, _report = database_checks(project)
    assert results["DB001"]["status"] == "pass"
    assert results["DB004"]["status"] == "fail"  # judged against DATABASE_URL's database


def test_local_db_does_not_write_a_database_url_the_app_never_reads(tmp_path: Path) -> None:
    project = supabase_app(tmp_path, "NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321\n")
    done = run_cli("provision", "local-db", "--project", str(project))
    assert done.returncode == 1
    assert "the app reaches its data through the Supabase API and its code reads no database URL" in done.stderr
    assert "`supabase start`" in done.stderr
    assert "deploy-check then checks its database on port 54322 (supabase/config.toml: [db] port = 54322)" \
        in done.stderr
    assert "DATABASE_URL" not in (project / ".env.local").read_text()
    assert not (project / ".deploy-check" / "local-db").exists()
    # With the CLI as a dev dependency, the way to start it is the one DB002 prints.
    package = json.loads((project / "package.json").read_text())
    package["devDependencies"] = {"supabase": "2.33.9"}
    (project / "package.json").write_text(json.dumps(package))
    again = run_cli("provision", "local-db", "--project", str(project))
    assert "`npx supabase start` (Docker)" in again.stderr and "`npx supabase status` prints" in again.stderr


def test_stand_ins_never_go_into_the_supabase_stacks_own_database(tmp_path: Path) -> None:
    project = supabase_app(tmp_path, "NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321\n", db_port=free_port())
    done = run_cli("provision", "schema", "--project", str(project), "--platform", "supabase")
    assert done.returncode == 1
    assert "the local Supabase database is the Supabase project's own database" in done.stderr


def subfolder_app(tmp_path: Path, env_local: str, db_port: int) -> Path:
    """The fixture as Razikus/supabase-nextjs-template lays it out: the Next.js app in nextjs/,
    the Supabase project (config.toml, migrations/) in the repository's supabase/, which the
    CLI run in nextjs/ walks up to (supabase/cli internal/utils/misc.go getProjectRoot)."""
    root = tmp_path / "repo"
    project = supabase_app(root, env_local, db_port=db_port)
    app = project.rename(root / "nextjs")
    (app / "supabase").rename(root / "supabase")
    committed(root)
    return app


def test_a_supabase_project_above_the_app_is_its_schema_and_its_stack(
        tmp_path: Path, local_stack: EmbeddedPostgres) -> None:
    env = f"NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321\nNEXT_PUBLIC_SUPABASE_ANON_KEY={ANON_KEY}\n"
    project = subfolder_app(tmp_path, env, local_stack.port)
    model = detect(project)
    assert model["schema"] == {"kind": "supabase", "path": "../supabase/migrations",
                               "why": "../supabase/migrations/ exists", "history_table": None}
    assert model["supabase_db_port_why"] == f"../supabase/config.toml: [db] port = {local_stack.port}"
    assert model["supabase_start"] == "cd .. && supabase start"
    results, _report = database_checks(project)
    assert results["DB004"]["status"] == "fail", results["DB004"]
    assert "public.notes" in str(results["DB004"]["message"])
    applied = run_cli("provision", "schema", "--project", str(project))
    assert applied.returncode == 0, applied.stderr
    results, _report = database_checks(project)
    assert results["DB004"]["status"] == "pass", results["DB004"]
    assert results["DB006"]["status"] == "pass", results["DB006"]
    with psycopg.connect(local_stack.url("postgres"), autocommit=True) as connection:
        connection.execute("DROP TABLE notes; DROP SCHEMA supabase_migrations CASCADE")


def test_a_supabase_project_outside_the_repository_is_not_the_apps(tmp_path: Path) -> None:
    """Above the repository's root nothing is the app's: a stray ~/supabase is not its project."""
    (tmp_path / "supabase").mkdir()
    (tmp_path / "supabase" / "config.toml").write_text("[db]\nport = 54999\n")
    project = supabase_app(tmp_path / "home", f"NEXT_PUBLIC_SUPABASE_URL={HOSTED}\n")
    shutil.rmtree(project / "supabase")
    committed(project)
    model = detect(project)
    assert model["schema"] is None
    assert model["supabase_db_port"] == 54322


def test_a_supabase_folder_linking_out_of_the_repository_is_not_the_apps(tmp_path: Path) -> None:
    """A clone's supabase/ above the app that is a symlink to a folder elsewhere on the machine
    (one holding a config.toml and migrations/): neither its settings nor its SQL are the app's."""
    outside = tmp_path / "elsewhere"
    (outside / "migrations").mkdir(parents=True)
    (outside / "config.toml").write_text("[db]\nport = 54999\n")
    (outside / "migrations" / "20240101000000_other.sql").write_text("create table other (id int);\n")
    app = subfolder_app(tmp_path, f"NEXT_PUBLIC_SUPABASE_URL={HOSTED}\n", 54322)
    shutil.rmtree(app.parent / "supabase")
    (app.parent / "supabase").symlink_to(outside)
    model = detect(app)
    assert model["schema"] is None
    assert model["supabase_db_port"] == 54322


def test_the_apps_own_supabase_folder_linking_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    """The app's own supabase/ as a symlink to a folder elsewhere on the machine: its config
    (the port) is not the app's; its migrations are not read as the app's schema."""
    outside = tmp_path / "elsewhere"
    (outside / "migrations").mkdir(parents=True)
    (outside / "config.toml").write_text("[db]\nport = 54999\n")
    (outside / "migrations" / "20240101000000_other.sql").write_text("create table other (id int);\n")
    project = supabase_app(tmp_path / "home", f"NEXT_PUBLIC_SUPABASE_URL={HOSTED}\n")
    shutil.rmtree(project / "supabase")
    (project / "supabase").symlink_to(outside)
    committed(project)
    model = detect(project)
    assert model["supabase_db_port"] == 54322, model
    assert model["supabase_config"] is None
