"""`deploy-check check --only code` once per fixture app; each test reads its check."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import REPO, run_json

APPS = REPO / "tests" / "fixtures" / "apps"


@pytest.fixture(scope="session")
def code_report() -> Any:
    reports: dict[str, dict[str, dict[str, Any]]] = {}

    def checks_of(app: str) -> dict[str, dict[str, Any]]:
        if app not in reports:
            _, report = run_json(APPS / app, "--only", "code")
            reports[app] = {c["id"]: c for c in report["checks"]}
        return reports[app]

    return checks_of
