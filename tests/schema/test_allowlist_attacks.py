"""Statements dressed up as additive that `provision schema` must still refuse (the new
allowances of the allow-list: upserts into, and rows copied between, tables the same apply
creates; SELECT … INTO): each against the real embedded PostgreSQL, each asserting that the
rows, the sequence or the column survive."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from helpers import REPO, query, run_cli, write_project

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


# -- a name this apply created that later means something else ---------------------------------

HISTORY = REPO / "tests" / "fixtures" / "apps" / "prisma-drop-history"
# An auto-updatable view over users, under a name the apply first gave a table of its own.
THROUGH_A_VIEW = ("CREATE VIEW acct AS SELECT id, email FROM public.users;\n"
                  "INSERT INTO acct VALUES (1, NULL) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email;\n")


def prisma_app(root: Path, url: str, migration: str, name: str = "20240501000000_attack") -> str:
    """The fixture's first Prisma migration, then `migration`."""
    shutil.copytree(HISTORY, root, dirs_exist_ok=True)
    for later in (root / "prisma" / "migrations").iterdir():
        if later.is_dir() and not later.name.startswith("20240101"):
            shutil.rmtree(later)
    write_project(root, {".env": f"DATABASE_URL={url}\n", f"prisma/migrations/{name}/migration.sql": migration})
    return root


def history(root: Path, url: str, migration: str) -> str:
    """A Prisma history (the fixture's first migration, then `migration`), provisioned
    without --allow-destructive: refused, users' rows kept."""
    done = run_cli("provision", "schema", "--project", str(prisma_app(root, url, migration)))
    assert emails(url) == EMAILS, done.stdout + done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stderr


def test_a_dropped_new_table_is_no_longer_the_applys_own(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    history(tmp_path, fresh_db, "CREATE TABLE acct (id int PRIMARY KEY, email text);\n"
                                "DROP TABLE acct;\n" + THROUGH_A_VIEW)


def test_the_tables_of_a_dropped_new_schema_are_no_longer_the_applys_own(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    history(tmp_path, fresh_db, "CREATE SCHEMA app;\nSET search_path TO app, public;\n"
                                "CREATE TABLE acct (id int PRIMARY KEY, email text);\n"
                                "DROP SCHEMA app CASCADE;\nCREATE SCHEMA app;\n" + THROUGH_A_VIEW)


def test_a_trigger_function_replaced_after_its_trigger_is_judged_at_the_seed(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    said = apply(tmp_path, fresh_db,
                 "CREATE TABLE notes (id int);\n"
                 "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
                 "CREATE TRIGGER notes_stamp BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION stamp();\n"
                 "CREATE OR REPLACE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN DELETE FROM users; RETURN NEW; END $$;\n"
                 "INSERT INTO notes VALUES (1);\n")
    assert "trigger notes_stamp" in said


def test_a_trigger_function_reading_a_writing_view_is_judged(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db,
          WIPE + "CREATE VIEW v AS SELECT wipe_users() AS x;\n"
          "CREATE TABLE notes (id int);\n"
          "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS "
          "$$ BEGIN PERFORM x FROM v; RETURN NEW; END $$;\n"
          "CREATE TRIGGER notes_stamp BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION stamp();\n"
          "INSERT INTO notes VALUES (1);\n")


def test_a_seed_into_a_new_partition_of_an_existing_table_fires_the_parents_triggers(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS + "CREATE TABLE events (at date, kind text) PARTITION BY RANGE (at);\n"
                            "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS "
                            "$$ BEGIN DELETE FROM users; RETURN NEW; END $$;\n"
                            "CREATE TRIGGER events_wipe AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION wipe();\n")
    said = apply(tmp_path, fresh_db, "CREATE TABLE events_2027 PARTITION OF events "
                                     "FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');\n"
                                     "INSERT INTO events_2027 VALUES ('2027-02-01', 'signup');\n")
    assert "events" in said


@pytest.mark.parametrize("call", ["SELECT round(1);\n", "CREATE TABLE notes (n int);\nINSERT INTO notes VALUES (round(1));\n"])
def test_a_new_function_overloading_a_safe_name_is_not_the_safe_one(tmp_path: Path, fresh_db: str, call: str) -> None:
    # PostgreSQL picks the exact match of any schema on the path (docs 10.3, Function Type
    # Resolution): round(1) calls public.round(integer), not pg_catalog.round(numeric).
    query(fresh_db, USERS)
    said = apply(tmp_path, fresh_db, "CREATE FUNCTION round(integer) RETURNS integer LANGUAGE sql AS "
                                     "$$ DELETE FROM users; SELECT 1 $$;\n" + call)
    assert "round()" in said


def test_a_new_function_overloading_a_safe_name_that_moves_a_sequence_is_refused(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, "CREATE FUNCTION round(integer) RETURNS integer LANGUAGE sql AS "
                              "$$ SELECT setval('users_id_seq', 1)::int $$;\nSELECT round(1);\n")
    assert query(fresh_db, "SELECT last_value FROM users_id_seq") == [(2,)]


def test_a_forced_policy_calling_a_writing_function_is_judged_at_the_seed(tmp_path: Path, fresh_db: str) -> None:
    # The app's own role, as on Neon or Supabase (a superuser bypasses row-level security):
    # FORCE ROW LEVEL SECURITY makes the table's owner run the policy's WITH CHECK on a seed.
    role = f"owner_{uuid.uuid4().hex[:8]}"
    query(fresh_db, USERS + f"CREATE ROLE {role} LOGIN PASSWORD 'owner-pass';\n"
                            f"GRANT CREATE, USAGE ON SCHEMA public TO {role};\n"
                            f"GRANT SELECT, DELETE ON users TO {role};\n")
    url = fresh_db.replace(urlsplit(fresh_db).netloc.split("@")[0], f"{role}:owner-pass")
    said = apply(tmp_path, url, WIPE + "CREATE TABLE notes (id int);\n"
                                       "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n"
                                       "ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n"
                                       "CREATE POLICY notes_insert ON notes FOR INSERT WITH CHECK (wipe_users() = 1);\n"
                                       "INSERT INTO notes VALUES (1);\n")
    assert "policy" in said


def test_a_ctes_own_body_reads_the_relation_of_its_name(tmp_path: Path, fresh_db: str) -> None:
    # Not RECURSIVE, `users` inside the CTE's body is public.users, not the CTE.
    query(fresh_db, USERS)
    said = apply(tmp_path, fresh_db, "CREATE TABLE dst (email text);\n"
                                     "WITH users AS (SELECT email FROM users) INSERT INTO dst SELECT email FROM users;\n")
    assert "rows read from public.users" in said


def test_truncate_cascade_of_an_empty_table_is_refused_in_a_history(tmp_path: Path, fresh_db: str) -> None:
    # CASCADE truncates every table whose foreign key references it, rows or not (users'
    # rows have no organization yet, so the empty orgs holds nothing they point at).
    query(fresh_db, "CREATE TABLE orgs (id int PRIMARY KEY);\n" + USERS
          + "ALTER TABLE users ADD COLUMN org_id int REFERENCES orgs;\n")
    history(tmp_path, fresh_db, "TRUNCATE orgs CASCADE;\n")


@pytest.mark.parametrize("then", [
    "INSERT INTO users (id, email) VALUES (1, NULL) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email;\n",
    "ALTER TABLE users ALTER COLUMN email TYPE int USING length(email);\n",
])
def test_create_table_as_if_not_exists_of_an_existing_table_creates_nothing(
        tmp_path: Path, fresh_db: str, then: str) -> None:
    # A pending migration of a history already recorded runs as written: `IF NOT EXISTS` of
    # users (there, with rows) creates nothing, so users is not the apply's own table.
    query(fresh_db, USERS)
    assert run_cli("provision", "schema", "--project", str(prisma_app(tmp_path, fresh_db, "SELECT 1;\n"))).returncode == 0
    write_project(tmp_path, {"prisma/migrations/20240601000000_attack/migration.sql":
                             "CREATE TABLE IF NOT EXISTS users AS SELECT 1 AS id, 'x'::text AS email;\n" + then})
    done = run_cli("provision", "schema", "--project", str(tmp_path))
    assert emails(fresh_db) == EMAILS, done.stdout + done.stderr
    assert done.returncode == 1, done.stdout + done.stderr


def test_a_new_table_moved_to_another_schema_leaves_its_name_behind(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, "CREATE SCHEMA archive;\nCREATE TABLE acct (id int PRIMARY KEY, email text);\n"
                              "ALTER TABLE acct SET SCHEMA archive;\n" + THROUGH_A_VIEW)


def test_a_dry_run_does_not_run_what_the_real_run_would_refuse_for_its_rows(tmp_path: Path, fresh_db: str) -> None:
    # setval() is not undone by the dry run's ROLLBACK: the trigger a refused UPDATE would
    # fire must not fire in the dry run either.
    query(fresh_db, USERS + "CREATE SEQUENCE orders_id_seq; SELECT setval('orders_id_seq', 50);\n"
                            "CREATE FUNCTION reset_orders() RETURNS trigger LANGUAGE plpgsql AS "
                            "$$ BEGIN PERFORM setval('orders_id_seq', 1); RETURN NEW; END $$;\n"
                            "CREATE TRIGGER users_reset BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION reset_orders();\n")
    project = prisma_app(tmp_path, fresh_db, "UPDATE users SET email = lower(email);\n")
    done = run_cli("provision", "schema", "--project", str(project), "--dry-run")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "would refuse" in done.stdout, done.stdout
    assert query(fresh_db, "SELECT last_value FROM orders_id_seq") == [(50,)]


def test_a_dry_run_stops_where_a_statement_needs_what_it_did_not_run(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    project = prisma_app(tmp_path, fresh_db, "ALTER TABLE users RENAME COLUMN email TO mail;\n"
                                             "CREATE INDEX users_mail ON users (mail);\n")
    done = run_cli("provision", "schema", "--project", str(project), "--dry-run")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the dry run stopped:" in done.stdout, done.stdout
    assert "it did not run prisma/migrations/20240501000000_attack/migration.sql:1" in done.stdout, done.stdout
    assert emails(fresh_db) == EMAILS


def test_a_new_partitioned_table_that_attaches_an_existing_one_is_no_longer_empty(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, "CREATE TABLE people (id int, email text, PRIMARY KEY (id)) PARTITION BY RANGE (id);\n"
                              "ALTER TABLE people ATTACH PARTITION users FOR VALUES FROM (0) TO (1000);\n"
                              "INSERT INTO people VALUES (1, NULL) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email;\n")


def test_a_seed_into_a_new_table_made_a_child_of_an_existing_one_is_refused(tmp_path: Path, fresh_db: str) -> None:
    # Its rows are read as the parent's (`SELECT … FROM users` returns them): a seed into it
    # is a write into users.
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, "CREATE TABLE imported (id int NOT NULL, email text);\n"
                              "ALTER TABLE imported INHERIT users;\n"
                              "INSERT INTO imported VALUES (3, 'c@example.test');\n")


def test_a_seed_into_if_not_exists_table_behind_a_missing_schema_of_the_path_is_refused(
        tmp_path: Path, fresh_db: str) -> None:
    # `ghost` does not exist, so CREATE puts nothing new anywhere and `users` is public.users.
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, "SET search_path TO ghost, public;\n"
                              "CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, email text UNIQUE);\n"
                              "INSERT INTO users (email) VALUES ('admin@example.test');\n")


def test_create_or_replace_view_of_one_in_the_files_search_path_is_refused(tmp_path: Path, fresh_db: str) -> None:
    # The checking session's path (public) does not see app.active_users; the file's does.
    query(fresh_db, USERS + "CREATE SCHEMA app;\n"
                            "CREATE VIEW app.active_users AS SELECT id, email FROM public.users;\n")
    apply(tmp_path, fresh_db, "SET search_path TO app, public;\n"
                              "CREATE OR REPLACE VIEW active_users AS SELECT id, NULL::text AS email FROM public.users;\n")
    assert query(fresh_db, "SELECT count(email) FROM app.active_users") == [(2,)]


def test_a_triggers_when_condition_is_judged_at_the_seed(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db,
          WIPE + "CREATE TABLE notes (id int);\n"
          "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
          "CREATE TRIGGER notes_stamp BEFORE INSERT ON notes FOR EACH ROW WHEN (wipe_users() = 1) "
          "EXECUTE FUNCTION stamp();\n"
          "INSERT INTO notes VALUES (1);\n")


# An IMMUTABLE function may call setval() (only SQL writes are refused in one): an index may use it.
RESET = ("CREATE FUNCTION reset_ids(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS "
         "$$ BEGIN PERFORM setval('public.users_id_seq', 1); RETURN $1; END $$;\n")


@pytest.mark.parametrize("change", [
    "ALTER TABLE notes ADD COLUMN stamp int DEFAULT reset_ids(1);\n",
    "CREATE INDEX notes_reset ON notes ((reset_ids(id)));\n",
    "ALTER TABLE notes ADD CONSTRAINT reset CHECK (reset_ids(id) = id);\n",
    "ALTER TABLE notes ADD COLUMN twice int GENERATED ALWAYS AS (reset_ids(id)) STORED;\n",
])
def test_an_expression_added_to_a_new_table_after_its_seed_runs_for_the_seeded_rows(
        tmp_path: Path, fresh_db: str, change: str) -> None:
    query(fresh_db, USERS)
    apply(tmp_path, fresh_db, RESET + "CREATE TABLE notes (id int);\nINSERT INTO notes VALUES (1);\n" + change)
    assert query(fresh_db, "SELECT last_value FROM users_id_seq") == [(2,)]


def test_a_table_a_do_block_may_not_create_is_not_the_applys_own(tmp_path: Path, fresh_db: str) -> None:
    # drizzle-kit's and Prisma's `DO $$ BEGIN CREATE … EXCEPTION WHEN duplicate_… THEN null; END $$`:
    # where users is there, the block creates nothing.
    query(fresh_db, USERS)
    assert run_cli("provision", "schema", "--project", str(prisma_app(tmp_path, fresh_db, "SELECT 1;\n"))).returncode == 0
    write_project(tmp_path, {"prisma/migrations/20240601000000_attack/migration.sql":
                             "DO $$ BEGIN CREATE TABLE users (id int PRIMARY KEY, email text); "
                             "EXCEPTION WHEN duplicate_table THEN NULL; END $$;\n"
                             "INSERT INTO users (id, email) VALUES (1, NULL) ON CONFLICT (id) "
                             "DO UPDATE SET email = EXCLUDED.email;\n"})
    done = run_cli("provision", "schema", "--project", str(tmp_path))
    assert emails(fresh_db) == EMAILS, done.stdout + done.stderr
    assert done.returncode == 1, done.stdout + done.stderr


def test_a_temporary_table_is_seeded_and_copied_from_by_its_unqualified_name(tmp_path: Path, fresh_db: str) -> None:
    # pg_temp leads the path: `map` is the temporary table, which this apply created.
    project = write_project(tmp_path, {
        "schema.sql": "CREATE TABLE notes (id int);\nCREATE TEMP TABLE map (id int);\n"
                      "INSERT INTO map VALUES (1);\nINSERT INTO notes SELECT id FROM map;\n",
        ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = run_cli("provision", "schema", "--project", str(project))
    assert done.returncode == 0, done.stdout + done.stderr
    assert query(fresh_db, "SELECT id FROM notes") == [(1,)]


def test_an_overload_that_only_computes_does_not_clear_the_trigger_function_that_writes(
        tmp_path: Path, fresh_db: str) -> None:
    # The trigger runs wipe(), not wipe(int): both are wipe in the same schema.
    query(fresh_db, USERS)
    said = apply(tmp_path, fresh_db,
                 "CREATE TABLE accounts (id int PRIMARY KEY);\n"
                 "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN DELETE FROM users; RETURN NEW; END $$;\n"
                 "CREATE FUNCTION wipe(n int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN n; END $$;\n"
                 "CREATE TRIGGER accounts_wipe BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION wipe();\n"
                 "INSERT INTO accounts VALUES (1);\n")
    assert "trigger accounts_wipe" in said


@pytest.mark.parametrize("where", [
    "SET search_path TO app, pg_catalog, public;\n",
    "SET search_path TO app, public, pg_catalog;\n",
])
def test_a_search_path_ahead_of_pg_catalog_makes_a_safe_name_the_databases_own(
        tmp_path: Path, fresh_db: str, where: str) -> None:
    # docs 5.10.5: pg_catalog is searched first only when the path does not name it.
    query(fresh_db, USERS + "CREATE SCHEMA app;\nCREATE FUNCTION app.lower(text) RETURNS text LANGUAGE sql "
                            "AS $$ DELETE FROM public.users RETURNING 'x' $$;\n")
    apply(tmp_path, fresh_db, where + "CREATE TABLE notes (body text DEFAULT lower('X'));\n"
                              "INSERT INTO notes DEFAULT VALUES;\n")


def test_set_config_of_a_search_path_ahead_of_pg_catalog_is_refused(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS + "CREATE SCHEMA app;\nCREATE FUNCTION app.lower(text) RETURNS text LANGUAGE sql "
                            "AS $$ DELETE FROM public.users RETURNING 'x' $$;\n")
    apply(tmp_path, fresh_db, "SELECT set_config('search_path', 'app, pg_catalog', false);\n"
                              "CREATE TABLE public.notes (body text DEFAULT lower('X'));\n"
                              "INSERT INTO public.notes DEFAULT VALUES;\n")


def test_set_config_of_a_search_path_built_at_run_time_is_refused(tmp_path: Path, fresh_db: str) -> None:
    # The attack pass of stop 29: 'ap' || 'p, pg_catalog' is no literal to judge.
    query(fresh_db, USERS + "CREATE SCHEMA app;\nCREATE FUNCTION app.lower(text) RETURNS text LANGUAGE sql "
                            "AS $$ DELETE FROM public.users RETURNING 'x' $$;\n")
    said = apply(tmp_path, fresh_db, "SELECT set_config('search_path', 'ap' || 'p, pg_catalog', false);\n"
                                     "CREATE TABLE public.notes (body text DEFAULT lower('X'));\n"
                                     "INSERT INTO public.notes DEFAULT VALUES;\n")
    assert "set_config() sets the search_path to a value made at run time" in said


def test_a_trigger_functions_search_path_ahead_of_pg_catalog_is_judged(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS + "CREATE SCHEMA app;\nCREATE FUNCTION app.lower(text) RETURNS text LANGUAGE sql "
                            "AS $$ DELETE FROM public.users RETURNING 'x' $$;\n")
    said = apply(tmp_path, fresh_db,
                 "CREATE TABLE notes (body text);\n"
                 "CREATE FUNCTION tidy() RETURNS trigger LANGUAGE plpgsql SET search_path = app, pg_catalog "
                 "AS $$ BEGIN NEW.body := lower(NEW.body); RETURN NEW; END $$;\n"
                 "CREATE TRIGGER notes_tidy BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION tidy();\n"
                 "INSERT INTO notes VALUES ('X');\n")
    assert "ahead of pg_catalog" in said


# The pager review's: `IF NOT EXISTS` that created nothing made the database's own object
# count as the apply's, so dropping it with its contents passed as additive.
APP_SCHEMA = ("CREATE SCHEMA app; CREATE TABLE app.users (id int PRIMARY KEY, email text);\n"
              "INSERT INTO app.users VALUES (1, 'a@example.test'), (2, 'b@example.test');\n")


@pytest.mark.parametrize("schema", [
    "CREATE SCHEMA IF NOT EXISTS app;\nDROP SCHEMA app CASCADE;\n",
    "CREATE SEQUENCE IF NOT EXISTS app.users_seq;\nDROP SEQUENCE app.users_seq CASCADE;\n",
    "CREATE INDEX IF NOT EXISTS users_email ON app.users (email);\nDROP INDEX app.users_email CASCADE;\n",
])
def test_create_if_not_exists_of_the_databases_own_object_makes_it_no_object_of_the_apply(
        tmp_path: Path, fresh_db: str, schema: str) -> None:
    query(fresh_db, APP_SCHEMA + "CREATE SEQUENCE app.users_seq OWNED BY app.users.id;\n"
                                 "ALTER TABLE app.users ALTER id SET DEFAULT nextval('app.users_seq');\n"
                                 "CREATE INDEX users_email ON app.users (email);\n")
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = run_cli("provision", "schema", "--project", str(project))
    assert done.returncode == 1, done.stdout + done.stderr
    assert query(fresh_db, "SELECT count(*) FROM app.users") == [(2,)]
    assert query(fresh_db, "SELECT to_regclass('app.users_seq') IS NOT NULL, "
                           "to_regclass('app.users_email') IS NOT NULL") == [(True, True)]


def test_a_schema_rename_in_a_history_is_looked_up_by_its_name(tmp_path: Path, fresh_db: str) -> None:
    # pglast keeps ALTER SCHEMA … RENAME's name in `subname`: read as "", the lookup found no
    # schema "" and the rename ran, moving every table the app uses.
    query(fresh_db, APP_SCHEMA)
    project = write_project(tmp_path / "app", {
        ".env": f"DATABASE_URL={fresh_db}\n",
        "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
        "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
        "prisma/migrations/20240101000000_init/migration.sql": 'CREATE TABLE "T" (id int);\n',
        "prisma/migrations/20240201000000_mv/migration.sql": "ALTER SCHEMA app RENAME TO app_old;\n"})
    done = run_cli("provision", "schema", "--project", str(project))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "schema app exists before this apply" in done.stderr, done.stderr
    assert query(fresh_db, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'app%' ORDER BY 1") == [("app",)]
