"""The CLI contract: exit codes, selection, configuration errors, list/explain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, clean_environ, run_cli, run_python, write_project

READY = {
    ".env.local.example": "API_URL=\n",
    ".env.local": "API_URL=https://api.internal\n",
}


def test_exit_0_when_ready(tmp_path: Path) -> None:
    done = run_cli("check", "--project", str(write_project(tmp_path, READY)), "--only", "env")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: READY" in done.stdout


def test_exit_1_when_not_ready(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "API_URL=\n", ".env.local": "API_URL=\n"})
    done = run_cli("check", "--project", str(project), "--only", "env")
    assert done.returncode == 1
    assert "verdict: NOT READY (ENV003)" in done.stdout


def test_no_subcommand_behaves_as_check(tmp_path: Path) -> None:
    done = run_cli("--project", str(write_project(tmp_path, READY)), "--only", "ENV003", "-f", "json")
    assert done.returncode == 0
    assert [c["id"] for c in json.loads(done.stdout)["checks"]] == ["ENV003"]


def test_fail_level_warn_makes_warnings_block(tmp_path: Path) -> None:
    project = write_project(tmp_path, {**READY, ".env.local": "API_URL=https://x\nEXTRA=1\n"})
    assert run_cli("check", "--project", str(project), "--only", "env").returncode == 0
    done = run_cli("check", "--project", str(project), "--only", "env", "--fail-level", "warn")
    assert done.returncode == 1
    assert "ENV005" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--only", "NOPE001"],
        ["--skip", "nofamily"],
        ["--format", "yaml"],
        ["--fail-level", "error"],
        ["--timeout", "0"],
        ["--bogus-flag"],
        ["--project", "/does/not/exist"],
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    project = write_project(tmp_path, READY)
    argv = ["check", "--project", str(project), *args] if "--project" not in args else ["check", *args]
    done = run_cli(*argv)
    assert done.returncode == 2
    assert done.stderr.startswith("deploy-check: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("[project]\nenv_fil = 'x'\n", "project.env_fil"),
        ("[database]\ntimeout = 'soon'\n", "database.timeout"),
        ("[dev_server]\nport = true\n", "dev_server.port"),
        ("[nonsense]\n", "[nonsense]"),
        ("[auth]\nprovider = 'auth0'\n", "auth.provider"),
        ("[[waivers]]\ncheck = 'ENV003'\n", "waivers[0].reason"),
        ("[[waivers]]\ncheck = 'ENV003'\nreason = 'x'\nexpires = 'tomorrow'\n", "waivers[0].expires"),
        ("[dev_server]\nroutes = [{path = '/', statuss = 200}]\n", "dev_server.routes[0].statuss"),
        ("this is = = not toml", "invalid TOML"),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, toml: str, named: str) -> None:
    project = write_project(tmp_path, {**READY, "deploy-check.toml": toml})
    done = run_cli("check", "--project", str(project), "--only", "env")
    assert done.returncode == 2, done.stdout
    assert named in done.stderr
    assert "Traceback" not in done.stderr


def test_config_moves_the_env_files(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "deploy-check.toml": "[project]\nenv_file = 'config/.env.dev'\nexample_file = 'config/env.example'\n",
        "config/env.example": "API_URL=\n",
        "config/.env.dev": "API_URL=https://x\n",
    })
    done = run_cli("check", "--project", str(project), "--only", "ENV001,ENV003", "-f", "json")
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["summary"]["pass"] == 2


def test_env_file_and_example_flags(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"a.env": "API_URL=https://x\n", "b.example": "API_URL=\n"})
    done = run_cli("check", "--project", str(project), "--env-file", str(project / "a.env"),
                   "--example", str(project / "b.example"), "--only", "ENV003")
    assert done.returncode == 0, done.stdout


def test_skip_by_family_and_id(tmp_path: Path) -> None:
    project = write_project(tmp_path, READY)
    done = run_cli("check", "--project", str(project), "--only", "env", "--skip", "ENV006,ENV007",
                   "-f", "json")
    ids = [c["id"] for c in json.loads(done.stdout)["checks"]]
    assert "ENV006" not in ids and "ENV007" not in ids and "ENV001" in ids


def test_list_and_explain() -> None:
    listed = run_cli("list")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[0].split()[:2] == ["ENV001", "env"]
    explained = run_cli("explain", "env003")
    assert explained.returncode == 0
    assert "Required variables are filled" in explained.stdout
    assert "fix:  deploy-check provision env" in explained.stdout
    unknown = run_cli("explain", "XYZ999")
    assert unknown.returncode == 2
    assert "unknown check id" in unknown.stderr


def test_every_fix_names_a_real_provisioner_or_a_shell_command() -> None:
    from checks.core.registry import all_checks
    from provision import PROVISIONERS

    for entry in all_checks():
        fix = entry.spec.fix
        if fix and fix.startswith("deploy-check "):
            assert fix.startswith("deploy-check provision "), fix
            assert fix.split()[2] in PROVISIONERS, fix


def test_every_check_has_catalogue_text() -> None:
    from checks.core.registry import all_checks

    for entry in all_checks():
        spec = entry.spec
        assert spec.title and spec.explain and spec.hint, spec.id
        assert "\n" not in spec.title


def test_check_that_raises_becomes_a_fail_distinct_from_a_failed_expectation(tmp_path: Path) -> None:
    import asyncio

    from checks.core import registry
    from checks.core.context import Context
    from checks.core.model import Spec
    from checks.core.runner import run

    spec = Spec("ENV901", "env", "Test-only check that breaks", "x", "x")

    def broken(ctx: Context) -> object:
        raise RuntimeError("boom at postgres://u:hunter22@db/x")

    registry.check(spec)(broken)  # type: ignore[arg-type]
    try:
        ctx = Context(project=tmp_path, environ={})
        report = asyncio.run(run([registry.get("ENV901")], ctx))
    finally:
        registry._CHECKS.pop("ENV901")
    crashed = report.checks[0]
    assert crashed.status.value == "fail"
    assert crashed.details["crashed"] is True
    assert "the check itself broke: RuntimeError" in crashed.message
    assert "hunter22" not in crashed.message


def test_env_only_run_imports_neither_psycopg_nor_httpx(tmp_path: Path) -> None:


    project = write_project(tmp_path, READY)
    program = (
        "import sys, contextlib, io\n"
        "from checks.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main(['--only', 'env', '--project', {str(project)!r}])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'httpx', 'pglast', 'ast_grep_py')))\n"
        "print('checks.code' in sys.modules)\n"
        "print('checks.env' in sys.modules)\n"
    )
    done = run_python(program, timeout=60)
    assert done.stdout.splitlines() == ["[]", "False", "True"], done.stderr


@pytest.mark.parametrize("args", [["--only", ""], ["--only", ","], ["--only", "env", "--skip", "env"],
                                  ["--example", "no-such.example"]],
                         ids=["empty-only", "comma-only", "all-skipped", "missing-example"])
def test_selections_that_would_verify_nothing_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    done = run_cli("check", "--project", str(tmp_path), *args)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("deploy-check: --")


def test_a_configured_schema_that_is_missing_is_a_configuration_error(tmp_path: Path) -> None:
    """It failed DB004 (exit 1); issue 20 §5 makes it what DESIGN.md calls it: a
    configuration error, one line naming it, exit 2."""
    write_project(tmp_path, {"deploy-check.toml": '[project]\nschema = "db/schema.sql"\n',
                             ".env.local": "DATABASE_URL=postgresql://app:pw@127.0.0.1:1/app\n"})
    done = run_cli("check", "--project", str(tmp_path), "--only", "DB004", "-f", "json")
    assert done.returncode == 2 and done.stdout == "", done.stdout
    assert '[project] schema = "db/schema.sql" does not exist' in done.stderr


def test_make_deploy_check_prints_only_the_report_and_needs_project(tmp_path: Path) -> None:
    import shutil

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    project = write_project(tmp_path, {".env.local.example": "API_URL=\n", ".env.local": "API_URL=https://x\n"})
    done = subprocess.run(["make", "-s", "-C", str(REPO), "deploy-check", f"PROJECT={project}",
                           "ARGS=--only ENV001,ENV003 --format json"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert json.loads(done.stdout)["verdict"] == "ready", done.stderr
    plain = subprocess.run(["make", "-C", str(REPO), "--no-print-directory", "deploy-check",
                            f"PROJECT={project}", "ARGS=--only ENV001 --format json"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert json.loads(plain.stdout)["verdict"] == "ready"  # no echoed command in front of it
    missing = subprocess.run(["make", "-C", str(REPO), "deploy-check"], capture_output=True, text=True,
                             timeout=120, check=False)
    assert missing.returncode == 2 and "set PROJECT=path/to/app" in missing.stderr


def test_every_environment_variable_deploy_check_reads_is_documented() -> None:
    """An AST scan of checks/ and provision/: each os.environ[...] / os.environ.get(...) /
    os.getenv(...) with a literal name is in the repository's .env.local.example."""
    import ast

    from checks.support.envfile import read_env_file

    documented = set(read_env_file(REPO / ".env.local.example").keys)
    read: set[str] = set()
    for path in [*REPO.glob("checks/**/*.py"), *REPO.glob("provision/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            name = None
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                name = node.slice
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv") and node.args:
                name = node.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                read.add(name.value)
    assert read, "the scan found nothing: it is broken"
    assert read <= documented, read - documented
    # and every key is marked optional: deploy-check needs none of them to run
    assert read_env_file(REPO / ".env.local.example").required_keys == []


def test_the_committed_checks_reference_is_generated_from_the_catalogue() -> None:
    from checks.core.catalogue import render

    assert (REPO / "docs" / "checks.md").read_text() == render(), \
        "docs/checks.md is stale: python -m checks.core.catalogue > docs/checks.md"


@pytest.mark.parametrize(("args", "code", "said"), [
    (["-h"], 0, "Commands:"),
    (["--help"], 0, "--version"),
    (["chek"], 2, "unknown command 'chek'; did you mean 'check'?"),
    (["detcet"], 2, "did you mean 'detect'?"),
    (["provision", "-h"], 0, "local-db"),
])
def test_help_version_and_a_close_match_for_a_typo(args: list[str], code: int, said: str) -> None:
    done = run_cli(*args)
    assert done.returncode == code
    assert said in done.stdout + done.stderr


def test_shell_completion_completes_commands_and_flags_in_a_real_bash(tmp_path: Path) -> None:
    import shutil

    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    script = run_cli("completion", "bash")
    assert script.returncode == 0 and "_DEPLOY_CHECK_COMPLETE=complete_bash" in script.stdout
    (tmp_path / "completion.bash").write_text(script.stdout)
    # What bash does on <TAB>: COMP_WORDS/COMP_CWORD set, the registered function called.
    driver = ('source completion.bash; complete -p deploy-check >/dev/null || exit 3\n'
              'COMP_WORDS=(deploy-check chec); COMP_CWORD=1; _deploy_check_completion deploy-check; echo "${COMPREPLY[@]}"\n'
              'COMP_WORDS=(deploy-check check --fail); COMP_CWORD=2; _deploy_check_completion deploy-check; echo "${COMPREPLY[@]}"\n')
    wrapper = tmp_path / "deploy-check"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m checks "$@"\n')
    wrapper.chmod(0o755)
    env = clean_environ(PYTHONPATH=str(REPO), PATH=f"{tmp_path}:{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", driver], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["check", "--fail-level"]
    assert run_cli("completion", "tcsh").returncode == 2


@pytest.mark.parametrize(("command", "shown"), [
    (["check"], ["[default: console]", "[default: fail]"]),
    (["detect"], ["[default: console]"]),
    (["explain"], ["[required]"]),
])
def test_help_shows_brackets_without_a_backslash(command: list[str], shown: list[str]) -> None:
    done = run_cli(*command, "--help", env={**clean_environ(), "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "\\[" not in done.stdout, done.stdout
    for text in shown:
        assert text in " ".join(done.stdout.split())  # click wraps help at 80 columns
