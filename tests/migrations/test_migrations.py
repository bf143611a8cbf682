"""Migration histories as the app's own migrator sees them: DB006 and `provision schema`
applying only what is pending and recording it in the migrator's own table — proven in
both directions against the real drizzle-orm migrator and dbmate (installed from the npm
registry through tests/node/migrators' lockfile), and against the documented row shapes
of Prisma, Supabase and golang-migrate, whose CLIs download binaries at install time."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from helpers import clean_environ, node_packages, query, run_cli, write_project

# Shaped after drizzle-kit 0.31 `generate` output for PostgreSQL (quoted identifiers,
# `--> statement-breakpoint` between statements, meta/_journal.json entries{idx, version,
# when, tag, breakpoints}); written for these tests.
DRIZZLE = {
    "0000_init": (1732000000000, 'CREATE TABLE "accounts" (\n\t"id" serial PRIMARY KEY NOT NULL,\n'
                                 '\t"email" text NOT NULL\n);\n--> statement-breakpoint\n'
                                 'CREATE UNIQUE INDEX "accounts_email_idx" ON "accounts" USING btree ("email");'),
    "0001_notes": (1732000100000, 'CREATE TABLE "notes" (\n\t"id" serial PRIMARY KEY NOT NULL,\n'
                                  '\t"account_id" integer NOT NULL,\n\t"body" text NOT NULL\n);\n'
                                  '--> statement-breakpoint\nALTER TABLE "notes" ADD CONSTRAINT '
                                  '"notes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") '
                                  'REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;'),
    "0002_nickname": (1732000200000, 'ALTER TABLE "accounts" ADD COLUMN "nickname" text;'),
    "0003_drop_email_index": (1732000300000, 'DROP INDEX "accounts_email_idx";'),
}


def drizzle_project(root: Path, url: str, tags: list[str]) -> Path:
    entries = [{"idx": i, "version": "7", "when": DRIZZLE[tag][0], "tag": tag, "breakpoints": True}
               for i, tag in enumerate(tags)]
    files = {f"drizzle/{tag}.sql": DRIZZLE[tag][1] + "\n" for tag in tags}
    return write_project(root, {
        ".env.local": f"DATABASE_URL={url}\n",
        "package.json": '{"name": "app", "dependencies": {"drizzle-orm": "0.45.4"}}\n',
        "drizzle/meta/_journal.json": json.dumps({"version": "7", "dialect": "postgresql", "entries": entries}),
        **files})



def provision(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_cli("provision", "schema", "--project", str(project), *args)
    return done


def db006(project: Path) -> dict[str, object]:
    done = run_cli("check", "--project", str(project), "--only", "DB006", "-f", "json")
    assert done.stdout, done.stderr
    return next(c for c in json.loads(done.stdout)["checks"] if c["id"] == "DB006")


def drizzle_migrate(packages: Path, project: Path, url: str, script: str = "drizzle-migrate.mjs") -> list[dict[str, object]]:
    """drizzle-orm's own migrator run on the project's folder; the history rows it leaves."""
    done = subprocess.run(["node", str(packages / script), str(project / "drizzle")],
                          env=clean_environ(DATABASE_URL=url), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"drizzle-orm's migrator ({script}) failed:\n{done.stderr}"
    rows: list[dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


@pytest.fixture(scope="module")
def migrators() -> Path:
    return node_packages("migrators")


# -- drizzle ------------------------------------------------------------------------------


def test_a_monorepo_apps_database_package_is_checked_and_provisioned(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    # apps/web depends on "@acme/db": "workspace:*"; packages/db holds drizzle.config.ts and its history.
    import shutil

    from helpers import REPO

    root = tmp_path / "mono"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "pnpm-monorepo", root)
    project = root / "apps" / "web"
    (project / ".env.local").write_text(f"POSTGRES_URL={fresh_db}\n")
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recorded 1 migration as applied in drizzle.__drizzle_migrations" in done.stdout
    report = json.loads(run_cli("check", "--project", str(project), "--only", "DB004,DB006", "-f", "json").stdout)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses == {"DB004": "pass", "DB006": "pass"}, report["checks"]
    assert len(drizzle_migrate(migrators, root / "packages" / "db", fresh_db)) == 1


def test_drizzle_history_rows_are_the_ones_drizzle_writes(tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes"])
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recorded 2 migrations as applied in drizzle.__drizzle_migrations" in done.stdout
    rows = query(fresh_db, "SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id")
    expected = [(hashlib.sha256((DRIZZLE[t][1] + "\n").encode()).hexdigest(), DRIZZLE[t][0])
                for t in ("0000_init", "0001_notes")]
    assert rows == expected
    assert db006(project)["status"] == "pass"


def test_drizzle_orm_migrator_finds_nothing_to_do_after_our_apply(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes"])
    assert provision(project).returncode == 0
    # drizzle-orm would fail with "relation already exists" had it replayed anything.
    assert len(drizzle_migrate(migrators, project, fresh_db)) == 2
    # A new migration on top: only it is applied (no "column already exists"), then recorded.
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes", "0002_nickname"])
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "applied 1 pending migration of 3 (0002_nickname: 1 statement)" in done.stdout
    assert query(fresh_db, "SELECT column_name FROM information_schema.columns "
                           "WHERE table_name = 'accounts' AND column_name = 'nickname'") == [("nickname",)]
    assert len(drizzle_migrate(migrators, project, fresh_db)) == 3
    again = provision(project)
    assert again.returncode == 0 and "nothing pending" in again.stdout


def test_after_drizzle_orm_migrated_db006_passes_and_our_apply_is_a_no_op(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes", "0002_nickname"])
    assert len(drizzle_migrate(migrators, project, fresh_db)) == 3
    check = db006(project)
    assert check["status"] == "pass", check["message"]
    done = provision(project)
    assert done.returncode == 0
    assert "nothing pending: all 3 migrations are recorded as applied in drizzle.__drizzle_migrations" in done.stdout


def test_a_history_whose_later_migration_dropped_an_index_re_runs_as_a_no_op(
        tmp_path: Path, fresh_db: str) -> None:
    tags = ["0000_init", "0001_notes", "0002_nickname", "0003_drop_email_index"]
    project = drizzle_project(tmp_path, fresh_db, tags)
    # Issue 19 §5 reverses what this test first asserted (refused on an empty database):
    # the history drops only an index it created itself, so it applies unasked.
    first = provision(project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert query(fresh_db, "SELECT to_regclass('accounts_email_idx')") == [(None,)]
    again = provision(project)  # no flag needed: nothing pending, nothing refused
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing pending" in again.stdout


def test_db006_names_pending_changed_and_missing_migrations(tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes"])
    check = db006(project)
    assert check["status"] == "fail"
    assert "drizzle.__drizzle_migrations does not exist: all 2 migrations" in str(check["message"])
    assert check["fix"] == "deploy-check provision schema"
    assert provision(project).returncode == 0
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes", "0002_nickname"])
    (project / "drizzle" / "0000_init.sql").write_text(DRIZZLE["0000_init"][1] + "\n-- edited\n")
    check = db006(project)
    assert check["status"] == "fail"
    assert "1 migration pending: 0002_nickname" in str(check["message"])
    assert "changed since applied: 0000_init" in str(check["message"])
    query(fresh_db, "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('x', 1)")
    assert "applied but missing locally: created_at 1" in str(db006(project)["message"])


def test_db006_warns_on_tables_applied_by_hand_and_provision_records_them(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes"])
    for tag in ("0000_init", "0001_notes"):
        query(fresh_db, DRIZZLE[tag][1].replace("--> statement-breakpoint", ""))
    check = db006(project)
    assert check["status"] == "warn"
    assert "applied by hand" in str(check["message"])
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "schema already applied" in done.stdout and "recorded 2 migrations" in done.stdout
    assert len(drizzle_migrate(migrators, project, fresh_db)) == 2
    assert db006(project)["status"] == "pass"


def test_a_renamed_drizzle_history_table_is_read_where_the_config_puts_it(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init"])
    (project / "drizzle.config.ts").write_text(
        'import { defineConfig } from "drizzle-kit";\nexport default defineConfig({\n  dialect: "postgresql",\n'
        '  out: "./drizzle",\n  migrations: { table: "journal", schema: "public" },\n});\n')
    done = provision(project)
    assert done.returncode == 0 and "public.journal" in done.stdout
    migrated = subprocess.run(["node", str(migrators / "drizzle-migrate.mjs"), str(project / "drizzle"),
                               "public", "journal"], env=clean_environ(DATABASE_URL=fresh_db),
                              capture_output=True, text=True, timeout=120, check=False)
    assert migrated.returncode == 0, migrated.stderr
    assert len(json.loads(migrated.stdout.strip().splitlines()[-1])) == 1


def test_dry_run_on_a_history_records_nothing(tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init"])
    done = provision(project, "--dry-run")
    assert done.returncode == 0 and "would record 1 migration" in done.stdout
    assert query(fresh_db, "SELECT to_regclass('drizzle.__drizzle_migrations')") == [(None,)]


# -- dbmate -------------------------------------------------------------------------------

# dbmate's file format (README "Creating Migrations"): <version>_<name>.sql with
# `-- migrate:up` / `-- migrate:down` sections; written for these tests.
DBMATE = {
    "20241101120000_create_accounts.sql": "-- migrate:up\nCREATE TABLE accounts (id bigserial PRIMARY KEY, "
                                          "email text NOT NULL);\n\n-- migrate:down\nDROP TABLE accounts;\n",
    "20241102120000_create_notes.sql": "-- migrate:up\nCREATE TABLE notes (id bigserial PRIMARY KEY, "
                                       "account_id bigint REFERENCES accounts (id));\n\n"
                                       "-- migrate:down\nDROP TABLE notes;\n",
}


def dbmate_project(root: Path, url: str, names: list[str]) -> Path:
    return write_project(root, {".env.local": f"DATABASE_URL={url}\n",
                                **{f"db/migrations/{n}": DBMATE[n] for n in names}})


def dbmate(packages: Path, project: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    # lib/pq asks for TLS unless told otherwise; the embedded server has none.
    return subprocess.run([str(packages / "node_modules" / ".bin" / "dbmate"), "--url", f"{url}?sslmode=disable",
                           "--migrations-dir", str(project / "db" / "migrations"), "--no-dump-schema", *args],
                          env=clean_environ(), capture_output=True, text=True, timeout=120, check=False)


def test_dbmate_finds_nothing_pending_after_our_apply(tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = dbmate_project(tmp_path, fresh_db, list(DBMATE))
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recorded 2 migrations as applied in schema_migrations" in done.stdout
    status = dbmate(migrators, project, fresh_db, "status", "--exit-code")
    assert status.returncode == 0, status.stdout + status.stderr  # --exit-code: 1 when any is pending
    assert "Pending: 0" in status.stdout
    up = dbmate(migrators, project, fresh_db, "up")
    assert up.returncode == 0 and "Applying" not in up.stdout


def test_after_dbmate_up_db006_passes_and_our_apply_is_a_no_op(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = dbmate_project(tmp_path, fresh_db, list(DBMATE)[:1])
    up = dbmate(migrators, project, fresh_db, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert db006(project)["status"] == "pass"
    assert "nothing pending" in provision(project).stdout
    # dbmate's second migration, applied by us, is then the one dbmate no longer wants.
    project = dbmate_project(tmp_path, fresh_db, list(DBMATE))
    check = db006(project)
    assert check["status"] == "fail" and "20241102120000_create_notes" in str(check["message"])
    done = provision(project)
    assert "applied 1 pending migration of 2" in done.stdout, done.stdout + done.stderr
    assert "Pending: 0" in dbmate(migrators, project, fresh_db, "status").stdout


def test_dbmate_configured_by_the_workspace_script_and_env_is_found_and_agrees_with_dbmate(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    # Shaped after monorepos that run dbmate from the root's scripts (`"db:migrate": "dbmate
    # --migrations-dir ./packages/db/migrations --no-dump-schema up"`), the app in apps/web,
    # and a history table renamed through dbmate's env (DBMATE_MIGRATIONS_TABLE).
    root = write_project(tmp_path, {
        "package.json": '{"name": "mono", "private": true, "workspaces": ["apps/*", "packages/*"], "scripts": '
                        '{"db:migrate": "dbmate --migrations-dir ./packages/db/migrations --no-dump-schema up"}}\n',
        "package-lock.json": "{}\n",
        "apps/web/package.json": '{"name": "web", "scripts": {"dev": "next dev"}}\n',
        "apps/web/.env": f"DATABASE_URL={fresh_db}\nDBMATE_MIGRATIONS_TABLE=public.dbmate_history\n",
        **{f"packages/db/migrations/{n}": t for n, t in DBMATE.items()}})
    project = root / "apps" / "web"
    report = json.loads(run_cli("check", "--project", str(project), "--only", "DB006", "-f", "json").stdout)
    schema = report["project_model"]["schema"]
    assert (schema["kind"], schema["path"]) == ("dbmate", "../../packages/db/migrations")
    assert "scripts.db:migrate runs dbmate --migrations-dir" in schema["why"]
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "public.dbmate_history" in done.stdout
    status = subprocess.run([str(migrators / "node_modules" / ".bin" / "dbmate"), "--url", f"{fresh_db}?sslmode=disable",
                             "--migrations-dir", str(root / "packages" / "db" / "migrations"),
                             "--migrations-table", "public.dbmate_history", "--no-dump-schema", "status", "--exit-code"],
                            env=clean_environ(), capture_output=True, text=True, timeout=120, check=False)
    assert status.returncode == 0 and "Pending: 0" in status.stdout, status.stdout + status.stderr
    assert db006(project)["status"] == "pass"


# -- Prisma, Supabase, golang-migrate: the documented shapes -------------------------------

# prisma-engines schema-connector: _prisma_migrations' columns, in order, with their types.
PRISMA_COLUMNS = [("id", "character varying", "NO"), ("checksum", "character varying", "NO"),
                  ("finished_at", "timestamp with time zone", "YES"),
                  ("migration_name", "character varying", "NO"), ("logs", "text", "YES"),
                  ("rolled_back_at", "timestamp with time zone", "YES"),
                  ("started_at", "timestamp with time zone", "NO"), ("applied_steps_count", "integer", "NO")]


def prisma_project(root: Path, url: str) -> Path:
    # prisma migrate dev's layout: migrations/<timestamp>_<name>/migration.sql + migration_lock.toml
    return write_project(root, {
        ".env": f"DATABASE_URL={url}\n",
        "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
        "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
        "prisma/migrations/20241101120000_init/migration.sql":
            '-- CreateTable\nCREATE TABLE "User" (\n    "id" TEXT NOT NULL,\n    "email" TEXT NOT NULL,\n\n'
            '    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n',
        "prisma/migrations/20241102120000_posts/migration.sql":
            '-- CreateTable\nCREATE TABLE "Post" (\n    "id" TEXT NOT NULL,\n    "authorId" TEXT NOT NULL,\n\n'
            '    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")\n);\n'})


def test_prisma_rows_have_prisma_migrates_shape(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_project(tmp_path, fresh_db)
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    columns = query(fresh_db, "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                              "WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position")
    assert columns == PRISMA_COLUMNS
    rows = query(fresh_db, "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at, logs, "
                           "applied_steps_count, length(id) FROM _prisma_migrations ORDER BY migration_name")
    folder = project / "prisma" / "migrations"
    assert rows == [(name, hashlib.sha256((folder / name / "migration.sql").read_bytes()).hexdigest(),
                     True, None, None, 1, 36) for name in ("20241101120000_init", "20241102120000_posts")]
    assert db006(project)["status"] == "pass"


def test_a_failed_prisma_migration_fails_db006_and_blocks_provision(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_project(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    write_project(project, {"prisma/migrations/20241103120000_tags/migration.sql": 'CREATE TABLE "Tag" (id TEXT);\n'})
    query(fresh_db, "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) "
                    "VALUES ('00000000-0000-4000-8000-000000000000', 'x', '20241103120000_tags', now())")
    check = db006(project)
    assert check["status"] == "fail" and "failed: 20241103120000_tags" in str(check["message"])
    done = provision(project)
    assert done.returncode != 0 and "cannot go on past these migrations" in done.stdout + done.stderr
    assert query(fresh_db, "SELECT to_regclass('\"Tag\"')") == [(None,)]


def test_supabase_rows_hold_version_name_and_statements(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path, {
        ".env.local": f"DATABASE_URL={fresh_db}\n",
        "supabase/config.toml": 'project_id = "app"\n',
        "supabase/migrations/20241101120000_profiles.sql":
            "create table public.profiles (id uuid primary key, name text);\n"
            "create index profiles_name_idx on public.profiles (name);\n"})
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = query(fresh_db, "SELECT version, name, statements FROM supabase_migrations.schema_migrations")
    assert rows == [("20241101120000", "profiles",
                     ["create table public.profiles (id uuid primary key, name text)",
                      "create index profiles_name_idx on public.profiles (name)"])]
    assert db006(project)["status"] == "pass"


def test_a_long_history_is_named_by_its_first_files_and_a_count(tmp_path: Path, fresh_db: str) -> None:
    """Applying 5,000 migrations printed every file name on one 100 KB line."""
    files = {f"supabase/migrations/2024110112{n:04d}_t{n}.sql": f"create table t{n} (id int);\n" for n in range(25)}
    project = write_project(tmp_path, {".env.local": f"DATABASE_URL={fresh_db}\n",
                                       "supabase/config.toml": 'project_id = "app"\n', **files})
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    applied = next(line for line in done.stdout.splitlines() if line.startswith("applied 25 statements from"))
    assert "supabase/migrations/20241101120009_t9.sql … and 15 more in one transaction" in applied, applied
    assert "_t10.sql" not in applied
    again = provision(project)
    assert again.returncode == 0 and "nothing pending: all 25 migrations are recorded" in again.stdout


def test_golang_migrate_keeps_one_clean_row_and_a_dirty_one_fails(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path, {
        ".env.local": f"DATABASE_URL={fresh_db}\n",
        "migrations/000001_accounts.up.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
        "migrations/000001_accounts.down.sql": "DROP TABLE accounts;\n",
        "migrations/000002_notes.up.sql": "CREATE TABLE notes (id bigint PRIMARY KEY);\n",
        "migrations/000002_notes.down.sql": "DROP TABLE notes;\n"})
    assert provision(project).returncode == 0
    assert query(fresh_db, "SELECT version, dirty FROM schema_migrations") == [(2, False)]
    assert db006(project)["status"] == "pass"
    query(fresh_db, "UPDATE schema_migrations SET dirty = true")
    check = db006(project)
    assert check["status"] == "fail" and "000002_notes (dirty" in str(check["message"])
    # The hint's command works pasted in the app: the history's folder, not a `<dir>` the
    # shell would read as a redirection.
    assert 'migrate -path migrations -database "$DATABASE_URL" up' in check["hint"], check["hint"]


@pytest.mark.parametrize("kept_by", ["golang-migrate", "dbmate"])
def test_a_schema_migrations_table_of_the_other_tool_is_named_not_misread(
        tmp_path: Path, fresh_db: str, kept_by: str) -> None:
    # Both keep `schema_migrations`; golang-migrate's alone has `dirty` (its postgres.go),
    # dbmate's is (version varchar) (its postgres driver). Read as the other's, golang-migrate's
    # one row would leave all but one dbmate migration "pending", and dbmate's would have no `dirty`.
    if kept_by == "golang-migrate":
        query(fresh_db, "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);"
                        "INSERT INTO schema_migrations VALUES (20241102120000, false)")
        files = {f"db/migrations/{n}": f"-- migrate:up\nCREATE TABLE t{i} (id int);\n-- migrate:down\n"
                 for i, n in enumerate(["20241101120000_a.sql", "20241102120000_b.sql"])}
        reader = "dbmate"
    else:
        query(fresh_db, "CREATE TABLE schema_migrations (version varchar PRIMARY KEY);"
                        "INSERT INTO schema_migrations VALUES ('1'), ('2')")
        files = {f"migrations/00000{i}_t{i}.up.sql": f"CREATE TABLE t{i} (id int);\n" for i in (1, 2)}
        reader = "golang-migrate"
    project = write_project(tmp_path, {".env.local": f"DATABASE_URL={fresh_db}\n", **files})
    check = db006(project)
    assert check["status"] == "fail" and check["details"]["tool"] == reader
    assert "schema_migrations" in str(check["message"]) and f"not {reader}'s" in str(check["message"])
    done = provision(project)
    assert done.returncode != 0 and f"not {reader}'s" in done.stdout + done.stderr
    assert query(fresh_db, "SELECT count(*) FROM schema_migrations")[0][0] in (1, 2)
    assert query(fresh_db, "SELECT to_regclass('t1')") == [(None,)]


def test_a_history_applied_by_hand_is_not_recorded_past_what_the_database_shows(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    # Migration 2 switches row-level security on, adds a policy, a constraint and a data fix;
    # only the table was made by hand. Recording it would mark them done for good.
    names = {"20241101120000_accounts.sql": "-- migrate:up\nCREATE TABLE accounts (id bigserial PRIMARY KEY, "
                                            "email text);\n-- migrate:down\nDROP TABLE accounts;\n",
             "20241102120000_lock_down.sql": "-- migrate:up\nALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\n"
                                             "CREATE POLICY own ON accounts USING (true);\n"
                                             "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);\n"
                                             "UPDATE accounts SET email = lower(email) WHERE email <> lower(email);\n"
                                             "-- migrate:down\nALTER TABLE accounts DISABLE ROW LEVEL SECURITY;\n"}
    project = write_project(tmp_path, {".env.local": f"DATABASE_URL={fresh_db}\n",
                                       **{f"db/migrations/{n}": t for n, t in names.items()}})
    query(fresh_db, "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text)")
    done = provision(project)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "not recording the dbmate history" in said and "UPDATE accounts" in said
    assert "ENABLE ROW LEVEL SECURITY" in said and "CREATE POLICY" in said
    assert query(fresh_db, "SELECT to_regclass('schema_migrations')") == [(None,)]
    # Once the database shows them (here: run by hand), the history is recorded.
    query(fresh_db, "ALTER TABLE accounts ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON accounts USING (true); "
                    "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email)")
    done = provision(project)
    assert done.returncode != 0 and "UPDATE accounts" in done.stdout + done.stderr  # a data change is never "seen"


def test_a_drizzle_migration_older_than_the_last_applied_is_named_not_passed(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0002_nickname"])
    assert len(drizzle_migrate(migrators, project, fresh_db)) == 2
    # A branch merged in: 0001's `when` is older than 0002's, so drizzle will never apply it.
    project = drizzle_project(tmp_path, fresh_db, ["0000_init", "0001_notes", "0002_nickname"])
    check = db006(project)
    assert check["status"] == "fail" and "0001_notes (never applied" in str(check["message"])
    assert len(drizzle_migrate(migrators, project, fresh_db)) == 2  # drizzle-orm agrees: it skips it
    done = provision(project)
    assert done.returncode != 0 and "0001_notes" in done.stdout + done.stderr


def test_prisma_history_is_read_in_the_schema_its_url_names(tmp_path: Path, fresh_db: str) -> None:
    project = prisma_project(tmp_path, fresh_db)
    (project / ".env").write_text(f"DATABASE_URL={fresh_db}?schema=app\n")
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert query(fresh_db, "SELECT to_regclass('app._prisma_migrations') IS NOT NULL") == [(True,)]
    assert db006(project)["status"] == "pass"


# drizzle-kit 1.0 (rc) `generate` output: <UTC yyyymmddHHMMSS>_<name>/migration.sql beside a
# snapshot.json, no journal (drizzle-kit 1.0.0-rc.5 prepareSnapshotFolderName); written for these tests.
DRIZZLE_V1 = {
    "20251101120000_init": DRIZZLE["0000_init"][1],
    "20251101120500_notes": DRIZZLE["0001_notes"][1],
    "20251102090000_nickname": DRIZZLE["0002_nickname"][1],
}


def drizzle_v1_project(root: Path, url: str, names: list[str]) -> Path:
    files = {}
    for name in names:
        files[f"drizzle/{name}/migration.sql"] = DRIZZLE_V1[name] + "\n"
        files[f"drizzle/{name}/snapshot.json"] = '{"version": "8", "dialect": "postgres"}\n'
    return write_project(root, {".env.local": f"DATABASE_URL={url}\n",
                                "package.json": '{"name": "app", "dependencies": {"drizzle-orm": "1.0.0-rc.5"}}\n',
                                **files})


def drizzle_v1_migrate(packages: Path, project: Path, url: str) -> list[dict[str, object]]:
    return drizzle_migrate(packages, project, url, "drizzle-v1-migrate.mjs")


def test_a_drizzle_kit_1_history_is_read_as_drizzle_not_prisma(tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_v1_project(tmp_path, fresh_db, ["20251101120000_init"])
    done = run_cli("check", "--project", str(project), "--only", "DB006", "-f", "json")
    report = json.loads(done.stdout)
    assert report["project_model"]["schema"]["kind"] == "drizzle-v1"
    check = report["checks"][0]
    assert check["status"] == "fail" and check["details"]["tool"] == "drizzle"
    assert "drizzle.__drizzle_migrations does not exist" in check["message"]


def test_drizzle_kit_1_rows_are_the_ones_drizzle_orm_1_writes_and_it_finds_nothing_to_do(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = drizzle_v1_project(tmp_path, fresh_db, ["20251101120000_init", "20251101120500_notes"])
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = query(fresh_db, "SELECT hash, created_at, name FROM drizzle.__drizzle_migrations ORDER BY id")
    # created_at: Date.UTC of the folder's timestamp (2025-11-01 12:00:00 UTC = 1761998400000).
    assert rows == [(hashlib.sha256((DRIZZLE_V1[n] + "\n").encode()).hexdigest(), millis, n)
                    for n, millis in (("20251101120000_init", 1761998400000), ("20251101120500_notes", 1761998700000))]
    assert db006(project)["status"] == "pass"
    # drizzle-orm 1.0 would fail with "relation already exists" had it replayed anything.
    assert [r["name"] for r in drizzle_v1_migrate(migrators, project, fresh_db)] == [
        "20251101120000_init", "20251101120500_notes"]


def test_after_drizzle_orm_1_migrated_only_the_new_folder_is_applied(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    project = drizzle_v1_project(tmp_path, fresh_db, ["20251101120000_init", "20251101120500_notes"])
    assert len(drizzle_v1_migrate(migrators, project, fresh_db)) == 2
    assert db006(project)["status"] == "pass"
    project = drizzle_v1_project(tmp_path, fresh_db, list(DRIZZLE_V1))
    check = db006(project)
    assert check["status"] == "fail" and "1 migration pending: 20251102090000_nickname" in str(check["message"])
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "applied 1 pending migration of 3 (20251102090000_nickname" in done.stdout
    assert len(drizzle_v1_migrate(migrators, project, fresh_db)) == 3  # nothing left for it either
    assert db006(project)["status"] == "pass"


def test_a_drizzle_kit_0_table_is_upgraded_as_drizzle_orm_1_upgrades_it(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    # The history as drizzle-orm 0.x left it (journal `when` with milliseconds, no name
    # column), then `drizzle-kit up` turned the journal into folders named by the second.
    query(fresh_db, "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations "
                    "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)")
    digest = hashlib.sha256((DRIZZLE_V1["20251101120000_init"] + "\n").encode()).hexdigest()
    query(fresh_db, f"INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('{digest}', 1761998400123)")
    query(fresh_db, DRIZZLE_V1["20251101120000_init"].replace("--> statement-breakpoint", ""))
    project = drizzle_v1_project(tmp_path, fresh_db, ["20251101120000_init", "20251101120500_notes"])
    check = db006(project)
    assert check["status"] == "fail" and "1 migration pending: 20251101120500_notes" in str(check["message"])
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = query(fresh_db, "SELECT created_at, name, applied_at IS NULL FROM drizzle.__drizzle_migrations ORDER BY id")
    assert rows == [(1761998400123, "20251101120000_init", True), (1761998700000, "20251101120500_notes", False)]
    assert len(drizzle_v1_migrate(migrators, project, fresh_db)) == 2
    # A 0.x row that matches no folder: drizzle-orm 1.0 refuses to upgrade, and so do we.
    query(fresh_db, "ALTER TABLE drizzle.__drizzle_migrations DROP COLUMN name, DROP COLUMN applied_at; "
                    "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('gone', 1700000000000)")
    check = db006(project)
    assert check["status"] == "fail" and "matches no local folder" in str(check["message"])
    assert provision(project).returncode != 0


def test_a_0x_row_whose_second_holds_several_folders_but_not_its_hash_is_refused_as_drizzle_orm_1_refuses(
        tmp_path: Path, fresh_db: str, migrators: Path) -> None:
    # drizzle-orm 1.0 up-migrations/pg.ts: several folders of the row's second and none with its
    # hash leave the row unmatched (no fallback to any folder by hash), and the upgrade throws.
    names = {"20250101000000_a": "CREATE TABLE a (id int);", "20250101000000_b": "CREATE TABLE b (id int);",
             "20250105000000_c": "CREATE TABLE c (id int);"}
    project = write_project(tmp_path, {".env.local": f"DATABASE_URL={fresh_db}\n",
                                       **{f"drizzle/{n}/migration.sql": t + "\n" for n, t in names.items()},
                                       **{f"drizzle/{n}/snapshot.json": "{}\n" for n in names}})
    digest = {n: hashlib.sha256((t + "\n").encode()).hexdigest() for n, t in names.items()}
    query(fresh_db, "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations "
                    "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)")
    query(fresh_db, "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES "
                    f"('{digest['20250101000000_a']}', 1735689600000), ('{digest['20250101000000_b']}', 1735689600000), "
                    f"('{digest['20250105000000_c']}', 1735689600500)")
    check = db006(project)
    assert check["status"] == "fail" and "history row id 3 (it matches no local folder" in str(check["message"])
    assert provision(project).returncode != 0
    done = subprocess.run(["node", str(migrators / "drizzle-v1-migrate.mjs"), str(project / "drizzle")],
                          env=clean_environ(DATABASE_URL=fresh_db), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode != 0 and "do not match" in done.stderr  # the real migrator refuses it too


def test_an_edited_file_is_named_when_a_0x_table_is_matched_by_its_second(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations "
                    "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);"
                    "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('an-older-text', 1761998400123)")
    project = drizzle_v1_project(tmp_path, fresh_db, ["20251101120000_init"])
    assert "changed since applied: 20251101120000_init" in str(db006(project)["message"])


def test_folder_times_roll_over_as_javascripts_date_utc_does() -> None:
    from checks.migrations.drizzle_v1 import folder_millis

    assert folder_millis("20251301000000_x") == folder_millis("20260101000000_x")
    assert folder_millis("20250101240000_x") == folder_millis("20250102000000_x")
    assert folder_millis("20250101000000_x") == 1735689600000


def test_a_journal_under_drizzle_orm_1_is_refused_as_its_migrator_refuses_it(tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_project(tmp_path, fresh_db, ["0000_init"])
    (project / "package.json").write_text('{"name": "app", "dependencies": {"drizzle-orm": "^1.0.0-rc.5"}}\n')
    check = db006(project)
    assert check["status"] == "fail" and "npx drizzle-kit up" in str(check["message"])
    done = provision(project)
    assert done.returncode != 0 and "drizzle-kit up" in done.stdout + done.stderr
    assert query(fresh_db, "SELECT to_regclass('accounts')") == [(None,)]


def test_a_drizzle_0x_history_on_a_table_drizzle_orm_1_upgraded_is_not_written_to(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, "
                    "hash text NOT NULL, created_at bigint, name text, applied_at timestamptz DEFAULT now())")
    project = drizzle_project(tmp_path, fresh_db, ["0000_init"])
    check = db006(project)
    assert check["status"] == "fail" and "drizzle-kit 1.0's columns" in str(check["message"])
    assert provision(project).returncode != 0
    assert query(fresh_db, "SELECT count(*) FROM drizzle.__drizzle_migrations") == [(0,)]


def test_a_history_table_that_cannot_be_read_fails_db006_by_name(tmp_path: Path, fresh_db: str) -> None:
    # Reached, but unreadable as drizzle's (created_at is not a number): not "unreachable", never a pass.
    query(fresh_db, "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations "
                    "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at text);"
                    "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('x', 'yesterday')")
    check = db006(drizzle_project(tmp_path, fresh_db, ["0000_init"]))
    assert check["status"] == "fail" and "cannot read drizzle.__drizzle_migrations" in str(check["message"])


def test_a_journal_in_a_monorepo_db_package_on_drizzle_orm_1_is_refused(tmp_path: Path, fresh_db: str) -> None:
    # pnpm installs drizzle-orm into packages/db/node_modules, not the app's: that one is read.
    import shutil

    from helpers import REPO

    root = tmp_path / "mono"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "pnpm-monorepo", root)
    installed = root / "packages" / "db" / "node_modules" / "drizzle-orm"
    installed.mkdir(parents=True)
    (installed / "package.json").write_text('{"name": "drizzle-orm", "version": "1.0.0-rc.5"}\n')
    project = root / "apps" / "web"
    (project / ".env.local").write_text(f"POSTGRES_URL={fresh_db}\n")
    check = db006(project)
    assert check["status"] == "fail" and "drizzle-orm 1.0.0-rc.5 refuses this journal layout" in str(check["message"])


def test_db006_never_passes_an_empty_history(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path, {".env.local": f"DATABASE_URL={fresh_db}\n",
                                       "drizzle/meta/_journal.json": '{"version": "7", "dialect": "postgresql", '
                                                                     '"entries": []}\n'})
    query(fresh_db, "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations "
                    "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)")
    check = db006(project)
    assert check["status"] == "skip" and "holds no drizzle migration yet" in str(check["message"])



def test_a_history_of_one_migration_is_counted_in_words_that_read_for_one(tmp_path: Path, fresh_db: str) -> None:
    """The trial of ai-chatbot read "all 1 migration are recorded as applied"."""
    project = drizzle_project(tmp_path / "app", fresh_db, ["0000_init"])
    assert provision(project).returncode == 0
    again = provision(project)
    assert "nothing pending: the 1 migration is recorded as applied in drizzle.__drizzle_migrations" in again.stdout
    done = run_cli("check", "--project", str(project), "--only", "DB006", "-f", "json")
    db006 = json.loads(done.stdout)["checks"][0]
    assert db006["message"] == "the 1 migration of drizzle is applied and unchanged (drizzle.__drizzle_migrations)"
