"""Every fix works when pasted (issue 19 §4): on each app fixture, every failing check's
`fix_command` is run as a user would paste it into a shell, and must exit 0; then the app
is checked again and the new fixes are run too, until none is left. A fix that is not
deploy-check's own must be one of the documented external commands below."""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, clean_environ, git

FIXTURES = REPO / "tests" / "fixtures" / "apps"
# Fixes that are other tools' commands: installing the app's packages or its package
# manager (checks/runtime/preflight.py), the app's own package.json scripts (DB004's
# `npm run db:push`). They need the network or Node, and are each tool's to keep working.
# `docker compose -f <file> up -d <service>` starts the app's own database service (DB002).
EXTERNAL = ("npm ", "pnpm ", "yarn ", "bun ", "corepack ", "cd ", "docker compose ")
ROUNDS = 4  # env → local-db → schema, and one more to see nothing is left


def _environ() -> dict[str, str]:
    """No `deploy-check` on PATH: fixes then name `python -P -m checks`, this checkout's."""
    environ = clean_environ(PYTHONPATH=str(REPO))
    environ["PATH"] = ":".join(d for d in environ.get("PATH", "").split(":")
                               if d and not (Path(d) / "deploy-check").exists())
    return environ


def _failing_fixes(project: Path) -> list[tuple[str, str]]:
    done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project),
                           "--skip", "sentry", "--format", "json"],
                          cwd=REPO, env=_environ(), capture_output=True, text=True, timeout=300, check=False)
    assert done.stdout, done.stderr
    return [(c["id"], c["fix_command"]) for c in json.loads(done.stdout)["checks"]
            if c["status"] == "fail" and c["fix_command"]]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_fix_command_exits_0_when_pasted(tmp_path: Path, name: str) -> None:
    project = tmp_path / name
    shutil.copytree(FIXTURES / name, project)
    # A monorepo fixture is checked where its app is (its root is refused: see test_discovery).
    members = [project / "apps" / name for name in ("web", "app", "dashboard")] + [project / "web"]  # langfuse: web/
    # Else the workspace's one Next.js app under apps/ (apps/mail, apps/builder, apps/dokploy).
    members += sorted(package.parent for package in project.glob("apps/*/package.json")
                      if '"next"' in package.read_text(encoding="utf-8"))
    app = next((member for member in members if member.is_dir()), project)
    _paste_every_fix(tmp_path, app, name)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("url", [
    # A local URL the user set, nothing listening: DB002 offered `provision local-db`, which
    # refuses a DATABASE_URL already set (exit 1).
    "postgresql://postgres:password-canary@127.0.0.1:{port}/notes",
    # An unparsable URL the user set: DB001 offered the same refusing local-db.
    "postgresql://postgres:p@ss-canary@127.0.0.1:{port}/notes",
])
def test_a_database_url_the_user_set_gets_no_fix_that_refuses(tmp_path: Path, url: str) -> None:
    project = tmp_path / "notes"
    shutil.copytree(FIXTURES / "prisma-direct-url", project)
    value = url.format(port=_closed_port())
    (project / ".env.local").write_text(f"DATABASE_URL={value}\nDIRECT_URL={value}\n")
    _paste_every_fix(tmp_path, project, "notes")


def test_a_refused_database_the_app_runs_in_compose_gets_the_compose_command(tmp_path: Path) -> None:
    project = tmp_path / "notes"
    shutil.copytree(FIXTURES / "prisma-direct-url", project)
    port = _closed_port()
    # Shaped after the docker-compose.yml of create-t3-app's start-database script and Prisma's examples.
    (project / "docker-compose.yml").write_text(
        f"services:\n  db:\n    image: postgres:16\n    ports:\n      - \"{port}:5432\"\n")
    value = f"postgresql://postgres:password-canary@localhost:{port}/notes"
    (project / ".env.local").write_text(f"DATABASE_URL={value}\nDIRECT_URL={value}\n")
    fixes = dict(_failing_fixes(project))
    assert fixes["DB002"] == f"cd {project} && docker compose -f {project / 'docker-compose.yml'} up -d db"
    _paste_every_fix(tmp_path, project, "notes")


def _paste_every_fix(tmp_path: Path, project: Path, name: str) -> None:
    from provision.database import stop_local_db

    ran: list[str] = []
    try:
        for _round in range(ROUNDS):
            fixes = [(check, fix) for check, fix in _failing_fixes(project) if fix not in ran]
            ours = [(check, fix) for check, fix in fixes if not fix.startswith(EXTERNAL)]
            for check, fix in fixes:
                if fix.startswith(EXTERNAL):
                    assert shlex.split(fix), f"{check}: an external fix that cannot be parsed: {fix}"
            if not ours:
                break
            for check, fix in ours:
                if fix in ran:
                    continue
                ran.append(fix)
                # As pasted into a shell in the user's own directory (not the project's).
                done = subprocess.run(fix, shell=True, cwd=tmp_path, env=_environ(),
                                      capture_output=True, text=True, timeout=300, check=False)
                assert done.returncode == 0, f"{name} {check}: `{fix}` exited {done.returncode}:\n{done.stderr}"
        else:
            pytest.fail(f"{name}: still new fixes after {ROUNDS} rounds: {fixes}")
    finally:
        stop_local_db(project)


def _tracked(project: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(project), "ls-files"], capture_output=True, text=True,
                          timeout=30, check=True).stdout.split()


def _paste(fix: str, where: Path, shell: str = "/bin/sh") -> None:
    done = subprocess.run([shell, "-c", fix], cwd=where, env=_environ(), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, f"`{fix}` exited {done.returncode}:\n{done.stderr}"


def test_another_tools_fix_works_pasted_outside_the_project(tmp_path: Path) -> None:
    """ENV006's `git rm --cached` (and any other tool's fix) ran in whatever directory the
    user pasted it into: from outside the project, git answered "not a git repository"
    (exit 128). Pasted, it now runs in the project and untracks both files."""
    project = tmp_path / "app"
    shutil.copytree(FIXTURES / "stray-sentry-plugin", project)
    (project / ".env.local").write_text("NEXT_PUBLIC_SITE_URL=http://localhost:3000\n")
    git(project, "init", "-q")
    git(project, "add", "-f", ".")
    git(project, "commit", "-q", "-m", "the wizard's token file, committed")
    env006 = dict(_failing_fixes(project))["ENV006"]
    assert env006.startswith(f"cd {project} && git rm --cached --ignore-unmatch -- .env.local && "
                             "git rm --cached --ignore-unmatch -- .env.sentry-build-plugin && "), env006
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _paste(env006, elsewhere)
    tracked = _tracked(project)
    assert ".env.sentry-build-plugin" not in tracked and ".env.local" not in tracked, tracked


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
@pytest.mark.parametrize(("gitignore", "appended"), [
    (None, ".env\n.env.local\n"),  # no .gitignore yet: created with both lines
    ("node_modules", "node_modules\n.env\n.env.local\n"),  # its last line gets its newline first
    ("node_modules\n.env*.local\n", "node_modules\n.env*.local\n.env\n"),  # ignored already: no line for it
], ids=["no-gitignore", "no-final-newline", "local-already-ignored"])
def test_env006_fix_untracks_and_ignores_so_git_add_all_does_not_track_it_again(
        tmp_path: Path, shell: str, gitignore: str | None, appended: str) -> None:
    """`git rm --cached .env` alone left the file unignored: the next `git add -A` tracked
    it again. Pasted into a real shell on a real repository, the fix untracks and ignores it;
    pasted twice, it changes nothing more (no duplicate line, exit 0)."""
    project = tmp_path / "app"
    shutil.copytree(FIXTURES / "stray-sentry-plugin", project)
    (project / ".env.sentry-build-plugin").unlink()
    (project / ".env.local").write_text("NEXT_PUBLIC_SITE_URL=http://localhost:3000\n")
    (project / ".env").write_text("SENTRY_AUTH_TOKEN=sntrys_committed-canary\n")
    if gitignore is not None:
        (project / ".gitignore").write_text(gitignore)
    git(project, "init", "-q")
    git(project, "add", "-f", ".")
    git(project, "commit", "-q", "-m", "env files committed")
    fixes = dict(_failing_fixes(project))
    _paste(fixes["ENV006"], tmp_path, shell)
    assert (project / ".gitignore").read_text() == appended
    git(project, "add", "-A")
    tracked = _tracked(project)
    assert ".env" not in tracked and ".env.local" not in tracked, tracked
    _paste(fixes["ENV006"], tmp_path, shell)
    assert (project / ".gitignore").read_text() == appended
    assert "ENV006" not in dict(_failing_fixes(project))


def test_env006_fix_ignores_a_file_that_was_never_tracked(tmp_path: Path) -> None:
    """An untracked, unignored `.env` had no fix at all; now it is the ignore step alone."""
    project = tmp_path / "app"
    shutil.copytree(FIXTURES / "stray-sentry-plugin", project)
    (project / ".env.sentry-build-plugin").unlink()
    (project / ".env").write_text("SENTRY_AUTH_TOKEN=sntrys_untracked-canary\n")
    (project / ".gitignore").write_text(".env*.local\n")
    git(project, "init", "-q")
    fix = dict(_failing_fixes(project))["ENV006"]
    assert "git rm" not in fix
    _paste(fix, tmp_path)
    assert (project / ".gitignore").read_text() == ".env*.local\n.env\n"
    git(project, "add", "-A")
    assert ".env" not in _tracked(project)


def test_every_fix_works_under_a_folder_whose_name_the_shell_would_expand(tmp_path: Path) -> None:
    """pg_ctl puts its -D and -l paths, in double quotes, into the `/bin/sh -c` line that
    starts the postmaster: under a folder named with `$`, a backtick or `"`, DB001's pasted
    `provision local-db` failed (exit 1, "cannot create … Directory nonexistent"), the
    backticked word run as a command. Every fix must work there as anywhere."""
    folder = tmp_path / "-it's \"$HOME\" `false` ü"
    folder.mkdir()
    project = folder / "notes"
    shutil.copytree(FIXTURES / "prisma-direct-url", project)
    assert "DB001" in dict(_failing_fixes(project))
    _paste_every_fix(tmp_path, project, "notes")


def test_env006_fix_keeps_a_quoted_path_with_a_semicolon_whole(tmp_path: Path) -> None:
    """The runner joins a fix's "; "-separated steps with && when it puts `cd <project>` in
    front: it also split the quoted `'config; local/.env'` in two, and the pasted fix untracked
    nothing (`git rm --ignore-unmatch` of 'config && local/.env' exits 0) then failed."""
    project = tmp_path / "app"
    shutil.copytree(FIXTURES / "stray-sentry-plugin", project)
    (project / ".env.sentry-build-plugin").unlink()
    (project / "config; local").mkdir()
    (project / "config; local" / ".env").write_text("SENTRY_AUTH_TOKEN=sntrys_committed-canary\n")
    (project / "deploy-check.toml").write_text('[project]\nenv_file = "config; local/.env"\n')
    git(project, "init", "-q")
    git(project, "add", "-f", ".")
    git(project, "commit", "-q", "-m", "env file committed")
    fix = dict(_failing_fixes(project))["ENV006"]
    assert "'config; local/.env'" in fix, fix
    _paste(fix, tmp_path)
    assert "config; local/.env" not in subprocess.run(
        ["git", "-C", str(project), "ls-files", "-z"], capture_output=True, text=True, timeout=30,
        check=True).stdout.split("\0")
    assert (project / "config; local" / ".gitignore").read_text() == ".env\n"
    assert "ENV006" not in dict(_failing_fixes(project))
