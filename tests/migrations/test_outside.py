"""issue 20 §5: a migration file that leads out of the project (a symlink, a journal tag
with ../) was applied and recorded, and a link to /etc/passwd had its first token quoted.
Every migrator's reader refuses it, naming the link, exit 2, before a byte of it is read."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from test_migrations import drizzle_project, prisma_project, provision, query

from checks.migrations.drizzle import Drizzle
from checks.migrations.drizzle_v1 import DrizzleV1
from checks.migrations.prisma import Prisma
from checks.migrations.supabase import Supabase
from checks.support.errors import RefusedInput
from checks.support.files import MAX_MIGRATION_FILES

from helpers import REPO, run_cli, write_project

SECRET_FILE = "/etc/passwd"  # a file every Linux has, whose first token must never show


def assert_refused(done: object, link: str) -> None:
    stdout, stderr, code = done.stdout, done.stderr, done.returncode  # type: ignore[attr-defined]
    assert code == 2, stdout + stderr
    assert f"{link} resolves outside the project" in stderr
    said = [line for line in stderr.strip().splitlines() if " target: " not in line]  # provision names its target
    assert len(said) == 1, stderr
    assert "root:x" not in stdout + stderr  # /etc/passwd starts "root:x:0:0:"


def test_a_drizzle_migration_linked_out_of_the_project_is_refused_and_nothing_is_recorded(
        tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_project(tmp_path / "app", fresh_db, ["0000_init", "0001_notes"])
    outside = tmp_path / "elsewhere" / "0001_notes.sql"
    outside.parent.mkdir()
    (project / "drizzle" / "0001_notes.sql").rename(outside)
    (project / "drizzle" / "0001_notes.sql").symlink_to(outside)
    assert_refused(provision(project), "drizzle/0001_notes.sql")
    assert query(fresh_db, "SELECT to_regclass('accounts'), to_regclass('drizzle.__drizzle_migrations')") == [
        (None, None)]
    assert_refused(run_cli("check", "--project", str(project), "--only", "DB006", "-f", "json"),
                   "drizzle/0001_notes.sql")


def test_a_drizzle_journal_tag_that_climbs_out_is_refused(tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_project(tmp_path / "app", fresh_db, ["0000_init"])
    (tmp_path / "evil.sql").write_text("CREATE TABLE evil (id int);\n")
    journal = project / "drizzle" / "meta" / "_journal.json"
    data = json.loads(journal.read_text())
    data["entries"].append({"idx": 1, "version": "7", "when": 1732000100000, "tag": "../../evil",
                            "breakpoints": True})
    journal.write_text(json.dumps(data))
    done = provision(project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "resolves outside the project" in done.stderr
    assert query(fresh_db, "SELECT to_regclass('evil')") == [(None,)]


LAYOUTS = {
    "prisma": ("prisma/migrations/20241103120000_evil/migration.sql", None),
    "supabase": ("supabase/migrations/20241102120000_evil.sql",
                 {"supabase/config.toml": 'project_id = "app"\n',
                  "supabase/migrations/20241101120000_init.sql": "create table a (id int);\n"}),
    "dbmate": ("db/migrations/20241102120000_evil.sql",
               {"db/migrations/20241101120000_init.sql": "-- migrate:up\ncreate table a (id int);\n"
                                                          "-- migrate:down\ndrop table a;\n"}),
    "golang-migrate": ("migrations/2_evil.up.sql",
                       {"migrations/1_init.up.sql": "create table a (id int);\n",
                        "migrations/1_init.down.sql": "drop table a;\n"}),
}


@pytest.mark.parametrize("tool", list(LAYOUTS))
def test_every_migrators_reader_refuses_a_link_to_a_file_outside(tmp_path: Path, fresh_db: str, tool: str) -> None:
    link, files = LAYOUTS[tool]
    project = (prisma_project(tmp_path, fresh_db) if files is None
               else write_project(tmp_path, {".env.local": f"DATABASE_URL={fresh_db}\n", **files}))
    (project / link).parent.mkdir(parents=True, exist_ok=True)
    (project / link).symlink_to(SECRET_FILE)
    assert_refused(provision(project), link)
    assert_refused(run_cli("check", "--project", str(project), "--only", "DB004,DB006", "-f", "json"), link)
    assert query(fresh_db, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
                           "'information_schema')") == [(0,)]


def test_a_link_inside_the_project_still_applies(tmp_path: Path, fresh_db: str) -> None:
    project = drizzle_project(tmp_path / "app", fresh_db, ["0000_init", "0001_notes"])
    kept = project / "sql" / "0001_notes.sql"
    kept.parent.mkdir()
    (project / "drizzle" / "0001_notes.sql").rename(kept)
    (project / "drizzle" / "0001_notes.sql").symlink_to(os.path.relpath(kept, project / "drizzle"))
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert query(fresh_db, "SELECT to_regclass('notes') IS NOT NULL") == [(True,)]


def test_a_monorepo_link_to_the_workspace_root_applies(tmp_path: Path, fresh_db: str) -> None:
    """The workspace root above the app is the project's too (packages/db is outside apps/web)."""
    root = tmp_path / "mono"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "pnpm-monorepo", root)
    project = root / "apps" / "web"
    (project / ".env.local").write_text(f"POSTGRES_URL={fresh_db}\n")
    migration = root / "packages" / "db" / "drizzle" / "0000_init.sql"
    shared = root / "shared" / "0000_init.sql"
    shared.parent.mkdir()
    migration.rename(shared)
    migration.symlink_to(shared)
    done = provision(project)
    assert done.returncode == 0, done.stdout + done.stderr


# -- a folder far beyond any real history (issue 20 §5: 100,000 files took 57 s / 312 MB) ----


def test_a_folder_over_the_limit_is_refused_at_once_naming_it(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {"supabase/config.toml": 'project_id = "app"\n'})
    folder = project / "supabase" / "migrations"
    folder.mkdir()
    for index in range(MAX_MIGRATION_FILES + 1):
        (folder / f"{20240101000000 + index}_t.sql").write_text("create table t (id int);\n")
    done = run_cli("check", "--project", str(project), "--only", "schema", "-f", "json", timeout=60)
    assert done.returncode == 2, done.stdout[:500]
    assert done.stderr.strip() == ("deploy-check: supabase/migrations holds more than 10,000 migration files, "
                                   "the most deploy-check reads; squash the history with its tool, or pin "
                                   "[project] schema to a schema.sql dump")


@pytest.mark.parametrize("tool", ["prisma", "drizzle-v1", "supabase", "drizzle"])
def test_every_migrators_reader_stops_at_the_limit(tmp_path: Path, tool: str) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    limit = MAX_MIGRATION_FILES
    if tool == "drizzle":
        (folder / "meta").mkdir()
        entries = [{"idx": i, "version": "7", "when": i, "tag": f"{i:04}_t", "breakpoints": True}
                   for i in range(limit + 1)]
        (folder / "meta" / "_journal.json").write_text(json.dumps({"entries": entries}))
    for index in range(limit + 1 if tool != "drizzle" else 0):
        name = f"{20240101000000 + index}_t"
        if tool in ("prisma", "drizzle-v1"):
            (folder / name).mkdir()
            (folder / name / "migration.sql").write_text("create table t (id int);\n")
        else:
            (folder / f"{name}.sql").write_text("create table t (id int);\n")
    migrator = {"prisma": Prisma, "drizzle-v1": DrizzleV1, "supabase": Supabase, "drizzle": Drizzle}[tool]()
    with pytest.raises(RefusedInput, match="migrations holds more than 10,000 migration files"):
        migrator.migrations(folder)
