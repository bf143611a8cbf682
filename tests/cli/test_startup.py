"""Start-up of the usual run (issue 21): `check` parses its common flags without typer,
an env-only run needs no event loop, and what it does not use it does not load."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checks.cli.checking import CheckOptions, parse_check_args

from helpers import REPO, clean_environ, run_cli, run_python, write_project

READY = {
    ".env.local.example": "API_URL=\nAPI_SECRET=\n# Optional\nDEBUG=\n",
    ".env.local": "API_URL=https://api.internal\nAPI_SECRET=s3cr3t-value-of-the-app\n",
}
NOT_LOADED = ("typer", "click", "rich", "asyncio", "ssl", "logging", "psycopg", "httpx", "pglast")


@pytest.mark.parametrize("format", ["json", "console"])
def test_an_env_only_run_loads_no_typer_click_rich_or_asyncio(tmp_path: Path, format: str) -> None:
    project = write_project(tmp_path, READY)
    program = (
        "import sys, contextlib, io\n"
        "from checks.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main(['check', '--only', 'env', '-f', {format!r}, '--project', {str(project)!r}])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {NOT_LOADED!r}))\n"
    )
    done = run_python(program, timeout=60)
    assert done.stdout.splitlines() == ["[]"], done.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["check"], CheckOptions()),
    (["check", "--only", "env", "-f", "json", "-p", "app"],
     CheckOptions(only="env", format="json", project=Path("app"))),
    (["check", "--only=env,DB004", "--skip=ENV005", "--timeout", "2.5", "--fail-level", "warn", "-q",
      "--strict", "--fix", "--allow-remote-login"],
     CheckOptions(only="env,DB004", skip="ENV005", timeout=2.5, fail_level="warn", quiet=True, strict=True,
                  fix=True, allow_remote_login=True)),
    (["check", "--also", "json=a.json", "--also=junit=b.xml", "-o", "out.md", "--env-file", ".env",
      "--example", "ex", "-v"],
     CheckOptions(also=["json=a.json", "junit=b.xml"], output=Path("out.md"), env_file=Path(".env"),
                  example=Path("ex"), verbose=True)),
])
def test_the_common_check_flags_are_parsed_without_typer(args: list[str], expected: CheckOptions) -> None:
    assert parse_check_args(args) == expected


@pytest.mark.parametrize("args", [
    ["check", "--help"], ["check", "-h"], ["check", "--onyl", "env"], ["check", "--only"],
    ["check", "--only", "--skip", "env"], ["check", "-qv"], ["check", "-fjson"], ["check", "stray"],
    ["check", "--timeout", "soon"], ["check", "--fix=yes"], ["detect"], ["check", "--", "x"],
])
def test_what_the_fast_parser_does_not_fully_understand_goes_to_typer(args: list[str]) -> None:
    assert parse_check_args(args) is None


def test_the_fast_path_and_typer_give_the_same_report(tmp_path: Path) -> None:
    project = write_project(tmp_path, READY)
    fast = run_cli("check", "--only", "env", "-f", "json", "--project", str(project))
    # `-qq` is a plain use of click's short flags that the fast parser leaves to typer.
    slow = run_cli("check", "--only", "env", "-f", "json", "--project", str(project), "-qq")
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    first, second = json.loads(fast.stdout), json.loads(slow.stdout)
    assert [(c["id"], c["status"], c["message"]) for c in first["checks"]] == \
        [(c["id"], c["status"], c["message"]) for c in second["checks"]]


def test_help_and_usage_errors_still_come_from_typer(tmp_path: Path) -> None:
    shown = run_cli("check", "--help")
    assert shown.returncode == 0 and "--only" in shown.stdout and "--allow-remote-login" in shown.stdout
    wrong = run_cli("check", "--onyl", "env", "--project", str(tmp_path))
    assert wrong.returncode == 2 and "--onyl" in wrong.stderr


def test_an_env_only_run_outside_git_asks_git_once(tmp_path: Path) -> None:
    """ENV006 learns that the project is in no work tree; the report's commit does not ask again."""
    project = write_project(tmp_path, READY)
    program = (
        "import sys, contextlib, io, json\n"
        "calls = []\n"
        "sys.addaudithook(lambda event, args: calls.append(list(args[1])) if event == 'subprocess.Popen' else None)\n"
        "from checks.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        f"    main(['check', '--only', 'env', '-f', 'json', '--project', {str(project)!r}])\n"
        "report = json.loads(out.getvalue())\n"
        "print(json.dumps([report['git_commit'], [c for c in calls if c[0] == 'git'],\n"
        "                  next(c['status'] for c in report['checks'] if c['id'] == 'ENV006')]))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], env={**clean_environ(), "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60, check=False, cwd=os.fspath(tmp_path))
    commit, git_calls, env006 = json.loads(done.stdout)
    assert commit is None and env006 == "skip"
    assert [call[3:] for call in git_calls] == [["rev-parse", "--show-toplevel"]], git_calls


def test_the_process_ends_without_the_interpreters_teardown_after_its_exit_handlers(tmp_path: Path) -> None:
    """Unloading psycopg's libraries and every module costs a database run 30-50 ms: the
    process leaves once its atexit handlers ran and its output is flushed. An object that
    only the teardown would delete is never deleted; the report is whole and the exit code kept."""
    project = write_project(tmp_path, {**READY, ".env.local": "API_URL=https://api.internal\n"})
    program = (
        "import atexit, builtins, runpy, sys\n"
        "class Torn:\n"
        "    def __del__(self): print('torn down', file=sys.stderr)\n"
        "builtins.kept = Torn()\n"
        "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
        f"sys.argv = ['deploy-check', 'check', '--only', 'env', '-f', 'json', '--project', {str(project)!r}]\n"
        "runpy.run_module('checks', run_name='__main__')\n"
    )
    done = run_python(program, timeout=60)
    assert done.returncode == 1, done.stderr  # API_SECRET is missing: not ready
    assert json.loads(done.stdout)["verdict"] == "not_ready"
    assert "exit handler ran" in done.stderr
    assert "torn down" not in done.stderr


SCHEMA_APP = {"schema.sql": "CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);\n",
              "package.json": '{"name": "app", "scripts": {"dev": "next dev"}}\n'}


def test_a_plain_provision_schema_loads_no_typer_click_or_rich(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path, {**SCHEMA_APP, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    program = (
        "import sys, contextlib, io\n"
        "from checks.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as said, contextlib.suppress(SystemExit):\n"
        f"    main(['provision', 'schema', '--dry-run', '--project', {str(project)!r}])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'rich')))\n"
        "print('creates 1 table: public.notes' in said.getvalue() or said.getvalue())\n"
    )
    done = run_python(program, timeout=60)
    assert done.stdout.splitlines() == ["[]", "True"], done.stdout + done.stderr


@pytest.mark.parametrize("args", [["--dry-run"], ["--platform", "nope", "--dry-run"],
                                  ["--allow-destructive", "--dry-run", "--force"]])
def test_provision_schema_says_the_same_on_the_fast_path_as_through_typer(
        tmp_path: Path, fresh_db: str, args: list[str]) -> None:
    project = write_project(tmp_path, {**SCHEMA_APP, ".env.local": f"DATABASE_URL={fresh_db}\n"})
    fast = run_cli("provision", "schema", "--project", str(project), *args)
    # A trailing `--` means nothing to click, and sends the same command line through typer.
    slow = run_cli("provision", "schema", "--project", str(project), *args, "--")
    def said(done: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
        return done.returncode, re.sub(r"\(\d+\.\d+ s\)", "(… s)", done.stdout), done.stderr

    assert said(fast) == said(slow)
    assert fast.returncode in (0, 1, 2) and (fast.stdout or fast.stderr)
