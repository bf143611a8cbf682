"""`make demo` (examples/run_demo.py): what it shows is what a user can type."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from helpers import REPO, write_project


def test_demo_step_header_and_fix_lines_name_the_same_command(tmp_path: Path,
                                                              capfd: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("run_demo", REPO / "examples" / "run_demo.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    project = write_project(tmp_path, {".env.local.example": "API_URL=\n", "package.json": "{}\n"})
    demo.step("what is missing", "check", "--only", "env", project=project, check=False)
    shown = capfd.readouterr().out
    header = re.search(r"^\$ (.+) check --only env$", shown, re.MULTILINE)
    fix = re.search(r"^\s+fix:\s+(.+) provision env$", shown, re.MULTILINE)
    assert header and fix, shown
    assert header.group(1) == fix.group(1), shown
