"""`[[waivers]]` in deploy-check.toml: an active waiver turns a failure into `waived`
quoting its reason; an expired one does not apply and the report says so."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from support import run_cli, write_project

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
