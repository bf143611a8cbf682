"""What PostgreSQL runs only outside a transaction block (CREATE INDEX CONCURRENTLY…) is
named before anything is sent, with the way to apply it: langfuse's Prisma history
(prisma/migrations/20240104210051_add_model_indices: `CREATE INDEX CONCURRENTLY …`) failed
half-way through `provision schema`'s one transaction with PostgreSQL's own words only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import REPO, query, run_cli, write_project

PRISMA = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'


@pytest.mark.parametrize("statement", [
    'CREATE INDEX CONCURRENTLY "t_name_idx" ON "t"("name");',
    'DROP INDEX CONCURRENTLY IF EXISTS "t_old_idx";',
    "VACUUM t;",
])
def test_a_history_statement_that_needs_no_transaction_is_refused_up_front(
        tmp_path: Path, fresh_db: str, statement: str) -> None:
    project = write_project(tmp_path, {
        "prisma/schema.prisma": PRISMA,
        "prisma/migrations/20240101000000_init/migration.sql": 'CREATE TABLE "t" ("id" int PRIMARY KEY, "name" text);\n',
        "prisma/migrations/20240102000000_idx/migration.sql": statement + "\n",
        ".env": f"DATABASE_URL={fresh_db}\n",
    })
    done = run_cli("provision", "schema", "--project", str(project))
    assert done.returncode == 1
    assert (f"PostgreSQL runs prisma/migrations/20240102000000_idx/migration.sql:1 `{statement.rstrip(';')}` only "
            "outside a transaction block") in done.stderr, done.stderr
    assert "apply the history with the app's own migrator (`npx prisma migrate deploy`)" in done.stderr
    assert query(fresh_db, "SELECT to_regclass('t')") == [(None,)]  # nothing was applied


def test_a_schema_file_names_psql(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path, {
        "schema.sql": "CREATE TABLE t (id int PRIMARY KEY, name text);\nCREATE INDEX CONCURRENTLY t_name ON t (name);\n",
        ".env.local": f"DATABASE_URL={fresh_db}\n"})
    done = run_cli("provision", "schema", "--project", str(project))
    assert done.returncode == 1
    assert "run it yourself with psql once the rest is applied — nothing was sent to the database" in done.stderr
    assert query(fresh_db, "SELECT to_regclass('t')") == [(None,)]


def test_a_drizzle_history_is_not_sent_to_drizzle_kit_migrate(tmp_path: Path, fresh_db: str) -> None:
    # drizzle-kit 0.31 output for `index(…).concurrently()` (drizzle-team/drizzle-kit-mirror issue
    # 486); drizzle-orm's migrator runs every pending migration in one transaction (drizzle-orm 860).
    journal = ('{"version": "7", "dialect": "postgresql", "entries": ['
               '{"idx": 0, "version": "7", "when": 1732000000000, "tag": "0000_init", "breakpoints": true},'
               '{"idx": 1, "version": "7", "when": 1732000100000, "tag": "0001_idx", "breakpoints": true}]}')
    project = write_project(tmp_path, {
        ".env.local": f"DATABASE_URL={fresh_db}\n",
        "package.json": '{"name": "app", "dependencies": {"drizzle-orm": "0.45.4"}}\n',
        "drizzle/meta/_journal.json": journal,
        "drizzle/0000_init.sql": 'CREATE TABLE "t" ("id" integer PRIMARY KEY, "name" text);\n',
        "drizzle/0001_idx.sql": 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_name_idx" ON "t" USING btree ("name");\n',
    })
    done = run_cli("provision", "schema", "--project", str(project))
    assert done.returncode == 1
    assert "only outside a transaction block" in done.stderr, done.stderr
    assert "apply the history with the app's own migrator" not in done.stderr
    assert ("`npx drizzle-kit migrate` fails on it the same way (drizzle applies every pending migration in "
            "one transaction)") in done.stderr
    assert query(fresh_db, "SELECT to_regclass('t')") == [(None,)]


def test_a_workspace_history_names_its_migrator_where_it_runs(tmp_path: Path, fresh_db: str) -> None:
    # rallly's packages/database holds prisma and its history; the app is apps/web (as DB006 says).
    root = tmp_path / "rallly"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "rallly-monorepo", root)
    (root / "packages/database/.env").write_text(f"DATABASE_URL={fresh_db}\n", encoding="utf-8")
    (root / "apps/web/.env").write_text(f"DATABASE_URL={fresh_db}\n", encoding="utf-8")
    index = root / "packages/database/prisma/migrations/20990101000000_idx/migration.sql"
    index.parent.mkdir()
    index.write_text('CREATE INDEX CONCURRENTLY "polls_title_idx" ON "polls"("title");\n', encoding="utf-8")
    done = run_cli("provision", "schema", "--project", str(root / "apps/web"))
    assert done.returncode == 1
    assert ("apply the history with the app's own migrator "
            "(`cd ../../packages/database && npx prisma migrate deploy`)") in done.stderr, done.stderr


# Each kind as PostgreSQL itself judges it: what the server refuses inside a transaction
# block, and what it runs there (PreventInTransactionBlock's callers; docs of each command).
REFUSED = [
    "REINDEX SCHEMA public",
    "REINDEX DATABASE {db}",
    "REINDEX SYSTEM {db}",
    "REINDEX (CONCURRENTLY) TABLE t",
    "DISCARD ALL",
    "CLUSTER",
    "ALTER DATABASE {db} SET TABLESPACE pg_default",
    "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
    "CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=1 dbname=x' PUBLICATION pub",
    "CREATE INDEX CONCURRENTLY t_i ON t (id)",
    "VACUUM t",
]
RUNS = [
    "REINDEX TABLE t",
    "DISCARD PLANS",
    "CLUSTER t USING t_pkey",
    "ALTER DATABASE {db} CONNECTION LIMIT 50",
    "ALTER TABLE p DETACH PARTITION p1",
    "CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=1 dbname=x' PUBLICATION pub WITH (connect = false)",
    "CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=1 dbname=x' PUBLICATION pub WITH (create_slot = off, "
    "enabled = false, slot_name = NONE, connect = 0)",
    "ANALYZE t",
]


@pytest.mark.parametrize(("statement", "refused"), [(s, True) for s in REFUSED] + [(s, False) for s in RUNS])
def test_what_needs_no_transaction_is_what_postgresql_refuses_in_one(fresh_db: str, statement: str,
                                                                     refused: bool) -> None:
    import psycopg

    from checks.schema.outside import outside_transaction
    from checks.support.sqltree import parse_sql

    sql = statement.format(db=fresh_db.rsplit("/", 1)[1].split("?")[0])
    with psycopg.connect(fresh_db, autocommit=True) as connection:
        connection.execute("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE p (id int) PARTITION BY RANGE (id); "
                           "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)")
        said = ""
        try:
            with connection.transaction(force_rollback=True):
                connection.execute(sql)
        except psycopg.Error as exc:
            said = str(exc)
    assert ("cannot run inside a transaction block" in said) is refused, said
    assert outside_transaction(parse_sql(sql)[0].stmt) is refused
