"""`deploy-check check --only code` once per fixture app; each test reads its check."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from helpers import REPO, run_json

APPS = REPO / "tests" / "fixtures" / "apps"


@pytest.fixture(scope="session")
def code_report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    reports: dict[str, dict[str, dict[str, Any]]] = {}

    def checks_of(app: str) -> dict[str, dict[str, Any]]:
        if app not in reports:
            # A copy: the run writes its parse cache under the app's .deploy-check/.
            copy = shutil.copytree(APPS / app, tmp_path_factory.mktemp("apps") / app)
            _, report = run_json(copy, "--only", "code")
            reports[app] = {c["id"]: c for c in report["checks"]}
        return reports[app]

    return checks_of
