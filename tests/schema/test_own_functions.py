"""A call of a function the same apply creates, whose every body only computes, runs
unasked where no function of that name exists before the apply (rallly's `nanoid()`
default: the history was refused on a fresh database). Everything that could make such a
call run other code is still refused: a function of that name in any schema before the
apply, an overload or a later body that writes, a rename, a view or body that keeps the
call, an extension that may bring a function of that name."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_allowlist import provision

from helpers import query, write_project

# lukevella/rallly prisma/migrations/20220329102907_add_links/migration.sql: nanoid(size int)
# RETURNS text in PL/pgSQL (there over pgcrypto's gen_random_bytes; random() here, as the
# embedded PostgreSQL has no contrib extensions), then `DEFAULT nanoid()` columns.
NANOID = ("CREATE OR REPLACE FUNCTION nanoid(size int DEFAULT 21) RETURNS text AS $$\n"
          "DECLARE id text := ''; i int := 0; alphabet text := '0123456789abcdefghijklmnopqrstuvwxyz';\n"
          "BEGIN\n  WHILE i < size LOOP\n"
          "    id := id || substr(alphabet, 1 + floor(random() * 36)::int, 1);\n    i := i + 1;\n"
          "  END LOOP;\n  RETURN id;\nEND\n$$ LANGUAGE plpgsql VOLATILE;\n")
TABLE = "CREATE TABLE links (id text PRIMARY KEY DEFAULT nanoid(), url text NOT NULL);\n"
SEED = "INSERT INTO links (url) VALUES ('https://example.test/a'), ('https://example.test/b');\n"
WRITES = ("CREATE TABLE audit (n int);\n"
          "CREATE FUNCTION nanoid(size int, tag text) RETURNS text LANGUAGE sql AS "
          "$$ INSERT INTO audit VALUES (size) RETURNING tag $$;\n")


def history(tmp_path: Path, url: str, *migrations: str) -> Path:
    """A Prisma history, one migration per text."""
    files = {f"prisma/migrations/2024010{n}000000_m{n}/migration.sql": sql for n, sql in enumerate(migrations, 1)}
    files["prisma/schema.prisma"] = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'
    files[".env"] = f"DATABASE_URL={url}\n"
    return write_project(tmp_path, files)


def test_a_seed_running_the_apps_own_computing_default_applies_unasked(tmp_path: Path, fresh_db: str) -> None:
    # The UPDATE meets an empty table (a history's rule), then the seed runs the default.
    project = history(tmp_path, fresh_db, NANOID, TABLE, "UPDATE links SET id = nanoid(8);\n", SEED)
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert query(fresh_db, "SELECT length(id) FROM links") == [(21,), (21,)]
    dry = provision(project, "--dry-run")
    assert dry.returncode == 0, dry.stderr


def test_its_classification_names_the_condition(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path, {"schema.sql": NANOID + TABLE + SEED, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "additive if no function named like nanoid() exists before this apply: `INSERT INTO links" in done.stdout


@pytest.mark.parametrize("before", [
    "CREATE SCHEMA other; CREATE FUNCTION other.nanoid(x bigint) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;",
    "CREATE FUNCTION nanoid(x numeric, y text) RETURNS text LANGUAGE sql AS $$ SELECT y $$;",
])
def test_a_function_of_that_name_before_the_apply_is_refused_whatever_its_schema(
        tmp_path: Path, fresh_db: str, before: str) -> None:
    query(fresh_db, before)
    project = write_project(tmp_path, {"schema.sql": NANOID.replace("CREATE OR REPLACE", "CREATE") + TABLE + SEED,
                                       ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    assert done.returncode == 1
    assert "it calls nanoid(), which this apply creates, and a function named nanoid exists before it" in done.stderr
    assert query(fresh_db, "SELECT to_regclass('links')") == [(None,)]


@pytest.mark.parametrize(("between", "why"), [
    (WRITES, "not on the safe list"),  # an overload that writes: a call may be that one
    (NANOID.replace("RETURN id;", "INSERT INTO links_log VALUES (1); RETURN id;")
     .replace("CREATE OR REPLACE", "CREATE TABLE links_log (n int);\nCREATE OR REPLACE"), "not on the safe list"),
    ("ALTER FUNCTION nanoid(int) RENAME TO nanoid_old;\nCREATE FUNCTION nanoid() RETURNS text LANGUAGE sql AS "
     "$$ SELECT 'x' $$;\n", ""),  # after a rename nothing of the apply's is trusted
    ("CREATE EXTENSION IF NOT EXISTS dblink;\n", "not on the safe list"),  # may bring its own functions
])
def test_what_could_make_the_call_run_other_code_is_refused(tmp_path: Path, fresh_db: str, between: str,
                                                             why: str) -> None:
    project = write_project(tmp_path, {"schema.sql": NANOID + between + TABLE + SEED,
                                       ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    assert done.returncode == 1, done.stdout
    assert "INSERT into public.links runs a default, check or generated column of public.links: it calls " \
           "nanoid()" in done.stderr, done.stderr
    assert why in done.stderr
    assert query(fresh_db, "SELECT to_regclass('links')") == [(None,)]


def test_code_kept_to_run_later_does_not_trust_the_apps_function(tmp_path: Path, fresh_db: str) -> None:
    """A view's query and a function's body keep the call: a later CREATE OR REPLACE would
    change what they run, so reading the view (or calling the function) stays refused."""
    schema = (NANOID + TABLE + "CREATE VIEW fresh_ids AS SELECT nanoid(4) AS id;\n"
              "CREATE FUNCTION two() RETURNS text LANGUAGE sql AS $$ SELECT nanoid(2) $$;\n"
              "SELECT id FROM fresh_ids;\nSELECT two();\n")
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = provision(project)
    assert done.returncode == 1
    assert "it reads the view fresh_ids, which it calls nanoid()" in done.stderr, done.stderr
    assert "it calls two(), which is not on the safe list" in done.stderr


# A function of the apply's own that deletes the rows of a table that holds some (creating it
# is additive; only a call would run it).
KEEP = "CREATE TABLE keep (n int); INSERT INTO keep VALUES (1), (2), (3);"
WIPE_KEEP = "CREATE FUNCTION wipe_keep() RETURNS int LANGUAGE sql AS $$ DELETE FROM keep; SELECT 1 $$;\n"


def kept(tmp_path: Path, url: str, schema: str) -> str:
    """Provision `schema` over a database whose table `keep` holds three rows: refused, the
    rows kept."""
    query(url, KEEP)
    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": f"DATABASE_URL={url}\n"})
    done = provision(project)
    assert query(url, "SELECT count(*) FROM keep") == [(3,)], done.stdout + done.stderr
    assert done.returncode == 1, done.stdout
    return done.stderr


@pytest.mark.parametrize("call", [TABLE + SEED, "SELECT nanoid();\n"], ids=["default", "select"])
def test_a_default_of_its_arguments_is_judged_with_its_body(tmp_path: Path, fresh_db: str, call: str) -> None:
    """`nanoid()` leaves `size` out: the call runs size's DEFAULT, which the body does not show."""
    schema = WIPE_KEEP + NANOID.replace("size int DEFAULT 21", "size int DEFAULT wipe_keep() + 20") + call
    said = kept(tmp_path, fresh_db, schema)
    assert "it calls nanoid(), which is not on the safe list" in said, said


@pytest.mark.parametrize("schema", [
    # The view it reads comes after it; a LANGUAGE sql body is not checked then either.
    "CREATE FUNCTION nanoid() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT x::text FROM v); END $$;\n"
    "CREATE VIEW v AS SELECT wipe_keep() AS x;\n",
    "SET check_function_bodies = off;\nCREATE FUNCTION nanoid() RETURNS text LANGUAGE sql AS $$ SELECT x::text FROM v $$;\n"
    "CREATE VIEW v AS SELECT wipe_keep() AS x;\n",
    # It read a harmless view, which the apply then replaces.
    "CREATE VIEW v AS SELECT 1 AS x;\n"
    "CREATE FUNCTION nanoid() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT x::text FROM v); END $$;\n"
    "CREATE OR REPLACE VIEW v AS SELECT wipe_keep() AS x;\n",
], ids=["view-after", "sql-unchecked", "view-replaced"])
def test_a_body_that_reads_a_relation_is_not_trusted(tmp_path: Path, fresh_db: str, schema: str) -> None:
    """The body was judged when it was created; what a read of a relation runs may change after."""
    said = kept(tmp_path, fresh_db, WIPE_KEEP + schema + TABLE + SEED)
    assert "it calls nanoid(), which is not on the safe list" in said, said


def test_an_assignments_subscript_is_judged_too(tmp_path: Path, fresh_db: str) -> None:
    """`ids[wipe_keep()] := 1` runs wipe_keep() on its left, which a read of only the value missed."""
    body = NANOID.replace("DECLARE id text := '';", "DECLARE ids int[] := '{0}'; id text := '';").replace(
        "BEGIN\n", "BEGIN\n  ids[wipe_keep()] := 1;\n")
    said = kept(tmp_path, fresh_db, WIPE_KEEP + body + TABLE + SEED)
    assert "it calls nanoid(), which is not on the safe list" in said, said


def test_a_trigger_functions_assignment_subscript_is_judged_too(tmp_path: Path, fresh_db: str) -> None:
    schema = (WIPE_KEEP + "CREATE TABLE links (id int);\n"
              "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE a int[] := '{0}'; "
              "BEGIN a[wipe_keep()] := 1; RETURN NEW; END $$;\n"
              "CREATE TRIGGER stamp BEFORE INSERT ON links FOR EACH ROW EXECUTE FUNCTION stamp();\n"
              "INSERT INTO links VALUES (1);\n")
    said = kept(tmp_path, fresh_db, schema)
    assert "stamp()" in said and "wipe_keep()" in said, said


def test_a_view_a_trigger_function_reads_is_judged_at_the_seed(tmp_path: Path, fresh_db: str) -> None:
    """The function only read `v` when it was created; the view that calls wipe_keep() came after."""
    schema = (WIPE_KEEP + "CREATE TABLE links (id int);\n"
              "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM x FROM v; RETURN NEW; END $$;\n"
              "CREATE TRIGGER stamp BEFORE INSERT ON links FOR EACH ROW EXECUTE FUNCTION stamp();\n"
              "CREATE VIEW v AS SELECT wipe_keep() AS x;\nINSERT INTO links VALUES (1);\n")
    said = kept(tmp_path, fresh_db, schema)
    assert "INSERT into public.links runs trigger stamp, whose function stamp() of public.links: it reads the " \
           "view v, which it calls wipe_keep()" in said, said
