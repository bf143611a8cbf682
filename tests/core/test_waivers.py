"""`[[waivers]]` in deploy-check.toml: an active waiver turns a failure into `waived`
quoting its reason; an expired one does not apply and the report says so."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from helpers import run_cli, write_project

FAILING_ENV = {".env.local.example": "API_URL=\n", ".env.local": "API_URL=\n"}


def report(project: Path) -> dict[str, object]:
    done = run_cli("check", "--project", str(project), "--only", "ENV003", "-f", "json")
    return json.loads(done.stdout) | {"exit": done.returncode}


def test_active_waiver_turns_fail_into_waived(tmp_path: Path) -> None:
    later = dt.date.today() + dt.timedelta(days=30)
    toml = f"[[waivers]]\ncheck = 'ENV003'\nreason = 'API lands next sprint'\nexpires = {later}\n"
    found = report(write_project(tmp_path, {**FAILING_ENV, "deploy-check.toml": toml}))
    check = found["checks"][0]  # type: ignore[index]
    assert check["status"] == "waived"
    assert f'waived by deploy-check.toml, until {later}: "API lands next sprint"' in check["message"]
    assert "API_URL" in check["message"]  # what would have failed stays visible
    assert found["verdict"] == "ready" and found["exit"] == 0


def test_glob_waiver_without_expiry(tmp_path: Path) -> None:
    toml = "[[waivers]]\ncheck = 'env*'\nreason = 'staging only'\n"
    found = report(write_project(tmp_path, {**FAILING_ENV, "deploy-check.toml": toml}))
    assert found["checks"][0]["status"] == "waived"  # type: ignore[index]


def test_expired_waiver_does_not_apply_and_is_reported(tmp_path: Path) -> None:
    toml = "[[waivers]]\ncheck = 'ENV003'\nreason = 'temporary'\nexpires = 2020-01-01\n"
    found = report(write_project(tmp_path, {**FAILING_ENV, "deploy-check.toml": toml}))
    check = found["checks"][0]  # type: ignore[index]
    assert check["status"] == "fail"
    assert "waiver expired on 2020-01-01" in check["message"]
    assert found["notes"] == ["waiver for ENV003 expired on 2020-01-01: temporary"]
    assert found["exit"] == 1


def test_a_waiver_never_hides_a_pass(tmp_path: Path) -> None:
    toml = "[[waivers]]\ncheck = 'ENV003'\nreason = 'x'\n"
    files = {".env.local.example": "API_URL=\n", ".env.local": "API_URL=https://x\n", "deploy-check.toml": toml}
    assert report(write_project(tmp_path, files))["checks"][0]["status"] == "pass"  # type: ignore[index]


def test_a_waiver_needs_a_reason(tmp_path: Path) -> None:
    toml = "[[waivers]]\ncheck = '*'\nreason = ''\n"
    done = run_cli("check", "--project", str(write_project(tmp_path, {**FAILING_ENV, "deploy-check.toml": toml})))
    assert done.returncode == 2
    assert "waivers[0].reason is required and must not be empty" in done.stderr


@pytest.mark.parametrize("reason", ["\\u200b", "\\u200b\\u200c\\u2060", "\\ufeff ...", "-- 42 --"])
def test_a_reason_without_a_letter_is_refused(tmp_path: Path, reason: str) -> None:
    """issue 20 §4: a zero-width space passed for a reason."""
    toml = f'[[waivers]]\ncheck = "ENV003"\nreason = "{reason}"\n'
    done = run_cli("check", "--project", str(write_project(tmp_path, {**FAILING_ENV, "deploy-check.toml": toml})))
    assert done.returncode == 2, done.stdout
    assert "waivers[0].reason must say why in words" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_broad_waiver_is_named_on_the_verdict_line(tmp_path: Path) -> None:
    toml = "[[waivers]]\ncheck = '*'\nreason = 'demo day'\n"
    files = {**FAILING_ENV, ".env.local": "API_URL=\nNEXT_PUBLIC_API_TOKEN=abc\n", "deploy-check.toml": toml}
    done = run_cli("check", "--project", str(write_project(tmp_path, files)), "--only", "env")
    verdict = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0
    assert "checks waived by `*` (ENV003, ENV005, ENV007)" in verdict, verdict


def test_fail_level_warn_honours_waivers(tmp_path: Path) -> None:
    toml = "[[waivers]]\ncheck = 'ENV005'\nreason = 'local-only debug key'\n"
    files = {".env.local.example": "API_URL=\n", ".env.local": "API_URL=https://x\nDEBUG_KEY=1\n",
             "deploy-check.toml": toml}
    done = run_cli("check", "--project", str(write_project(tmp_path, files)), "--only", "env",
                   "--fail-level", "warn", "-f", "json")
    found = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert found["ENV005"]["status"] == "waived" and "would warn" in found["ENV005"]["message"]
    assert done.returncode == 0


SENTRY_EXAMPLE = "API_URL=\nNEXT_PUBLIC_SENTRY_DSN=\nSENTRY_AUTH_TOKEN=\nSENTRY_ORG=\nSENTRY_PROJECT=\n"


def test_a_config_waiver_of_sentry_clears_empty_sentry_keys_like_a_deferral(tmp_path: Path) -> None:
    toml = "[[waivers]]\ncheck = 'SENTRY*'\nreason = 'monitoring ships after launch'\n"
    files = {".env.local.example": SENTRY_EXAMPLE, ".env.local": "API_URL=https://x\n", "deploy-check.toml": toml}
    done = run_cli("check", "--project", str(write_project(tmp_path, files)), "--only", "ENV003", "-f", "json")
    env003 = json.loads(done.stdout)["checks"][0]
    assert env003["status"] == "pass", env003
    assert env003["details"]["waived"] == ["NEXT_PUBLIC_SENTRY_DSN", "SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT"]


def test_a_placeholder_sentry_key_under_a_deferral_warns(tmp_path: Path) -> None:
    state = "## Decisions Log\n\n- 2026-11-14: Sentry is deferred to post-launch.\n"
    files = {".env.local.example": SENTRY_EXAMPLE, "project-state.md": state,
             ".env.local": "API_URL=https://x\nSENTRY_ORG=your-org-slug\n"}
    done = run_cli("check", "--project", str(write_project(tmp_path, files)), "--only", "ENV004", "-f", "json")
    env004 = json.loads(done.stdout)["checks"][0]
    assert env004["status"] == "warn", env004
    assert done.returncode == 0
