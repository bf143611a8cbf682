"""Secrets the app itself prints: its session cookies, the values deploy-check.toml sends,
in live progress on a terminal and in every report format (issue 20, section 3)."""

from __future__ import annotations

import base64
import json
import re
import secrets
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


def test_secrets_the_app_prints_encoded_wrapped_or_disguised_are_masked_in_every_format(tmp_path: Path) -> None:
    from test_devserver import scenario_project

    password = secrets.token_urlsafe(18)  # random: no list of known values can hold it
    token = "tok_" + secrets.token_hex(48)
    project = scenario_project(tmp_path / "app", "disguised")
    (project / ".env.local").write_text(f"DATABASE_URL=postgres://app:{password}@127.0.0.1:9/app\nAPI_SECRET={token}\n")
    prefix = b"Cannot connect to postgres://app:"
    encoded = base64.b64encode(prefix + password.encode() + b"@").decode()
    only_the_password = encoded[-(-len(prefix) * 8 // 6):(len(prefix) + len(password)) * 8 // 6]
    for fmt in ("json", "console"):
        done = run_cli("check", "--project", str(project), "--only", "DEV001", "-f", fmt)
        said = done.stdout + done.stderr
        assert "Error: token rejected: ****" in said or fmt == "console", said  # it quotes fewer lines
        assert "Error: ****" in said, said
        joined = "".join(line.strip() for line in said.splitlines())  # as a reader of the base64 joins it
        for secret, width in ((token, 8), (password, 8), (only_the_password, 6)):
            for at in range(len(secret) - width + 1):
                assert secret[at:at + width].lower() not in said.lower(), (fmt, secret[at:at + width])
                assert secret[at:at + width] not in joined, (fmt, secret[at:at + width])
