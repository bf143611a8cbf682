"""lint/action_inputs.py: a `with:` key action.yml does not declare fails `make lint`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

WORKFLOW = """\
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
        with: { python-version: "3.11" }
      - id: deploy-check
        uses: ./
        with:
          project: examples/demo-app
          BLOCK_KEY: devserver
      - uses: acme/deploy-check@v1
        with: { FLOW_KEY: "--strict" }
"""


def lint(tmp_path: Path, key: str = "skip", flow: str = "args") -> subprocess.CompletedProcess[str]:
    workflow = tmp_path / "gate.yml"
    workflow.write_text(WORKFLOW.replace("BLOCK_KEY", key).replace("FLOW_KEY", flow))
    return subprocess.run([sys.executable, str(REPO / "lint" / "action_inputs.py"), str(workflow)],
                          capture_output=True, text=True, timeout=30, check=False)


def test_the_repositorys_own_workflow_passes() -> None:
    done = subprocess.run([sys.executable, str(REPO / "lint" / "action_inputs.py")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr


def test_declared_keys_pass_and_other_actions_inputs_are_not_ours(tmp_path: Path) -> None:
    done = lint(tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("key", "flow", "line", "bad"), [
    ("skipp", "args", 11, "skipp"),  # a block `with:`
    ("skip", "argz", 13, "argz"),  # a flow `with: { … }`
])
def test_a_misspelt_with_key_fails_naming_the_line(tmp_path: Path, key: str, flow: str, line: int, bad: str) -> None:
    done = lint(tmp_path, key, flow)
    assert done.returncode == 1
    assert f"gate.yml:{line}: `with: {bad}` is not an input of action.yml" in done.stderr


def test_the_action_attaches_the_screenshots_dev006_writes_whatever_the_verdict() -> None:
    from checks.runtime.browser import SCREENS

    action = (REPO / "action.yml").read_text()
    steps = action.split("\n    - ")
    upload = [s for s in steps if "uses: actions/upload-artifact@v4" in s]
    assert len(upload) == 1, "action.yml attaches no artifact with actions/upload-artifact@v4"
    step = upload[0]
    # After a failing gate too, only where DEV006 saved something, and where it saves them.
    assert "if: always() && inputs.screens-artifact != ''" in step
    assert "if-no-files-found: ignore" in step
    assert f"path: ${{{{ inputs.project }}}}/{SCREENS.as_posix()}/" in step
    assert "name: ${{ inputs.screens-artifact }}" in step
    assert steps.index(step) > next(i for i, s in enumerate(steps) if "id: gate" in s)
    # The input the step reads is declared, so a workflow may name the artifact.
    done = subprocess.run([sys.executable, str(REPO / "lint" / "action_inputs.py")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert "screens-artifact:" in (REPO / ".github" / "workflows" / "deploy-check.yml").read_text()
