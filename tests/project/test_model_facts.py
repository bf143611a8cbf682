"""Model facts that used to turn into false gates (issue 19 §2), each on a fixture shaped
after a real public app (tests/fixtures/apps/). Each fixture is copied to a temporary
directory so a test can add env files or `git init`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from helpers import REPO, run_cli, run_json

FIXTURES = REPO / "tests" / "fixtures" / "apps"


def app(tmp_path: Path, name: str, **files: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


def detect(project: Path) -> dict[str, Any]:
    done = run_cli("detect", "--project", str(project), "--format", "json")
    assert done.returncode == 0, done.stderr
    model: dict[str, Any] = json.loads(done.stdout)
    return model


def checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"]}


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(project), "-c", "user.email=t@example.test", "-c", "user.name=t",
                    *args], check=True, capture_output=True, timeout=30)


# -- 1. Sentry is required by a Sentry SDK or config, not by a stray token file ----------


def test_a_stray_sentry_build_plugin_file_does_not_make_sentry_required(tmp_path: Path) -> None:
    project = app(tmp_path, "stray-sentry-plugin")
    model = detect(project)
    assert model["sentry_required"] is False
    assert model["sentry_why"].startswith("the app does not use Sentry")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    _code, report = run_json(project, "--only", "ENV006,sentry")
    found = checks(report)
    assert found["SENTRY001"]["status"] == "skip"
    # The leaked token is still a finding: ENV006, not a Sentry requirement.
    assert found["ENV006"]["status"] == "fail"
    assert ".env.sentry-build-plugin is tracked by git (holds SENTRY_AUTH_TOKEN)" in found["ENV006"]["message"]
    assert "StrayCanaryTokenValue" not in json.dumps(report)
