"""A drizzle history whose first migration creates its tables with `CREATE TABLE IF NOT
EXISTS` (old drizzle-kit output) and whose later migrations copy rows from them (Dokploy's
0066_yielding_echo.sql and 0107_loud_kang.sql; fixture dokploy-drizzle-history). On a fresh
database the copies read tables this apply creates, empty: `provision schema` applies the
history without --allow-destructive. Where such a table exists before the apply, or another
statement of the apply may have put a relation under its name, the copy stays refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from helpers import add_drizzle_migration, app_fixture, query, run_cli

TAGS = ["0000_reflective_puck", "0001_yielding_echo", "0002_loud_kang"]
USERS = "CREATE TABLE users (email text); INSERT INTO users VALUES ('a@example.test'), ('b@example.test')"


def dokploy(tmp_path: Path, url: str) -> Path:
    # Dokploy's dev scripts load .env (`tsx -r dotenv/config`), its migrator reads DATABASE_URL.
    return app_fixture(tmp_path, "dokploy-drizzle-history", {".env": f"DATABASE_URL={url}\n"}, at="dokploy")


def provision(project: Path) -> tuple[int, str]:
    done = run_cli("provision", "schema", "--project", str(project))
    return done.returncode, done.stdout + done.stderr


def relations(url: str, *names: str) -> list[object]:
    return [query(url, f"SELECT to_regclass('{name}') IS NOT NULL")[0][0] for name in names]


def test_a_fresh_database_takes_the_history_without_allow_destructive(tmp_path: Path, fresh_db: str) -> None:
    project = dokploy(tmp_path, fresh_db)
    code, said = provision(project)
    assert code == 0, said
    assert "recorded 3 migrations as applied in drizzle.__drizzle_migrations" in said
    # As drizzle-orm's migrator writes them: sha256 of each file's text, the journal's `when`.
    journal = json.loads((project / "drizzle" / "meta" / "_journal.json").read_text())
    expected = [(hashlib.sha256((project / "drizzle" / f"{e['tag']}.sql").read_bytes()).hexdigest(), e["when"])
                for e in journal["entries"]]
    assert [e["tag"] for e in journal["entries"]] == TAGS
    assert query(fresh_db, "SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id") == expected
    assert relations(fresh_db, "apikey", "environment") == [True, True]
    assert query(fresh_db, "SELECT count(*) FROM environment") == [(0,)]


def test_tables_that_exist_with_rows_keep_the_copies_refused(tmp_path: Path, fresh_db: str) -> None:
    # The tables were there before (a `drizzle-kit push`, an older deploy): the IF NOT EXISTS
    # creates nothing, and the copies would read the rows there.
    query(fresh_db, 'CREATE TABLE project ("projectId" text PRIMARY KEY, name text NOT NULL, description text, '
                    '"createdAt" text NOT NULL, "adminId" text NOT NULL); '
                    "INSERT INTO project VALUES ('p1', 'site', NULL, '2024', 'a1')")
    code, said = provision(dokploy(tmp_path, fresh_db))
    assert code == 1, said
    assert "nothing was applied" in said
    assert relations(fresh_db, "environment", "apikey", "drizzle.__drizzle_migrations") == [False, False, False]
    assert query(fresh_db, 'SELECT "projectId", name FROM project') == [("p1", "site")]


def test_a_pending_migration_copying_from_a_table_that_exists_with_rows_is_refused(
        tmp_path: Path, fresh_db: str) -> None:
    project = dokploy(tmp_path, fresh_db)
    assert provision(project)[0] == 0
    query(fresh_db, "INSERT INTO project VALUES ('p1', 'site', NULL, '2024', 'u1')")
    # Its own IF NOT EXISTS creates nothing: project is the app's, with its rows.
    add_drizzle_migration(project, "0003_release", (
        'CREATE TABLE IF NOT EXISTS "project" ("projectId" text PRIMARY KEY NOT NULL, "name" text NOT NULL);\n'
        'CREATE TABLE "release" ("projectId" text NOT NULL);\n'
        'INSERT INTO "release" ("projectId") SELECT "projectId" FROM "project";\n'))
    code, said = provision(project)
    assert code == 1, said
    assert "drizzle/0003_release.sql:3" in said
    assert "it copies the rows of public.project, which exists before this apply" in said
    assert "--allow-destructive" in said
    assert relations(fresh_db, "release") == [False]
    assert query(fresh_db, "SELECT count(*) FROM drizzle.__drizzle_migrations") == [(3,)]


def test_a_view_made_under_the_name_before_the_create_is_no_table_of_the_apply(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    project = dokploy(tmp_path, fresh_db)
    add_drizzle_migration(project, "0003_team", (
        'CREATE VIEW "team" AS SELECT email AS "teamId" FROM users;\n'
        'CREATE TABLE IF NOT EXISTS "team" ("teamId" text PRIMARY KEY NOT NULL);\n'
        'CREATE TABLE "member" ("teamId" text NOT NULL);\n'
        'INSERT INTO "member" ("teamId") SELECT "teamId" FROM "team";\n'))
    code, said = provision(project)
    assert code == 1, said
    assert "drizzle/0003_team.sql:4" in said and "rows read from public.team" in said
    assert relations(fresh_db, "member", "environment") == [False, False]


def test_a_table_dropped_and_replaced_by_a_view_is_no_table_of_the_apply(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    project = dokploy(tmp_path, fresh_db)
    # The DROP alone would run (team holds no rows then); the view then reads users' rows.
    add_drizzle_migration(project, "0003_team", (
        'CREATE TABLE IF NOT EXISTS "team" ("teamId" text PRIMARY KEY NOT NULL);\n'
        'DROP TABLE "team";\n'
        'CREATE VIEW "team" AS SELECT email AS "teamId" FROM users;\n'
        'CREATE TABLE "member" ("teamId" text NOT NULL);\n'
        'INSERT INTO "member" ("teamId") SELECT "teamId" FROM "team";\n'))
    code, said = provision(project)
    assert code == 1, said
    assert "drizzle/0003_team.sql:5" in said and "rows read from public.team" in said
    assert relations(fresh_db, "member", "environment") == [False, False]


def test_a_schema_renamed_in_the_apply_may_bring_any_name(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, "CREATE SCHEMA old; CREATE TABLE old.team (\"teamId\" text); "
                    "INSERT INTO old.team VALUES ('kept')")
    project = dokploy(tmp_path, fresh_db)
    # team is created in app, which is then renamed away; old (holding a team with rows) takes
    # its name: the copy reads old's rows.
    add_drizzle_migration(project, "0003_team", (
        'CREATE SCHEMA app;\n'
        'CREATE TABLE IF NOT EXISTS app."team" ("teamId" text);\n'
        'ALTER SCHEMA app RENAME TO gone;\n'
        'ALTER SCHEMA old RENAME TO app;\n'
        'CREATE TABLE "member" ("teamId" text NOT NULL);\n'
        'INSERT INTO "member" ("teamId") SELECT "teamId" FROM app."team";\n'))
    code, said = provision(project)
    assert code == 1, said
    assert "drizzle/0003_team.sql:6" in said and "rows read from app.team" in said
    assert relations(fresh_db, "member", "environment", "old.team") == [False, False, True]


def test_a_seed_into_an_if_not_exists_table_whose_name_a_view_took_is_refused(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, USERS)
    project = dokploy(tmp_path, fresh_db)
    # The IF NOT EXISTS creates nothing: `team` is the view, and an INSERT into it (a view
    # PostgreSQL updates automatically) is a row written into users, triggers and all.
    add_drizzle_migration(project, "0003_team", (
        'CREATE VIEW "team" AS SELECT email FROM users;\n'
        'CREATE TABLE IF NOT EXISTS "team" ("email" text);\n'
        "INSERT INTO \"team\" (\"email\") VALUES ('c@example.test');\n"))
    code, said = provision(project)
    assert code == 1, said
    assert "drizzle/0003_team.sql:3" in said and "INSERT into public.team, which this apply does not create" in said
    assert query(fresh_db, "SELECT email FROM users ORDER BY email") == [("a@example.test",), ("b@example.test",)]
    assert relations(fresh_db, "team", "environment") == [False, False]
