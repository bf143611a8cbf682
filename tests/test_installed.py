"""Installed, not only editable: the wheel built from this checkout, installed into a
fresh venv, works from any directory — the report schema (package data) included.
Dependencies come from the test environment's own site-packages through a .pth file, so
the test needs no network and stays fast; deploy-check itself comes only from the wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from support import REPO, write_project


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--quiet", "-w", str(wheels), str(REPO)], capture_output=True, text=True,
                           timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("deploy_check-*.whl"))
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    site = next((target / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                                "--target", str(site), str(wheel)], capture_output=True, text=True,
                               timeout=300, check=False)
    assert installed.returncode == 0, installed.stderr
    python = target / "bin" / "python"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), "-m", "checks", *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=120, check=False)

    where = subprocess.run([str(python), "-c", "import checks; print(checks.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr  # not the checkout
    assert run("--version").stdout.startswith("deploy-check ")
    assert "ENV001" in run("list").stdout
    assert json.loads(run("schema").stdout)["properties"]["version"] == {"const": 1}
    project = write_project(tmp_path / "app", {".env.local.example": "A=\n", ".env.local": "A=1\n"})
    done = run("check", "--project", str(project), "--only", "env", "-f", "json")
    assert json.loads(done.stdout)["verdict"] == "ready", done.stderr
