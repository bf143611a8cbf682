"""An Auth.js config kept in a workspace package of the app (tests/fixtures/apps/nx-monorepo,
shaped after baptisteArno/typebot.io packages/auth): its `secret:` option reads
ENCRYPTION_SECRET, which wins over AUTH_SECRET / NEXTAUTH_SECRET, and each OAuth provider is
registered only when its credentials are set. A developer who filled ENCRYPTION_SECRET and
GitHub's keys only is not told that AUTH_SECRET or GitLab's keys are missing."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import app_fixture, checks_by_id, committed, detect, run_json

SECRET = "H7kLm2Pq9RsT4vWx8Yz3Ab6Cd1Ef5Gh0"


def builder(tmp_path: Path, env: str) -> Path:
    root = app_fixture(tmp_path, "nx-monorepo")
    committed(root)
    (root / ".env").write_text(env, encoding="utf-8")
    return root / "apps" / "builder"


def test_detect_reads_the_login_and_secret_of_the_auth_package(tmp_path: Path) -> None:
    model = detect(builder(tmp_path, ""))
    assert model["login_where"] == "../../packages/auth/src/lib/providers.ts"
    assert model["login_methods"] == ["github", "gitlab"]
    assert model["auth_secret_names"] == ["ENCRYPTION_SECRET"]
    assert model["login_credentials"] == []  # both providers are off without their keys


def test_the_secret_the_config_reads_satisfies_auth001(tmp_path: Path) -> None:
    env = f"ENCRYPTION_SECRET={SECRET}\nGITHUB_CLIENT_ID=Iv1.0123456789abcdef\n"
    _code, report = run_json(builder(tmp_path, env), "--only", "AUTH001")
    auth001 = checks_by_id(report)["AUTH001"]
    assert auth001["status"] == "pass", auth001
    assert "the secret comes from ENCRYPTION_SECRET, read by the NextAuth config's `secret:` option" \
        in auth001["message"]
    assert SECRET not in json.dumps(report)


def test_an_empty_config_secret_fails_by_its_own_name(tmp_path: Path) -> None:
    _code, report = run_json(builder(tmp_path, "AUTH_SECRET=unused-by-this-app-0123456789\n"), "--only", "AUTH001")
    auth001 = checks_by_id(report)["AUTH001"]
    assert auth001["status"] == "fail"
    assert "ENCRYPTION_SECRET is empty (read by the NextAuth config's `secret:` option)" in auth001["message"]
    assert "GITLAB_CLIENT_ID" not in auth001["message"]
