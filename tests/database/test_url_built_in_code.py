"""An app that builds its database URL in code (tests/fixtures/apps/langturbo-db-helper, after
sebnun/langturbo's `getDatabaseUri()` from POSTGRES_PASSWORD): `provision local-db` wrote a
DATABASE_URL the app never reads, and DB001–DB003 then passed on that database. The helper is
followed one import deep; what cannot be proved is unverified, never passed on a guess."""

from __future__ import annotations

import shutil
from pathlib import Path

from checks.support.pgembed import EmbeddedPostgres

from helpers import REPO, detect, run_json
from helpers import checks_by_id as checks

FIXTURES = REPO / "tests" / "fixtures" / "apps"


def langturbo(tmp_path: Path, **files: str) -> Path:
    project = tmp_path / "nextjs"
    shutil.copytree(FIXTURES / "langturbo-db-helper", project)
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    return project


def test_a_stray_database_url_is_not_judged_for_an_app_that_builds_its_own(tmp_path: Path, fresh_db: str) -> None:
    # A DATABASE_URL that works, but the app reads POSTGRES_PASSWORD through getDatabaseUri().
    project = langturbo(tmp_path, **{".env": f"POSTGRES_PASSWORD=devpassword\nDATABASE_URL={fresh_db}\n"})
    model = detect(project)
    assert model["database_var"] is None, model
    assert model["database_url_builder"] == "getDatabaseUri() (lib/utils.ts)"
    assert model["database_url_reads"] == ["POSTGRES_PASSWORD", "NODE_ENV"]
    _code, report = run_json(project, "--only", "database")
    found = checks(report)
    assert {found[i]["status"] for i in ("DB001", "DB002", "DB003")} == {"skip"}, found
    db001 = found["DB001"]
    assert "getDatabaseUri() (lib/utils.ts) from POSTGRES_PASSWORD" in db001["message"], db001
    assert "drizzle.config.ts" in db001["message"] and db001["fix"] in ("", None), db001
    assert any("getDatabaseUri()" in clause for clause in report["unverified"]), report["unverified"]


def test_a_variable_the_helper_needs_unset_fails_db001_naming_it(tmp_path: Path) -> None:
    project = langturbo(tmp_path, **{".env": "DATABASE_URL=postgresql://postgres:pw@127.0.0.1:5432/app\n"})
    _code, report = run_json(project, "--only", "DB001")
    db001 = checks(report)["DB001"]
    assert db001["status"] == "fail", db001
    assert "getDatabaseUri() (lib/utils.ts), which drizzle.config.ts calls for the database URL, reads " \
           "POSTGRES_PASSWORD, which is not set" in db001["message"], db001
    assert "NODE_ENV" not in db001["details"]["missing"]  # `next dev` sets it
    assert db001["fix"] in ("", None) and "POSTGRES_PASSWORD" in db001["hint"], db001


def test_a_helper_that_returns_one_variable_is_judged_as_that_variable(tmp_path: Path, pg: EmbeddedPostgres,
                                                                       fresh_db: str) -> None:
    project = langturbo(tmp_path, **{
        "lib/utils.ts": "export function getDatabaseUri(): string {\n"
                        '  if (!process.env.POSTGRES_URL) throw new Error("POSTGRES_URL is not set");\n'
                        "  return process.env.POSTGRES_URL;\n}\n",
        ".env": f"POSTGRES_URL={fresh_db}\nDATABASE_URL=postgresql://postgres:pw@127.0.0.1:1/nothing\n"})
    model = detect(project)
    assert model["database_var"] == "POSTGRES_URL", model
    assert "calls getDatabaseUri() (lib/utils.ts), which reads POSTGRES_URL" in model["database_var_why"]
    _code, report = run_json(project, "--only", "DB001,DB002")
    found = checks(report)
    assert found["DB002"]["status"] == "pass", found["DB002"]
    assert fresh_db.rsplit("/", 1)[1] in found["DB002"]["message"]


def test_a_helper_from_a_package_is_unverified_naming_it(tmp_path: Path, fresh_db: str) -> None:
    project = langturbo(tmp_path, **{
        "drizzle.config.ts": 'import { defineConfig } from "drizzle-kit";\nimport { getDatabaseUri } from "@acme/config";\n'
                             'export default defineConfig({ out: "./drizzle", dialect: "postgresql",\n'
                             "  dbCredentials: { url: getDatabaseUri() } });\n",
        ".env": f"DATABASE_URL={fresh_db}\n"})
    _code, report = run_json(project, "--only", "database")
    db001 = checks(report)["DB001"]
    assert db001["status"] == "skip" and db001["details"]["unverified"], db001
    assert "calls getDatabaseUri() for the database URL (imported from '@acme/config', which deploy-check " \
           "does not read)" in db001["message"], db001
    assert checks(report)["DB002"]["status"] != "pass"


def test_the_runtime_module_alone_building_the_url_names_no_variable(tmp_path: Path) -> None:
    project = langturbo(tmp_path, **{".env": "DATABASE_URL=postgresql://postgres:pw@127.0.0.1:5432/app\n"})
    (project / "drizzle.config.ts").unlink()
    model = detect(project)
    assert model["database_var"] is None, model
    assert model["database_url_caller"] == "db/index.ts"
    assert model["database_url_builder"] == "getDatabaseUri() (lib/utils.ts)"
