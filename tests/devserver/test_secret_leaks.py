"""Secrets the app itself prints: its session cookies, the values deploy-check.toml sends,
in live progress on a terminal and in every report format (issue 20, section 3)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from helpers import run_cli, run_on_a_terminal, write_project

LEAKS = Path(__file__).parent / "servers" / "leaks.py"


def leaky_project(root: Path, mode: str, routes: str) -> Path:
    command = f"{sys.executable} -u {LEAKS} {mode} {root / 'values.txt'}"
    toml = f"[dev_server]\ncommand = {json.dumps(command)}\nready_timeout = 15\nroute_timeout = 10\n{routes}"
    return write_project(root, {"deploy-check.toml": toml})


def printed_values(root: Path) -> dict[str, str]:
    lines = (root / "values.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_live_progress_masks_a_session_cookie_before_and_after_it_is_learned(tmp_path: Path) -> None:
    routes = ('routes = [{ path = "/session", status = 200 }, { path = "/login", status = 200 },'
              ' { path = "/later", status = 200 }]\n')
    project = leaky_project(tmp_path, "cookie", routes)
    code, seen = run_on_a_terminal("check", "--project", str(project), "--only", "DEV001,DEV002,DEV003", columns=200)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode("utf-8", "replace"))
    values = printed_values(tmp_path)
    assert code == 1, shown  # DEV003: the app logged errors
    # The live view showed both lines (masked), not only the report at the end.
    assert re.search(r"DEV001 [^\n]*\(\d+\.\d s\)  Error: new session cookie sid=\*\*\*\*", shown), shown
    assert re.search(r"DEV001 [^\n]*\(\d+\.\d s\)  Error: no entry in the store for \*\*\*\*", shown), shown
    for name, value in values.items():
        assert value not in shown, name


def test_secret_named_values_deploy_check_toml_sends_are_masked_in_every_format(tmp_path: Path) -> None:
    password = "Route-Body-Canary-77"
    invite = "Query-Canary-5Xq1"
    routes = ('routes = [{ path = "/signup", method = "POST", status = 200, json = { email = "a@example.test", '
              f'profile = {{ password = "{password}" }} }} }}, {{ path = "/join?invite_secret={invite}", status = 200 }}]\n')
    project = leaky_project(tmp_path, "echo", routes)
    for fmt in ("console", "json", "sarif", "junit", "markdown", "github"):
        done = run_cli("check", "--project", str(project), "--only", "DEV001,DEV002,DEV003", "-f", fmt, "-v")
        said = done.stdout + done.stderr
        assert "sign-up refused" in said or fmt == "sarif", (fmt, said)  # the echo was reported
        assert password not in said and invite not in said, (fmt, said)
