"""A monorepo whose schema's tool runs in a workspace package (tests/fixtures/apps/next-forge,
shaped after vercel/next-forge): prisma reads DATABASE_URL from packages/database/.env, the
app's Next.js runtime from apps/app's own env files. The checks judge both, name the file
each comes from, and `provision local-db` writes both — against a real PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from checks.support.pgembed import EmbeddedPostgres

from helpers import PG_PASSWORD, REPO, checks_by_id, committed, detect, git, run_cli, run_json

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "next-forge"
TOOL_ENV = "../../packages/database/.env"


def forge(tmp_path: Path, **files: str) -> Path:
    """The next-forge fixture copied, `files` written (relative to the workspace root); the
    app folder (what `check` is pointed at) is returned."""
    root = tmp_path / "next-forge"
    shutil.copytree(FIXTURE, root)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root / "apps" / "app"


def page_table(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute('CREATE TABLE "Page" (id serial PRIMARY KEY, name text NOT NULL)')


def database_checks(app: Path) -> dict[str, dict[str, object]]:
    _code, report = run_json(app, "--only", "database,schema")
    return checks_by_id(report)


def test_detect_names_the_env_files_prisma_reads_in_the_database_package(tmp_path: Path) -> None:
    model = detect(forge(tmp_path))
    # Bun (packageManager bun@…) loads these where prisma runs: packages/database.
    assert model["database_env_files"] == [f"../../packages/database/{name}" for name in
                                           (".env.development.local", ".env.local", ".env.development", ".env")]
    assert model["database_env_write"] == TOOL_ENV
    assert "prisma runs in ../../packages/database, where Bun" in model["database_env_why"]


def test_the_database_prisma_migrates_is_judged_not_only_the_apps(tmp_path: Path, pg: EmbeddedPostgres) -> None:
    # The false pass: the app's .env.local names a database that has the tables, while prisma
    # (packages/database/.env) migrates another, empty one.
    applied, empty = "forge_applied", "forge_empty"
    for name in (applied, empty):
        pg.create_database(name)
    try:
        page_table(pg.url(applied))
        app = forge(tmp_path, **{"apps/app/.env.local": f"DATABASE_URL={pg.url(applied)}\n",
                                 "packages/database/.env": f'DATABASE_URL="{pg.url(empty)}"\n'})
        results = database_checks(app)
        db001 = results["DB001"]
        assert db001["status"] == "fail", db001
        assert (f"DATABASE_URL in {TOOL_ENV} (prisma) and in .env.local (the app's runtime) name different "
                f"databases (127.0.0.1:{pg.port}/{empty} and 127.0.0.1:{pg.port}/{applied})") in str(db001["message"])
        assert db001["hint"] == f"Use one connection string for DATABASE_URL in {TOOL_ENV} and .env.local."
        assert results["DB004"]["status"] == "skip"  # never a pass against the app's side alone

        # One database in both files: the schema checks judge it, naming prisma's file.
        (app / ".env.local").write_text(f"DATABASE_URL={pg.url(empty)}\n")
        results = database_checks(app)
        assert results["DB001"]["status"] == "pass"
        assert f"DATABASE_URL (from {TOOL_ENV};" in str(results["DB001"]["message"])
        assert results["DB004"]["status"] == "fail"
        assert 'public."Page"' in str(results["DB004"]["message"])
        assert PG_PASSWORD not in str(results)
    finally:
        for name in (applied, empty):
            pg.drop_database(name)


def test_a_url_only_in_the_apps_file_fails_naming_the_file_prisma_reads(tmp_path: Path, fresh_db: str) -> None:
    app = forge(tmp_path, **{"apps/app/.env.local": f"DATABASE_URL={fresh_db}\n"})
    db001 = database_checks(app)["DB001"]
    assert db001["status"] == "fail"
    assert ("DATABASE_URL is not set where prisma reads it (neither in the process environment nor in "
            "../../packages/database/.env.development.local") in str(db001["message"])
    assert db001["hint"] == (f"Set DATABASE_URL in {TOOL_ENV}, where prisma reads it, to the same URL "
                             "as in .env.local.")
    assert db001["fix"] == ""  # local-db would refuse: .env.local names the user's database


def test_a_url_only_in_the_packages_file_fails_for_the_apps_runtime(tmp_path: Path, fresh_db: str) -> None:
    app = forge(tmp_path, **{"packages/database/.env": f"DATABASE_URL={fresh_db}\n"})
    db001 = database_checks(app)["DB001"]
    assert db001["status"] == "fail"
    assert "DATABASE_URL is not set where the app's runtime reads it" in str(db001["message"])
    assert db001["hint"] == f"Set DATABASE_URL in .env.local, where the app's runtime reads it, to the same URL as in {TOOL_ENV}."


@pytest.mark.parametrize(("files", "where"), [
    # Prisma 6 without prisma.config.ts: .env beside package.json and beside the schema
    # (prisma/prisma packages/internals/src/utils/getEnvPaths.ts).
    ({"packages/database/prisma.config.ts": None,
      "packages/database/prisma/schema.prisma":
          'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'},
     "../../packages/database/prisma/.env"),
    # npm and a config that loads .env through dotenv (the older next-forge prisma.config.ts).
    ({"package.json": '{"name": "forge", "workspaces": ["apps/*", "packages/*"], "packageManager": "npm@10.9.0"}',
      "packages/database/prisma.config.ts":
          'import "dotenv/config";\nimport { defineConfig } from "prisma/config";\n'
          'export default defineConfig({ schema: "prisma/schema.prisma",\n'
          '  migrations: { path: "prisma/migrations" },\n  datasource: { url: process.env.DATABASE_URL } });\n'},
     TOOL_ENV),
])
def test_prismas_own_env_files_are_read_per_its_loading_rule(
        tmp_path: Path, fresh_db: str, files: dict[str, str | None], where: str) -> None:
    app = forge(tmp_path)
    root = app.parents[1]
    for name, text in files.items():
        if text is None:
            (root / name).unlink()
        else:
            (root / name).write_text(text)
    (root / where.removeprefix("../../")).write_text(f"DATABASE_URL={fresh_db}\n")
    (app / ".env.local").write_text(f"DATABASE_URL={fresh_db}\n")
    model = detect(app)
    assert where in model["database_env_files"], model["database_env_files"]
    db001 = database_checks(app)["DB001"]
    assert db001["status"] == "pass", db001
    assert f"DATABASE_URL (from {where};" in str(db001["message"])


def test_a_config_that_loads_no_env_file_keeps_the_apps_files(tmp_path: Path) -> None:
    # npm, and a prisma.config.ts that loads nothing itself: where prisma's value comes from
    # is not known, so nothing is claimed about a package file.
    app = forge(tmp_path, **{"package.json": '{"name": "forge", "workspaces": ["apps/*", "packages/*"], '
                                             '"packageManager": "npm@10.9.0"}'})
    assert detect(app)["database_env_files"] == []


def test_local_db_writes_the_url_where_prisma_and_the_app_read_it(tmp_path: Path) -> None:
    from provision.database import stop_local_db

    app = forge(tmp_path)
    try:
        done = run_cli("provision", "local-db", "--project", str(app))
        assert done.returncode == 0, done.stderr
        assert f"DATABASE_URL: wrote it to {TOOL_ENV} (mode 0600)" in done.stdout
        assert "DATABASE_URL: wrote it to .env.local (mode 0600)" in done.stdout
        tool = (app.parents[1] / "packages" / "database" / ".env").read_text()
        assert tool.splitlines()[-1] == (app / ".env.local").read_text().splitlines()[-1]
        applied = run_cli("provision", "schema", "--project", str(app))
        assert applied.returncode == 0, applied.stderr
        assert f"(DATABASE_URL from {TOOL_ENV})" in applied.stderr
        results = database_checks(app)
        assert {results[i]["status"] for i in ("DB001", "DB002", "DB004", "DB006")} == {"pass"}, results
    finally:
        stop_local_db(app)


def test_local_db_refuses_when_the_app_names_another_database(tmp_path: Path) -> None:
    theirs = "postgresql://app:secret-Kq2@db.example.com:5432/app"
    app = forge(tmp_path, **{"apps/app/.env.local": f"DATABASE_URL={theirs}\n"})
    done = run_cli("provision", "local-db", "--project", str(app))
    assert done.returncode == 1
    assert ("DATABASE_URL in .env.local is already set to another database; refusing to change it. "
            f"{TOOL_ENV} must name the same database") in done.stderr
    assert not (app.parents[1] / "packages" / "database" / ".env").exists()
    assert not (app / ".deploy-check" / "local-db").exists()
    assert "secret-Kq2" not in done.stderr + done.stdout


def test_prismas_schema_parameter_makes_another_set_of_tables(tmp_path: Path) -> None:
    # Prisma's `?schema=app` (prisma.io/docs/orm/overview/databases/postgresql#arguments): prisma
    # migrates app."Page" while the app's runtime, without it, reads public."Page".
    url = "postgresql://forge@127.0.0.1:5432/forge"
    app = forge(tmp_path, **{"apps/app/.env.local": f"DATABASE_URL={url}\n",
                             "packages/database/.env": f"DATABASE_URL={url}?schema=app\n"})
    _code, report = run_json(app, "--only", "DB001")
    db001 = checks_by_id(report)["DB001"]
    assert db001["status"] == "fail", db001
    assert "127.0.0.1:5432/forge (schema app) and 127.0.0.1:5432/forge" in str(db001["message"])


def test_local_db_does_not_write_through_a_link_that_leaves_the_workspace(tmp_path: Path) -> None:
    # A link planted at packages/database/.env: the URL (and the generated password) went into
    # the file it names outside the repository, whose mode became 0600.
    outside = tmp_path / "outside.env"
    outside.write_text("MY_SETTING=keep\n")
    outside.chmod(0o644)
    app = forge(tmp_path)
    (app.parents[1] / "packages" / "database" / ".env").symlink_to(outside)
    done = run_cli("provision", "local-db", "--project", str(app))
    assert done.returncode == 1, done.stdout
    assert f"DATABASE_URL's file resolves to {outside}, outside {app.parents[1]}" in done.stderr
    assert outside.read_text() == "MY_SETTING=keep\n" and outside.stat().st_mode & 0o777 == 0o644
    assert not (app / ".deploy-check" / "local-db").exists()  # refused before anything started


def test_local_db_does_not_follow_a_dotenv_path_out_of_the_workspace(tmp_path: Path) -> None:
    outside = tmp_path / "profile"
    outside.write_text("export PATH=$PATH:/opt/bin\n")
    app = forge(tmp_path, **{"packages/database/prisma.config.ts":
                             'import { config } from "dotenv";\nconfig({ path: "../../../profile" });\n'
                             'export default { schema: "prisma/schema.prisma", migrations: { path: "prisma/migrations" },\n'
                             '  datasource: { url: process.env.DATABASE_URL ?? "" } };\n'})
    assert detect(app)["database_env_write"] == "../../../profile"
    done = run_cli("provision", "local-db", "--project", str(app))
    assert done.returncode == 1, done.stdout
    assert f"resolves to {outside}, outside {app.parents[1]}" in done.stderr
    assert outside.read_text() == "export PATH=$PATH:/opt/bin\n"


def test_local_db_writes_no_password_into_a_file_git_tracks(tmp_path: Path) -> None:
    app = forge(tmp_path, **{".gitignore": "node_modules\n.env*.local\n",
                             "packages/database/.env": 'DATABASE_URL="postgresql://user:password@localhost:5432/db"\n'})
    root = app.parents[1]
    committed(root)
    done = run_cli("provision", "local-db", "--project", str(app))
    assert done.returncode == 1, done.stdout
    assert f"{TOOL_ENV} is tracked by git" in done.stderr
    assert "rm --cached" in done.stderr
    status = git(root, "status", "--porcelain", "--untracked-files=no")
    assert status == ""


def test_local_db_refusal_names_a_git_rm_that_works_pasted_from_another_folder(tmp_path: Path) -> None:
    """The refusal's `git rm --cached '<absolute path>'`, pasted anywhere but inside the
    repository, failed: "fatal: not a git repository" (exit 128)."""
    import re
    import subprocess

    app = forge(tmp_path, **{".gitignore": "node_modules\n.env*.local\n",
                             "packages/database/.env": 'DATABASE_URL="postgresql://user:password@localhost:5432/db"\n'})
    root = app.parents[1]
    committed(root)
    done = run_cli("provision", "local-db", "--project", str(app))
    assert done.returncode == 1, done.stdout
    command = re.search(r"`(git [^`]*rm --cached[^`]*)`", done.stderr)
    assert command, done.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pasted = subprocess.run(["/bin/sh", "-c", command.group(1)], cwd=elsewhere, capture_output=True,
                            text=True, timeout=30, check=False)
    assert pasted.returncode == 0, (command.group(1), pasted.stderr)
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "packages/database/.env"], capture_output=True, text=True,
                            check=True, timeout=30).stdout
    assert listed == ""


def test_a_root_prisma_app_whose_dotenv_names_another_database_fails_db001(
        tmp_path: Path, pg: EmbeddedPostgres) -> None:
    """The Prisma CLI loads `.env` (beside package.json and the schema) and never `.env.local`
    (prisma.io/docs/orm/more/development-environment/environment-variables): with
    DATABASE_URL in both, set to different databases, `prisma migrate deploy` migrates one
    while `next dev` reads the other. DB001 passed, judging only `.env.local`."""
    applied, other = "root_applied", "root_other"
    for name in (applied, other):
        pg.create_database(name)
    app = tmp_path / "app"
    (app / "prisma").mkdir(parents=True)
    (app / "package.json").write_text('{"name": "notes", "dependencies": {"next": "15.1.0", '
                                      '"@prisma/client": "6.1.0"}, "devDependencies": {"prisma": "6.1.0"}}\n')
    (app / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n')
    (app / ".env.example").write_text("DATABASE_URL=\n")
    (app / ".env.local").write_text(f"DATABASE_URL={pg.url(applied)}\n")
    (app / ".env").write_text(f"DATABASE_URL={pg.url(other)}\n")
    db001 = database_checks(app)["DB001"]
    assert db001["status"] == "fail", db001
    assert (f"DATABASE_URL in .env (prisma) and in .env.local (the app's runtime) name different databases "
            f"(127.0.0.1:{pg.port}/{other} and 127.0.0.1:{pg.port}/{applied})") in str(db001["message"])
    # The same database in both, or none in .env: one reading, as before.
    (app / ".env").write_text(f"DATABASE_URL={pg.url(applied)}\n")
    assert database_checks(app)["DB001"]["status"] == "pass"
    (app / ".env").write_text("NEXTAUTH_URL=http://localhost:3000\n")
    assert database_checks(app)["DB001"]["status"] == "pass"


def test_a_prisma_config_that_loads_dotenv_is_judged_by_the_file_it_loads(
        tmp_path: Path, pg: EmbeddedPostgres) -> None:
    """Prisma 7 with a prisma.config.ts loads no env file itself; the config's `import
    "dotenv/config"` loads `.env` and never `.env.local` (tests/fixtures/apps/prisma-dotenv-better-auth,
    shaped after ezeparziale/nextjs-better-auth-template). Discovery already said so in
    env_file_why, yet DB001 passed judging `.env.local` while `prisma migrate` used `.env`."""
    applied, other = "config_applied", "config_other"
    for name in (applied, other):
        pg.create_database(name)
    app = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "prisma-dotenv-better-auth", app)
    (app / ".env.local").write_text(f"DATABASE_URL={pg.url(applied)}\n")
    (app / ".env").write_text(f"DATABASE_URL={pg.url(other)}\n")
    db001 = database_checks(app)["DB001"]
    assert db001["status"] == "fail", db001
    assert (f"DATABASE_URL in .env (prisma) and in .env.local (the app's runtime) name different databases "
            f"(127.0.0.1:{pg.port}/{other} and 127.0.0.1:{pg.port}/{applied})") in str(db001["message"])
    # Only in .env.local: the Prisma CLI would not see it at all.
    (app / ".env").unlink()
    db001 = database_checks(app)["DB001"]
    assert db001["status"] == "fail", db001
    assert "DATABASE_URL is not set where prisma reads it" in str(db001["message"])
    (app / ".env").write_text(f"DATABASE_URL={pg.url(applied)}\n")
    assert database_checks(app)["DB001"]["status"] == "pass"


def test_a_readme_naming_env_local_does_not_hide_the_env_drizzle_kit_loads(
        tmp_path: Path, pg: EmbeddedPostgres) -> None:
    """drizzle.config.ts's `config({ path: ".env" })` loads `.env` for drizzle-kit whatever the
    README says (tests/fixtures/apps/drizzle-dotenv-only). A README sentence that merely
    mentions `.env.local` turned DB001 from a fail into a pass judging `.env.local` only."""
    applied, other = "readme_applied", "readme_other"
    for name in (applied, other):
        pg.create_database(name)
    app = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "drizzle-dotenv-only", app)
    readme = app / "README.md"
    readme.write_text(readme.read_text() + "\nNever commit .env.local or .env.\n")
    (app / ".env.local").write_text(f"DATABASE_URL={pg.url(applied)}\n")
    (app / ".env").write_text(f"DATABASE_URL={pg.url(other)}\n")
    db001 = database_checks(app)["DB001"]
    assert db001["status"] == "fail", db001
    assert (f"DATABASE_URL in .env (the schema's tool) and in .env.local (the app's runtime) name different "
            f"databases (127.0.0.1:{pg.port}/{other} and 127.0.0.1:{pg.port}/{applied})") in str(db001["message"])
    (app / ".env").write_text(f"DATABASE_URL={pg.url(applied)}\n")
    assert database_checks(app)["DB001"]["status"] == "pass"


def test_env006_still_answers_where_the_tool_loads_a_file_outside_the_repository(tmp_path: Path) -> None:
    """ENV006 git-checks the files the schema's tool loads too; one outside the repository
    (`../../../profile`) made `git ls-files` refuse them all, and ENV006 skipped over a
    tracked `.env.local`."""
    (tmp_path / "profile").write_text("export PATH=$PATH:/opt/bin\n")
    app = forge(tmp_path, **{"packages/database/prisma.config.ts":
                             'import { config } from "dotenv";\nconfig({ path: "../../../profile" });\n'
                             'export default { schema: "prisma/schema.prisma", migrations: { path: "prisma/migrations" },\n'
                             '  datasource: { url: process.env.DATABASE_URL ?? "" } };\n',
                             "apps/app/.env.local": "BETTER_AUTH_SECRET=Zq7TfW2pLx9VnB4kR8sD1mHc6YjE3uGa0oNiKbXw5Qe=\n"})
    root = app.parents[1]
    committed(root)
    git(root, "add", "-f", "apps/app/.env.local")
    _code, report = run_json(app, "--only", "ENV006")
    env006 = checks_by_id(report)["ENV006"]
    assert env006["status"] == "fail", env006
    assert env006["message"].startswith(".env.local is tracked by git (holds BETTER_AUTH_SECRET)"), env006["message"]
    assert "profile" not in env006["message"]
