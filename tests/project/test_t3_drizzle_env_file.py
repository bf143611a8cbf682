"""create-t3-app's drizzle template reads the database URL through the app's t3-env module
(`import { env } from "~/env"`, `url: env.DATABASE_URL`) and loads no env file of its own, so
`pnpm db:push` (drizzle-kit) sees `.env` only: that is the file hints, `provision env` and
`provision local-db` must name (fixture shaped after ARoyyanF/streak-trackr)."""

from __future__ import annotations

from pathlib import Path

from helpers import REPO, app_fixture, detect, run_cli, run_json
from helpers import checks_by_id as checks

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "t3-drizzle-authjs"
# The committed example's URL: what a user who copies .env.example to .env starts with.
EXAMPLE_URL = "postgresql://postgres:password@localhost:5432/habit-streaks"


def _app(tmp_path: Path, **files: str) -> Path:
    return app_fixture(tmp_path, "t3-drizzle-authjs", files)


def test_the_t3_env_module_in_drizzle_config_makes_dotenv_the_env_file(tmp_path: Path) -> None:
    project = _app(tmp_path, **{".env": (
        'AUTH_SECRET="a1b2c3d4e5f60718293a4b5c6d7e8f90"\nAUTH_DISCORD_ID="000000000000000000"\n'
        f'AUTH_DISCORD_SECRET="local-test-discord"\nDATABASE_URL="{EXAMPLE_URL}"\n')})
    model = detect(project)
    assert model["env_file"] == ".env"
    assert "drizzle-kit loads .env itself" in model["env_file_why"]
    assert model["database_env_files"] == [".env"]
    _code, report = run_json(project, "--only", "ENV003")
    env003 = checks(report)["ENV003"]
    assert env003["status"] == "fail" and "GOOGLE_CLIENT_ID" in env003["message"]
    assert env003["hint"] == "Fill them in .env (see src/env.js)."


def test_a_local_db_in_dotenv_local_is_not_the_one_drizzle_kit_pushes_to(tmp_path: Path, fresh_db: str) -> None:
    """`provision local-db` wrote DATABASE_URL to .env.local and DB001 passed on it, while
    `pnpm db:push` (the DB004 fix) still went to the example's localhost:5432 in .env."""
    project = _app(tmp_path, **{
        ".env": f'AUTH_SECRET="a1b2c3d4e5f60718293a4b5c6d7e8f90"\nDATABASE_URL="{EXAMPLE_URL}"\n',
        ".env.local": f"DATABASE_URL={fresh_db}\n"})
    _code, report = run_json(project, "--only", "DB001")
    db001 = checks(report)["DB001"]
    assert db001["status"] == "fail", db001
    assert ".env" in db001["message"] and ".env.local" in db001["message"]


def test_provision_env_completes_dotenv_not_dotenv_local(tmp_path: Path) -> None:
    project = _app(tmp_path)
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert (project / ".env").is_file() and not (project / ".env.local").exists()
    assert "AUTH_SECRET=" in (project / ".env").read_text(encoding="utf-8")
