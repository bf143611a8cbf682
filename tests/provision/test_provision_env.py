"""`deploy-check provision env`: create or complete, never overwrite, 0600, atomic."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from checks.support.envfile import read_env_file

from helpers import REPO, clean_environ, run_cli, run_on_a_terminal, write_project

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
    # Only a required key is the user's to fill; the `# Optional` one is counted, not asked for.
    assert "left empty, fill them by hand: DATABASE_URL\n1 optional key left empty\n" in out
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
    (tmp_path / "package.json").write_text("{}\n")
    done = run_cli("provision", "env", "--project", str(tmp_path))
    assert done.returncode == 1
    assert "no env example" in done.stderr and ".env.example" in done.stderr
    assert not (tmp_path / ".env.local").exists()


@pytest.mark.parametrize("name", ["env", "local-db", "schema"])
def test_provisioners_refuse_a_folder_that_is_not_an_app(tmp_path: Path, name: str) -> None:
    """`make deploy-check PROJECT=…` then a pasted `deploy-check provision local-db` used
    to start a database and write .env.local inside whatever directory the shell was in."""
    done = run_cli("provision", name, "--project", str(tmp_path))
    assert done.returncode == 2
    assert "does not look like an app; refusing to provision here" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_provision_schema_names_its_target_and_where_the_url_came_from(tmp_path: Path, fresh_db: str) -> None:
    import re

    project = write_project(tmp_path, {"schema.sql": "CREATE TABLE t (id int);\n",
                                       ".env.local": "DATABASE_URL=postgresql://app:file-pw-canary@db.example.com/app\n"})
    done = run_cli("provision", "schema", "--project", str(project), "--dry-run",
                   env=clean_environ(DATABASE_URL=fresh_db))
    assert done.returncode == 0, done.stderr
    target = re.search(r"target: (\S+) \(DATABASE_URL from process environment\); the process environment "
                       r"overrides a different DATABASE_URL in \.env\.local", done.stderr)
    assert target and target.group(1).startswith("postgresql://postgres@127.0.0.1:"), done.stderr
    assert "pg-canary" not in done.stderr + done.stdout and "file-pw-canary" not in done.stderr


def test_check_fix_runs_the_env_provisioner_then_checks_again(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "SESSION_SECRET=\nAPP_NAME=notes\n"})
    done = run_cli("check", "--project", str(project), "--only", "env", "--skip", "ENV006",
                   "--fix", "-f", "json")
    assert "running `deploy-check provision env`" in done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "ready", report
    assert any(note.startswith("before --fix: not_ready") for note in report["notes"])


def test_only_the_filled_lines_change_byte_for_byte(tmp_path: Path) -> None:
    original = ('KEEP="line\u2028sep\x0cfeed\x85nel"\r\n'
                "SESSION_SECRET=\r\n"
                "# trailing comment without newline")
    project = write_project(tmp_path, {".env.local.example": "KEEP=\nSESSION_SECRET=\n"})
    (project / ".env.local").write_bytes(original.encode("utf-8"))
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    after = (project / ".env.local").read_bytes().decode("utf-8")
    before_lines, after_lines = original.split("\n"), after.split("\n")
    assert after_lines[0] == before_lines[0] and after_lines[2] == before_lines[2]
    assert after_lines[1].startswith("SESSION_SECRET=") and after_lines[1].endswith("\r")
    assert len(after_lines[1]) > len("SESSION_SECRET=\r") + 30
    assert "left empty" not in done.stdout  # it was generated, and said once


def test_a_symlink_out_of_the_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.env"
    outside.write_text("OTHER=1\n")
    outside.chmod(0o640)
    project = write_project(tmp_path / "app", {".env.local.example": "SESSION_SECRET=\n"})
    (project / ".env.local").symlink_to(outside)
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 1
    assert "is a symlink to" in done.stderr and "outside the project" in done.stderr
    assert outside.read_text() == "OTHER=1\n" and stat.S_IMODE(outside.stat().st_mode) == 0o640


def test_a_symlink_inside_the_project_is_written_through_keeping_its_mode(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "SESSION_SECRET=\n", "env/dev.env": "A=1\n"})
    (project / "env" / "dev.env").chmod(0o640)
    (project / ".env.local").symlink_to(project / "env" / "dev.env")
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert (project / ".env.local").is_symlink()
    assert "SESSION_SECRET=" in (project / "env" / "dev.env").read_text()
    assert stat.S_IMODE((project / "env" / "dev.env").stat().st_mode) == 0o640


def test_an_edit_saved_while_it_prompts_is_merged_not_lost(tmp_path: Path) -> None:
    """Under a real pseudo-terminal: while `provision env` waits for API_URL, an editor
    saves a real DATABASE_URL and a new key; both survive, and API_URL is filled."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    from helpers import REPO

    project = write_project(tmp_path, {".env.local.example": "DATABASE_URL=\nAPI_URL=\n",
                                       ".env.local": "DATABASE_URL=\n"})
    leader, follower = pty.openpty()
    run = subprocess.Popen([sys.executable, "-m", "checks", "provision", "env", "--project", str(project)],
                           cwd=REPO, env={**clean_environ(), "PYTHONPATH": str(REPO)},
                           stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    seen = b""

    def wait_for(prompt: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while prompt not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                seen += os.read(leader, 4096)
        assert prompt in seen, seen

    try:
        wait_for(b"DATABASE_URL (Enter to leave empty)")  # the example's order
        os.write(leader, b"\n")
        wait_for(b"API_URL (Enter to leave empty)")
        (project / ".env.local").write_text("DATABASE_URL=postgresql://app@db.example.com/real\nNEW_KEY=kept\n")
        os.write(leader, b"https://api.example.com\n")
        assert run.wait(timeout=30) == 0
    finally:
        run.kill()
        os.close(leader)
    values = read_env_file(project / ".env.local").values
    assert values["DATABASE_URL"] == "postgresql://app@db.example.com/real"
    assert values["NEW_KEY"] == "kept"
    assert values["API_URL"] == "https://api.example.com"


def test_a_password_typed_at_the_prompt_is_never_echoed(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "DATABASE_URL=\n"})
    code, seen = run_on_a_terminal("provision", "env", "--project", str(project), typed=b"postgresql://app:typed-Secret-77@db.example.com/app\n")
    assert code == 0, seen
    assert b"DATABASE_URL (Enter to leave empty)" in seen
    assert b"typed-Secret-77" not in seen
    assert read_env_file(project / ".env.local").values["DATABASE_URL"] == \
        "postgresql://app:typed-Secret-77@db.example.com/app"


def test_no_input_on_a_terminal_asks_nothing(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "DATABASE_URL=\nSMTP_HOST=\nSESSION_SECRET=\n"})
    code, seen = run_on_a_terminal("provision", "env", "--project", str(project), "--no-input")
    assert code == 0, seen
    assert b"Enter to leave empty" not in seen
    values = read_env_file(project / ".env.local").values
    assert values["SMTP_HOST"] == "" and len(values["SESSION_SECRET"]) >= 32


def test_two_examples_each_complete_the_file_they_are_named_after(tmp_path: Path) -> None:
    """`.env.local.example` describes `.env.local`, `.env.example` describes `.env` (as in
    vercel/nextjs-subscription-payments); a key both list is written once, in `.env.local`,
    which Next.js loads over `.env`; a second run changes nothing."""
    project = write_project(tmp_path, {
        ".env.local.example": "SESSION_SECRET=\nAPP_NAME=notes\n",
        ".env.example": "APP_NAME=notes\nGITHUB_CLIENT_ID=\nREDIRECT_URL=http://127.0.0.1:54321/auth/v1/callback\n",
    })
    out = provision(project)
    assert "created .env.local from .env.local.example (mode 0600)" in out
    assert "created .env from .env.example (mode 0600)" in out
    local, dotenv = read_env_file(project / ".env.local").values, read_env_file(project / ".env").values
    assert set(local) == {"SESSION_SECRET", "APP_NAME"} and len(local["SESSION_SECRET"]) >= 32
    assert dotenv == {"GITHUB_CLIENT_ID": "", "REDIRECT_URL": "http://127.0.0.1:54321/auth/v1/callback"}
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    before = ((project / ".env.local").read_text(), (project / ".env").read_text())
    assert "nothing to do" in provision(project)
    assert ((project / ".env.local").read_text(), (project / ".env").read_text()) == before


def test_with_two_examples_a_key_already_in_env_local_is_not_written_to_env(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        ".env.local.example": "SESSION_SECRET=\n",
        ".env.example": "GITHUB_CLIENT_ID=\n",
        ".env.local": "GITHUB_CLIENT_ID=Iv1.mine\n",
    })
    provision(project)
    assert not (project / ".env").exists()
    assert read_env_file(project / ".env.local").values["GITHUB_CLIENT_ID"] == "Iv1.mine"


def test_keys_it_cannot_fill_are_named_when_nothing_changes(tmp_path: Path) -> None:
    """shadcn-ui/taxonomy after `cp .env.example .env.local`: POSTMARK_API_TOKEN and the Stripe
    keys are empty and provider-issued. ENV003 names `provision env` as its fix, which said only
    "nothing to do" and left the user believing the gap was closed."""
    example = "# taxonomy .env.example's shape\nPOSTMARK_API_TOKEN=\nSTRIPE_API_KEY=\nSTRIPE_WEBHOOK_SECRET=\n"
    project = write_project(tmp_path, {".env.example": example, ".env.local": example})
    before = (project / ".env.local").read_text()
    out = provision(project)
    assert ("still empty in .env.local, fill them by hand (nothing to copy or generate): "
            "POSTMARK_API_TOKEN, STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET") in out
    assert (project / ".env.local").read_text() == before


def test_keys_the_apps_create_env_requires_are_named_when_the_example_lacks_them(tmp_path: Path) -> None:
    """ARoyyanF/streak-trackr: src/env.js requires GOOGLE_CLIENT_ID/SECRET, which its
    .env.example never lists (it still names Discord's). ENV003 failed on them and named
    `provision env` as the fix, which said only "nothing to do"."""
    project = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "t3-drizzle-authjs", project)
    (project / ".env").write_text('AUTH_SECRET=""\nAUTH_DISCORD_ID="x"\nAUTH_DISCORD_SECRET="y"\n'
                                  'DATABASE_URL="postgresql://postgres:pw-local-1@localhost:5432/habits"\n')
    out = provision(project)
    assert ("still empty, required by src/env.js (createEnv), fill them by hand in .env: "
            "GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET") in out, out


def test_a_committed_config_naming_a_file_outside_the_repository_is_refused(tmp_path: Path) -> None:
    # deploy-check.toml comes with the clone: its env_file may not send the example's values
    # (`FOO="$(…)"`, which a shell expands) into a file of the user's such as a shell profile.
    profile = tmp_path / "profile"
    profile.write_text("# the user's shell profile\n")
    project = write_project(tmp_path / "app", {
        ".env.example": 'FOO="$(touch pwned)"\nSESSION_SECRET=\n',
        "deploy-check.toml": '[project]\nenv_file = "../profile"\n'})
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refusing to write there (point env_file at a file of the repository)" in done.stderr
    assert profile.read_text() == "# the user's shell profile\n"
