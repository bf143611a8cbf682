"""AUTH001 for Better Auth: the secret the app really hands betterAuth({ secret }) — its own
fallback (formbricks apps/web: `secret: env.BETTER_AUTH_SECRET ?? env.NEXTAUTH_SECRET`) or one
of the names better-auth itself reads — satisfies the clause, named by the variable that
supplied it (realapps-A formbricks 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import run_cli, write_project

SECRET = "Qm9vdHN0cmFwU2VjcmV0Rm9yVGVzdHMxMjM0NTY3ODkw"  # 44 characters, base64 of random-looking text
PACKAGE = json.dumps({"name": "web", "dependencies": {"better-auth": "1.7.0", "next": "15.3.1"}})


def auth001(project: Path) -> tuple[dict[str, Any], str]:
    done = run_cli("check", "--project", str(project), "--only", "AUTH001", "-f", "json")
    assert done.stdout.startswith("{"), done.stderr
    return json.loads(done.stdout)["checks"][0], done.stdout + done.stderr


def better_auth_app(root: Path, secret_option: str | None, env: str) -> Path:
    option = f"  secret: {secret_option},\n" if secret_option else ""
    return write_project(root, {
        "package.json": PACKAGE,
        "modules/auth/lib/auth.ts": (
            'import { betterAuth } from "better-auth";\nimport { env } from "@/lib/env";\n\n'
            f"export const auth = betterAuth({{\n  appName: \"web\",\n{option}"
            "  emailAndPassword: { enabled: true },\n});\n"),
        ".env.local": env,
    })


@pytest.mark.parametrize("secret_option", [
    "env.BETTER_AUTH_SECRET ?? env.NEXTAUTH_SECRET",  # formbricks modules/auth/lib/auth.ts:85
    "process.env.BETTER_AUTH_SECRET || process.env.NEXTAUTH_SECRET",
])
def test_the_apps_own_fallback_supplies_the_secret(tmp_path: Path, secret_option: str) -> None:
    project = better_auth_app(tmp_path, secret_option, f"BETTER_AUTH_SECRET=\nNEXTAUTH_SECRET={SECRET}\n")
    check, printed = auth001(project)
    assert check["status"] == "pass", check["message"]
    assert "NEXTAUTH_SECRET" in check["message"]
    assert SECRET not in printed


def test_a_secret_read_through_a_local_constant_is_followed(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "package.json": PACKAGE,
        "lib/auth.ts": ('import { betterAuth } from "better-auth";\n'
                        "const authSecret = process.env.APP_AUTH_SECRET;\n"
                        "export const auth = betterAuth({ secret: authSecret });\n"),
        ".env.local": f"APP_AUTH_SECRET={SECRET}\n",
    })
    check, _ = auth001(project)
    assert check["status"] == "pass", check["message"]
    assert "APP_AUTH_SECRET" in check["message"]


def test_the_name_better_auth_itself_reads_supplies_the_secret(tmp_path: Path) -> None:
    # better-auth falls back to env.BETTER_AUTH_SECRET, then env.AUTH_SECRET (create-context.ts).
    project = better_auth_app(tmp_path, None, f"AUTH_SECRET={SECRET}\n")
    check, _ = auth001(project)
    assert check["status"] == "pass", check["message"]
    assert "AUTH_SECRET" in check["message"]


def test_no_secret_under_any_name_still_fails_naming_every_name(tmp_path: Path) -> None:
    project = better_auth_app(tmp_path, "env.BETTER_AUTH_SECRET ?? env.NEXTAUTH_SECRET",
                              "BETTER_AUTH_SECRET=\nNEXTAUTH_SECRET=\n")
    check, _ = auth001(project)
    assert check["status"] == "fail", check["message"]
    assert "BETTER_AUTH_SECRET" in check["message"] and "NEXTAUTH_SECRET" in check["message"]
    assert "AUTH_SECRET" in check["message"]


@pytest.mark.parametrize(("secret_option", "env", "said"), [
    ("env.BETTER_AUTH_SECRET ?? env.NEXTAUTH_SECRET", "NEXTAUTH_SECRET=short-secret-value\n",
     "NEXTAUTH_SECRET has 18 characters"),
    ("env.BETTER_AUTH_SECRET || env.NEXTAUTH_SECRET", "NEXTAUTH_SECRET=your-secret-here-of-a-sufficient-length-xx\n",
     "NEXTAUTH_SECRET is a placeholder"),
])
def test_a_short_or_placeholder_fallback_secret_fails_naming_it(tmp_path: Path, secret_option: str, env: str,
                                                                 said: str) -> None:
    check, _ = auth001(better_auth_app(tmp_path, secret_option, env))
    assert check["status"] == "fail", check["message"]
    assert said in check["message"]


def test_an_empty_process_env_value_before_nullish_ends_the_apps_chain(tmp_path: Path) -> None:
    # `process.env.BETTER_AUTH_SECRET ?? …` with BETTER_AUTH_SECRET= hands better-auth "" (not
    # nullish): NEXTAUTH_SECRET is never read, and better-auth's own names are empty too.
    project = better_auth_app(tmp_path, "process.env.BETTER_AUTH_SECRET ?? process.env.NEXTAUTH_SECRET",
                              f"BETTER_AUTH_SECRET=\nNEXTAUTH_SECRET={SECRET}\n")
    check, _ = auth001(project)
    assert check["status"] == "fail", check["message"]
    assert "BETTER_AUTH_SECRET or AUTH_SECRET is empty" in check["message"]


def test_a_secret_option_deploy_check_cannot_follow_is_unverified(tmp_path: Path) -> None:
    # The option wins over better-auth's own names, so BETTER_AUTH_SECRET proves nothing here.
    project = better_auth_app(tmp_path, "await loadSecretFromVault()", f"BETTER_AUTH_SECRET={SECRET}\n")
    check, _ = auth001(project)
    assert check["status"] == "skip", check["message"]
    assert check["details"]["unverified"].startswith("auth: the betterAuth `secret:` option in modules/auth/lib/auth.ts")


def test_the_pass_message_names_the_variable_and_why(tmp_path: Path) -> None:
    project = better_auth_app(tmp_path, "env.BETTER_AUTH_SECRET ?? env.NEXTAUTH_SECRET", f"NEXTAUTH_SECRET={SECRET}\n")
    check, _ = auth001(project)
    assert ("the secret comes from NEXTAUTH_SECRET, read by the app's `secret:` in modules/auth/lib/auth.ts;"
            in check["message"]), check["message"]
    assert check["details"]["secret_from"] == "NEXTAUTH_SECRET"


def test_a_literal_fallback_is_what_better_auth_gets_when_the_reads_are_empty(tmp_path: Path) -> None:
    # `process.env.APP_SECRET || "dev-only-secret"`: better-auth receives the committed literal
    # (options.secret is truthy), so BETTER_AUTH_SECRET proves nothing (review-auth item 2a).
    project = better_auth_app(tmp_path, 'process.env.APP_SECRET || "dev-only-secret"',
                              f"APP_SECRET=\nBETTER_AUTH_SECRET={SECRET}\n")
    check, printed = auth001(project)
    assert check["status"] == "fail", check["message"]
    assert "modules/auth/lib/auth.ts falls back to a string literal" in check["message"]
    assert "of 15 characters" in check["message"] and "dev-only-secret" not in printed


def test_a_long_literal_fallback_is_unverified_and_a_set_read_still_wins(tmp_path: Path) -> None:
    option = 'process.env.APP_SECRET ?? "a-long-committed-literal-of-more-than-32-chars"'
    check, printed = auth001(better_auth_app(tmp_path / "a", option, f"BETTER_AUTH_SECRET={SECRET}\n"))
    assert check["status"] == "skip", check["message"]
    assert "modules/auth/lib/auth.ts falls back to a string literal" in check["details"]["unverified"]
    assert "a-long-committed" not in printed
    check, _ = auth001(better_auth_app(tmp_path / "b", option, f"APP_SECRET={SECRET}\n"))
    assert check["status"] == "pass", check["message"]
    assert check["details"]["secret_from"] == "APP_SECRET"


def test_the_shorthand_secret_option_is_followed_to_its_const(tmp_path: Path) -> None:
    # `betterAuth({ secret, … })` with `const secret = process.env.APP_SECRET` (review-auth item 2b).
    project = write_project(tmp_path, {
        "package.json": PACKAGE,
        "lib/auth.ts": ('import { betterAuth } from "better-auth";\n'
                        "const secret = process.env.APP_SECRET;\n"
                        "export const auth = betterAuth({\n  secret,\n  emailAndPassword: { enabled: true },\n});\n"),
        ".env.local": f"APP_SECRET=short\nBETTER_AUTH_SECRET={SECRET}\n",
    })
    check, _ = auth001(project)
    assert check["status"] == "fail", check["message"]
    assert "APP_SECRET has 5 characters" in check["message"]


def test_a_ternary_secret_is_unverified_not_judged_by_its_condition(tmp_path: Path) -> None:
    # NODE_ENV is the condition, not the secret (review-auth item 9).
    project = better_auth_app(tmp_path, 'process.env.NODE_ENV === "production" ? process.env.APP_SECRET : "dev"',
                              f"NODE_ENV=production\nAPP_SECRET={SECRET}\n")
    check, _ = auth001(project)
    assert check["status"] == "skip", check["message"]
    assert check["details"]["unverified"].startswith("auth: the betterAuth `secret:` option in modules/auth/lib/auth.ts")
    assert "NODE_ENV" not in check["details"]["unverified"]


def test_a_chain_split_over_lines_reads_every_variable(tmp_path: Path) -> None:
    project = better_auth_app(tmp_path, "\n    process.env.APP_SECRET ||\n    process.env.OTHER_SECRET",
                              f"APP_SECRET=\nOTHER_SECRET={SECRET}\n")
    check, _ = auth001(project)
    assert check["status"] == "pass", check["message"]
    assert check["details"]["secret_from"] == "OTHER_SECRET"
