"""AUTH001 for Auth.js judged AUTH_SECRET only: ARoyyanF/streak-trackr signs in with
GoogleProvider({ clientId: process.env.GOOGLE_CLIENT_ID, clientSecret: process.env.GOOGLE_CLIENT_SECRET })
(src/server/auth/config.ts), and with both empty AUTH001 said "variables are set and
well-formed" while no one could sign in. The variables a provider call reads are the
provider's variables (fixture tests/fixtures/apps/t3-drizzle-authjs)."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, run_json
from helpers import checks_by_id as checks

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "t3-drizzle-authjs"
SECRET = 'AUTH_SECRET="a1b2c3d4e5f60718293a4b5c6d7e8f90"\n'


def _app(tmp_path: Path, env: str) -> Path:
    project = tmp_path / "app"
    shutil.copytree(FIXTURE, project)
    (project / ".env").write_text(env, encoding="utf-8")
    return project


def test_empty_oauth_client_credentials_fail_auth001(tmp_path: Path) -> None:
    project = _app(tmp_path, SECRET + 'GOOGLE_CLIENT_ID=""\n')
    _code, report = run_json(project, "--only", "AUTH001")
    auth001 = checks(report)["AUTH001"]
    assert auth001["status"] == "fail", auth001
    assert "GOOGLE_CLIENT_ID is empty" in auth001["message"]
    assert "GOOGLE_CLIENT_SECRET is empty" in auth001["message"]


def test_filled_oauth_client_credentials_pass_auth001(tmp_path: Path) -> None:
    project = _app(tmp_path, SECRET + 'GOOGLE_CLIENT_ID="1234-local.apps.example"\n'
                                      'GOOGLE_CLIENT_SECRET="local-test-google-secret"\n')
    _code, report = run_json(project, "--only", "AUTH001")
    auth001 = checks(report)["AUTH001"]
    assert auth001["status"] == "pass", auth001
    assert "local-test-google-secret" not in str(report)
