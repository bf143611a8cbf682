"""`deploy-check provision env`: create or complete, never overwrite, 0600, atomic."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from checks.envfile import read_env_file

from support import run_cli, write_project

EXAMPLE = """\
DATABASE_URL=postgresql://user:password@host:5432/db
# Sessions
SESSION_SECRET=
AB_TEST_SALT=
# Optional
NEXT_PUBLIC_APP_URL=http://localhost:3000
STRIPE_SECRET_KEY=sk_test_...
"""


def provision(project: Path) -> str:
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_creates_env_local_with_mode_0600_and_generated_secrets(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": EXAMPLE})
    out = provision(project)
    env_local = project / ".env.local"
    assert stat.S_IMODE(env_local.stat().st_mode) == 0o600
    values = read_env_file(env_local).values
    assert len(values["SESSION_SECRET"]) >= 32 and len(values["AB_TEST_SALT"]) >= 32
    assert values["SESSION_SECRET"] != values["AB_TEST_SALT"]
    assert values["NEXT_PUBLIC_APP_URL"] == "http://localhost:3000"  # a real default is copied
    assert values["DATABASE_URL"] == ""  # a placeholder is not
    assert values["STRIPE_SECRET_KEY"] == ""  # an example value of a secret key never is
    assert "left empty, fill them by hand: DATABASE_URL, STRIPE_SECRET_KEY" in out
    assert values["SESSION_SECRET"] not in out


def test_never_overwrites_a_value_and_keeps_comments(tmp_path: Path) -> None:
    existing = "# mine\nDATABASE_URL=postgres://me:pw@db/app\nSESSION_SECRET=keep-this-one\nAB_TEST_SALT= # fill me\nOWN_KEY=1\n"
    project = write_project(tmp_path, {".env.local.example": EXAMPLE, ".env.local": existing})
    provision(project)
    text = (project / ".env.local").read_text()
    assert text.startswith("# mine\nDATABASE_URL=postgres://me:pw@db/app\nSESSION_SECRET=keep-this-one\n")
    assert "OWN_KEY=1" in text
    values = read_env_file(project / ".env.local").values
    assert len(values["AB_TEST_SALT"]) >= 32  # filled in place, its comment kept
    assert "# fill me" in text


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": EXAMPLE})
    provision(project)
    before = (project / ".env.local").read_text()
    assert "nothing to do" in provision(project)
    assert (project / ".env.local").read_text() == before


def test_without_example_fails_cleanly(tmp_path: Path) -> None:
    done = run_cli("provision", "env", "--project", str(tmp_path))
    assert done.returncode == 1
    assert "no env example" in done.stderr and ".env.example" in done.stderr
    assert not (tmp_path / ".env.local").exists()


def test_check_fix_runs_the_env_provisioner_then_checks_again(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "SESSION_SECRET=\nAPP_NAME=notes\n"})
    done = run_cli("check", "--project", str(project), "--only", "env", "--skip", "ENV006",
                   "--fix", "-f", "json")
    assert "running `deploy-check provision env`" in done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "ready", report
    assert any(note.startswith("before --fix: not_ready") for note in report["notes"])
