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

from helpers import REPO, write_project


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
        # What the `deploy-check` console script runs (project.scripts).
        return subprocess.run([str(python), "-m", "deploy_check_entry", *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=120, check=False)

    def python_says(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), "-c", code], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=60, check=False)

    # The only top-level name the wheel claims is deploy_check_entry: `checks` and `provision`
    # (too common to own in a shared site-packages) live in deploy_check_lib/, off sys.path.
    assert "No module named 'checks'" in python_says("import checks").stderr
    assert "No module named 'provision'" in python_says("import provision").stderr
    where = python_says("import deploy_check_entry as e; print(e.library_path())")
    assert where.stdout.strip() == str(site / "deploy_check_lib"), where.stdout + where.stderr
    tops = {p.name.removesuffix(".py") for p in site.iterdir() if not p.name.endswith((".pth", ".dist-info"))}
    assert tops - {"bin", "__pycache__"} == {"deploy_check_entry", "deploy_check_lib"}, tops
    assert run("--version").stdout.startswith("deploy-check ")
    assert "ENV001" in run("list").stdout
    assert json.loads(run("schema").stdout)["properties"]["version"] == {"const": 1}
    project = write_project(tmp_path / "app", {".env.local.example": "A=\n", ".env.local": "A=1\n"})
    done = run("check", "--project", str(project), "--only", "env", "-f", "json")
    assert json.loads(done.stdout)["verdict"] == "ready", done.stderr


def test_every_package_of_the_checkout_is_in_the_wheel_list() -> None:
    """pyproject.toml names the installed packages one by one (they are mapped under
    deploy_check_lib/): a new sub-package left out would be missing from the wheel."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"deploy_check_lib." + ".".join(init.parent.relative_to(REPO).parts)
             for top in ("checks", "provision") for init in (REPO / top).rglob("__init__.py")}
    assert listed == found
