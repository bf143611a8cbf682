"""DB006's fix must work when pasted: where a pending migration holds what PostgreSQL runs only
outside a transaction block (langfuse's prisma/migrations/20240104210051_add_model_indices:
`CREATE INDEX CONCURRENTLY …`), `deploy-check provision schema` refuses it up front, so the fix
is the app's own migrator, where it runs (and its hint says why); a plain history keeps
`deploy-check provision schema`, which really applies it."""

from __future__ import annotations

from pathlib import Path

from test_migrations import db006, prisma_project, provision

from helpers import app_fixture, checks_by_id, committed, query, run_json, write_project

CONCURRENT = "prisma/migrations/20241103120000_post_author_idx/migration.sql"
INDEX = 'CREATE INDEX CONCURRENTLY "Post_authorId_idx" ON "Post"("authorId");\n'


def test_a_plain_history_keeps_provision_schema_and_it_applies(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_project(tmp_path, fresh_db)
    found = db006(project)
    assert found["status"] == "fail" and found["fix"] == "deploy-check provision schema", found
    assert provision(project).returncode == 0
    assert query(fresh_db, 'SELECT to_regclass(\'"Post"\') IS NOT NULL') == [(True,)]
    assert db006(project)["status"] == "pass"


def test_a_pending_concurrent_index_makes_the_fix_the_apps_migrator(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_project(tmp_path, fresh_db)
    assert provision(project).returncode == 0  # the history's table exists; one migration is pending
    write_project(project, {CONCURRENT: INDEX})
    found = db006(project)
    assert found["status"] == "fail", found
    assert found["fix"] == "npx prisma migrate deploy", found
    assert found["fix_command"] == f"cd {project} && npx prisma migrate deploy", found
    assert (f"PostgreSQL runs {CONCURRENT}:1 `CREATE INDEX CONCURRENTLY \"Post_authorId_idx\" ON "
            "\"Post\"(\"authorId\")` only outside a transaction block") in found["hint"], found
    assert "Apply them with the app's own migrator: `npx prisma migrate deploy`." in found["hint"]
    # What the old fix did when pasted: refused, nothing applied.
    assert provision(project).returncode == 1
    assert query(fresh_db, "SELECT to_regclass('\"Post_authorId_idx\"')") == [(None,)]


def test_a_whole_history_never_applied_names_the_migrator_too(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(prisma_project(tmp_path, fresh_db), {CONCURRENT: INDEX})
    found = db006(project)
    assert found["status"] == "fail" and found["fix"] == "npx prisma migrate deploy", found


def test_a_workspace_package_history_is_applied_where_its_scripts_say(tmp_path: Path, fresh_db: str) -> None:
    # typebot.io's packages/prisma: `prisma migrate deploy` finds its schema only by --schema.
    root = app_fixture(tmp_path, "nx-monorepo")
    committed(root)
    write_project(root, {".env": f"DATABASE_URL={fresh_db}\n"})  # the root .env Nx loads (docs: cp .env.dev.example .env)
    project = root / "apps" / "builder"
    write_project(root / "packages/prisma/postgresql/migrations", {"20990101000000_workspace_name_idx/migration.sql":
                               'CREATE INDEX CONCURRENTLY "Workspace_name_idx" ON "Workspace"("name");\n'})
    _code, report = run_json(project, "--only", "DB006")
    found = checks_by_id(report)["DB006"]
    command = "cd ../../packages/prisma && npx prisma migrate deploy --schema postgresql/schema.prisma"
    assert found["fix"] == command, found
    assert found["fix_command"] == f"cd {project} && {command}", found


def test_a_migrator_that_wraps_it_in_a_transaction_too_gets_no_fix_to_paste(tmp_path: Path, fresh_db: str) -> None:
    # drizzle-orm's migrator runs every pending migration in one transaction (drizzle-orm issue 860).
    journal = ('{"version": "7", "dialect": "postgresql", "entries": ['
               '{"idx": 0, "version": "7", "when": 1732000000000, "tag": "0000_init", "breakpoints": true},'
               '{"idx": 1, "version": "7", "when": 1732000100000, "tag": "0001_idx", "breakpoints": true}]}')
    project = write_project(tmp_path / "app", {
        ".env.local": f"DATABASE_URL={fresh_db}\n",
        "package.json": '{"name": "app", "dependencies": {"drizzle-orm": "0.45.4"}}\n',
        "drizzle/meta/_journal.json": journal,
        "drizzle/0000_init.sql": 'CREATE TABLE "t" ("id" integer PRIMARY KEY, "name" text);\n',
        "drizzle/0001_idx.sql": 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_name_idx" ON "t" USING btree ("name");\n',
    })
    found = db006(project)
    assert found["status"] == "fail" and found["fix"] == "" and found["fix_command"] == "", found
    assert "`npx drizzle-kit migrate` fails on it the same way" in found["hint"], found


def test_tables_applied_by_hand_get_no_command_that_would_refuse(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(prisma_project(tmp_path, fresh_db), {CONCURRENT: INDEX})
    for sql in ('CREATE TABLE "User" ("id" text PRIMARY KEY, "email" text NOT NULL)',
                'CREATE TABLE "Post" ("id" text PRIMARY KEY, "authorId" text NOT NULL)'):
        query(fresh_db, sql)
    found = db006(project)
    assert found["status"] == "warn" and found["fix"] == "", found
    assert "only outside a transaction block" in found["hint"], found
