"""AUTH001 for Auth.js judged AUTH_SECRET only: ARoyyanF/streak-trackr signs in with
GoogleProvider({ clientId: process.env.GOOGLE_CLIENT_ID, clientSecret: process.env.GOOGLE_CLIENT_SECRET })
(src/server/auth/config.ts), and with both empty AUTH001 said "variables are set and
well-formed" while no one could sign in. The variables a provider call reads are the
provider's variables (fixture tests/fixtures/apps/t3-drizzle-authjs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import REPO, run_cli, run_json
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


# A provider registered under an `if`: its credentials may be empty only when the `if` is what
# keeps it off without them (`if (ID && SECRET) providers.push(…)`, typebot.io's providers.ts).
GUARDED = """import GoogleProvider from "next-auth/providers/google";
import type {{ Provider }} from "next-auth/providers";

export const providers: Provider[] = [];

{guard}
providers.push(
  GoogleProvider({{
    clientId: process.env.GOOGLE_CLIENT_ID,
    clientSecret: process.env.GOOGLE_CLIENT_SECRET,
  }})
)
"""


def _guarded(tmp_path: Path, guard: str) -> dict[str, str]:
    project = _app(tmp_path, SECRET + 'GOOGLE_CLIENT_ID=""\n')
    (project / "src" / "server" / "auth" / "config.ts").write_text(GUARDED.format(guard=guard), encoding="utf-8")
    _code, report = run_json(project, "--only", "AUTH001")
    return checks(report)["AUTH001"]


@pytest.mark.parametrize("guard", [
    # No semicolons (prettier `semi: false`): the `if` ends at its own line, the push always runs.
    'if (!process.env.GOOGLE_CLIENT_ID || !process.env.GOOGLE_CLIENT_SECRET) throw new Error("no Google keys")',
    'if (process.env.GOOGLE_CLIENT_ID && process.env.GOOGLE_CLIENT_SECRET) console.log("google on")',
    # Guards that register the provider whatever its credentials hold.
    'if (process.env.NODE_ENV !== "production" || process.env.GOOGLE_CLIENT_ID && process.env.GOOGLE_CLIENT_SECRET)',
    'if (process.env.GOOGLE_CLIENT_ID && process.env.GOOGLE_CLIENT_SECRET || process.env.CI)',
    'if (!process.env.GOOGLE_CLIENT_ID && !process.env.GOOGLE_CLIENT_SECRET)',
    'if (process.env.GOOGLE_CLIENT_ID !== undefined && process.env.GOOGLE_CLIENT_SECRET !== "x")',
])
def test_a_guard_that_does_not_keep_the_provider_off_without_its_keys_still_needs_them(
        tmp_path: Path, guard: str) -> None:
    auth001 = _guarded(tmp_path, guard)
    assert auth001["status"] == "fail", auth001
    assert "GOOGLE_CLIENT_ID is empty" in auth001["message"]


@pytest.mark.parametrize("guard", [
    "if (process.env.GOOGLE_CLIENT_ID && process.env.GOOGLE_CLIENT_SECRET)",
    'if (isEnabled("google") && !!process.env.GOOGLE_CLIENT_ID && (process.env.GOOGLE_CLIENT_SECRET))',
])
def test_a_provider_registered_only_when_its_keys_are_set_may_leave_them_empty(
        tmp_path: Path, guard: str) -> None:
    auth001 = _guarded(tmp_path, guard)
    assert "GOOGLE_CLIENT_ID" not in auth001["message"], auth001


def test_a_config_of_many_provider_calls_is_read_in_time(tmp_path: Path) -> None:
    # Each call's `if` is looked for just before it, not by walking the file back from it: a
    # 256 KiB file of 3,500 calls took 100 s to read before.
    call = "  providers.push(GoogleProvider({ clientId: process.env.GOOGLE_CLIENT_ID }));\n"
    body = call * ((250 << 10) // len(call))
    guard = f"function register() {{\n{body}}}\n"
    project = _app(tmp_path, SECRET)
    (project / "src" / "server" / "auth" / "config.ts").write_text(
        GUARDED.format(guard=guard), encoding="utf-8")
    proc = run_cli("check", "--project", str(project), "--only", "AUTH001", "--format", "json", timeout=30)
    assert "GOOGLE_CLIENT_ID is empty" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_a_config_of_many_unclosed_provider_calls_is_read_in_time(tmp_path: Path) -> None:
    """Each unclosed `GoogleProvider(` read its arguments to the end of the file: 12,000 of
    them in 240 KiB took quadratic time. The calls of one provider read are bounded (a config
    has a handful), and so are the characters of one call's arguments."""
    project = _app(tmp_path, SECRET + 'GOOGLE_CLIENT_ID=""\n')
    config = project / "src" / "server" / "auth" / "config.ts"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "\n" + "GoogleProvider({ clientId: process.env.X,\n" * 6_000, encoding="utf-8")
    proc = run_cli("check", "--project", str(project), "--only", "AUTH001", "--format", "json", timeout=30)
    auth001 = checks(json.loads(proc.stdout))["AUTH001"]
    assert auth001["status"] == "fail" and "GOOGLE_CLIENT_ID is empty" in auth001["message"], auth001
