"""An app with no schema source whose runtime module creates its own tables on first use
(tests/fixtures/apps/postgres-auth-starter, after vercel/nextjs-postgres-auth-starter app/db.ts:
`ensureTableExists()` runs `CREATE TABLE "User" (…)` through its postgres-js client). On a new,
empty database DB004 used to fail "no table of the app, and no schema source"; the empty database is
what that app expects before it first runs, so the clause is unverified, naming the file."""

from __future__ import annotations

from pathlib import Path

from helpers import app_fixture, query, run_json
from helpers import checks_by_id as checks

# The fixture's module without its TLS suffix, so that it connects to the test server (the suffix
# is tests/database/test_app_demands_tls.py's subject); `ensureMembers` as the fixture has it.
NO_TLS = (Path(__file__).resolve().parent.parent / "fixtures/apps/postgres-auth-starter/app/db.ts").read_text(
    encoding="utf-8").replace("?sslmode=require", "")
# The same module without the code that creates the table.
NO_CREATE = "import postgres from 'postgres';\nexport const client = postgres(process.env.POSTGRES_URL!);\n"


def starter(tmp_path: Path, url: str, db: str = NO_TLS, **more: str) -> Path:
    return app_fixture(tmp_path, "postgres-auth-starter", {"app/db.ts": db, ".env.local": f"POSTGRES_URL={url}\n",
                                                           **more})


def test_an_empty_database_is_unverified_naming_the_module_that_creates_the_tables(tmp_path: Path,
                                                                                  fresh_db: str) -> None:
    _code, report = run_json(starter(tmp_path, fresh_db), "--only", "database,schema")
    db004 = checks(report)["DB004"]
    assert checks(report)["DB002"]["status"] == "pass", checks(report)["DB002"]
    assert db004["status"] == "skip", db004
    assert db004["message"].startswith('schema: the app creates its tables at run time (app/db.ts runs CREATE '
                                       'TABLE "User"): they appear only once the app runs'), db004["message"]
    assert "Run the app once" in db004["hint"] and db004["fix"] in ("", None), db004
    assert any(clause.startswith("schema: the app creates its tables at run time") for clause in report["unverified"])


def test_a_module_that_creates_no_table_still_fails_on_an_empty_database(tmp_path: Path, fresh_db: str) -> None:
    _code, report = run_json(starter(tmp_path, fresh_db, NO_CREATE), "--only", "database,schema")
    db004 = checks(report)["DB004"]
    assert db004["status"] == "fail" and "no table of the app" in db004["message"], db004


def test_once_the_app_has_run_its_table_is_judged_as_before(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, 'CREATE TABLE "User" (id serial PRIMARY KEY, email varchar(64), password varchar(64))')
    _code, report = run_json(starter(tmp_path, fresh_db), "--only", "database,schema")
    db004 = checks(report)["DB004"]
    assert db004["status"] == "skip" and "tables are not verified" in db004["message"], db004


def test_with_a_schema_source_the_verdict_is_unchanged(tmp_path: Path, fresh_db: str) -> None:
    schema = 'CREATE TABLE "User" (id serial PRIMARY KEY, email varchar(64), password varchar(64));\n'
    _code, report = run_json(starter(tmp_path, fresh_db, **{"schema.sql": schema}), "--only", "database,schema")
    db004 = checks(report)["DB004"]
    assert db004["status"] == "fail" and "missing" in db004["message"] and "User" in db004["message"], db004
