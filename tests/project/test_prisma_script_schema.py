"""A Prisma schema named only by the `--schema` its package's scripts pass (tests/fixtures/apps/
nx-monorepo, shaped after baptisteArno/typebot.io packages/prisma/package.json: `prisma migrate dev
… --schema postgresql/schema.prisma`, no schema in prisma.config.ts nor in Prisma's default places).
The Prisma CLI takes that path relative to the package the script runs in (Prisma CLI reference,
"--schema"), and keeps the history in migrations/ beside it. Discovery said "no schema source", so
DB004-DB006 and `provision schema` had nothing to read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import (
    app_fixture,
    checks_by_id,
    clean_environ,
    committed,
    detect,
    query,
    run_cli,
    run_json,
)

MIGRATIONS = "../../packages/prisma/postgresql/migrations"


def typebot(tmp_path: Path, database_url: str = "postgresql://postgres:pw@127.0.0.1:1/acme",
            scripts: dict[str, str] | None = None) -> Path:
    """The fixture as a clone, the root `.env` the docs copy filled; the app folder returned."""
    root = app_fixture(tmp_path, "nx-monorepo")
    if scripts is not None:
        package_file = root / "packages" / "prisma" / "package.json"
        package = json.loads(package_file.read_text())
        package["scripts"] = scripts
        package_file.write_text(json.dumps(package))
    committed(root)
    (root / ".env").write_text(f"ENCRYPTION_SECRET=H7kLm2Pq9RsT4vWx8Yz3Ab6Cd1Ef5Gh0\nDATABASE_URL={database_url}\n"
                               "NEXTAUTH_URL=http://localhost:3000\n", encoding="utf-8")
    return root / "apps" / "builder"


def test_detect_names_the_schema_a_migrate_script_passes_and_the_migrations_beside_it(tmp_path: Path) -> None:
    model = detect(typebot(tmp_path))
    assert model["schema"]["kind"] == "prisma"
    assert model["schema"]["path"] == MIGRATIONS
    # db:push:vercel-preview, listed first, passes the MySQL twin: the migrate script's schema wins.
    assert model["schema"]["why"] == ("../../packages/prisma/postgresql/schema.prisma (prisma migrate, named by "
                                      "../../packages/prisma/package.json's scripts.create-migration-file)")
    assert model["database_kind"] == "postgresql"
    assert model["database_kind_why"] == '../../packages/prisma/postgresql/schema.prisma: provider = "postgresql"'


@pytest.mark.parametrize(("command", "script"), [
    ("prisma migrate reset --config prisma.config.ts --schema=postgresql/schema.prisma --force", "db:reset"),
    ("dotenv -e ../../.env -- prisma migrate dev --create-only --schema ./postgresql/schema.prisma", "migrate:dev"),
    ("bunx prisma generate --schema 'postgresql/schema.prisma'", "db:generate"),
])
def test_each_spelling_of_the_flag_names_the_schema(tmp_path: Path, command: str, script: str) -> None:
    model = detect(typebot(tmp_path, scripts={script: command}))
    assert model["schema"]["path"] == MIGRATIONS
    assert f"scripts.{script})" in model["schema"]["why"]


def test_a_schema_the_scripts_pass_only_through_a_variable_is_not_guessed(tmp_path: Path) -> None:
    model = detect(typebot(tmp_path, scripts={"db:push": "prisma db push --schema $SCHEMA"}))
    assert model["schema"] is None
    assert model["schema_why"].startswith("no schema source")


def test_db004_and_db006_read_the_migrations_the_script_names(tmp_path: Path, fresh_db: str) -> None:
    project = typebot(tmp_path, fresh_db)
    _code, report = run_json(project, "--only", "DB004,DB006")
    found = checks_by_id(report)
    assert found["DB004"]["status"] == "fail", found["DB004"]
    assert "User" in found["DB004"]["message"] and "Workspace" in found["DB004"]["message"]
    assert found["DB006"]["status"] == "fail", found["DB006"]
    assert "20220217161047_add_workspace" in json.dumps(found["DB006"])
    # The app's own migrator, as pasted: `prisma migrate deploy` alone finds no schema in that package.
    assert "`cd ../../packages/prisma && npx prisma migrate deploy --schema postgresql/schema.prisma`" \
        in found["DB006"]["hint"]

    done = run_cli("provision", "schema", "--project", str(project), env=clean_environ())
    assert done.returncode == 0, done.stderr
    assert query(fresh_db, "SELECT migration_name FROM _prisma_migrations ORDER BY 1") == [
        ("20220214162352_initial_schema",), ("20220217161047_add_workspace",)]
    _code, report = run_json(project, "--only", "DB004,DB005,DB006")
    found = checks_by_id(report)
    assert {i: c["status"] for i, c in found.items()} == {"DB004": "pass", "DB005": "pass", "DB006": "pass"}, found
    assert any(name.endswith("packages/prisma/postgresql/migrations/20220217161047_add_workspace/migration.sql")
               for name in report["inputs"]), report["inputs"]
