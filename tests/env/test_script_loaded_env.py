"""Env files a dev script puts into the process environment beyond the app's own `dotenv -e`:
the workspace root's `dotenv -- turbo run dev` (tests/fixtures/apps/zero-turbo-root-env,
shaped after Mail-0/Zero: package.json `"dev": "dotenv -- turbo run dev"`, turbo.json
`"envMode": "loose"`, README `cp .env.example .env` at the root), and a custom server's
`tsx -r dotenv/config` (tests/fixtures/apps/dokploy-custom-server, shaped after
Dokploy/dokploy apps/dokploy/package.json), which loads `.env` above every file of Next.js."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, checks_by_id, committed, detect, run_json

FIXTURES = REPO / "tests" / "fixtures" / "apps"
SECRET = "9f1c2e7a4b8d3f60a5e1c9b27d4f8a3e6b0c5d91f2a7e4b8c3d6f1a9e5b2c7d4"


def zero(tmp_path: Path, turbo: str | None = None) -> Path:
    root = shutil.copytree(FIXTURES / "zero-turbo-root-env", tmp_path / "zero")
    if turbo is not None:
        (root / "turbo.json").write_text(turbo, encoding="utf-8")
    committed(root)
    (root / ".env").write_text("DATABASE_URL=postgresql://postgres:postgres@localhost:5432/zerodotemail\n"
                               f"BETTER_AUTH_SECRET={SECRET}\nBETTER_AUTH_URL=http://localhost:3000\n"
                               "NEXT_PUBLIC_APP_URL=http://localhost:3000\n", encoding="utf-8")
    return root / "apps" / "mail"


def test_the_root_env_the_workspace_dev_script_loads_supplies_the_app(tmp_path: Path) -> None:
    app = zero(tmp_path)
    model = detect(app)
    assert model["env_file"] == "../../.env"
    assert model["env_file_why"] == ("the workspace root's dev script (../../package.json) loads ../../.env "
                                     "(dotenv-cli) before it starts the app")
    assert model["example_file"] == "../../.env.example"
    _code, report = run_json(app, "--only", "ENV001,ENV002,ENV003,DB001,AUTH001")
    found = checks_by_id(report)
    assert {i: c["status"] for i, c in found.items()} == {i: "pass" for i in found}, found
    assert found["ENV001"]["message"] == "loaded, highest priority first: ../../.env (4 keys)"
    assert "DATABASE_URL (from ../../.env;" in found["DB001"]["message"]
    assert SECRET not in str(report)


def test_turbo_in_strict_env_mode_passes_the_root_env_to_no_task(tmp_path: Path) -> None:
    # turbo 2's default strict mode gives a task only the variables turbo.json declares.
    app = zero(tmp_path, turbo='{"tasks": {"dev": {"persistent": true, "cache": false}}}\n')
    _code, report = run_json(app, "--only", "ENV001")
    assert checks_by_id(report)["ENV001"]["status"] == "fail"


def dokploy(tmp_path: Path) -> Path:
    root = shutil.copytree(FIXTURES / "dokploy-custom-server", tmp_path / "dokploy")
    committed(root)
    app = root / "apps" / "dokploy"
    shutil.copy(app / ".env.example", app / ".env")
    return app


def test_a_preloaded_dotenv_config_makes_dotenv_the_apps_file_above_env_local(tmp_path: Path) -> None:
    app = dokploy(tmp_path)
    (app / ".env.local").write_text("DATABASE_URL=postgresql://postgres:other@127.0.0.1:5999/app\n", encoding="utf-8")
    model = detect(app)
    assert model["env_file"] == ".env"
    assert model["env_file_why"] == "package.json's dev script loads .env (dotenv/config preloaded)"
    _code, report = run_json(app, "--only", "ENV001,DB001")
    found = checks_by_id(report)
    assert found["ENV001"]["message"].startswith("loaded, highest priority first: .env (3 keys), .env.local")
    assert "DATABASE_URL (from .env;" in found["DB001"]["message"], found["DB001"]


def t3_turbo(tmp_path: Path) -> Path:
    # tests/fixtures/apps/t3-turbo-with-env, shaped after t3-oss/create-t3-turbo: apps/nextjs's
    # `"dev": "pnpm with-env next dev"` runs its own `"with-env": "dotenv -e ../../.env --"`.
    root = shutil.copytree(FIXTURES / "t3-turbo-with-env", tmp_path / "t3")
    committed(root)
    (root / ".env").write_text("POSTGRES_URL=postgres://postgres:postgres@localhost:5432/t3\n"
                               f"AUTH_SECRET={SECRET}\n", encoding="utf-8")
    return root / "apps" / "nextjs"


def test_a_dev_script_running_its_own_with_env_script_loads_the_root_env(tmp_path: Path) -> None:
    app = t3_turbo(tmp_path)
    model = detect(app)
    assert model["env_file"] == "../../.env"
    assert model["env_file_why"] == "package.json's dev script loads ../../.env (dotenv-cli)"
    assert model["example_file"] == "../../.env.example"
    _code, report = run_json(app, "--only", "ENV001,ENV003,DB001,AUTH001")
    found = checks_by_id(report)
    assert {i: c["status"] for i, c in found.items()} == {i: "pass" for i in found}, found
    assert found["ENV001"]["message"] == "loaded, highest priority first: ../../.env (2 keys)"
    assert "POSTGRES_URL (from ../../.env;" in found["DB001"]["message"]
    assert SECRET not in str(report)


def test_a_dev_script_running_a_script_the_package_lacks_loads_nothing(tmp_path: Path) -> None:
    app = t3_turbo(tmp_path)
    manifest = app / "package.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"with-env":', '"other":'), encoding="utf-8")
    _code, report = run_json(app, "--only", "ENV001")
    assert checks_by_id(report)["ENV001"]["status"] == "fail"
