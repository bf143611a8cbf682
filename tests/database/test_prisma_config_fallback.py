"""A monorepo whose prisma.config.ts loads its own .env with Node's process.loadEnvFile and
falls back from DIRECT_DATABASE_URL to DATABASE_URL (tests/fixtures/apps/rallly-monorepo,
shaped after lukevella/rallly): the checks judge the variable the migrator really reads, from
the file it really loads — against a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.support.pgembed import EmbeddedPostgres

from helpers import PG_PASSWORD, REPO, app_fixture, checks_by_id, detect, run_cli, run_json

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "rallly-monorepo"
TOOL_ENV = "../../packages/database/.env"


def rallly(tmp_path: Path, **files: str) -> Path:
    """The fixture copied, `files` written (relative to the workspace root); apps/web returned."""
    return app_fixture(tmp_path, "rallly-monorepo", files, at="rallly") / "apps" / "web"


def test_detect_follows_the_fallback_to_the_variable_that_is_set(tmp_path: Path) -> None:
    # CONTRIBUTING.md copies both samples; neither names DIRECT_DATABASE_URL.
    sample = "DATABASE_URL=postgres://rallly:s3cret-local@localhost:5450/rallly\n"
    model = detect(rallly(tmp_path, **{"apps/web/.env": sample, "packages/database/.env": sample}))
    assert model["database_var"] == "DATABASE_URL"
    assert "DIRECT_DATABASE_URL || DATABASE_URL" in model["database_var_why"]
    assert model["database_env_files"] == [TOOL_ENV]
    assert "process.loadEnvFile" in model["database_env_why"]


@pytest.mark.parametrize("direct_set", [False, True])
def test_db001_judges_what_the_migrator_reads(tmp_path: Path, pg: EmbeddedPostgres, direct_set: bool) -> None:
    name = "rallly_fallback"
    pg.create_database(name)
    try:
        url = pg.url(name)
        tool_env = f"DATABASE_URL={url}\n" + (f"DIRECT_DATABASE_URL={url}\n" if direct_set else "")
        app = rallly(tmp_path, **{"apps/web/.env": f"DATABASE_URL={url}\n", "packages/database/.env": tool_env})
        _code, report = run_json(app, "--only", "database,schema")
        results = checks_by_id(report)
        chosen = "DIRECT_DATABASE_URL" if direct_set else "DATABASE_URL"
        assert results["DB001"]["status"] == "pass", results["DB001"]
        assert f"{chosen} (from {TOOL_ENV};" in str(results["DB001"]["message"])
        assert results["DB002"]["status"] == "pass", results["DB002"]
        assert results["DB004"]["status"] == "fail"  # nothing applied yet: the table is named
        assert 'public.polls' in str(results["DB004"]["message"])
        # The migrator runs where its package is: prisma there finds its config and binary.
        assert "or with `cd ../../packages/database && npx prisma migrate deploy`." in str(results["DB006"]["hint"])
        assert PG_PASSWORD not in str(report)
    finally:
        pg.drop_database(name)


def test_the_package_env_prisma_loads_is_judged_not_only_the_apps(tmp_path: Path, pg: EmbeddedPostgres) -> None:
    # The false pass: apps/web/.env names one database while prisma, through loadEnvFile,
    # migrates the one packages/database/.env names.
    applied, other = "rallly_applied", "rallly_other"
    for name in (applied, other):
        pg.create_database(name)
    try:
        app = rallly(tmp_path, **{"apps/web/.env": f"DATABASE_URL={pg.url(applied)}\n",
                                  "packages/database/.env": f"DATABASE_URL={pg.url(other)}\n"})
        _code, report = run_json(app, "--only", "database,schema")
        db001 = checks_by_id(report)["DB001"]
        assert db001["status"] == "fail", db001
        assert f"DATABASE_URL in {TOOL_ENV} (prisma) and in .env (the app's runtime) name different" \
            in str(db001["message"])
    finally:
        for name in (applied, other):
            pg.drop_database(name)


def test_provision_schema_names_a_workspace_packages_migrations_by_their_path(
        tmp_path: Path, pg: EmbeddedPostgres) -> None:
    # Every Prisma migration is a `migration.sql`: rallly's history lives in packages/database,
    # outside the app, and was named `migration.sql:7` (which one?) and by absolute paths.
    name = "rallly_named"
    pg.create_database(name)
    try:
        url = pg.url(name)
        app = rallly(tmp_path, **{"apps/web/.env": f"DATABASE_URL={url}\n", "packages/database/.env": f"DATABASE_URL={url}\n"})
        done = run_cli("provision", "schema", "--project", str(app))
        assert done.returncode == 0, done.stderr
        history = "../../packages/database/prisma/migrations"
        assert f"ran {history}/20220414101318_remove_duplicate_emails/migration.sql:7 `DELETE FROM" in done.stdout
        assert (f"applied 3 statements from {history}/20220315143815_init/migration.sql, "
                f"{history}/20220414101318_remove_duplicate_emails/migration.sql in one transaction") in done.stdout
        assert str(tmp_path) not in done.stdout + done.stderr
        assert PG_PASSWORD not in done.stdout + done.stderr
    finally:
        pg.drop_database(name)
