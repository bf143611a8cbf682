"""ENV001–ENV008 as DESIGN.md defines them, on real files (and real git for ENV006)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from checks.support.placeholders import is_placeholder

from helpers import REPO, check_in_process, result, run_cli, write_project

EXAMPLE = "DATABASE_URL=\nAPI_SECRET=\n# Optional\nFEATURE_FLAG=\n"


def statuses(project: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    report = check_in_process(project, "env", environ)
    return {r.id: r.status.value for r in report.checks}


def test_env001_fails_without_env_local_or_process_values(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": EXAMPLE})
    report = check_in_process(project, "ENV001")
    env001 = result(report, "ENV001")
    assert env001.status.value == "fail"
    assert env001.details["missing"] == ["DATABASE_URL", "API_SECRET"]
    assert env001.fix == "deploy-check provision env"


def test_env001_without_an_example_suggests_no_provision_env(tmp_path: Path) -> None:
    # `provision env` needs an example to start from: pasted here, it would exit 1.
    project = write_project(tmp_path, {"package.json": '{"dependencies": {"next": "15"}}\n'})
    (project / "drizzle.config.ts").write_text(
        "export default { dialect: 'postgresql', dbCredentials: { url: process.env.DATABASE_URL! } }\n")
    env001 = result(check_in_process(project, "ENV001"), "ENV001")
    assert env001.status.value == "fail"
    assert not env001.fix and not env001.shown_fix
    assert "no env example to create one from; the app needs DATABASE_URL" in env001.message
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 1  # what the fix used to promise


def test_env001_without_example_or_known_variable_is_unverified_not_failed(tmp_path: Path) -> None:
    """Shaped after @sentry/wizard's output: the DSN in sentry.*.config.ts, org and project in
    next.config's withSentryConfig, no env file and no example. Nothing proves a missing
    variable: ENV001 is unverified (ENV002 still warns), never a failure."""
    project = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "sentry-wizard", project)
    checks = check_in_process(project, "ENV001,ENV002")
    assert result(checks, "ENV001").status.value == "skip", result(checks, "ENV001").message
    assert "no env example to say which variables the app reads" in result(checks, "ENV001").message
    assert result(checks, "ENV002").status.value == "warn"


def test_env001_passes_when_process_environment_supplies_required_keys(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": EXAMPLE})
    environ = {"DATABASE_URL": "postgres://a@b/c", "API_SECRET": "s" * 40}
    assert statuses(project, environ)["ENV001"] == "pass"


def test_env002_warns_without_example(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local": "A=1\n"})
    found = statuses(project)
    assert found["ENV002"] == "warn"
    assert found["ENV003"] == "skip"
    assert found["ENV005"] == "skip"


@pytest.mark.parametrize(
    ("local", "environ", "missing", "empty", "status"),
    [
        ("DATABASE_URL=postgres://a@b/c\nAPI_SECRET=x\n", {}, [], [], "pass"),
        ("DATABASE_URL=postgres://a@b/c\n", {}, ["API_SECRET"], [], "fail"),
        ("DATABASE_URL=postgres://a@b/c\nAPI_SECRET=\n", {}, [], ["API_SECRET"], "fail"),
        ("DATABASE_URL=postgres://a@b/c\nAPI_SECRET=  \n", {}, [], ["API_SECRET"], "fail"),
        # the process environment wins over .env.local, as in Next.js
        ("DATABASE_URL=postgres://a@b/c\nAPI_SECRET=\n", {"API_SECRET": "x"}, [], [], "pass"),
        ("DATABASE_URL=postgres://a@b/c\nAPI_SECRET=x\n", {"API_SECRET": ""}, [], ["API_SECRET"], "fail"),
        # an optional key may stay empty
        ("DATABASE_URL=postgres://a@b/c\nAPI_SECRET=x\nFEATURE_FLAG=\n", {}, [], [], "pass"),
    ],
)
def test_env003_required_keys(tmp_path: Path, local: str, environ: dict[str, str],
                              missing: list[str], empty: list[str], status: str) -> None:
    project = write_project(tmp_path, {".env.local.example": EXAMPLE, ".env.local": local})
    env003 = result(check_in_process(project, "ENV003", environ), "ENV003")
    assert env003.status.value == status
    assert env003.details["missing"] == missing + empty  # every gap, as DESIGN.md's example
    assert env003.details["absent"] == missing
    assert env003.details["empty"] == empty
    for key in missing + empty:
        assert key in env003.message


def test_env003_does_not_require_sentry_keys_when_decisions_log_defers_monitoring(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        ".env.local.example": "DATABASE_URL=\nSENTRY_AUTH_TOKEN=\nNEXT_PUBLIC_SENTRY_DSN=\n",
        ".env.local": "DATABASE_URL=postgres://a@b/c\nSENTRY_AUTH_TOKEN=\n",
        "project-state.md": "# State\n\n## Decisions Log\n\n- 2026-11-02: Sentry is deferred to post-launch\n",
    })
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "pass"
    assert env003.details["waived"] == ["NEXT_PUBLIC_SENTRY_DSN", "SENTRY_AUTH_TOKEN"]


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("your-api-key", True),
        ("YOUR_SECRET_HERE", True),
        ("<password>", True),
        ("postgres://<user>:<password>@db/app", True),
        ("changeme", True),
        ("change-me", True),
        ("sk_live_xxxxxxxx", True),
        ("postgres://user:password@host:5432/db", True),
        ("postgresql://postgres:[YOUR-PASSWORD]@db.abc.supabase.co:5432/postgres", True),
        ("sk_test_...", True),
        ("TODO", True),
        ("REPLACE_WITH_RANDOM_SECRET", True),
        ("REPLACE_WITH_TOKEN", True),
        ("CHANGE_ME_PLEASE", True),
        ("Acme <hello@acme.com>", False),
        ("hello@acme.com", False),
        ("postgres://app:9f8a7b@ep-cool-1.neon.tech/neondb?sslmode=require", False),
        ("postgres://u:p@hostname.internal/app", False),
        ("https://sentry.io", False),
        ("sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_abcdef", False),
        ("", False),
    ],
)
def test_placeholder_detection(value: str, placeholder: bool) -> None:
    assert is_placeholder(value) is placeholder


def test_env004_names_placeholder_keys_without_values(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        ".env.local.example": EXAMPLE,
        ".env.local": "DATABASE_URL=postgres://user:password@host:5432/db\nAPI_SECRET=changeme-sekrit-value\n",
    })
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "fail"
    assert env004.details["keys"] == ["DATABASE_URL", "API_SECRET"]
    assert "changeme-sekrit-value" not in env004.message


def test_env004_a_public_url_copied_from_the_example_is_no_published_secret(tmp_path: Path) -> None:
    """Better Auth's docs (better-auth.com/docs/installation) show BETTER_AUTH_URL=
    http://localhost:3000 in the example and in .env: a plain URL under a name with AUTH in
    it is not a secret, so the same value in both files is not a published one. A secret
    copied from the example still is."""
    example = "BETTER_AUTH_URL=http://localhost:3000\nBETTER_AUTH_SECRET=my-superstrong-secret\n"
    project = write_project(tmp_path, {".env.example": example, ".env.local": example})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "fail"
    assert env004.details["keys"] == ["BETTER_AUTH_SECRET"], env004.message


def test_env005_warns_on_undocumented_keys(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        ".env.local.example": EXAMPLE,
        ".env.local": "DATABASE_URL=x\nAPI_SECRET=y\nLEFTOVER=1\n",
    })
    env005 = result(check_in_process(project, "ENV005"), "ENV005")
    assert env005.status.value == "warn"
    assert env005.details["keys"] == ["LEFTOVER"]


def test_env005_a_key_the_example_comments_out_is_documented_not_required(tmp_path: Path) -> None:
    # elie222/inbox-zero apps/web/.env.example documents optional settings commented out:
    # `# DEFAULT_LLMS=...` and `#GOOGLE_BASE_URL=...`.
    project = write_project(tmp_path, {
        ".env.local.example": EXAMPLE + "# DEFAULT_LLMS=openrouter:model\n#GOOGLE_BASE_URL=http://localhost:4002\n"
                              "# Set this to enable debug logs: nothing assigned here\n",
        ".env.local": "DATABASE_URL=x\nAPI_SECRET=y\nDEFAULT_LLMS=openai:gpt\nGOOGLE_BASE_URL=http://localhost:4002\n"
                      "LEFTOVER=1\n",
    })
    env005 = result(check_in_process(project, "ENV005"), "ENV005")
    assert env005.status.value == "warn" and env005.details["keys"] == ["LEFTOVER"], env005.message
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert "DEFAULT_LLMS" not in env003.message and "GOOGLE_BASE_URL" not in env003.message


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin:/usr/local/bin"})


@pytest.mark.parametrize(
    ("gitignore", "track", "status"),
    [
        (".env*.local\n", False, "pass"),
        ("", False, "fail"),
        (".env*.local\n", True, "fail"),
    ],
    ids=["ignored", "not-ignored", "tracked"],
)
def test_env006_asks_git_itself(tmp_path: Path, gitignore: str, track: bool, status: str) -> None:
    project = write_project(tmp_path, {".env.local": "A=1\n", ".gitignore": gitignore,
                                       ".env.local.example": "A=\n"})
    _git(project, "init", "-q")
    if track:
        _git(project, "add", "-f", ".env.local")
    env006 = result(check_in_process(project, "ENV006"), "ENV006")
    assert env006.status.value == status
    if track:
        assert "tracked" in env006.message
        assert env006.fix.startswith("git rm --cached --ignore-unmatch -- .env.local; ")
    if status == "fail":  # untracked and not ignored, the next `git add -A` would track it (again)
        assert "git check-ignore -q --no-index -- .env.local ||" in env006.fix


def test_env006_skips_outside_git(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {".env.local": "A=1\n"})
    assert statuses(project)["ENV006"] == "skip"


@pytest.mark.parametrize(
    ("key", "exposed"),
    [
        ("NEXT_PUBLIC_STRIPE_SECRET_KEY", True),
        ("NEXT_PUBLIC_AB_TEST_SALT", True),
        ("NEXT_PUBLIC_GITHUB_TOKEN", True),
        ("NEXT_PUBLIC_DB_PASSWORD", True),
        ("NEXT_PUBLIC_PRIVATE_KEY", True),
        ("NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY", True),
        ("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", False),
        ("NEXT_PUBLIC_SUPABASE_ANON_KEY", False),
        ("NEXT_PUBLIC_SENTRY_DSN", False),
        # Mixpanel's project token is made for the browser (boxyhq/saas-starter-kit .env.example)
        ("NEXT_PUBLIC_MIXPANEL_TOKEN", False),
        ("STRIPE_SECRET_KEY", False),
    ],
)
def test_env007_public_names_that_look_secret(tmp_path: Path, key: str, exposed: bool) -> None:
    project = write_project(tmp_path, {".env.local.example": f"{key}=\n", ".env.local": f"{key}=v\n"})
    env007 = result(check_in_process(project, "ENV007"), "ENV007")
    assert env007.status.value == ("fail" if exposed else "pass")
    assert (key in env007.message) is exposed


def test_env008_reports_malformed_lines_and_duplicates_in_both_files(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        ".env.local.example": "A=\nA=\n",
        ".env.local": "A=1\nnot a line\nB=2\nB=3\n",
    })
    env008 = result(check_in_process(project, "ENV008"), "ENV008")
    assert env008.status.value == "fail"
    assert ".env.local has malformed line 2" in env008.message
    assert "assigns B 2 times (lines 3, 4)" in env008.message
    assert env008.details["files"][".env.local.example"]["duplicates"] == {"A": [1, 2]}


def test_clean_project_passes_every_env_check(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        ".env.local.example": EXAMPLE,
        ".env.local": "DATABASE_URL=postgres://app:k3y@db.internal/app\nAPI_SECRET=Zm9vYmFyYmF6cXV4\n",
        ".gitignore": ".env*.local\n",
    })
    _git(project, "init", "-q")
    found = statuses(project)
    assert found == {f"ENV00{n}": "pass" for n in range(1, 9)}


def test_an_unquoted_pem_never_lists_its_lines_as_keys(tmp_path: Path) -> None:
    body = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw", "MzEfYyjiWA4R4M2bS1GB4t7NXsecret=="]
    project = write_project(tmp_path, {
        ".env.local.example": "PRIVATE_KEY=\n",
        ".env.local": "PRIVATE_KEY=-----BEGIN PRIVATE KEY-----\n" + "\n".join(body)
                      + "\n-----END PRIVATE KEY-----\n",
    })
    for fmt in ("console", "json", "github", "junit", "markdown"):
        done = run_cli("check", "--project", str(project), "--only", "env", "-f", fmt)
        for line in body:
            assert line[:20] not in done.stdout + done.stderr, fmt
    report = json.loads(run_cli("check", "--project", str(project), "--only", "ENV008", "-f", "json").stdout)
    assert "malformed lines 2, 3, 4" in report["checks"][0]["message"]


def test_control_characters_in_a_key_name_never_reach_the_report(tmp_path: Path) -> None:
    # Such a "key" breaks the key grammar: a malformed line, reported by its number only.
    project = write_project(tmp_path, {".env.local.example": "A=\n",
                                       ".env.local": "A=1\nSNEAKY\x1b[2J\x07KEY=1\n"})
    for fmt in ("console", "github", "markdown", "junit"):
        done = run_cli("check", "--project", str(project), "--only", "ENV005,ENV008", "-f", fmt)
        assert "SNEAKY" not in done.stdout and "malformed line 2" in done.stdout, fmt
        assert "\x1b" not in done.stdout and "\x07" not in done.stdout, fmt


def test_c1_controls_and_bidi_overrides_never_reach_any_report(tmp_path: Path) -> None:
    line = "Error: boot\u009b2J failed \u202egnp.exe\u202c"
    project = write_project(tmp_path, {"deploy-check.toml": f'[dev_server]\ncommand = "printf \'{line}\\\\n\'; exit 4"\n'})
    for fmt in ("console", "github", "markdown", "junit", "json"):
        done = run_cli("check", "--project", str(project), "--only", "DEV001", "-f", fmt)
        said = json.dumps(json.loads(done.stdout), ensure_ascii=False) if fmt == "json" else done.stdout
        assert "Error: boot" in said, (fmt, done.stdout, done.stderr)
        for bad in ("\u009b", "\u202e", "\u202c"):
            assert bad not in said, (fmt, bad)


def test_a_skip_chain_names_its_root_cause_once(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local.example": "DATABASE_URL=\n", ".env.local": "DATABASE_URL=\n"})
    report = check_in_process(project, "database,schema")
    db004 = result(report, "DB004")
    assert db004.status.value == "skip"
    assert db004.message.startswith("not run: DB001 failed (DATABASE_URL is not set")
    assert db004.message.count("not run") == 1


def test_counts_are_pluralised_in_one_place() -> None:
    from checks.core.model import plural

    assert [plural(1, "table"), plural(2, "table"), plural(0, "key"), plural(2, "entry", "entries")] == [
        "1 table", "2 tables", "0 keys", "2 entries"]


@pytest.mark.parametrize(("line", "exposed"), [
    ("NEXT_PUBLIC_DATABASE_URL=postgresql://u:pw-canary-1@db.example.com/app", True),
    ("NEXT_PUBLIC_OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", True),
    ("NEXT_PUBLIC_STRIPE_SK=sk_live_51HqLyjWDarjtT1zdp7dcXyZ0aBcDeF", True),
    ("NEXT_PUBLIC_JWT_SIGNING=some-signing-value", True),
    ("NEXT_PUBLIC_MIXPANEL_TOKEN=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", True),  # a secret's shape still fails
    # public by design
    ("NEXT_PUBLIC_SUPABASE_ANON_KEY=eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ", False),
    ("NEXT_PUBLIC_FIREBASE_API_KEY=AIzaSyDOCAbC123dEf456GhI789jKl012-MnO", False),
    ("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_live_51HqLyjWDarjtT1zdp7dcXyZ0aBcDeF", False),
    ("NEXT_PUBLIC_SENTRY_DSN=https://a785682ddda742d7a8a4088810e67791@o1.ingest.sentry.io/4505281256090153", False),
])
def test_env007_judges_public_values_by_shape_too(tmp_path: Path, line: str, exposed: bool) -> None:
    key = line.split("=", 1)[0]
    project = write_project(tmp_path, {".env.local.example": f"{key}=\n", ".env.local": line + "\n"})
    env007 = result(check_in_process(project, "ENV007"), "ENV007")
    assert (env007.status.value == "fail") is exposed, env007.message


def test_a_long_list_in_a_message_names_the_first_few_and_counts_the_rest(tmp_path: Path) -> None:
    keys = [f"KEY_{n:05d}" for n in range(5000)]
    project = write_project(tmp_path, {".env.local.example": "".join(f"{k}=\n" for k in keys), ".env.local": "A=1\n"})
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "fail"
    assert env003.message.endswith("KEY_00009 … and 4,990 more")
    assert len(env003.details["missing"]) == 5000  # details keep every name


# The local Supabase stack's anon key as `supabase start` prints it ("iss": "supabase-demo",
# "role": "anon"), copied verbatim into many apps' .env.local.example (realapps-B A1).
SUPABASE_DEMO_ANON_KEY = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAi"
                          "OjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0")


@pytest.mark.parametrize(("line", "why"), [
    # papermark .env.example:52-53, "Defaults to us-east-1": NEXT_PRIVATE_ is its server-only prefix.
    ('NEXT_PRIVATE_UPLOAD_REGION="us-east-1"', "a region under a name that says PRIVATE"),
    # formbricks .env.example:171-172: JWT claim values, not secrets.
    ("CUBEJS_JWT_ISSUER=formbricks-web", "an issuer name under a name that says JWT"),
    ("CUBEJS_JWT_AUDIENCE=formbricks-cube", "an audience name"),
    ("CUBEJS_JWT_ISSUER=https://auth.example.com/", "an issuer URL"),
    # formbricks .env.example:436: a public id of random shape.
    ("FORMBRICKS_WORKSPACE_ID=x6dnhn4fdu32iy5obuzdnkj2", "an id"),
    # realapps-B A1: the README says copy .env.local.example as is; a NEXT_PUBLIC_ key is public.
    (f"NEXT_PUBLIC_SUPABASE_ANON_KEY={SUPABASE_DEMO_ANON_KEY}", "the local Supabase demo anon key"),
    ("NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321", "a public URL"),
    # formbricks, rallly, inbox-zero: the database their docker compose runs on this machine.
    ("DATABASE_URL=postgresql://postgres:postgres@localhost:5432/formbricks", "a loopback database"),
    ("DATABASE_URL=mysql://root:root@127.0.0.1:3306/taxonomy", "a loopback MySQL (shadcn-ui/taxonomy)"),
    ("REDIS_URL=redis://:devpassword@[::1]:6379", "a loopback Redis"),
])
def test_env004_a_non_secret_copied_from_the_example_is_no_published_secret(
        tmp_path: Path, line: str, why: str) -> None:
    project = write_project(tmp_path, {".env.example": line + "\n", ".env.local": line + "\n"})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "pass", (why, env004.message)


def test_env004_a_loopback_url_whose_password_the_apps_own_script_refuses_still_fails(tmp_path: Path) -> None:
    # create-t3-app (ARoyyanF/streak-trackr): start-database.sh stops on the example's
    # password, `if [ "$DB_PASSWORD" = "password" ]; then … change the default password`.
    line = "DATABASE_URL=postgresql://postgres:password@localhost:5432/streak-trackr"
    script = ('DB_PASSWORD=$(echo "$DATABASE_URL" | awk -F\':\' \'{print $3}\' | awk -F\'@\' \'{print $1}\')\n'
              'if [ "$DB_PASSWORD" = "password" ]; then\n  echo "You are using the default database password"\nfi\n')
    project = write_project(tmp_path, {".env.example": line + "\n", ".env": line + "\n", "start-database.sh": script})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "fail" and env004.details["copied_from_example"] == ["DATABASE_URL"]
    (project / ".env").write_text(line.replace(":password@", ":a-new-local-pw@") + "\n")
    assert result(check_in_process(project, "ENV004"), "ENV004").status.value == "pass"


@pytest.mark.parametrize("line", [
    "NEXTAUTH_SECRET=my-superstrong-secret",
    "NEXT_PRIVATE_DOCUMENT_PASSWORD_KEY=my-document-password-key-123",  # papermark, a real secret
    "HUB_API_KEY=dev-api-key",
    "LINGO_API_KEY=lk_0123456789abcdef0123",
    "SMTP_PASSWORD=smtpPassword",
    "ENCRYPTION_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "DATABASE_URL=postgresql://postgres:postgres@db.example.com:5432/formbricks",  # reachable from anywhere
    "DATABASE_URL=postgresql://app:app-pass@localhost:5432,db.example.com:5432/app",  # and one host is remote
    # libpq's query parameters name the server instead of the URL's host (libpq 32.1.1.2).
    "DATABASE_URL=postgresql://app:app-pass@localhost:5432/app?host=db.example.com",
    "DATABASE_URL=postgresql://app:app-pass@localhost:5432/app?sslmode=require&hostaddr=203.0.113.7",
    "DATABASE_URL=postgresql://app:app-pass@localhost/app?service=production",
    "DATABASE_URL=postgresql://app:app-pass@localhost.db.example.com:5432/app",
    # A URL to this machine that carries a provider's token: the token works from anywhere.
    "AUTH_WEBHOOK_URL=http://localhost:3000/api/hook?secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "SUPABASE_SERVICE_ROLE=" + SUPABASE_DEMO_ANON_KEY.replace(  # a service_role JWT under any name
        "eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24i", "eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSI"),
    "STRIPE_SK=sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    # The review's: a secret that has a region's word-word-N shape, and PASS inside a word.
    "SESSION_SECRET=super-secret1",
    "JWT_SECRET=my-secret-42",
    "ENCRYPTION_PASSPHRASE=correct-horse-battery",
])
def test_env004_a_secret_copied_from_the_example_still_fails(tmp_path: Path, line: str) -> None:
    project = write_project(tmp_path, {".env.example": line + "\n", ".env.local": line + "\n"})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "fail", env004.message
    assert env004.details["copied_from_example"] == [line.split("=", 1)[0]]


def test_env004_the_start_database_script_under_scripts_refuses_the_password_too(tmp_path: Path) -> None:
    # create-t3-app forks keep it as scripts/start-database.sh ("Run this script -
    # `./scripts/start-database.sh`"), reading "$REPO_ROOT/.env".
    line = "DATABASE_URL=postgresql://postgres:password@localhost:5432/persona"
    script = 'if [ "$DB_PASSWORD" = "password" ]; then\n  echo "You are using the default database password"\nfi\n'
    project = write_project(tmp_path, {".env.example": line + "\n", ".env": line + "\n",
                                       "scripts/start-database.sh": script})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "fail" and env004.details["copied_from_example"] == ["DATABASE_URL"]


def test_env004_a_start_database_script_linked_from_outside_the_project_is_not_read(tmp_path: Path) -> None:
    line = "DATABASE_URL=postgresql://postgres:password@localhost:5432/app"
    outside = tmp_path / "elsewhere.sh"
    outside.write_text('if [ "$DB_PASSWORD" = "password" ]; then exit 1; fi\n')
    project = write_project(tmp_path / "app", {".env.example": line + "\n", ".env": line + "\n"})
    (project / "start-database.sh").symlink_to(outside)
    assert result(check_in_process(project, "ENV004"), "ENV004").status.value == "pass"


def test_env003_counts_the_token_the_sentry_wizard_wrote_to_its_own_file(tmp_path: Path) -> None:
    """The wizard's SENTRY_AUTH_TOKEN lives in .env.sentry-build-plugin, which the build plugin
    loads into its own process.env (bundler-plugin-core: Object.assign(process.env, dotenv.parse(…)));
    an example that also lists it (a wizard-configured app's `.env.example` with SENTRY_AUTH_TOKEN=)
    is satisfied by it. A runtime key (the DSN) is not: the plugin file is no Next.js env file."""
    project = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "sentry-wizard-literal-dsn", project)
    write_project(project, {
        ".env.example": "POSTGRES_URL=\nSENTRY_AUTH_TOKEN=\nNEXT_PUBLIC_APP_URL=\n",
        ".env.local": "POSTGRES_URL=postgres://app@127.0.0.1:5432/app\nSENTRY_AUTH_TOKEN=\nNEXT_PUBLIC_APP_URL=\n",
        ".env.sentry-build-plugin": "# DO NOT commit this file to your repository!\n"
                                    "SENTRY_AUTH_TOKEN=sntryu_WizardFileCanary0123456789abcdef\n"
                                    "NEXT_PUBLIC_APP_URL=http://localhost:3000\n",
    })
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "fail"
    assert env003.details["missing"] == ["NEXT_PUBLIC_APP_URL"]
    assert env003.details["filled_by"] == {"SENTRY_AUTH_TOKEN": ".env.sentry-build-plugin"}
    (project / ".env.local").write_text("POSTGRES_URL=postgres://app@127.0.0.1:5432/app\nSENTRY_AUTH_TOKEN=\n"
                                        "NEXT_PUBLIC_APP_URL=http://localhost:3000\n")
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "pass", env003.message
    assert "SENTRY_AUTH_TOKEN from .env.sentry-build-plugin, which the Sentry build plugin loads itself" in env003.message
    assert "WizardFileCanary" not in env003.message + json.dumps(env003.details)
