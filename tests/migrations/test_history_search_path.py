"""A history's DROP of an object it did not create runs unasked only when that object does
not exist before the apply; after a `SET search_path` in a migration, an unqualified name
resolves through every schema of that path (and the session's own path), so the look-up must
too. Here the objects live in `public` (or `audit`) and hold up rows that exist: the second
migration must be refused, and nothing of it applied."""

from __future__ import annotations

import subprocess
from pathlib import Path

from checks.core.sources import SchemaSource
from checks.schema.sqlmodel import parse_sources

from helpers import query, run_cli, write_project

# Prisma's layout: prisma/migrations/<timestamp>_<name>/migration.sql and migration_lock.toml
# (prisma.io/docs/orm/prisma-migrate/understanding-prisma-migrate/migration-histories).
SCHEMA = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
PACKAGE = '{"name": "app", "private": true, "devDependencies": {"prisma": "6.5.0"}}\n'
LOCK = 'provider = "postgresql"\n'



def app(root: Path, url: str, first: str) -> Path:
    return write_project(root, {
        "package.json": PACKAGE, "prisma/schema.prisma": SCHEMA, ".env.example": "DATABASE_URL=\n",
        ".env": f"DATABASE_URL={url}\n", ".gitignore": ".env\n",
        "prisma/migrations/migration_lock.toml": LOCK,
        "prisma/migrations/20240101000000_init/migration.sql": first})


def second(project: Path, sql: str) -> subprocess.CompletedProcess[str]:
    write_project(project, {"prisma/migrations/20240201000000_two/migration.sql": sql})
    return run_cli("provision", "schema", "--project", str(project))


def test_an_unqualified_drop_after_set_search_path_is_looked_up_on_that_whole_path(
        tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path / "app", fresh_db, (
        'CREATE TABLE "User" ("id" INTEGER NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n'
        'CREATE INDEX "User_email_idx" ON "User"("email");\n'
        'CREATE VIEW "UserEmails" AS SELECT email FROM "User";\n'))
    first = run_cli("provision", "schema", "--project", str(project))
    assert first.returncode == 0, first.stderr
    query(fresh_db, "INSERT INTO \"User\" VALUES (1, 'a@example.com')")

    done = second(project, ('CREATE SCHEMA IF NOT EXISTS "audit";\n'
                            "SET search_path TO audit, public;\n"
                            'DROP INDEX IF EXISTS "User_email_idx";\n'
                            'DROP VIEW IF EXISTS "UserEmails";\n'))
    assert done.returncode != 0, done.stdout
    assert "20240201000000_two/migration.sql:3" in done.stderr
    assert query(fresh_db, "SELECT to_regclass('public.\"User_email_idx\"') IS NOT NULL, "
                           "to_regclass('public.\"UserEmails\"') IS NOT NULL") == [(True, True)]


def test_an_unqualified_table_of_a_dropped_trigger_is_looked_up_on_the_migrations_path(
        tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path / "app", fresh_db, (
        'CREATE SCHEMA "audit";\n'
        'CREATE TABLE "audit"."log" ("id" INTEGER NOT NULL);\n'
        'CREATE FUNCTION "audit"."stamp"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n'
        'CREATE TRIGGER "log_stamp" BEFORE INSERT ON "audit"."log" FOR EACH ROW EXECUTE FUNCTION "audit"."stamp"();\n'))
    first = run_cli("provision", "schema", "--project", str(project))
    assert first.returncode == 0, first.stderr
    query(fresh_db, "INSERT INTO audit.log VALUES (1)")

    done = second(project, 'SET search_path TO audit;\nDROP TRIGGER IF EXISTS "log_stamp" ON "log";\n')
    assert done.returncode != 0, done.stdout
    assert "20240201000000_two/migration.sql:2" in done.stderr
    assert query(fresh_db, "SELECT tgname FROM pg_trigger WHERE tgname = 'log_stamp'") == [("log_stamp",)]


def test_a_drop_table_after_set_search_path_counts_the_rows_of_the_table_it_reaches(
        tmp_path: Path, fresh_db: str) -> None:
    project = app(tmp_path / "app", fresh_db,
                  'CREATE TABLE "User" ("id" INTEGER NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n')
    first = run_cli("provision", "schema", "--project", str(project))
    assert first.returncode == 0, first.stderr
    query(fresh_db, 'INSERT INTO "User" VALUES (1)')

    done = second(project, ('CREATE SCHEMA IF NOT EXISTS "audit";\n'
                            "SET search_path TO audit, public;\n"
                            'DROP TABLE "User";\n'))
    assert done.returncode != 0, done.stdout
    assert 'public."User" holds rows' in done.stderr
    assert query(fresh_db, 'SELECT count(*) FROM public."User"') == [(1,)]


def test_an_unqualified_drop_after_select_set_config_of_search_path_is_looked_up_on_that_path(
        tmp_path: Path, fresh_db: str) -> None:
    # `SELECT set_config('search_path', …)` is allowed as a SET is (checks/schema/safelist.py)
    # and moves unqualified names as far; pg_dump writes it as `SELECT pg_catalog.set_config(…)`.
    project = app(tmp_path / "app", fresh_db, (
        'CREATE TABLE "User" ("id" INTEGER NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n'
        'CREATE SCHEMA "audit";\n'
        'CREATE TABLE "audit"."event" ("at" TIMESTAMP(3) NOT NULL);\n'
        'CREATE INDEX "event_at_idx" ON "audit"."event"("at");\n'))
    first = run_cli("provision", "schema", "--project", str(project))
    assert first.returncode == 0, first.stderr
    query(fresh_db, "INSERT INTO audit.event VALUES (now())")

    done = second(project, ("SELECT pg_catalog.set_config('search_path', 'audit, public', false);\n"
                            'DROP INDEX IF EXISTS "event_at_idx";\n'))
    assert done.returncode != 0, done.stdout
    assert "20240201000000_two/migration.sql:2" in done.stderr
    assert "audit.event_at_idx exists before this apply" in done.stderr
    assert query(fresh_db, "SELECT to_regclass('audit.event_at_idx') IS NOT NULL") == [(True,)]


def test_a_set_config_search_path_names_its_schemas_as_the_server_reads_them() -> None:
    # The server folds an unquoted name of the list to lower case, as it does an identifier.
    sql = ("SELECT set_config('search_path', 'Audit, \"Billing\"', false);\n"
           'DROP INDEX IF EXISTS "event_at_idx";\n')
    parsed = parse_sources([SchemaSource(Path("prisma/migrations/1_two/migration.sql"), sql, 1)])
    verdict = parsed.statements[1].verdict
    assert verdict is not None
    assert {schema for _kind, schema, _name, _table in verdict.gone} == {"audit", "Billing", ""}
