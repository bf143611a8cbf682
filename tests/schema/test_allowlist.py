"""The allow-list guard of `provision schema` (issue 20): only what the parse tree proves
additive runs unasked. One test per row of the issue's table, each against the real
embedded PostgreSQL with a table that holds rows, each asserting the rows survive; the
ordinary app still applies unasked; and a migration history drops what it created on an
empty database but not on one with rows (issue 19 §5)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from checks.core.sources import SchemaSource
from checks.schema.safelist import SAFE_FUNCTIONS
from checks.schema.sqlmodel import parse_sources

from helpers import REPO, query, run_cli, write_project

USERS = "CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE);\n"
EMAILS = ["a@example.test", "b@example.test", "c@example.test"]
# A function of the database's own that deletes: the file only calls it.
WIPE = ("CREATE FUNCTION wipe_users() RETURNS int LANGUAGE sql AS "
        "$$ DELETE FROM users; SELECT 1 $$;\n")



def provision(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("provision", "schema", "--project", str(project), *args)


def with_rows(url: str, extra: str = "") -> None:
    query(url, USERS + "INSERT INTO users (email) VALUES "
          + ", ".join(f"('{e}')" for e in EMAILS) + ";\n" + extra)


def emails(url: str) -> list[object]:
    return [row[0] for row in query(url, "SELECT email FROM users ORDER BY id")]


def refused(tmp_path: Path, url: str, schema: str) -> str:
    """Provision `schema` without --allow-destructive: refused (exit 1), the rows kept."""
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={url}\n"})
    done = provision(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "--allow-destructive" in done.stderr
    assert emails(url) == EMAILS
    return done.stderr


# -- the table, one row each -----------------------------------------------------------

@pytest.mark.parametrize("where", ["WHERE true", "WHERE 1=1"])
def test_update_of_every_row_is_refused(tmp_path: Path, fresh_db: str, where: str) -> None:
    with_rows(fresh_db)
    said = refused(tmp_path, fresh_db, f"CREATE TABLE notes (id int);\nUPDATE users SET email = NULL {where};\n")
    assert f"schema.sql:2 `UPDATE users SET email = NULL {where}`: changes rows of public.users" in said


@pytest.mark.parametrize("call", ["SELECT wipe_users();", "VALUES (wipe_users());",
                                  "DO $$ BEGIN PERFORM wipe_users(); END $$;"],
                         ids=["select", "values", "perform"])
def test_a_call_of_the_databases_own_function_is_refused(tmp_path: Path, fresh_db: str, call: str) -> None:
    with_rows(fresh_db, WIPE)
    said = refused(tmp_path, fresh_db, f"CREATE TABLE notes (id int);\n{call}\n")
    assert "schema.sql:2" in said
    assert "it calls wipe_users(), which is not on the safe list" in said


@pytest.mark.parametrize(("schema", "said"), [
    ("CREATE TABLE audit (id int, n int DEFAULT wipe_users());\nINSERT INTO audit (id) VALUES (1);\n",
     "schema.sql:2 `INSERT INTO audit (id) VALUES (1)`: INSERT into public.audit runs a default, check or "
     "generated column of public.audit: it calls wipe_users()"),
    ("CREATE TABLE audit (id int CHECK (wipe_users() = 1));\nINSERT INTO audit VALUES (1);\n",
     "INSERT into public.audit runs a default, check or generated column of public.audit"),
    ("CREATE TABLE audit (id int);\nCREATE RULE wipe AS ON INSERT TO audit DO ALSO SELECT wipe_users();\n"
     "INSERT INTO audit VALUES (1);\n",
     "schema.sql:2 `CREATE RULE wipe AS ON INSERT TO audit DO ALSO SELECT wipe_users()`: a rule rewrites"),
    ("CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; END $$;\n"
     "CREATE EVENT TRIGGER on_ddl ON ddl_command_end EXECUTE FUNCTION on_ddl();\nCREATE TABLE audit (id int);\n",
     "schema.sql:2 `CREATE EVENT TRIGGER on_ddl ON ddl_command_end EXECUTE FUNCTION on_ddl()`: an event trigger"),
], ids=["default", "check", "rule", "event trigger"])
def test_a_default_check_rule_or_event_trigger_that_calls_a_deleting_function_is_refused(
        tmp_path: Path, fresh_db: str, schema: str, said: str) -> None:
    with_rows(fresh_db, WIPE)
    assert said in refused(tmp_path, fresh_db, schema)


def test_the_plan_of_a_grown_schema_no_longer_calls_a_function_a_default_and_an_insert_additive(
        tmp_path: Path, fresh_db: str) -> None:
    base = USERS
    project = write_project(tmp_path, {"schema.sql": base, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    assert provision(project).returncode == 0
    query(fresh_db, "INSERT INTO users (email) VALUES " + ", ".join(f"('{e}')" for e in EMAILS))
    (project / "schema.sql").write_text(base + (
        "CREATE FUNCTION purge() RETURNS int LANGUAGE sql AS $$ DELETE FROM users; SELECT 1 $$;\n"
        "CREATE TABLE audit (id int, n int DEFAULT purge());\nINSERT INTO audit (id) VALUES (1);\n"))
    done = provision(project)
    assert done.returncode == 1, done.stdout
    assert "schema.sql:4 `INSERT INTO audit (id) VALUES (1)`: INSERT into public.audit runs" in done.stderr
    assert "it calls purge()" in done.stderr
    assert emails(fresh_db) == EMAILS


def test_a_grown_create_table_whose_new_column_default_calls_a_function_is_refused(
        tmp_path: Path, fresh_db: str) -> None:
    with_rows(fresh_db, WIPE)
    grown = "CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE, n int DEFAULT wipe_users());\n"
    said = refused(tmp_path, fresh_db, grown)
    assert ("schema.sql:1 `CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE, n int DEFAULT "
            "w...`: ALTER TABLE public.users ADD COLUMN n runs its default for the rows there: "
            "it calls wipe_users()") in said, said


TRIGGERED = ("CREATE TABLE log (id int);\n"
             "CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
             "CREATE TRIGGER log_note AFTER INSERT ON log FOR EACH ROW EXECUTE FUNCTION note();\n")
REPLACED = ("CREATE OR REPLACE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN DELETE FROM users; RETURN NEW; END $$;\n")


def test_create_or_replace_of_an_existing_trigger_function_is_refused(tmp_path: Path, fresh_db: str) -> None:
    with_rows(fresh_db, TRIGGERED)
    # With the insert that fires it: the insert into a table this apply does not create.
    said = refused(tmp_path, fresh_db, REPLACED + "INSERT INTO log VALUES (1);\n")
    assert "schema.sql:3 `INSERT INTO log VALUES (1)`: INSERT into public.log, which this apply does not create" in said
    # Alone: the function exists in the database, so the replacement is not a creation.
    said = refused(tmp_path / "alone", fresh_db, "CREATE TABLE notes (id int);\n" + REPLACED)
    assert ("schema.sql:2 `CREATE OR REPLACE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$`: "
            "it replaces what exists in the database") in said
    query(fresh_db, "INSERT INTO log VALUES (1)")  # the app's next write fires the old, harmless body
    assert emails(fresh_db) == EMAILS
    assert query(fresh_db, "SELECT to_regclass('notes')") == [(None,)]  # nothing was applied


def test_an_upsert_is_refused(tmp_path: Path, fresh_db: str) -> None:
    with_rows(fresh_db)
    said = refused(tmp_path, fresh_db, "CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, email text UNIQUE);\n"
                   "INSERT INTO users (id, email) VALUES (1, 'x@example.test') "
                   "ON CONFLICT (id) DO UPDATE SET email = excluded.email;\n")
    assert "schema.sql:2" in said and "upsert into public.users (ON CONFLICT DO UPDATE)" in said


@pytest.mark.parametrize(("statement", "said"), [
    ("SELECT setval('users_id_seq', 1);", "setval() sets a sequence"),
    ("ALTER SEQUENCE users_id_seq RESTART;", "resets a sequence"),
], ids=["setval", "restart"])
def test_a_sequence_reset_is_refused(tmp_path: Path, fresh_db: str, statement: str, said: str) -> None:
    with_rows(fresh_db)
    assert said in refused(tmp_path, fresh_db, f"CREATE TABLE notes (id int);\n{statement}\n")
    assert query(fresh_db, "SELECT last_value FROM users_id_seq") == [(3,)]


def test_lo_unlink_and_pg_terminate_backend_are_refused(tmp_path: Path, fresh_db: str) -> None:
    with_rows(fresh_db)
    (oid,) = query(fresh_db, "SELECT lo_from_bytea(0, 'kept')")[0]
    said = refused(tmp_path, fresh_db, f"CREATE TABLE notes (id int);\nSELECT lo_unlink({oid});\n")
    assert "schema.sql:2" in said and "lo_unlink() deletes a large object" in said
    assert query(fresh_db, f"SELECT count(*) FROM pg_largeobject_metadata WHERE oid = {oid}") == [(1,)]
    with psycopg.connect(fresh_db, autocommit=True) as other:
        pid = other.info.backend_pid
        said = refused(tmp_path / "terminate", fresh_db,
                       f"CREATE TABLE notes (id int);\nSELECT pg_terminate_backend({pid});\n")
        assert "pg_terminate_backend() ends other sessions" in said
        assert other.execute("SELECT 1").fetchone() == (1,)  # the other session lives


def test_copy_from_program_is_refused(tmp_path: Path, fresh_db: str) -> None:
    with_rows(fresh_db)
    marker = tmp_path / "ran"
    said = refused(tmp_path, fresh_db, f"CREATE TABLE notes (id int);\n"
                   f"COPY users (email) FROM PROGRAM 'touch {marker} && echo d@example.test';\n")
    assert "COPY … PROGRAM runs a shell command on the database server" in said
    assert not marker.exists()
    # A dry run rolls back, but a shell command is not undone: it does not run what it would refuse.
    dry = provision(tmp_path, "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert "not run by the dry run (not proven additive): schema.sql:2" in dry.stdout
    assert not marker.exists() and emails(fresh_db) == EMAILS


# -- ordinary apps still apply unasked ----------------------------------------------------------

ORDINARY = """\
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE plans (id serial PRIMARY KEY, name text NOT NULL CHECK (length(name) > 0), updated_at timestamptz);
CREATE TABLE accounts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (length(email) > 0),
    plan_id int REFERENCES plans (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER accounts_updated_at BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER plans_updated BEFORE INSERT ON plans FOR EACH ROW EXECUTE FUNCTION set_updated_at();
INSERT INTO plans (name) VALUES ('free'), ('pro');
CREATE INDEX accounts_email_idx ON accounts (lower(email));
CREATE VIEW account_emails AS SELECT lower(email) AS email, created_at FROM accounts;
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE accounts IS 'one row per customer';
"""


def test_an_ordinary_schema_applies_unasked_and_every_statement_is_additive(
        tmp_path: Path, fresh_db: str) -> None:
    parsed = parse_sources([SchemaSource(Path("schema.sql"), ORDINARY, 1)])
    assert [s.where for s in parsed.statements if s.verdict is not None and not s.verdict.additive] == []
    # The embedded server is built without contrib: pgcrypto is classified above, not installed
    # (gen_random_uuid() is built in since PostgreSQL 13).
    schema = ORDINARY.removeprefix("CREATE EXTENSION IF NOT EXISTS pgcrypto;\n")
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert query(fresh_db, "SELECT name FROM plans ORDER BY id") == [("free",), ("pro",)]
    assert provision(project).returncode == 0  # re-applied: a no-op


def test_dry_run_shows_the_classification_of_a_mixed_file(tmp_path: Path, fresh_db: str) -> None:
    with_rows(fresh_db)
    mixed = ("CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL DEFAULT lower('X'));\n"
             "INSERT INTO tags (name) VALUES ('new');\n"
             "UPDATE users SET email = NULL WHERE true;\n"
             "CREATE OR REPLACE FUNCTION slug(t text) RETURNS text LANGUAGE sql AS $$ SELECT lower(t) $$;\n"
             "SELECT setval('users_id_seq', 1);\n")
    project = write_project(tmp_path, {"schema.sql": mixed, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project, "--dry-run")
    assert done.returncode == 1, done.stderr  # the real run would refuse two of them
    assert ("classification of 5 statements: 2 additive, 3 not proven additive or settled against the "
            "database:\n"
            "  schema.sql:1 additive: `CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL DEFAULT "
            "lower('X'))` — creates a new table\n"
            "  schema.sql:2 additive: `INSERT INTO tags (name) VALUES ('new')` — seed rows into public.tags, "
            "which this apply creates\n"
            "  schema.sql:3 NOT additive (needs --allow-destructive): `UPDATE users SET email = NULL WHERE "
            "true` — changes rows of public.users (not a seed into a new table)\n"
            "  schema.sql:4 additive if it does not exist yet: `CREATE OR REPLACE FUNCTION slug(t text) "
            "RETURNS text LANGUAGE sql AS $$ SELEC...` — creates a new function\n"
            "  schema.sql:5 NOT additive (needs --allow-destructive): `SELECT setval('users_id_seq', 1)` — "
            "setval() sets a sequence: later inserts can collide with existing primary keys\n") in done.stdout, done.stdout
    assert "without --dry-run this would refuse 2 statements not proven additive:" in done.stdout
    assert emails(fresh_db) == EMAILS and query(fresh_db, "SELECT to_regclass('tags')") == [(None,)]


def test_the_safe_list_holds_no_function_that_writes() -> None:
    assert {"now", "gen_random_uuid", "lower", "length"} <= SAFE_FUNCTIONS
    assert not {"setval", "lo_unlink", "pg_terminate_backend", "set_config", "dblink_exec"} & SAFE_FUNCTIONS


# -- a migration history: what it drops of its own, on an empty database -----------------------

HISTORY = REPO / "tests" / "fixtures" / "apps" / "prisma-drop-history"
LATER = ("20240201000000_drop_name", "20240301000000_role_enum", "20240401000000_drop_post")


def prisma_app(root: Path, url: str, without: tuple[str, ...] = ()) -> Path:
    shutil.copytree(HISTORY, root, dirs_exist_ok=True)
    for name in without:
        shutil.rmtree(root / "prisma" / "migrations" / name)
    (root / ".env").write_text(f"DATABASE_URL={url}\n")
    return root


def test_a_history_that_drops_what_it_created_applies_on_an_empty_database(tmp_path: Path, fresh_db: str) -> None:
    done = provision(prisma_app(tmp_path, fresh_db))
    assert done.returncode == 0, done.stderr
    assert ('ran prisma/migrations/20240201000000_drop_name/migration.sql:8 `ALTER TABLE "User" DROP COLUMN '
            '"name"` (ALTER TABLE … DROP COLUMN name): nothing to lose, public."User" held no rows') in done.stdout
    assert "prisma/migrations/20240401000000_drop_post/migration.sql:11 `DROP TABLE \"Post\"`" in done.stdout
    assert query(fresh_db, "SELECT to_regclass('\"Post\"'), count(*) FROM _prisma_migrations") == [(None, 4)]


def test_a_pending_drop_column_on_a_table_with_rows_is_named_by_its_migration(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_app(tmp_path, fresh_db, without=LATER)
    assert provision(project).returncode == 0
    query(fresh_db, """INSERT INTO "User" (id, email, name) VALUES ('u1', 'a@example.test', 'Ada')""")
    shutil.copytree(HISTORY / "prisma" / "migrations" / LATER[0], project / "prisma" / "migrations" / LATER[0])
    done = provision(project)
    assert done.returncode == 1, done.stdout
    assert ('refusing prisma/migrations/20240201000000_drop_name/migration.sql:8 `ALTER TABLE "User" DROP '
            'COLUMN "name"` (ALTER TABLE … DROP COLUMN name): public."User" holds rows') in done.stderr
    assert query(fresh_db, 'SELECT name FROM "User"') == [("Ada",)]
    assert query(fresh_db, "SELECT count(*) FROM _prisma_migrations") == [(1,)]
    allowed = provision(project, "--allow-destructive")
    assert allowed.returncode == 0, allowed.stderr
    assert query(fresh_db, "SELECT count(*) FROM _prisma_migrations") == [(2,)]


def test_a_syntax_error_names_the_migration_not_the_bare_file_name(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_app(tmp_path, fresh_db, without=LATER)
    write_project(project, {"prisma/migrations/20240201000000_oops/migration.sql": "ALTER TABLE \"User\" ADD;\n"})
    done = provision(project)
    assert done.returncode == 1
    assert "prisma/migrations/20240201000000_oops/migration.sql:1:" in done.stderr


def test_an_insert_through_a_cte_names_the_table_the_cte_reads(tmp_path: Path, fresh_db: str) -> None:
    # Shaped after lukevella/rallly prisma/migrations/20250421170921_migrate_invites: `WITH
    # PotentialInvites AS (SELECT … FROM participants …) INSERT … SELECT … FROM PotentialInvites`.
    # The CTE is no table: the rows come from participants (there before the apply), and the
    # refusal says so.
    query(fresh_db, "CREATE TABLE participants (id text PRIMARY KEY, email text)")
    schema = ("CREATE TABLE invites (id text PRIMARY KEY, email text);\n"
              "WITH PotentialInvites AS (SELECT pt.id, pt.email FROM participants pt)\n"
              "INSERT INTO invites (id, email) SELECT id, email FROM PotentialInvites;\n")
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project, "--dry-run")
    assert done.returncode == 1, done.stderr
    assert ("INSERT into public.invites of rows read from public.participants, which this apply does not "
            "create" in done.stdout), done.stdout
    assert "read from public.potentialinvites" not in done.stdout


def test_a_history_copying_rows_between_its_own_tables_applies_unasked(tmp_path: Path, fresh_db: str) -> None:
    # Shaped after umami-software/umami prisma/migrations/14_add_link_and_pixel (an UPDATE
    # through jsonb_array_elements) and 15_add_share (`INSERT INTO "share" … SELECT … FROM
    # "website"`): on a fresh database every table they read was created by the history itself.
    project = prisma_app(tmp_path, fresh_db, without=LATER)
    write_project(project, {
        "prisma/migrations/20240301000000_share/migration.sql":
            'CREATE TABLE "website" ("website_id" uuid PRIMARY KEY, "share_id" text, "parameters" jsonb);\n'
            'CREATE TABLE "share" ("share_id" uuid PRIMARY KEY, "entity_id" uuid NOT NULL, "slug" text);\n'
            'UPDATE "website" SET "parameters" = (SELECT jsonb_agg(e) FROM jsonb_array_elements("parameters") e);\n'
            'INSERT INTO "share" ("share_id", "entity_id", "slug")\n'
            'SELECT gen_random_uuid(), "website_id", "share_id" FROM "website" WHERE "share_id" IS NOT NULL;\n'})
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert query(fresh_db, "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")[0][0] >= 2


def test_an_extension_the_server_lacks_is_named_with_where_to_get_it(tmp_path: Path, fresh_db: str) -> None:
    # umami's prisma/migrations/01_init/migration.sql starts with CREATE EXTENSION "pgcrypto";
    # the embedded PostgreSQL (this test's, and `provision local-db`'s) has no contrib extensions.
    project = write_project(tmp_path, {"schema.sql": 'CREATE EXTENSION IF NOT EXISTS "pgcrypto";\n'
                                                     "CREATE TABLE notes (id int);\n",
                                       ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    assert done.returncode == 1
    assert 'extension "pgcrypto" is not available' in done.stderr
    assert ("this PostgreSQL has no pgcrypto. The one `deploy-check provision local-db` starts ships only "
            "plpgsql and pgvector") in done.stderr, done.stderr
    assert query(fresh_db, "SELECT to_regclass('notes')") == [(None,)]


def test_an_extension_outside_contrib_is_not_sent_to_postgresql_contrib(tmp_path: Path, fresh_db: str) -> None:
    # lobehub/lobe-chat packages/database/migrations/0090_enable_pg_search.sql creates ParadeDB's
    # pg_search, which its docker-compose/dev names the paradedb/paradedb image for: no contrib.
    project = write_project(tmp_path, {"schema.sql": "CREATE EXTENSION IF NOT EXISTS pg_search;\n"
                                                     "CREATE TABLE notes (id int);\n",
                                       ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    assert done.returncode == 1
    assert 'extension "pg_search" is not available' in done.stderr
    assert "pg_search is no contrib extension (postgresql-contrib does not have it)" in done.stderr, done.stderr
    assert "a PostgreSQL with postgresql-contrib" not in done.stderr


def test_a_fresh_database_takes_a_historys_data_migrations_unasked(tmp_path: Path, fresh_db: str) -> None:
    # Shaped after elie222/inbox-zero's prisma history: an UPDATE through a read-only WITH
    # (20251001…_mail_split: `WITH "rankedSplits" AS (SELECT …) UPDATE …`), an upsert into a
    # table the history created (`INSERT … SELECT … ON CONFLICT DO UPDATE`) and SELECT … INTO.
    project = prisma_app(tmp_path, fresh_db, without=LATER)
    write_project(project, {
        "prisma/migrations/20240301000000_splits/migration.sql":
            'CREATE TABLE "Split" ("id" int PRIMARY KEY, "rank" int, "keep" boolean);\n'
            'CREATE TABLE "Account" ("id" int PRIMARY KEY, "email" text);\n'
            'WITH "ranked" AS (SELECT "id", row_number() OVER (ORDER BY "id") AS n FROM "Split")\n'
            'UPDATE "Split" SET "rank" = "ranked".n FROM "ranked" WHERE "Split"."id" = "ranked"."id";\n'
            'INSERT INTO "Account" ("id", "email") SELECT "id", lower(\'x\') FROM "Split"\n'
            'ON CONFLICT ("id") DO UPDATE SET "email" = EXCLUDED."email";\n'
            'SELECT "id" INTO "SplitCopy" FROM "Split" WHERE "keep";\n'})
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert query(fresh_db, "SELECT to_regclass('\"SplitCopy\"') IS NOT NULL") == [(True,)]


def test_an_update_whose_from_calls_a_harmful_function_is_refused_even_on_an_empty_table(
        tmp_path: Path, fresh_db: str) -> None:
    # The FROM list is evaluated too: a join with setval() would move the sequence even
    # though no row of the (empty) table changes.
    query(fresh_db, "CREATE SEQUENCE ids; SELECT setval('ids', 50)")
    project = prisma_app(tmp_path, fresh_db, without=LATER)
    write_project(project, {
        "prisma/migrations/20240301000000_reset/migration.sql":
            'CREATE TABLE "Split" ("id" int PRIMARY KEY);\n'
            "UPDATE \"Split\" SET \"id\" = s FROM setval('ids', 1) AS s WHERE \"Split\".\"id\" > 0;\n"})
    done = provision(project)
    assert done.returncode == 1
    assert "setval() sets a sequence" in done.stderr, done.stderr
    assert query(fresh_db, "SELECT last_value FROM ids") == [(50,)]


def test_an_upsert_into_a_table_with_rows_is_still_refused(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, "CREATE TABLE accounts (id int PRIMARY KEY, email text); "
                    "INSERT INTO accounts VALUES (1, 'kept@example.test')")
    project = write_project(tmp_path, {
        "schema.sql": "INSERT INTO accounts VALUES (1, 'new@example.test') "
                      "ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email;\n",
        ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    assert done.returncode == 1
    assert "upsert into public.accounts (ON CONFLICT DO UPDATE): it overwrites rows that exist" in done.stderr
    assert query(fresh_db, "SELECT email FROM accounts") == [("kept@example.test",)]


def test_a_plpgsql_function_returning_a_value_is_read_with_its_own_signature(tmp_path: Path, fresh_db: str) -> None:
    # lukevella/rallly prisma/migrations/20220329102907_add_links: nanoid(size int) RETURNS text
    # `RETURN id;`. Compiled as a void function its body did not parse, and a statement
    # calling it was named "nanoid(), which runs its code could not be parsed".
    schema = ("CREATE FUNCTION nanoid(size int DEFAULT 21) RETURNS text AS $$\n"
              "DECLARE id text := ''; i int := 0;\n"
              "BEGIN\n  WHILE i < size LOOP\n    id := id || substr('abcdef', (i % 6) + 1, 1);\n"
              "    i = i + 1;\n  END LOOP;\n  RETURN id;\nEND\n$$ LANGUAGE plpgsql STABLE;\n"
              "CREATE TABLE links (id text PRIMARY KEY DEFAULT nanoid());\n"
              "SELECT nanoid(8);\n")
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    # Its body is read now: nothing in it writes, so the deny-list names nothing, and the
    # call runs: the apply's own function only computes, and none of its name existed
    # before (tests/schema/test_own_functions.py).
    assert done.returncode == 0, done.stderr
    assert "could not be parsed" not in done.stderr and "which runs" not in done.stderr, done.stderr


def test_a_seeds_returning_reading_a_view_named_like_its_selects_cte_is_refused(tmp_path: Path, fresh_db: str) -> None:
    # The SELECT's own WITH is scoped to that SELECT: the INSERT's RETURNING (and ON CONFLICT)
    # cannot see its CTE, so `audit` there is the database's view, which wipes users.
    with_rows(fresh_db, WIPE + "CREATE VIEW audit AS SELECT wipe_users() AS id;\n")
    schema = ("CREATE TABLE t (id int);\n"
              "INSERT INTO t WITH audit AS (SELECT 1 AS id) SELECT id FROM audit "
              "RETURNING (SELECT count(*) FROM audit);\n")
    assert "audit" in refused(tmp_path, fresh_db, schema)
