"""`provision env` on an app without an example (ixartz/Next-js-Boilerplate commits `.env`
and no `.env*.example`) named a source that does not exist: "target: .env.local from
.env.local.example", then "no env example … to start from". It names only what it looked for."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, run_cli

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "committed-dotenv-defaults"


def test_no_example_names_no_source_file(tmp_path: Path) -> None:
    project = tmp_path / "app"
    shutil.copytree(FIXTURE, project)
    done = run_cli("provision", "env", "--no-input", "--project", str(project))
    assert done.returncode == 1
    assert "from .env.local.example" not in done.stderr, done.stderr
    assert "no env example in" in done.stderr and "looked for .env.local.example" in done.stderr
    assert not (project / ".env.local").exists()
