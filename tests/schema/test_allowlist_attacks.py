"""Statements dressed up as additive that `provision schema` must still refuse (the new
allowances of the allow-list: upserts into, and rows copied between, tables the same apply
creates; SELECT … INTO): each against the real embedded PostgreSQL, each asserting that the
rows, the sequence or the column survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import query, run_cli, write_project

USERS = ("CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE);\n"
         "INSERT INTO users (email) VALUES ('a@example.test'), ('b@example.test');\n")
EMAILS = ["a@example.test", "b@example.test"]
# A function the file itself creates (additive), whose body deletes.
WIPE = "CREATE FUNCTION wipe_users() RETURNS int LANGUAGE sql AS $$ DELETE FROM users; SELECT 1 $$;\n"


def emails(url: str) -> list[object]:
    return [row[0] for row in query(url, "SELECT email FROM users ORDER BY id")]


def apply(tmp_path: Path, url: str, schema: str) -> str:
    """`provision schema` without --allow-destructive: refused (exit 1), users' rows kept."""
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={url}\n"})
    done = run_cli("provision", "schema", "--project", str(project))
    assert emails(url) == EMAILS, done.stdout + done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    assert "--allow-destructive" in done.stderr, done.stderr
    return done.stderr


def test_an_upserts_do_update_set_is_judged_too(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS + "CREATE SEQUENCE ids; SELECT setval('ids', 50)")
    said = apply(tmp_path, fresh_db, "CREATE TABLE accounts (id int PRIMARY KEY, n bigint);\n"
                                     "INSERT INTO accounts VALUES (1, 0);\n"
                                     "INSERT INTO accounts VALUES (1, 0) ON CONFLICT (id) "
                                     "DO UPDATE SET n = setval('ids', 1);\n")
    assert "setval() sets a sequence" in said
    assert query(fresh_db, "SELECT last_value FROM ids") == [(50,)]


def test_an_upsert_into_a_new_table_fires_its_update_trigger(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    said = apply(tmp_path, fresh_db,
                 "CREATE TABLE accounts (id int PRIMARY KEY);\n"
                 "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN DELETE FROM users; RETURN NEW; END $$;\n"
                 "CREATE TRIGGER accounts_wipe BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION wipe();\n"
                 "INSERT INTO accounts VALUES (1);\n"
                 "INSERT INTO accounts VALUES (1) ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id;\n")
    assert "trigger accounts_wipe" in said


def test_a_temporary_view_shadowing_a_new_table_is_no_copy_of_it(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, WIPE + "CREATE TABLE src (x int);\nCREATE TABLE dst (x int);\n"
                              "CREATE TEMP VIEW src AS SELECT wipe_users() AS x;\n"
                              "INSERT INTO dst SELECT x FROM src;\n")


def test_a_temporary_table_is_not_the_permanent_table_of_that_name(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, "CREATE TEMP TABLE users (id int PRIMARY KEY, email text);\n"
                              "INSERT INTO public.users (id, email) VALUES (1, NULL) "
                              "ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email;\n")


def test_select_into_a_temporary_table_is_not_the_permanent_table_of_that_name(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, "SELECT 1 AS id, 'x'::text AS email INTO TEMP users;\n"
                              "INSERT INTO public.users (id, email) VALUES (1, NULL) "
                              "ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email;\n")


@pytest.mark.parametrize("copy", [
    "INSERT INTO dst SELECT x FROM src UNION ALL SELECT x FROM v;\n",
    "INSERT INTO dst SELECT (SELECT x FROM v);\n",
    "INSERT INTO dst VALUES ((SELECT x FROM v));\n",
    "INSERT INTO dst SELECT x FROM src WHERE EXISTS (SELECT FROM v);\n",
])
def test_a_copy_reading_a_view_anywhere_in_its_query_is_refused(tmp_path: Path, fresh_db: str, copy: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, WIPE + "CREATE TABLE src (x int);\nCREATE TABLE dst (x int);\n"
                              "CREATE VIEW v AS SELECT wipe_users() AS x;\n" + copy)


@pytest.mark.parametrize("read", [
    "SELECT * FROM v;\n",
    "SELECT x INTO copied FROM v;\n",
    "CREATE TABLE copied AS SELECT x FROM v;\n",
])
def test_a_read_of_a_view_calling_a_writing_function_is_refused(tmp_path: Path, fresh_db: str, read: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, WIPE + "CREATE VIEW v AS SELECT wipe_users() AS x;\n" + read)
