"""`provision env` with two examples (`.env.local.example` beside `.env.example`, as
vercel/nextjs-subscription-payments keeps them) completes `.env` from `.env.example`. Where
git tracks that `.env` (some apps commit one with public defaults), a generated secret written
there is one `git commit -a` from the repository: its keys go to `.env.local` instead, which
Next.js loads above `.env` (nextjs.org/docs/app/guides/environment-variables#environment-variable-load-order)."""

from __future__ import annotations

from pathlib import Path

from helpers import committed, git, run_cli, write_project


def test_a_secret_of_the_second_example_is_not_written_to_a_tracked_env(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {
        "package.json": '{"name": "app", "dependencies": {"next": "15.0.0"}}\n',
        ".env.local.example": "DATABASE_URL=\n",
        ".env.example": "AUTH_SECRET=\nNEXT_PUBLIC_SITE_URL=http://localhost:3000\n",
        ".env": "NEXT_PUBLIC_SITE_URL=http://localhost:3000\n",
        ".gitignore": ".env.local\n"})
    committed(project)

    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert git(project, "status", "--porcelain") == ""  # the tracked .env is untouched
    local = (project / ".env.local").read_text()
    assert "AUTH_SECRET=" in local and "AUTH_SECRET=\n" not in local
    assert ".env is tracked by git" in done.stdout


def test_a_generated_secret_is_never_written_to_the_one_env_file_git_tracks(tmp_path: Path) -> None:
    # The app's env file is `.env` (its README says `cp .env.example .env`) and a `.env` is
    # committed: a generated AUTH_SECRET there would be one `git commit -a` from the history.
    project = write_project(tmp_path / "app", {
        "package.json": '{"name": "app", "dependencies": {"next": "15.0.0"}}\n',
        "README.md": "```sh\ncp .env.example .env\n```\n",
        ".env.example": "AUTH_SECRET=\nNEXT_PUBLIC_SITE_URL=http://localhost:3000\n",
        ".env": "NEXT_PUBLIC_SITE_URL=http://localhost:3000\n"})
    committed(project)
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 1, done.stdout
    assert git(project, "status", "--porcelain") == ""  # nothing written
    assert ".env is tracked by git" in done.stderr and "AUTH_SECRET" in done.stderr
    assert "rm --cached -- .env" in done.stderr
    # Untracked and ignored (ENV006's fix), the same command fills it.
    git(project, "rm", "-q", "--cached", "--", ".env")
    (project / ".gitignore").write_text(".env\n")
    again = run_cli("provision", "env", "--project", str(project))
    assert again.returncode == 0, again.stderr
    assert "generated random values for AUTH_SECRET" in again.stdout
