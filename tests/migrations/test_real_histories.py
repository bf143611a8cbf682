"""Real migration histories applied by `provision schema` as their own migrators apply them:
a Prisma history that renames a table and later creates a table under the old name
(mfts/papermark's Conversation -> Chat, formbricks' Team -> Organization), and a Supabase
history that drops and re-creates the `supabase_realtime` publication (Supabase's Realtime
docs). On an empty database the whole history is pending and nothing in it can lose data;
on a database that holds rows (or a publication that publishes tables) the guard still
refuses, and nothing is applied."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from provision.platforms import stand_in_sql

from helpers import REPO, query, run_cli, write_project

FIXTURES = REPO / "tests" / "fixtures" / "apps"
PRISMA = FIXTURES / "prisma-rename-history"
SUPABASE = FIXTURES / "supabase-realtime"
PRISMA_MIGRATIONS = ["20231127062841_init", "20231201000000_add_conversation",
                     "20240516122752_rename_teams_to_organizations", "20241107161932_add_teams",
                     "20250310000000_rename_conversation_table", "20250404000000_add_conversations"]



def provision(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("provision", "schema", "--project", str(project), *args)


def schema_checks(project: Path) -> dict[str, str]:
    done = run_cli("check", "--project", str(project), "--only", "DB004,DB005,DB006", "-f", "json")
    assert done.stdout, done.stderr
    return {c["id"]: f"{c['status']}: {c['message']}" for c in json.loads(done.stdout)["checks"]}


def prisma_app(root: Path, url: str, only: list[str] | None = None) -> Path:
    shutil.copytree(PRISMA, root, dirs_exist_ok=True)
    for name in PRISMA_MIGRATIONS:
        if only is not None and name not in only:
            shutil.rmtree(root / "prisma" / "migrations" / name)
    # papermark's variables: the client's pooled URL and the migrations' direct one.
    (root / ".env").write_text(f"POSTGRES_PRISMA_URL={url}\nPOSTGRES_PRISMA_URL_NON_POOLING={url}\n")
    return root


def add_migrations(project: Path, names: list[str]) -> None:
    for name in names:
        shutil.copytree(PRISMA / "prisma" / "migrations" / name, project / "prisma" / "migrations" / name)


def prisma_rows(url: str) -> list[tuple[object, ...]]:
    return query(url, "SELECT id, migration_name, checksum, finished_at IS NOT NULL, rolled_back_at, logs, "
                      "applied_steps_count FROM _prisma_migrations ORDER BY migration_name")


def supabase_app(root: Path, url: str) -> Path:
    # Beside supabase-js, the app's own seed script connects with DATABASE_URL (postgres.js):
    # that variable, read by its code, names the database these histories are applied to.
    shutil.copytree(SUPABASE, root, dirs_exist_ok=True)
    (root / ".env.local").write_text(f"DATABASE_URL={url}\n")
    (root / "lib").mkdir(exist_ok=True)
    (root / "lib" / "db.ts").write_text('import postgres from "postgres";\n'
                                        "export const sql = postgres(process.env.DATABASE_URL!);\n")
    return root


def published(url: str) -> list[tuple[object, ...]]:
    return query(url, "SELECT pubname, tablename FROM pg_publication_tables ORDER BY 1, 2")


# -- a Prisma history that renames a table and reuses its name ---------------------------------


def test_a_history_that_renames_a_table_and_reuses_its_name_applies_to_an_empty_database(
        tmp_path: Path, fresh_db: str) -> None:
    project = prisma_app(tmp_path / "app", fresh_db)
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert ('ran prisma/migrations/20250404000000_add_conversations/migration.sql:2 `CREATE TABLE "Conversation" (`'
            in done.stdout)
    assert 'nothing to lose, public."Chat" held no rows' in done.stdout
    assert 'nothing to lose, public."Organization" held no rows' in done.stdout
    assert "recorded 6 migrations as applied in _prisma_migrations" in done.stdout
    # The renamed tables keep their columns and keys; the new ones under the old names are new.
    columns = query(fresh_db, "SELECT table_name, string_agg(column_name, ',' ORDER BY ordinal_position) "
                              "FROM information_schema.columns WHERE table_schema = 'public' "
                              "AND table_name IN ('Chat', 'Conversation', 'Organization', 'Team') GROUP BY 1 ORDER BY 1")
    assert columns == [("Chat", "id,threadId,userId,createdAt"),
                       ("Conversation", "id,title,isEnabled,lastMessageAt,createdAt"),
                       ("Organization", "id,name"), ("Team", "id,name,organizationId")]
    assert query(fresh_db, "SELECT conname FROM pg_constraint WHERE contype IN ('p', 'f') AND conrelid IN "
                           "('\"Chat\"'::regclass, '\"Conversation\"'::regclass) ORDER BY 1") == [
        ("Chat_pkey",), ("Chat_userId_fkey",), ("Conversation_pkey",)]
    # _prisma_migrations as `prisma migrate deploy` leaves it: one finished row per folder,
    # the sha256 of its migration.sql, a v4 UUID, one applied step (prisma-engines).
    rows = prisma_rows(fresh_db)
    folder = project / "prisma" / "migrations"
    assert [row[1:] for row in rows] == [
        (name, hashlib.sha256((folder / name / "migration.sql").read_bytes()).hexdigest(), True, None, None, 1)
        for name in PRISMA_MIGRATIONS]
    assert all(len(str(row[0])) == 36 and str(row[0])[14] == "4" for row in rows)
    checks = schema_checks(project)
    assert all(verdict.startswith("pass") for verdict in checks.values()), checks
    assert set(checks) == {"DB004", "DB005", "DB006"}

    again = provision(project)
    assert again.returncode == 0, again.stderr
    assert "nothing pending: all 6 migrations are recorded as applied in _prisma_migrations" in again.stdout
    assert "provision schema: nothing to do" in again.stdout
    assert prisma_rows(fresh_db) == rows


def test_a_history_under_prismas_schema_parameter_passes_db005(tmp_path: Path, fresh_db: str) -> None:
    """`?schema=app` (prisma.io/docs/orm/overview/databases/postgresql#arguments): Prisma's
    migration.sql names no schema and creates none; `prisma migrate deploy` creates `app`
    first. DB005's scratch database must too, or it failed "no schema has been selected to
    create in" for a history that applies cleanly."""
    url = fresh_db + ("&" if "?" in fresh_db else "?") + "schema=app"
    project = prisma_app(tmp_path / "app", url)
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert query(fresh_db, "SELECT to_regclass('app.\"Conversation\"') IS NOT NULL")[0] == (True,)
    checks = schema_checks(project)
    assert all(verdict.startswith("pass") for verdict in checks.values()), checks


def test_dry_run_lists_the_rename_history_and_leaves_the_database_empty(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_app(tmp_path / "app", fresh_db)
    done = provision(project, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert ('prisma/migrations/20250404000000_add_conversations/migration.sql:2 runs if public."Chat" holds no '
            'rows: `CREATE TABLE "Conversation" (`') in done.stdout
    assert ('prisma/migrations/20250310000000_rename_conversation_table/migration.sql:5 additive: '
            '`ALTER INDEX "Conversation_pkey" RENAME TO "Chat_pkey"`') in done.stdout
    assert "would apply 16 statements" in done.stdout
    assert "would record 6 migrations as applied in _prisma_migrations" in done.stdout
    assert "without --dry-run this would refuse" not in done.stdout
    assert query(fresh_db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_a_pending_migration_reusing_a_renamed_tables_name_applies_beside_its_rows(
        tmp_path: Path, fresh_db: str) -> None:
    # The usual deploy: the rename shipped long ago, Chat holds the conversations; the new
    # Conversation table is pending alone.
    project = prisma_app(tmp_path / "app", fresh_db, only=PRISMA_MIGRATIONS[:5])
    assert provision(project).returncode == 0
    query(fresh_db, """INSERT INTO "User" (id, email) VALUES ('u1', 'a@example.test');
                       INSERT INTO "Chat" (id, "threadId", "userId") VALUES ('c1', 't1', 'u1')""")
    add_migrations(project, PRISMA_MIGRATIONS[5:])
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert "applied 1 pending migration of 6 (20250404000000_add_conversations" in done.stdout
    assert query(fresh_db, 'SELECT id, "threadId" FROM "Chat"') == [("c1", "t1")]
    assert query(fresh_db, 'SELECT count(*) FROM "Conversation"') == [(0,)]
    assert schema_checks(project)["DB006"].startswith("pass")


def test_a_pending_rename_of_a_table_that_holds_rows_is_still_refused(tmp_path: Path, fresh_db: str) -> None:
    # formbricks' Team -> Organization then a new Team, pending on a database whose Team holds rows.
    project = prisma_app(tmp_path / "app", fresh_db, only=PRISMA_MIGRATIONS[:2])
    assert provision(project).returncode == 0
    query(fresh_db, """INSERT INTO "Team" (id, name) VALUES ('t1', 'Acme')""")
    add_migrations(project, PRISMA_MIGRATIONS[2:4])
    done = provision(project)
    assert done.returncode == 1, done.stdout
    assert ('refusing prisma/migrations/20240516122752_rename_teams_to_organizations/migration.sql:2 '
            '`ALTER TABLE "Team" RENAME TO "Organization"`') in done.stderr
    assert 'public."Team" holds rows' in done.stderr and "nothing was applied" in done.stderr
    assert query(fresh_db, 'SELECT id, name FROM "Team"') == [("t1", "Acme")]
    assert query(fresh_db, "SELECT to_regclass('\"Organization\"'), count(*) FROM _prisma_migrations") == [
        (None, 2)]


def test_a_history_dropping_an_index_the_database_had_before_is_refused(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_app(tmp_path / "app", fresh_db, only=PRISMA_MIGRATIONS[:1])
    assert provision(project).returncode == 0
    write_project(project, {"prisma/migrations/20240101000000_drop_email_key/migration.sql":
                            '-- DropIndex\nDROP INDEX IF EXISTS "User_email_key";\n'})
    done = provision(project)
    assert done.returncode == 1, done.stdout
    assert ('prisma/migrations/20240101000000_drop_email_key/migration.sql:2 `DROP INDEX IF EXISTS '
            '"User_email_key"`: public."User_email_key" exists before this apply') in done.stderr
    assert query(fresh_db, "SELECT to_regclass('\"User_email_key\"') IS NOT NULL") == [(True,)]


# -- a Supabase history that drops and re-creates supabase_realtime ------------------------------

# The Supabase CLI's rows (supabase/cli pkg/migration: version, name, SplitAndTrim's statements,
# comments kept with the statement after them).
INIT_STATEMENTS = 12
REACTIONS_STATEMENTS = [
    "create table public.reactions (\n  id bigint generated by default as identity primary key,\n"
    "  message_id bigint not null references public.messages on delete cascade,\n"
    "  profile_id uuid not null references public.profiles on delete cascade,\n  emoji text not null\n)",
    "alter table public.reactions enable row level security",
    '-- Re-runnable policies, as these histories often write them\n'
    'drop policy if exists "Users can post as themselves." on public.messages',
    'create policy "Users can post as themselves." on public.messages\n'
    "  for insert to authenticated with check ((select auth.uid()) = profile_id)",
    "alter publication supabase_realtime add table public.reactions",
]


def test_a_supabase_history_that_recreates_supabase_realtime_applies_to_an_empty_database(
        tmp_path: Path, fresh_db: str) -> None:
    project = supabase_app(tmp_path / "app", fresh_db)
    done = provision(project, "--platform", "supabase")
    assert done.returncode == 0, done.stderr
    assert "recorded 2 migrations as applied in supabase_migrations.schema_migrations" in done.stdout
    assert published(fresh_db) == [("supabase_realtime", "messages"), ("supabase_realtime", "reactions")]
    assert query(fresh_db, "SELECT polname FROM pg_policy WHERE polrelid = 'public.messages'::regclass "
                           "ORDER BY 1") == [("Messages are viewable by signed-in users.",),
                                             ("Users can post as themselves.",)]
    rows = query(fresh_db, "SELECT version, name, statements FROM supabase_migrations.schema_migrations "
                           "ORDER BY version")
    assert [(version, name) for version, name, _ in rows] == [("20240301000000", "init"),
                                                               ("20240315000000", "reactions")]
    init = rows[0][2]
    assert isinstance(init, list) and len(init) == INIT_STATEMENTS
    assert init[7:11] == ["begin", "-- remove the supabase_realtime publication\n"
                                   "  drop publication if exists supabase_realtime",
                          "-- re-create the supabase_realtime publication with no tables\n"
                          "  create publication supabase_realtime", "commit"]
    assert rows[1][2] == REACTIONS_STATEMENTS
    checks = schema_checks(project)
    assert all(verdict.startswith("pass") for verdict in checks.values()), checks

    again = provision(project)
    assert again.returncode == 0, again.stderr
    assert "nothing pending: all 2 migrations are recorded as applied" in again.stdout
    assert "provision schema: nothing to do" in again.stdout
    assert published(fresh_db) == [("supabase_realtime", "messages"), ("supabase_realtime", "reactions")]


def test_dry_run_lists_the_supabase_history_and_leaves_the_database_as_it_was(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, stand_in_sql("supabase"))  # auth.users and auth.uid(), as `--platform supabase` adds them
    project = supabase_app(tmp_path / "app", fresh_db)
    done = provision(project, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert ("supabase/migrations/20240301000000_init.sql:28 runs if publication supabase_realtime publishes "
            "no table before this apply: `drop publication if exists supabase_realtime`") in done.stdout
    assert ("supabase/migrations/20240301000000_init.sql:31 additive: `create publication supabase_realtime`"
            in done.stdout)
    assert ('supabase/migrations/20240315000000_reactions.sql:10 runs if policy "Users can post as themselves." '
            "on public.messages does not exist before this apply") in done.stdout
    assert "would record 2 migrations as applied in supabase_migrations.schema_migrations" in done.stdout
    assert "without --dry-run this would refuse" not in done.stdout
    assert query(fresh_db, "SELECT count(*) FROM pg_publication") == [(0,)]
    assert query(fresh_db, "SELECT to_regclass('public.messages'), to_regnamespace('supabase_migrations')") == [
        (None, None)]


def test_a_dry_run_with_the_supabase_stand_ins_needs_none_made_beforehand(tmp_path: Path, fresh_db: str) -> None:
    """`--dry-run --platform supabase` on a fresh database: the stand-ins (auth.users, auth.uid())
    are made inside the dry run's transaction and rolled back with it. It used to say "would
    create" and then fail at the first policy that calls auth.uid()."""
    project = supabase_app(tmp_path / "app", fresh_db)
    done = provision(project, "--dry-run", "--platform", "supabase")
    assert done.returncode == 0, done.stderr
    assert "would create Supabase stand-ins in" in done.stdout
    assert "would record 2 migrations as applied in supabase_migrations.schema_migrations" in done.stdout
    assert query(fresh_db, "SELECT to_regnamespace('auth'), to_regclass('public.messages')") == [(None, None)]


def test_supabases_own_empty_supabase_realtime_is_recreated(tmp_path: Path, fresh_db: str) -> None:
    # A Supabase database starts with an empty supabase_realtime: dropping it loses nothing.
    query(fresh_db, "CREATE PUBLICATION supabase_realtime")
    project = supabase_app(tmp_path / "app", fresh_db)
    done = provision(project, "--platform", "supabase")
    assert done.returncode == 0, done.stderr
    assert published(fresh_db) == [("supabase_realtime", "messages"), ("supabase_realtime", "reactions")]


def test_a_supabase_realtime_that_publishes_tables_is_not_dropped(tmp_path: Path, fresh_db: str) -> None:
    # Realtime switched on for a table (the dashboard's toggle) holding rows: the history's
    # DROP PUBLICATION would take that table out of Realtime.
    query(fresh_db, "CREATE TABLE public.audit (id int PRIMARY KEY); INSERT INTO public.audit VALUES (1), (2);"
                    "CREATE PUBLICATION supabase_realtime FOR TABLE public.audit")
    project = supabase_app(tmp_path / "app", fresh_db)
    done = provision(project, "--platform", "supabase")
    assert done.returncode == 1, done.stdout
    assert ("supabase/migrations/20240301000000_init.sql:28 `drop publication if exists supabase_realtime`: "
            "publication supabase_realtime publishes tables before this apply") in done.stderr
    assert "nothing was applied" in done.stderr
    assert published(fresh_db) == [("supabase_realtime", "audit")]
    assert query(fresh_db, "SELECT count(*) FROM public.audit") == [(2,)]
    assert query(fresh_db, "SELECT to_regclass('public.messages'), to_regnamespace('supabase_migrations')") == [
        (None, None)]


# -- an enum value added by one migration and used by the next -----------------------------------

ENUMS = FIXTURES / "prisma-enum-history"


def test_an_enum_value_added_by_one_migration_is_usable_by_the_next(tmp_path: Path, fresh_db: str) -> None:
    # `prisma migrate deploy` commits each migration; deploy-check applies them in one
    # transaction, where the value is usable only if no subtransaction made it.
    project = tmp_path / "app"
    shutil.copytree(ENUMS, project)
    (project / ".env").write_text(f"DATABASE_URL={fresh_db}\n")
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert "recorded 3 migrations as applied in _prisma_migrations" in done.stdout
    assert query(fresh_db, "SELECT enum_range(NULL::\"SurveyStatus\")::text") == [
        ("{draft,inProgress,paused,completed}",)]
    assert query(fresh_db, "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL") == [(3,)]
    checks = schema_checks(project)
    assert all(verdict.startswith("pass") for verdict in checks.values()), checks
    again = provision(project)
    assert again.returncode == 0 and "provision schema: nothing to do" in again.stdout, again.stderr


# -- a dry run that leaves out what a later migration needs --------------------------------------

# Shaped after formbricks' rename_connector_to_feedback_source: a DO block renames an index
# through EXECUTE (deploy-check cannot read it, so a real run refuses it and a dry run does not
# run it), and a later migration drops the index under its new name.
CONNECTOR = {
    "prisma/migrations/20260101000000_connectors/migration.sql":
        '-- CreateTable\nCREATE TABLE "Connector" (\n    "id" TEXT NOT NULL,\n    "feedbackDirectoryId" TEXT,\n\n'
        '    CONSTRAINT "Connector_pkey" PRIMARY KEY ("id")\n);\n\n-- CreateIndex\n'
        'CREATE INDEX "Connector_feedbackDirectoryId_idx" ON "Connector"("feedbackDirectoryId");\n',
    "prisma/migrations/20260528120000_rename_connector_to_feedback_source/migration.sql":
        'ALTER TABLE "Connector" RENAME TO "FeedbackSource";\n'
        'ALTER INDEX "Connector_pkey" RENAME TO "FeedbackSource_pkey";\n'
        "DO $$\nBEGIN\n  IF EXISTS (\n    SELECT 1 FROM pg_indexes\n"
        "    WHERE schemaname = 'public' AND indexname = 'Connector_feedbackDirectoryId_idx'\n  ) THEN\n"
        '    EXECUTE \'ALTER INDEX "Connector_feedbackDirectoryId_idx" RENAME TO '
        '"FeedbackSource_feedbackDirectoryId_idx"\';\n  END IF;\nEND$$;\n',
    "prisma/migrations/20260706000001_feedback_source_directory_index/migration.sql":
        '-- DropIndex\nDROP INDEX "FeedbackSource_feedbackDirectoryId_idx";\n',
}


def test_a_dry_run_that_left_out_what_a_later_statement_needs_says_so_and_shows_the_rest(
        tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path / "app", {
        ".env": f"DATABASE_URL={fresh_db}\n",
        "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
        "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n', **CONNECTOR})
    refused = provision(project)
    assert refused.returncode == 1
    assert "DO block with dynamic EXECUTE" in refused.stderr
    done = provision(project, "--dry-run")
    assert done.returncode == 1, done.stderr
    assert "classification of 6 statements" in done.stdout
    assert ("not run by the dry run (not proven additive): "
            "prisma/migrations/20260528120000_rename_connector_to_feedback_source/migration.sql:3") in done.stdout
    assert ("the dry run stopped: statement 5 of 5 failed at prisma/migrations/20260706000001_feedback_source_"
            'directory_index/migration.sql:2: index "FeedbackSource_feedbackDirectoryId_idx" does not exist') in done.stdout
    assert ("(a real run refuses it without --allow-destructive), and this statement may need what it does; "
            "the statements after it were not tried") in done.stdout
    assert done.stdout.rstrip().endswith("dry run: rolled back, the database is unchanged")
    assert query(fresh_db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    allowed = provision(project, "--allow-destructive")
    assert allowed.returncode == 0, allowed.stderr
    assert query(fresh_db, "SELECT to_regclass('\"FeedbackSource_feedbackDirectoryId_idx\"')") == [(None,)]


# Shaped after formbricks' add_api_keys_to_organization and api_key_new_to_api_key: a new table
# swapped in for an old one inside BEGIN/COMMIT, both locked first.
API_KEYS = {
    "prisma/migrations/20230405105937_add_api_keys/migration.sql":
        '-- CreateTable\nCREATE TABLE "ApiKey" (\n    "id" TEXT NOT NULL,\n    "hashedKey" TEXT NOT NULL,\n\n'
        '    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")\n);\n',
    "prisma/migrations/20250326083401_add_api_keys_to_organization/migration.sql":
        '-- CreateTable\nCREATE TABLE "ApiKeyNew" (\n    "id" TEXT NOT NULL,\n    "label" TEXT NOT NULL,\n'
        '    "hashedKey" TEXT NOT NULL,\n\n    CONSTRAINT "ApiKeyNew_pkey" PRIMARY KEY ("id")\n);\n\n'
        '-- CreateIndex\nCREATE UNIQUE INDEX "ApiKeyNew_hashedKey_key" ON "ApiKeyNew"("hashedKey");\n',
    "prisma/migrations/20250327043931_api_key_new_to_api_key/migration.sql":
        'BEGIN;\n  -- Lock both tables to prevent any modifications during migration\n'
        '  LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE;\n  LOCK TABLE "ApiKeyNew" IN ACCESS EXCLUSIVE MODE;\n\n'
        '  -- Drop the old ApiKey table first\n  DROP TABLE IF EXISTS "ApiKey";\n\n'
        '  -- Rename ApiKeyNew to ApiKey\n  ALTER TABLE "ApiKeyNew" RENAME TO "ApiKey";\n'
        '  ALTER TABLE "ApiKey" RENAME CONSTRAINT "ApiKeyNew_pkey" TO "ApiKey_pkey";\n'
        '  ALTER INDEX "ApiKeyNew_hashedKey_key" RENAME TO "ApiKey_hashedKey_key";\nCOMMIT;\n',
}


def test_a_table_swap_under_lock_table_applies_to_an_empty_database(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path / "app", {
        ".env": f"DATABASE_URL={fresh_db}\n",
        "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
        "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n', **API_KEYS})
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert "recorded 3 migrations as applied in _prisma_migrations" in done.stdout
    assert query(fresh_db, "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                           "information_schema.columns WHERE table_name = 'ApiKey'") == [("id,label,hashedKey",)]
    assert query(fresh_db, "SELECT to_regclass('\"ApiKey_hashedKey_key\"') IS NOT NULL") == [(True,)]
