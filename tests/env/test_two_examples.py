"""An app with two examples (vercel/nextjs-subscription-payments: `.env.local.example` for the
app's keys, `.env.example` for what the Supabase CLI reads): each describes the env file it is
named after, and what it requires is checked against what Next.js loads, `.env.local` over
`.env`. Only `.env.local.example` used to be read."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from helpers import REPO, check_in_process, detect, result, run_cli, run_json

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "supabase-two-examples"
LOCAL = ("NEXT_PUBLIC_SITE_URL=http://localhost:3000\n"
         "NEXT_PUBLIC_SUPABASE_URL=https://abcdefghijklmnop.supabase.co\n"
         "NEXT_PUBLIC_SUPABASE_ANON_KEY=eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2ln\n"
         "SUPABASE_SERVICE_ROLE_KEY=service-role-canary-7f3a9d\n"
         "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_test_51canary\n"
         "STRIPE_SECRET_KEY=sk_test_51stripe-canary-key\n"
         "STRIPE_WEBHOOK_SECRET=whsec_canary-webhook\n")
GITHUB = ("SUPABASE_AUTH_EXTERNAL_GITHUB_REDIRECT_URI=http://127.0.0.1:54321/auth/v1/callback\n"
          "SUPABASE_AUTH_EXTERNAL_GITHUB_CLIENT_ID=Iv1.canary0123456789\n"
          "SUPABASE_AUTH_EXTERNAL_GITHUB_SECRET=github-secret-canary-0123456789abcdef\n")
GITHUB_KEYS = ["SUPABASE_AUTH_EXTERNAL_GITHUB_REDIRECT_URI", "SUPABASE_AUTH_EXTERNAL_GITHUB_CLIENT_ID",
               "SUPABASE_AUTH_EXTERNAL_GITHUB_SECRET"]


def project_with(tmp_path: Path, **files: str) -> Path:
    project = tmp_path / "app"
    shutil.copytree(FIXTURE, project)
    for name, text in files.items():
        (project / name).write_text(text)
    return project


def test_env003_requires_the_second_examples_keys_and_names_the_file_they_go_in(tmp_path: Path) -> None:
    project = project_with(tmp_path, **{".env.local": LOCAL})
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "fail"
    assert env003.details["missing"] == GITHUB_KEYS
    assert env003.details["examples"] == [".env.local.example", ".env.example"]
    assert env003.hint == "Fill them in .env (see .env.example)."


def test_env003_passes_when_next_loads_every_key_whichever_file_holds_it(tmp_path: Path) -> None:
    in_their_own_files = project_with(tmp_path / "a", **{".env.local": LOCAL, ".env": GITHUB})
    all_in_env_local = project_with(tmp_path / "b", **{".env.local": LOCAL + GITHUB})
    for project in (in_their_own_files, all_in_env_local):
        env003 = result(check_in_process(project, "ENV003"), "ENV003")
        assert env003.status.value == "pass", env003.message
        assert "of .env.local.example and .env.example are filled" in env003.message


def test_env003_names_each_gap_with_the_file_its_example_describes(tmp_path: Path) -> None:
    project = project_with(tmp_path, **{".env.local": "NEXT_PUBLIC_SITE_URL=http://localhost:3000\n"})
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.hint.startswith("Fill NEXT_PUBLIC_SUPABASE_ANON_KEY, ")
    assert "STRIPE_WEBHOOK_SECRET in .env.local (see .env.local.example); " in env003.hint
    assert env003.hint.endswith(f"{', '.join(GITHUB_KEYS)} in .env (see .env.example).")


def test_env005_a_key_documented_by_the_second_example_is_documented(tmp_path: Path) -> None:
    project = project_with(tmp_path, **{".env.local": LOCAL, ".env": GITHUB + "LEFTOVER=1\n"})
    env005 = result(check_in_process(project, "ENV005"), "ENV005")
    assert env005.status.value == "warn"
    assert env005.details["keys"] == ["LEFTOVER"]
    assert "not in .env.local.example and .env.example: LEFTOVER (.env)" in env005.message


def test_env002_and_env008_read_both_examples(tmp_path: Path) -> None:
    project = project_with(tmp_path, **{".env.local": LOCAL})
    (project / ".env.example").write_text(GITHUB + "SUPABASE_AUTH_EXTERNAL_GITHUB_SECRET=again\n")
    report = check_in_process(project, "env")
    env002, env008 = result(report, "ENV002"), result(report, "ENV008")
    assert env002.message == (".env.local.example documents 7 keys (0 optional) for .env.local; "
                              ".env.example documents 3 keys (0 optional) for .env")
    assert env008.status.value == "fail"
    assert ".env.example assigns SUPABASE_AUTH_EXTERNAL_GITHUB_SECRET 2 times (lines 3, 4)" in env008.message


def test_a_pinned_example_is_the_only_one_read(tmp_path: Path) -> None:
    project = project_with(tmp_path, **{".env.local": LOCAL})
    _code, report = run_json(project, "--only", "ENV003", "--example", ".env.local.example")
    env003 = next(c for c in report["checks"] if c["id"] == "ENV003")
    assert env003["status"] == "pass", env003["message"]
    assert report["project_model"]["example_files"] == [".env.local.example"]


def test_a_lone_example_describes_env_local_as_before(tmp_path: Path) -> None:
    project = project_with(tmp_path, **{".env.local": LOCAL})
    (project / ".env.example").unlink()
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "pass"
    (project / ".env.local.example").rename(project / ".env.example")
    (project / ".env.local").unlink()
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.hint == "Fill them in .env.local (see .env.example)."


def test_detect_names_both_and_write_config_pins_neither(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    model = detect(project)
    assert model["example_file"] == ".env.local.example"
    assert model["example_files"] == [".env.local.example", ".env.example"]
    done = run_cli("detect", "--project", str(project), "--write-config")
    assert done.returncode == 0, done.stderr
    written = (project / "deploy-check.toml").read_text()
    assert "\nexample_file =" not in written
    assert "# example_file: not pinned, .env.local.example and .env.example are both read" in written
    env003 = result(check_in_process(project, "ENV003"), "ENV003")  # the written config still reads both
    assert GITHUB_KEYS[0] in env003.details["missing"]


def test_the_report_carries_the_digest_of_both_examples(tmp_path: Path) -> None:
    project = project_with(tmp_path, **{".env.local": LOCAL})
    _code, report = run_json(project, "--only", "env")
    for name in (".env.local.example", ".env.example"):
        assert report["inputs"][name] == hashlib.sha256((project / name).read_bytes()).hexdigest()
    assert "canary" not in json.dumps(report)
