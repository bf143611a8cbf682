"""User errors end in one line on stderr and exit 2, found at the boundary before
anything runs; inputs that are not regular files or are far too large are reported, never
waited on or loaded (issue 13)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from helpers import clean_environ, run_cli, write_project

BAD_CONFIG = [
    ('[dev_server]\nready_pattern = "(unclosed"\n', "dev_server.ready_pattern is not a valid regular expression"),
    ("[dev_server]\nport = -1\n", "dev_server.port must be 1–65535"),
    ("[dev_server]\nport = 70000\n", "dev_server.port must be 1–65535"),
    ('[dev_server]\nroutes = [{ path = "/a\\r\\nX-Injected: 1" }]\n', "holds a space or control character"),
    ('[dev_server]\nroutes = [{ path = "/a\\u0000" }]\n', "holds a space or control character"),
    ('[dev_server]\nroutes = [{ path = "/n", method = "POST", json = { when = 2026-11-24 } }]\n',
     "holds a TOML date/time"),
    ('[dev_server]\nurl = "http://[::1"\n', "dev_server.url must be an http(s) URL"),
    ('[dev_server]\nurl = "not a url"\n', "dev_server.url must be an http(s) URL"),
    ("[database]\ntimeout = inf\n", "database.timeout must be a positive number"),
    ("[database]\ntimeout = nan\n", "database.timeout must be a positive number"),
    ("[database]\ntimeout = -1\n", "database.timeout must be a positive number"),
    ("[database]\ntimeout = 0\n", "database.timeout must be a positive number"),
    ("[dev_server]\nready_timeout = inf\n", "dev_server.ready_timeout must be a positive number"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", "deploy-check.toml"),
]


@pytest.mark.parametrize(("toml", "said"), BAD_CONFIG, ids=[s for _, s in BAD_CONFIG])
def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path, toml: str, said: str) -> None:
    project = write_project(tmp_path, {"deploy-check.toml": toml})
    done = run_cli("check", "--project", str(project))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "said"), [
    (["--timeout", "inf"], "--timeout must be a positive number"),
    (["--timeout", "nan"], "--timeout must be a positive number"),
    (["--timeout", "-3"], "--timeout must be a positive number"),
    (["--timeout", "0"], "--timeout must be a positive number"),
    (["--output", "/nonexistent-dir/report.json", "-f", "json"], "--output: "),
    (["--output", "/tmp", "-f", "json"], "--output: /tmp is a directory"),
])
def test_bad_flags_are_one_line_and_exit_2_before_any_check_runs(tmp_path: Path, args: list[str], said: str) -> None:
    project = write_project(tmp_path, {".env.local.example": "A=\n"})
    done = run_cli("check", "--project", str(project), "--only", "env", *args)
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert done.stdout == ""  # nothing ran


def test_an_unwritable_step_summary_is_a_usage_error(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "A=\n", ".env.local": "A=1\n"})
    done = run_cli("check", "--project", str(project), "--only", "env", "-f", "github",
                   env=clean_environ(GITHUB_STEP_SUMMARY=str(tmp_path / "missing" / "summary.md")))
    assert done.returncode == 2 and "GITHUB_STEP_SUMMARY: cannot write" in done.stderr


def test_a_bom_in_deploy_check_toml_is_accepted(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "A=\n", ".env.local": "A=1\n"})
    (project / "deploy-check.toml").write_bytes(b"\xef\xbb\xbf[auth]\nprovider = \"none\"\n")
    done = run_cli("check", "--project", str(project), "--only", "env")
    assert done.returncode == 0, done.stderr


def test_an_ascii_only_terminal_still_gets_the_report(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "A=\n", ".env.local": "A=1\n"})
    done = run_cli("check", "--project", str(project), "--only", "env",
                   env=clean_environ(PYTHONIOENCODING="ascii"))
    assert done.returncode == 0, done.stderr
    assert "verdict: READY" in done.stdout


@pytest.mark.parametrize("name", ["deploy-check.toml", "next.config.js", "sentry.server.config.js",
                                  ".env.local", "drizzle/0000_init.sql"])
def test_a_fifo_never_hangs_the_run(tmp_path: Path, name: str) -> None:
    project = write_project(tmp_path, {".env.local.example": "A=\n", "package.json": '{"dependencies": {"@sentry/nextjs": "8"}}\n',
                                       "drizzle/meta/_journal.json": '{"entries": []}\n'})
    fifo = project / name
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    started = time.monotonic()
    done = run_cli("check", "--project", str(project), "--only", "env,sentry,schema", "-f", "json", timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode in (1, 2), done.stderr
    if done.returncode == 2:  # the config itself: a one-line usage error
        assert "not a regular file" in done.stderr


def test_a_huge_env_file_is_reported_not_loaded(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "A=\n"})
    with (project / ".env.local").open("w") as stream:
        stream.write("A=" + "x" * (8 << 20) + "\n")
    started = time.monotonic()
    done = run_cli("check", "--project", str(project), "--only", "ENV001", "-f", "json")
    assert time.monotonic() - started < 20
    env001 = json.loads(done.stdout)["checks"][0]
    assert env001["status"] == "fail" and "over the" in env001["message"] and "limit" in env001["message"]
    assert len(done.stdout) < 10_000


def test_a_catastrophic_ready_pattern_is_bounded(tmp_path: Path) -> None:
    import sys

    command = f"{sys.executable} -c \"print('a' * 40 + '!', flush=True); import time; time.sleep(30)\""
    toml = f'[dev_server]\ncommand = {json.dumps(command)}\nready_pattern = "^(a+)+$"\nready_timeout = 3\n'
    project = write_project(tmp_path, {"deploy-check.toml": toml})
    started = time.monotonic()
    done = run_cli("check", "--project", str(project), "--only", "DEV001", "-f", "json", timeout=60)
    assert time.monotonic() - started < 20
    assert json.loads(done.stdout)["checks"][0]["status"] == "fail"
