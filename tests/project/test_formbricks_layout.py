"""formbricks/formbricks' layout (tests/fixtures/apps/formbricks-monorepo): apps/web repeats the
root's `packageManager`, commits `.env` as a symlink to the root's `../../.env` (which
`pnpm dev:setup` copies from the root's .env.example), and keeps its Prisma history in
packages/database/migration, while prisma.config.ts names the git-ignored folder its own
runner fills from there. Each was read wrong: "workspace root: .", no example (ENV002 warned,
ENV003 skipped), no schema source, and `provision env` refused to write through the link."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, clean_environ, committed, detect, query, run_cli, run_json
from helpers import checks_by_id as checks

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "formbricks-monorepo"
FILLED = ("WEBAPP_URL=http://localhost:3000\nNEXTAUTH_SECRET=fb-canary-nextauth-5Qx9Lw2Rk7\n"
          "ENCRYPTION_KEY=fb-canary-encryption-8Jt3Vn6Pz1\nDATABASE_URL={url}\nS3_ACCESS_KEY=\nS3_SECRET_KEY=\n")


def formbricks(tmp_path: Path, env: str | None = None) -> Path:
    """The monorepo as a clone, with apps/web/.env linked to the root's .env as formbricks commits it."""
    root = tmp_path / "formbricks"
    shutil.copytree(FIXTURE, root)
    (root / "apps" / "web" / ".env").symlink_to(Path("..") / ".." / ".env")
    if env is not None:
        (root / ".env").write_text(env, encoding="utf-8")
    committed(root)
    return root / "apps" / "web"


def test_a_member_repeating_package_manager_keeps_the_workspace_root_and_its_database(tmp_path: Path) -> None:
    model = detect(formbricks(tmp_path))
    assert model["workspace_root"] == "../.."
    assert model["package_manager"] == "pnpm"
    # Prisma's migration_lock.toml marks the history, whatever the folder is called.
    assert model["schema"]["kind"] == "prisma"
    assert model["schema"]["path"] == "../../packages/database/migration"
    assert "prisma.config.ts names '.prisma-migrations', which does not exist" in model["schema"]["why"]


def test_an_env_file_linked_into_the_workspace_is_documented_by_the_example_beside_its_target(
        tmp_path: Path) -> None:
    project = formbricks(tmp_path, FILLED.format(url="postgresql://postgres:pw@127.0.0.1:1/formbricks"))
    model = detect(project)
    assert model["example_file"] == "../../.env.example"
    assert model["env_file"] == ".env"
    assert model["env_file_why"] == ".env links to ../../.env"
    _code, report = run_json(project, "--only", "env")
    found = checks(report)
    assert found["ENV002"]["status"] == "pass", found["ENV002"]["message"]
    assert found["ENV003"]["status"] == "pass", found["ENV003"]["message"]
    assert found["ENV001"]["message"] == "loaded, highest priority first: ../../.env (6 keys)"


def test_provision_env_fills_the_linked_file_and_keeps_the_link(tmp_path: Path) -> None:
    project = formbricks(tmp_path, "DATABASE_URL=\nS3_ACCESS_KEY=\n")
    done = run_cli("provision", "env", "--project", str(project), env=clean_environ())
    assert done.returncode == 0, done.stderr
    assert (project / ".env").is_symlink()
    root_env = (project.parents[1] / ".env").read_text(encoding="utf-8")
    assert "NEXTAUTH_SECRET=" in root_env and "NEXTAUTH_SECRET=\n" not in root_env
    # The required key is the user's to fill; the optional S3 keys are counted, not asked for.
    assert "left empty, fill them by hand: ENCRYPTION_KEY\n" in done.stdout
    assert "2 optional keys left empty" in done.stdout


def test_provision_schema_records_the_migration_folder_prisma_style_and_skips_data_migrations(
        tmp_path: Path, fresh_db: str) -> None:
    project = formbricks(tmp_path, FILLED.format(url=fresh_db))
    done = run_cli("provision", "schema", "--project", str(project), env=clean_environ())
    assert done.returncode == 0, done.stderr
    assert query(fresh_db, "SELECT migration_name FROM _prisma_migrations") == [("20230329205933_init",)]
    _code, report = run_json(project, "--only", "schema")
    found = checks(report)
    assert found["DB004"]["status"] == "pass", found["DB004"]["message"]
    assert found["DB006"]["status"] == "pass", found["DB006"]["message"]


def test_provision_env_never_writes_through_a_link_into_the_repositorys_git_folder(tmp_path: Path) -> None:
    # A clone whose apps/web/.env.local links to ../../.git/config: inside the workspace, but git's own
    # file, which `git ls-files` cannot call tracked; appending the app's secrets there would
    # break the repository and leave the secrets in its config.
    root = tmp_path / "formbricks"
    shutil.copytree(FIXTURE, root)
    committed(root)
    config = root / ".git" / "config"
    before = config.read_bytes()
    (root / "apps" / "web" / ".env.example").write_text("NEXTAUTH_SECRET=\n", encoding="utf-8")
    (root / "apps" / "web" / ".env.local").symlink_to(Path("..") / ".." / ".git" / "config")
    done = run_cli("provision", "env", "--project", str(root / "apps" / "web"), env=clean_environ())
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refusing to write through it" in done.stderr
    assert config.read_bytes() == before
