"""A monorepo app whose next.config loads the workspace root's `.env` itself
(tests/fixtures/apps/calcom-monorepo, shaped after calcom/cal.com: apps/web/next.config.js
`require("dotenv").config({ path: "../../.env" })`, README "Duplicate .env.example to .env"
at the root). That file and the example beside it are the app's: a developer who followed
the README is not told that no env file or example exists, nor sent to write `.env.local`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import REPO, checks_by_id, committed, detect, run_cli, run_json

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "calcom-monorepo"
SECRET = "Zq7TfW2pLx9VnB4kR8sD1mHc6YjE3uGa0oNiKbXw5Qe="
KEY = "cK4vR9tLm2Wq8ZxN5bJh7YpD3sFg6AeU"


def calcom(tmp_path: Path, env: str | None = None) -> Path:
    """The fixture as a clone, the root `.env` written when given; the app folder returned."""
    root = tmp_path / "calcom"
    shutil.copytree(FIXTURE, root)
    # cal.com commits packages/prisma/.env as a symlink to ../../.env (prisma reads the root's).
    (root / "packages" / "prisma" / ".env").symlink_to("../../.env")
    committed(root)
    if env is not None:
        (root / ".env").write_text(env, encoding="utf-8")
    return root / "apps" / "web"


def test_detect_names_the_file_next_config_loads_and_the_example_beside_it(tmp_path: Path) -> None:
    model = detect(calcom(tmp_path))
    assert model["env_file"] == "../../.env"
    assert model["env_file_why"] == "next.config.js loads ../../.env through dotenv"
    assert model["example_file"] == "../../.env.example"


def test_the_root_env_the_readme_fills_supplies_the_app(tmp_path: Path) -> None:
    env = ("DATABASE_URL=postgresql://postgres:@localhost:5450/calendso\n"
           "DATABASE_DIRECT_URL=postgresql://postgres:@localhost:5450/calendso\n"
           "NEXTAUTH_URL=http://localhost:3000\n"
           f"NEXTAUTH_SECRET={SECRET}\nCALENDSO_ENCRYPTION_KEY={KEY}\n"
           "EMAIL_FROM=notifications@example.test\nEMAIL_SERVER_HOST=localhost\nEMAIL_SERVER_PORT=1025\n")
    _code, report = run_json(calcom(tmp_path, env), "--only", "ENV001,ENV002,ENV003,ENV005,ENV006,DB001,AUTH001")
    found = checks_by_id(report)
    assert {i: c["status"] for i, c in found.items()} == {i: "pass" for i in found}, found
    assert found["ENV001"]["message"] == "loaded, highest priority first: ../../.env (8 keys)"
    assert found["ENV002"]["message"].startswith("../../.env.example documents 8 keys")
    assert "DATABASE_URL (from ../../.env;" in found["DB001"]["message"]
    assert SECRET not in str(report) and KEY not in str(report)


def test_without_the_root_env_the_hint_and_provision_name_it(tmp_path: Path) -> None:
    app = calcom(tmp_path)
    _code, report = run_json(app, "--only", "ENV001")
    env001 = checks_by_id(report)["ENV001"]
    assert env001["status"] == "fail"
    assert "looked for .env.development.local, .env.local, .env.development, .env, ../../.env)" in env001["message"]
    assert env001["hint"] == "Create ../../.env from ../../.env.example."
    done = run_cli("provision", "env", "--project", str(app))
    assert done.returncode == 0, done.stderr
    assert "created ../../.env from ../../.env.example" in done.stdout.lower()
    assert not (app / ".env.local").exists()
    assert "NEXTAUTH_SECRET=" in (app.parent.parent / ".env").read_text()


def test_a_file_the_config_names_outside_the_workspace_is_not_the_apps(tmp_path: Path) -> None:
    app = calcom(tmp_path)
    outside = tmp_path / "elsewhere.env"
    outside.write_text("NEXTAUTH_SECRET=not-the-apps\n")
    config = app / "next.config.js"
    config.write_text(config.read_text().replace('"../../.env"', f'"{outside}"'))
    model = detect(app)
    assert model["env_file"] != str(outside) and "elsewhere" not in model["env_file"]
    done = run_cli("provision", "env", "--project", str(app))
    assert outside.read_text() == "NEXTAUTH_SECRET=not-the-apps\n"  # never written
    assert "elsewhere" not in done.stdout + done.stderr


# langfuse/langfuse web/package.json: `"dev": "dotenv -e ../.env -- next dev"`, with the
# README's `cp .env.dev.example .env` at the repository root. dotenv-cli puts the values into
# the process environment, above every file Next.js loads.
LANGFUSE = REPO / "tests" / "fixtures" / "apps" / "langfuse-monorepo"


def langfuse(tmp_path: Path, dev: str) -> Path:
    root = shutil.copytree(LANGFUSE, tmp_path / "langfuse")
    package = root / "web" / "package.json"
    package.write_text(package.read_text().replace('"dev": "next dev"', f'"dev": "{dev}"'))
    (root / ".env").write_text(f"DATABASE_URL=postgresql://postgres:postgres@localhost:5432/langfuse\n"
                               f"NEXTAUTH_SECRET={SECRET}\n")
    return root / "web"


def test_the_file_a_dev_script_loads_through_dotenv_cli_is_the_apps_and_wins(tmp_path: Path) -> None:
    app = langfuse(tmp_path, "dotenv -e ../.env -- next dev")
    (app / ".env.local").write_text("DATABASE_URL=postgresql://other:other@localhost:5999/other\n")
    model = detect(app)
    assert model["env_file"] == "../.env"
    assert model["env_file_why"] == "package.json's dev script loads ../.env (dotenv-cli)"
    _code, report = run_json(app, "--only", "ENV001,DB001")
    found = checks_by_id(report)
    assert found["ENV001"]["message"].startswith("loaded, highest priority first: ../.env (2 keys), .env.local")
    assert "DATABASE_URL (from ../.env" in found["DB001"]["message"], found["DB001"]
    assert SECRET not in str(report)


def test_env_cmd_and_a_path_outside_the_workspace(tmp_path: Path) -> None:
    app = langfuse(tmp_path, "env-cmd -f ../.env next dev")
    assert detect(app)["env_file"] == "../.env"
    outside = tmp_path / "elsewhere.env"
    outside.write_text("NEXTAUTH_SECRET=not-the-apps\n")
    app = langfuse(tmp_path / "second", f"dotenv -e {outside} -- next dev")
    assert "elsewhere" not in detect(app)["env_file"]


def test_the_example_its_contributing_guide_copies_to_that_file_documents_it(tmp_path: Path) -> None:
    # langfuse CONTRIBUTING.md: `cp .env.dev.example .env` at the repository root.
    app = langfuse(tmp_path, "dotenv -e ../.env -- next dev")
    root = app.parent
    (root / "CONTRIBUTING.md").write_text("## Setup\n\n```bash\ncp .env.dev.example .env\n"
                                          "cp .env.test.example .env.test\n```\n")
    (root / ".env.dev.example").write_text("DATABASE_URL=\nNEXTAUTH_SECRET=\n")
    (root / ".env.test.example").write_text("DATABASE_URL=\nTEST_ONLY=\n")
    assert detect(app)["example_file"] == "../.env.dev.example"
    _code, report = run_json(app, "--only", "ENV002,ENV003")
    found = checks_by_id(report)
    assert found["ENV002"]["message"].startswith("../.env.dev.example documents 2 keys"), found["ENV002"]
    assert found["ENV003"]["status"] == "pass", found["ENV003"]


def test_env006_checks_the_file_a_dev_script_loads_from_above_the_app(tmp_path: Path) -> None:
    """The app keeps an example of its own, so `.env.local` stays its file to fill; its dev
    script still loads the root's `../.env` above it. ENV006 looked only in the app's folder
    and skipped ("no env file"), while that tracked file held the secret."""
    app = langfuse(tmp_path, "dotenv -e ../.env -- next dev")
    (app / ".env.example").write_text("DATABASE_URL=\nNEXTAUTH_SECRET=\n")
    committed(app.parent)
    _code, report = run_json(app, "--only", "ENV006")
    env006 = checks_by_id(report)["ENV006"]
    assert env006["status"] == "fail", env006
    assert env006["message"].startswith("../.env is tracked by git (holds "), env006["message"]
    assert "git rm --cached --ignore-unmatch -- ../.env" in env006["fix"]
    assert SECRET not in str(report)


@pytest.mark.parametrize(("dev", "env_file"), [
    # dotenv-cli README: `-v NAME=value` sets a variable, its value is no file nor the command
    ("dotenv -v NODE_OPTIONS=--max-old-space-size=4096 -e ../.env -- next dev", "../.env"),
    ("dotenv -p DATABASE_URL -e ../.env -- next dev", "../.env"),
    # env-cmd README: `-e development` reads the rc file (.env-cmdrc), never `.env`
    ("env-cmd -e development next dev", ".env.local"),
])
def test_a_loaders_other_options_are_not_taken_for_its_files_or_command(tmp_path: Path, dev: str,
                                                                          env_file: str) -> None:
    assert detect(langfuse(tmp_path, dev))["env_file"] == env_file
