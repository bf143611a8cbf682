"""A dev script that runs another script of its package.json, which loads the env file:
create-t3-turbo's `"dev": "bun with-env next dev"` with `"with-env": "dotenv -e
../../.env.local --"` (tests/fixtures/apps/saasfly-with-env, shaped after saasfly/saasfly
apps/nextjs/package.json, whose README says `cp .env.example .env.local` at the root)."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, checks_by_id, committed, detect, run_json

FIXTURES = REPO / "tests" / "fixtures" / "apps"
SECRET = "c5d91f2a7e4b8c3d6f1a9e5b2c7d49f1c2e7a4b8d3f60a5e1c9b27d4f8a3e6b0"


def saasfly(tmp_path: Path) -> Path:
    root = shutil.copytree(FIXTURES / "saasfly-with-env", tmp_path / "saasfly")
    committed(root)
    (root / ".env.local").write_text("NEXT_PUBLIC_APP_URL='http://localhost:3000'\nNEXTAUTH_URL='http://localhost:3000'\n"
                                     f"NEXTAUTH_SECRET='{SECRET}'\nGITHUB_CLIENT_ID='Iv1.a1b2c3d4e5f6a7b8'\n"
                                     f"GITHUB_CLIENT_SECRET='{SECRET[:40]}'\n"
                                     "POSTGRES_URL='postgresql://postgres:postgres@localhost:5432/saasfly'\n",
                                     encoding="utf-8")
    return root / "apps" / "nextjs"


def test_the_env_file_a_called_script_loads_supplies_the_app(tmp_path: Path) -> None:
    app = saasfly(tmp_path)
    model = detect(app)
    assert model["env_file"] == "../../.env.local"
    assert model["env_file_why"] == "package.json's dev script loads ../../.env.local (dotenv-cli)"
    assert model["example_file"] == "../../.env.example"
    _code, report = run_json(app, "--only", "ENV001,ENV002,ENV003,AUTH001")
    found = checks_by_id(report)
    assert {i: c["status"] for i, c in found.items()} == {i: "pass" for i in found}, found
    assert found["ENV001"]["message"] == "loaded, highest priority first: ../../.env.local (6 keys)"
    assert SECRET not in str(report)


def test_prisma_run_through_the_packages_loader_script_reads_the_root_env_local(tmp_path: Path) -> None:
    # packages/db: `"db:push": "bun with-env prisma db push --skip-generate"` with `"with-env":
    # "dotenv -e ../../.env.local --"`: dotenv-cli sets POSTGRES_URL before Prisma loads its .env.
    app = saasfly(tmp_path)
    model = detect(app)
    assert model["database_env_files"][0] == "../../.env.local", model
    _code, report = run_json(app, "--only", "DB001")
    db001 = checks_by_id(report)["DB001"]
    assert db001["status"] == "pass", db001
    assert "POSTGRES_URL (from ../../.env.local;" in db001["message"]
    assert "its script db:push loads ../../.env.local (dotenv-cli) before prisma runs" in db001["message"]
