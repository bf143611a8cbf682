"""AUTH001's fix must work when pasted. Dokploy (tests/fixtures/apps/dokploy-custom-server, shaped
after Dokploy/dokploy apps/dokploy: better-auth 1.6.23 in its package.json, an .env.example of
DATABASE_URL, PORT and NODE_ENV only) fails AUTH001 on an empty BETTER_AUTH_SECRET, and the hint
named `provision env`, which said "nothing to do": it generated only the keys an example lists.
It now generates the secret the auth plan asks for into the env file the app reads."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from checks.support.envfile import parse_env_text

from helpers import REPO, app_fixture, checks_by_id, clean_environ, committed, run_cli, run_json

FIXTURES = REPO / "tests" / "fixtures" / "apps"
GITHUB_ID = "Iv1.8a61f9b3a7aba766"  # GitHub OAuth app client ids start "Iv1." (GitHub docs, "Creating an OAuth app")
GITHUB_SECRET = "gh-canary-client-secret-7Rt2Wq9Lp4"
FILLED_SECRET = "ba-canary-secret-Zq4Lp9Wm2Rt7Yx3Vb6Nc1Hs5Jd8Gf0A"  # 47 characters


def dokploy(tmp_path: Path, *, example: bool = True) -> Path:
    """The Dokploy layout as a clone, `.env` copied from the example as CONTRIBUTING.md says."""
    root = shutil.copytree(FIXTURES / "dokploy-custom-server", tmp_path / "dokploy")
    app = root / "apps" / "dokploy"
    if not example:
        (app / ".env.example").unlink()
    committed(root)
    if example:
        shutil.copy(app / ".env.example", app / ".env")
    return app


def paste(fix_command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The report's fix_command run as a user pastes it: through a shell, from another folder."""
    return subprocess.run(fix_command, shell=True, cwd=cwd, env={**clean_environ(), "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60, check=False)


def auth001(app: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    _code, report = run_json(app, "--only", "AUTH001,ENV005")
    return checks_by_id(report)["AUTH001"], report


def values(path: Path) -> dict[str, str]:
    return parse_env_text(path.read_text(encoding="utf-8"), path).values


def test_the_pasted_fix_generates_the_better_auth_secret_the_example_omits(tmp_path: Path) -> None:
    app = dokploy(tmp_path)
    before, _report = auth001(app)
    assert before["status"] == "fail"
    assert "BETTER_AUTH_SECRET or AUTH_SECRET is empty" in before["message"]
    assert before["fix"] == "deploy-check provision env"
    assert before["hint"].startswith("`provision env` generates BETTER_AUTH_SECRET ")

    ran = paste(before["fix_command"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    written = values(app / ".env")
    secret = written["BETTER_AUTH_SECRET"]
    assert len(secret) >= 32  # better-auth's minimum (create-context.ts)
    assert written["DATABASE_URL"] == values(app / ".env.example")["DATABASE_URL"]  # the rest untouched
    assert "generated random values for BETTER_AUTH_SECRET" in ran.stdout
    assert "BETTER_AUTH_SECRET is not in .env.example: add it there" in ran.stdout
    assert secret not in ran.stdout + ran.stderr

    after, report = auth001(app)
    assert after["status"] == "pass", after["message"]
    assert "the secret comes from BETTER_AUTH_SECRET, read by better-auth itself" in after["message"]
    env005 = checks_by_id(report)["ENV005"]
    assert env005["status"] == "warn" and "BETTER_AUTH_SECRET" in env005["message"]
    assert secret not in json.dumps(report)

    again = paste(before["fix_command"], tmp_path)  # idempotent: the secret is never replaced
    assert again.returncode == 0 and "nothing to do" in again.stdout + again.stderr, again.stdout
    assert values(app / ".env")["BETTER_AUTH_SECRET"] == secret


def test_without_any_example_the_fix_creates_the_env_file_with_the_secret(tmp_path: Path) -> None:
    app = dokploy(tmp_path, example=False)
    before, _report = auth001(app)
    assert before["status"] == "fail" and before["fix"] == "deploy-check provision env"
    ran = paste(before["fix_command"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert set(values(app / ".env")) == {"BETTER_AUTH_SECRET"}
    assert stat.S_IMODE((app / ".env").stat().st_mode) == 0o600
    assert auth001(app)[0]["status"] == "pass"


def test_without_an_example_and_nothing_to_generate_it_still_refuses(tmp_path: Path) -> None:
    app = dokploy(tmp_path, example=False)
    (app / ".env").write_text(f"BETTER_AUTH_SECRET={FILLED_SECRET}\n", encoding="utf-8")
    done = run_cli("provision", "env", "--no-input", "--project", str(app))
    assert done.returncode == 1 and "no env example in" in done.stderr


@pytest.mark.parametrize("example", [
    "AUTH_GITHUB_ID=\nAUTH_GITHUB_SECRET=\n",  # the example lists the provider's keys only
    "",  # an empty example
])
def test_the_authjs_secret_is_generated_when_the_example_omits_it(tmp_path: Path, example: str) -> None:
    project = app_fixture(tmp_path, "authjs-oauth", {".env.example": example})
    (project / "auth.ts").write_text((project / "auth.ts").read_text().replace("GitHub, Google", "GitHub"))
    (project / ".gitignore").write_text(".env*.local\n")
    committed(project)
    (project / ".env.local").write_text(f"AUTH_GITHUB_ID={GITHUB_ID}\nAUTH_GITHUB_SECRET={GITHUB_SECRET}\n")
    before, _report = auth001(project)
    assert before["status"] == "fail", before
    assert before["message"].endswith("AUTH_SECRET or NEXTAUTH_SECRET is empty")
    ran = paste(before["fix_command"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    written = values(project / ".env.local")
    assert len(written["AUTH_SECRET"]) >= 32 and written["AUTH_GITHUB_SECRET"] == GITHUB_SECRET
    after, report = auth001(project)
    assert after["status"] == "pass", after["message"]
    assert written["AUTH_SECRET"] not in ran.stdout + json.dumps(report)


def test_a_secret_read_by_the_apps_own_secret_option_is_the_one_generated(tmp_path: Path) -> None:
    # better-auth gets what `secret:` hands it (create-context.ts: options.secret first).
    project = app_fixture(tmp_path, "authjs-oauth", {
        "package.json": json.dumps({"name": "web", "dependencies": {"better-auth": "1.6.23", "next": "15.3.1"}}),
        "auth.ts": ('import { betterAuth } from "better-auth";\n'
                    "export const auth = betterAuth({ secret: process.env.APP_AUTH_KEY });\n"),
        ".env.example": "DATABASE_URL=\n", ".gitignore": ".env*.local\n"})
    shutil.rmtree(project / "app")  # the NextAuth route of the fixture
    committed(project)
    before, _report = auth001(project)
    assert before["status"] == "fail" and "APP_AUTH_KEY" in before["hint"], before
    assert paste(before["fix_command"], tmp_path).returncode == 0
    assert len(values(project / ".env.local")["APP_AUTH_KEY"]) >= 32
    assert auth001(project)[0]["status"] == "pass"


def test_the_neon_auth_cookie_secret_is_generated_when_the_example_omits_it(tmp_path: Path) -> None:
    # neon-auth fixture (Neon Auth's SDK, Console → Auth → Configuration), its example without the cookie secret.
    project = app_fixture(tmp_path, "neon-auth", {
        ".env.example": "NEON_AUTH_BASE_URL=https://ep-xxx.neonauth.us-east-2.aws.neon.tech/neondb/auth\n",
        ".gitignore": ".env*.local\n"})
    committed(project)
    (project / ".env.local").write_text("NEON_AUTH_BASE_URL=http://127.0.0.1:9/neondb/auth\n", encoding="utf-8")
    before, _report = auth001(project)
    assert before["status"] == "fail" and before["message"].endswith("NEON_AUTH_COOKIE_SECRET is empty"), before
    assert paste(before["fix_command"], tmp_path).returncode == 0
    assert len(values(project / ".env.local")["NEON_AUTH_COOKIE_SECRET"]) >= 32  # the SDK's minimum
    assert auth001(project)[0]["status"] == "pass"
