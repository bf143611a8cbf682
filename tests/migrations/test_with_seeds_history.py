"""A drizzle history whose data migration is one statement of several INSERTs inside a WITH
(Dokploy's 0066_yielding_echo.sql line 174: `WITH inserted_users AS (INSERT INTO user_temp …
SELECT … FROM admin … RETURNING *), … INSERT INTO member … FROM inserted_orgs`; fixture
dokploy-drizzle-with-seeds). Each INSERT of the WITH is judged as a seed: on a fresh database
they copy rows of tables the same apply creates, and `provision schema` applies the history
without --allow-destructive. A WITH that writes anything else, or reads, writes or calls
what exists before the apply, stays refused and leaves the rows as they were."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from helpers import add_drizzle_migration, app_fixture, query, run_cli

# A table of the app's from before the apply, with rows: what no statement may lose or copy.
USERS = ("CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE);\n"
         "INSERT INTO users (email) VALUES ('a@example.test'), ('b@example.test');\n")
EMAILS = ["a@example.test", "b@example.test"]
NOTES = 'CREATE TABLE "notes" ("email" text);\nCREATE TABLE "copies" ("email" text);\n'


def dokploy(tmp_path: Path, url: str) -> Path:
    # Dokploy's dev scripts load .env (`tsx -r dotenv/config`), its migrator reads DATABASE_URL.
    return app_fixture(tmp_path, "dokploy-drizzle-with-seeds", {".env": f"DATABASE_URL={url}\n"}, at="dokploy")


def provision(project: Path, *args: str) -> tuple[int, str]:
    done = run_cli("provision", "schema", "--project", str(project), *args)
    return done.returncode, done.stdout + done.stderr


def emails(url: str) -> list[object]:
    return [row[0] for row in query(url, "SELECT email FROM users ORDER BY id")]


def relations(url: str, *names: str) -> list[object]:
    return [query(url, f"SELECT to_regclass('{name}') IS NOT NULL")[0][0] for name in names]


def test_a_fresh_database_takes_the_with_of_inserts_without_allow_destructive(tmp_path: Path, fresh_db: str) -> None:
    project = dokploy(tmp_path, fresh_db)
    code, said = provision(project)
    assert code == 0, said
    assert "recorded 2 migrations as applied in drizzle.__drizzle_migrations" in said
    # As drizzle-orm's migrator writes them: sha256 of each file's text, the journal's `when`.
    journal = json.loads((project / "drizzle" / "meta" / "_journal.json").read_text())
    expected = [(hashlib.sha256((project / "drizzle" / f"{e['tag']}.sql").read_bytes()).hexdigest(), e["when"])
                for e in journal["entries"]]
    assert query(fresh_db, "SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id") == expected
    assert relations(fresh_db, "user_temp", "account", "organization", "member") == [True] * 4
    assert query(fresh_db, "SELECT count(*) FROM member") == [(0,)]


def test_the_dry_run_names_every_table_the_with_seeds(tmp_path: Path, fresh_db: str) -> None:
    code, said = provision(dokploy(tmp_path, fresh_db), "--dry-run")
    assert code == 0, said
    assert ("drizzle/0001_yielding_echo.sql:54 additive if auth, admin, user did not exist before this apply: "
            "`WITH inserted_users AS (` — seed rows into public.user_temp, public.account, public.organization, "
            "public.member, which this apply creates") in said, said
    assert "would refuse" not in said
    assert relations(fresh_db, "user_temp", "drizzle.__drizzle_migrations") == [False, False]


def test_a_with_seeding_an_if_not_exists_table_names_it_in_the_dry_run(tmp_path: Path, fresh_db: str) -> None:
    project = dokploy(tmp_path, fresh_db)
    add_drizzle_migration(project, "0002_settings", (
        'CREATE TABLE IF NOT EXISTS "settings" ("key" text NOT NULL);\n'
        'CREATE TABLE "settings_log" ("key" text NOT NULL);\n'
        "WITH added AS (INSERT INTO \"settings\" (\"key\") VALUES ('theme') RETURNING \"key\")\n"
        'INSERT INTO "settings_log" ("key") SELECT "key" FROM added;\n'))
    code, said = provision(project, "--dry-run")
    assert code == 0, said
    assert ("drizzle/0002_settings.sql:3 additive if settings did not exist before this apply: `WITH added AS "
            "(INSERT INTO \"settings\" (\"key\") VALUES ('theme') RETURNING \"key\")` — seed rows into "
            "public.settings, public.settings_log, which this apply creates") in said, said
    code, said = provision(project)
    assert code == 0, said
    assert query(fresh_db, "SELECT key FROM settings_log") == [("theme",)]


def test_a_with_copying_an_if_not_exists_table_that_holds_rows_is_refused(tmp_path: Path, fresh_db: str) -> None:
    project = dokploy(tmp_path, fresh_db)
    assert provision(project)[0] == 0
    query(fresh_db, "INSERT INTO auth VALUES ('u1', 'a@example.test', 'hash', 'admin', NULL, '2024'); "
                    "INSERT INTO admin VALUES ('a1', NULL, 'u1', '2024')")
    # Its own IF NOT EXISTS creates nothing: admin is the app's, with its rows.
    add_drizzle_migration(project, "0002_owners", (
        'CREATE TABLE IF NOT EXISTS "admin" ("adminId" text PRIMARY KEY NOT NULL, "authId" text NOT NULL);\n'
        'CREATE TABLE "owner" ("id" text NOT NULL);\n'
        'CREATE TABLE "owner_log" ("id" text NOT NULL);\n'
        'WITH owners AS (INSERT INTO "owner" ("id") SELECT "adminId" FROM "admin" RETURNING "id")\n'
        'INSERT INTO "owner_log" ("id") SELECT "id" FROM owners;\n'))
    code, said = provision(project)
    assert code == 1, said
    assert ("drizzle/0002_owners.sql:4 `WITH owners AS (INSERT INTO \"owner\" (\"id\") SELECT \"adminId\" FROM "
            "\"admin\" RETU...`: it copies the rows of public.admin, which exists before this apply") in said
    assert "--allow-destructive" in said
    assert relations(fresh_db, "owner") == [False]
    assert query(fresh_db, "SELECT count(*) FROM drizzle.__drizzle_migrations") == [(2,)]


def test_a_pending_with_copying_rows_an_earlier_apply_made_is_refused(tmp_path: Path, fresh_db: str) -> None:
    project = dokploy(tmp_path, fresh_db)
    assert provision(project)[0] == 0
    query(fresh_db, "INSERT INTO auth VALUES ('u1', 'a@example.test', 'hash', 'admin', NULL, '2024')")
    add_drizzle_migration(project, "0002_tokens", NOTES + (
        'WITH copied AS (INSERT INTO "notes" ("email") SELECT "password" FROM "auth" RETURNING "email")\n'
        'INSERT INTO "copies" ("email") SELECT "email" FROM copied;\n'))
    code, said = provision(project)
    assert code == 1, said
    assert ("drizzle/0002_tokens.sql:3 `WITH copied AS (INSERT INTO \"notes\" (\"email\") SELECT \"password\" "
            "FROM \"auth\" R...`: INSERT into public.notes of rows read from public.auth, which this apply does not "
            "create (a seed inserts constants, or copies rows of tables this apply creates) (inside WITH copied)") in said
    assert relations(fresh_db, "notes") == [False]
    assert query(fresh_db, "SELECT count(*) FROM drizzle.__drizzle_migrations") == [(2,)]


# Each: a migration after the fixture's two, on a database where `users` (with rows) and
# wipe_users() (whose body deletes them) exist before the apply; what it must not pass.
ATTACKS = {
    "a DELETE inside the WITH":
        'WITH gone AS (DELETE FROM users RETURNING email) INSERT INTO "notes" SELECT email FROM gone;\n',
    "an UPDATE inside the WITH":
        "WITH changed AS (UPDATE users SET email = NULL WHERE true RETURNING email) "
        'INSERT INTO "notes" SELECT email FROM changed;\n',
    "an upsert into a table that exists":
        "WITH kept AS (INSERT INTO users (email) VALUES ('a@example.test') ON CONFLICT (email) "
        "DO UPDATE SET email = 'taken@example.test' RETURNING email) INSERT INTO \"notes\" SELECT email FROM kept;\n",
    "an INSERT into a table that exists":
        "WITH added AS (INSERT INTO users (email) VALUES ('c@example.test') RETURNING email) "
        'INSERT INTO "notes" SELECT email FROM added;\n',
    "a copy of a table that exists":
        'WITH copied AS (INSERT INTO "notes" SELECT email FROM users RETURNING email) '
        'INSERT INTO "copies" SELECT email FROM copied;\n',
    "a read-only CTE reading a table that exists":
        'WITH source AS (SELECT email FROM users), copied AS (INSERT INTO "notes" SELECT email FROM source '
        'RETURNING email) INSERT INTO "copies" SELECT email FROM copied;\n',
    "a CTE named after the table it reads":
        'WITH users AS (INSERT INTO "notes" SELECT email FROM users RETURNING email) '
        'INSERT INTO "copies" SELECT email FROM users;\n',
    "a RETURNING reading a table that exists":
        "WITH added AS (INSERT INTO \"notes\" VALUES ('x') RETURNING (SELECT max(email) FROM users)) "
        'INSERT INTO "copies" SELECT * FROM added;\n',
    "a call of a function that deletes":
        'WITH added AS (INSERT INTO "notes" VALUES (wipe_users()::text) RETURNING email) '
        'INSERT INTO "copies" SELECT email FROM added;\n',
    "an INSERT trigger that deletes":
        "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; RETURN NEW; END $$;\n"
        'CREATE TRIGGER notes_wipe BEFORE INSERT ON "notes" FOR EACH ROW EXECUTE FUNCTION wipe();\n'
        "WITH added AS (INSERT INTO \"notes\" VALUES ('x') RETURNING email) "
        'INSERT INTO "copies" SELECT email FROM added;\n',
    "a view made under the name of an IF NOT EXISTS table":
        "CREATE VIEW team AS SELECT email FROM users;\nCREATE TABLE IF NOT EXISTS team (email text);\n"
        "WITH added AS (INSERT INTO team VALUES ('c@example.test') RETURNING email) "
        'INSERT INTO "copies" SELECT email FROM added;\n',
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_with_touching_what_exists_before_the_apply_is_refused(tmp_path: Path, fresh_db: str, attack: str) -> None:
    query(fresh_db, USERS + "CREATE FUNCTION wipe_users() RETURNS int LANGUAGE sql AS "
                            "$$ DELETE FROM users; SELECT 1 $$;\n")
    project = dokploy(tmp_path, fresh_db)
    add_drizzle_migration(project, "0002_notes", NOTES + attack)
    code, said = provision(project)
    assert emails(fresh_db) == EMAILS, said
    assert code == 1, said
    assert "drizzle/0002_notes.sql:" in said and "--allow-destructive" in said
    assert relations(fresh_db, "notes", "user_temp", "drizzle.__drizzle_migrations") == [False, False, False]
