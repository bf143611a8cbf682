"""What PostgreSQL runs only outside a transaction block (CREATE INDEX CONCURRENTLY…) is
named before anything is sent, with the way to apply it: langfuse's Prisma history
(prisma/migrations/20240104210051_add_model_indices: `CREATE INDEX CONCURRENTLY …`) failed
half-way through `provision schema`'s one transaction with PostgreSQL's own words only."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import query, run_cli, write_project

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
