"""An app of an Nx workspace whose dev server starts through Nx (tests/fixtures/apps/nx-monorepo,
shaped after baptisteArno/typebot.io: apps/builder has no `dev` script, the root's runs `nx
run-many -t dev -p builder,…`, and the contributor docs copy `.env.dev.example` to the root
`.env`). Nx loads the root's `.env` into every task it runs (nx.dev "Define Environment
Variables"), the app's `next dev` and the Prisma package's targets alike: a developer who
followed the docs is not told that no env file exists, nor that DATABASE_URL is unset."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import app_fixture, checks_by_id, committed, detect, run_json

PASSWORD = "Nx7rootEnvPw4q"
ENCRYPTION_SECRET = "H7kLm2Pq9RsT4vWx8Yz3Ab6Cd1Ef5Gh0"  # 32 characters, as the app's env schema wants


def workspace(tmp_path: Path, *, root_env: bool = True, dev: str | None = None) -> Path:
    """The fixture as a clone, the root `.env` filled as the docs say; the app folder returned."""
    root = app_fixture(tmp_path, "nx-monorepo")
    if dev is not None:
        package = json.loads((root / "package.json").read_text())
        package["scripts"]["dev"] = dev
        (root / "package.json").write_text(json.dumps(package))
    committed(root)
    if root_env:
        (root / ".env").write_text(f"ENCRYPTION_SECRET={ENCRYPTION_SECRET}\n"
                                   f"DATABASE_URL=postgresql://postgres:{PASSWORD}@localhost:5432/acme\n"
                                   "NEXTAUTH_URL=http://localhost:3000\n", encoding="utf-8")
    return root / "apps" / "builder"


def test_detect_names_the_root_env_nx_loads_for_the_app_and_its_prisma_package(tmp_path: Path) -> None:
    model = detect(workspace(tmp_path))
    assert model["env_file"] == "../../.env"
    assert model["env_file_why"].startswith("Nx (../../nx.json) loads ../../.env into the tasks it runs, "
                                            "and ../../package.json's dev script runs it")
    assert [f["path"] for f in model["env_files"]] == ["../../.env"]
    assert model["database_env_files"][0] == "../../.env"


def test_the_root_env_the_docs_fill_supplies_the_app_and_prisma(tmp_path: Path) -> None:
    _code, report = run_json(workspace(tmp_path), "--only", "ENV001,ENV006,DB001")
    found = checks_by_id(report)
    assert {i: c["status"] for i, c in found.items()} == {"ENV001": "pass", "ENV006": "pass", "DB001": "pass"}, found
    assert found["ENV001"]["message"] == "loaded, highest priority first: ../../.env (3 keys)"
    assert found["DB001"]["message"].count("DATABASE_URL (from ../../.env;") == 2
    assert PASSWORD not in json.dumps(report) and ENCRYPTION_SECRET not in json.dumps(report)


def test_without_the_root_env_the_fail_names_the_file_to_create(tmp_path: Path) -> None:
    _code, report = run_json(workspace(tmp_path, root_env=False), "--only", "ENV001")
    env001 = checks_by_id(report)["ENV001"]
    assert env001["status"] == "fail"
    assert "(looked for ../../.env, .env.development.local," in env001["message"]
    assert env001["hint"] == "Create ../../.env from ../../.env.dev.example."


def test_a_workspace_whose_dev_does_not_run_nx_is_read_as_before(tmp_path: Path) -> None:
    # `bun --filter builder dev`: Bun, not Nx, starts the app, and Bun loads no root file for it.
    app = workspace(tmp_path, dev="bun --filter builder dev")
    model = detect(app)
    assert model["env_files"] == [] and model["env_file"] == ".env.local"


def test_the_why_never_quotes_a_dev_script_that_sets_a_value_inline(tmp_path: Path) -> None:
    # `NEXTAUTH_SECRET=… nx run-many -t dev`: the script line may hold a secret; the why names
    # the script, never its text.
    inline = "Zq8InlineNxSecret3w"
    model = detect(workspace(tmp_path, dev=f"NEXTAUTH_SECRET={inline} nx run-many -t dev -p builder"))
    assert model["env_file"] == "../../.env"
    assert inline not in json.dumps(model)
    assert model["env_file_why"].endswith("and ../../package.json's dev script runs it")
