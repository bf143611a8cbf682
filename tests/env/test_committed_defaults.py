"""ENV006 on Next.js's committed defaults (`.env`, `.env.production`): a tracked one that
holds no secret is what Next.js asks for, so a warning; a secret in one, or any tracked
`.env*.local`, still fails."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, check_in_process, committed, git, result

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "committed-dotenv-defaults"


def _app(tmp_path: Path) -> Path:
    project = tmp_path / "app"
    shutil.copytree(FIXTURE, project)
    return project


def test_tracked_defaults_without_a_secret_warn_instead_of_failing(tmp_path: Path) -> None:
    """ixartz/Next-js-Boilerplate commits `.env` (a publishable key, a PostHog key, a
    loopback DATABASE_URL, a placeholder secret) and `.env.production`: ENV006 failed it and
    its fix untracked them. Nothing in them is secret: a warning, which does not block."""
    project = _app(tmp_path)
    committed(project)
    env006 = result(check_in_process(project, "ENV006"), "ENV006")
    assert env006.status.value == "warn", env006.message
    assert env006.message.startswith(".env, .env.production are committed or committable and hold no secret")
    assert env006.fix is None
    assert env006.details["files"][".env"] == {"tracked": True, "ignored": False, "secret_keys": [],
                                               "committed_defaults": True}


def test_a_secret_in_tracked_defaults_still_fails_naming_only_the_secret(tmp_path: Path) -> None:
    project = _app(tmp_path)
    dotenv = project / ".env"
    dotenv.write_text(dotenv.read_text().replace(
        "your_clerk_secret_key", "sk_test_FixtureCanary7Hq2Wm8Zx4Kp1Lr6Tv3Nb9"), encoding="utf-8")
    committed(project)
    env006 = result(check_in_process(project, "ENV006"), "ENV006")
    assert env006.status.value == "fail"
    assert env006.message == ".env is tracked by git (holds CLERK_SECRET_KEY): its values are in the repository history"
    assert env006.fix.startswith("git rm --cached --ignore-unmatch -- .env; ")
    assert "FixtureCanary" not in repr(env006)


def test_a_tracked_local_file_fails_even_without_a_secret(tmp_path: Path) -> None:
    project = _app(tmp_path)
    (project / ".env.local").write_text("NEXT_PUBLIC_APP_URL=http://localhost:3000\n", encoding="utf-8")
    committed(project)
    git(project, "add", "-f", ".env.local")
    env006 = result(check_in_process(project, "ENV006"), "ENV006")
    assert env006.status.value == "fail"
    assert env006.message == ".env.local is tracked by git: its values are in the repository history"


def test_a_tracked_default_that_cannot_be_read_is_not_said_to_hold_no_secret(tmp_path: Path) -> None:
    """One Latin-1 byte (`café` saved by an old editor) stops the UTF-8 read of `.env`:
    what it holds is unknown, so it is not waved through as a secret-free default."""
    project = _app(tmp_path)
    dotenv = project / ".env"
    dotenv.write_bytes(dotenv.read_bytes() + b"APP_NAME=caf\xe9\nAUTH_SECRET=FixtureCanary7Hq2Wm8Zx4Kp1Lr6Tv3Nb9\n")
    committed(project)
    env006 = result(check_in_process(project, "ENV006"), "ENV006")
    assert env006.status.value == "fail", env006.message
    assert env006.message.startswith(".env is tracked by git: its values are in the repository history")
    assert "committed_defaults" not in env006.details["files"][".env"]
    assert "FixtureCanary" not in repr(env006)


def test_an_untracked_env_the_user_is_told_to_fill_must_still_be_ignored(tmp_path: Path) -> None:
    """`.env` is the app's own file here (its README: `cp .env.example .env`), untracked and
    not ignored: the secrets go there next, and `git add .` would commit them."""
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app", "dependencies": {"next": "15.0.0"}}\n')
    (project / "README.md").write_text("```sh\ncp .env.example .env\n```\n")
    (project / ".env.example").write_text("AUTH_SECRET=\n")
    (project / ".env").write_text("AUTH_SECRET=\n")
    committed(project)
    git(project, "rm", "--cached", "-q", ".env")
    env006 = result(check_in_process(project, "ENV006"), "ENV006")
    assert env006.status.value == "fail", env006.message
    assert ".env is not ignored by git" in env006.message
