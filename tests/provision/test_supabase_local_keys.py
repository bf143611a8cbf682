"""`provision env` fills a Supabase app's anon and service_role keys with those of the local
stack (`supabase start`) if and only if the app's Supabase URL is that stack's API; else it
leaves them empty. The keys are verified here independently: HS256 over the Supabase CLI's
default JWT secret (github.com/supabase/cli apps/cli-go/pkg/config/apikeys.go), and equal to
what `supabase status` prints (apps/cli-go/docs/templates/examples.yaml)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from checks.support.envfile import read_env_file

from helpers import REPO, run_cli

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "supabase-two-examples"
# apps/cli-go/pkg/config/apikeys.go defaultJwtSecret
CLI_DEFAULT_JWT_SECRET = b"super-secret-jwt-token-with-at-least-32-characters-long"
# `supabase status` for a default local stack (apps/cli-go/docs/templates/examples.yaml)
STATUS_SERVICE_ROLE_KEY = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNl"
                           "cnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU")
KEYS = ("NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified_claims(token: str, secret: bytes = CLI_DEFAULT_JWT_SECRET) -> dict[str, Any]:
    header, claims, signature = token.split(".")
    assert json.loads(_unb64(header)) == {"alg": "HS256", "typ": "JWT"}
    expected = hmac.new(secret, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(_unb64(signature), expected), "not signed with the CLI's default secret"
    decoded: dict[str, Any] = json.loads(_unb64(claims))
    return decoded


def app(tmp_path: Path, example: str | None = None, config: str | None = None) -> Path:
    project = tmp_path / "app"
    shutil.copytree(FIXTURE, project)
    if example is not None:
        (project / ".env.local.example").write_text(example)
    if config is not None:
        (project / "supabase" / "config.toml").write_text(config)
    return project


def provision(project: Path) -> tuple[str, dict[str, str]]:
    done = run_cli("provision", "env", "--project", str(project))
    assert done.returncode == 0, done.stderr
    return done.stdout, read_env_file(project / ".env.local").values


def test_local_url_gets_the_local_stacks_keys_signed_with_the_cli_default_secret(tmp_path: Path) -> None:
    out, values = provision(app(tmp_path))
    anon, service = (verified_claims(values[key]) for key in KEYS)
    assert anon == {"iss": "supabase-demo", "role": "anon", "exp": 1983812996}
    assert service == {"iss": "supabase-demo", "role": "service_role", "exp": 1983812996}
    assert values["SUPABASE_SERVICE_ROLE_KEY"] == STATUS_SERVICE_ROLE_KEY
    assert ("filled NEXT_PUBLIC_SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY with the local Supabase stack's keys "
            "(what `supabase start` prints for http://127.0.0.1:54321)") in out
    assert values["SUPABASE_SERVICE_ROLE_KEY"] not in out
    assert "left empty, fill them by hand: NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY," in out


def test_the_key_listed_before_the_url_is_decided_once_the_url_is_known(tmp_path: Path) -> None:
    """The example lists the anon key above the URL (nextjs-subscription-payments' order)."""
    example = ("NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY=\nSUPABASE_SERVICE_ROLE_KEY=\n"
               "NEXT_PUBLIC_SUPABASE_URL=http://localhost:54321\n")
    _out, values = provision(app(tmp_path, example))
    assert verified_claims(values["NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY"])["role"] == "anon"
    assert verified_claims(values["SUPABASE_SERVICE_ROLE_KEY"])["role"] == "service_role"


@pytest.mark.parametrize("url", [
    "https://abcdefghijklmnop.supabase.co",  # a hosted project
    "http://127.0.0.1:54329",  # another port than config.toml's [api] port
    "your-project-url",  # a placeholder: left empty, and so are the keys
    "http://127.0.0.1:54321/rest/v1",  # not the API's root
])
def test_any_other_url_leaves_the_keys_empty(tmp_path: Path, url: str) -> None:
    example = f"NEXT_PUBLIC_SUPABASE_URL={url}\nNEXT_PUBLIC_SUPABASE_ANON_KEY=\nSUPABASE_SERVICE_ROLE_KEY=\n"
    out, values = provision(app(tmp_path, example))
    assert values["NEXT_PUBLIC_SUPABASE_ANON_KEY"] == "" and values["SUPABASE_SERVICE_ROLE_KEY"] == ""
    assert "local Supabase stack's keys" not in out


def test_a_url_already_in_env_local_decides(tmp_path: Path) -> None:
    project = app(tmp_path)
    (project / ".env.local").write_text("NEXT_PUBLIC_SUPABASE_URL=https://abcdefghijklmnop.supabase.co\n")
    _out, values = provision(project)
    assert values["NEXT_PUBLIC_SUPABASE_ANON_KEY"] == "" and values["SUPABASE_SERVICE_ROLE_KEY"] == ""


def test_the_port_config_toml_names_is_the_local_one(tmp_path: Path) -> None:
    config = (FIXTURE / "supabase" / "config.toml").read_text().replace("port = 54321", "port = 64321")
    example = "NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:64321\nSUPABASE_SERVICE_ROLE_KEY=\n"
    _out, values = provision(app(tmp_path, example, config))
    assert values["SUPABASE_SERVICE_ROLE_KEY"] == STATUS_SERVICE_ROLE_KEY


def test_without_supabase_config_nothing_is_filled(tmp_path: Path) -> None:
    project = app(tmp_path)
    shutil.rmtree(project / "supabase")
    out, values = provision(project)
    assert values["SUPABASE_SERVICE_ROLE_KEY"] == ""
    assert "local Supabase stack's keys" not in out


@pytest.mark.parametrize("auth", [
    'signing_keys_path = "./signing_keys.json"',  # asymmetric keys, stamped with the time they were made
    'jwt_secret = "env(SUPABASE_AUTH_JWT_SECRET)"',  # a secret only the CLI's env files know
])
def test_a_config_with_its_own_keys_sends_the_user_to_supabase_status(tmp_path: Path, auth: str) -> None:
    config = (FIXTURE / "supabase" / "config.toml").read_text().replace("jwt_expiry = 3600", f"jwt_expiry = 3600\n{auth}")
    out, values = provision(app(tmp_path, config=config))
    assert values["NEXT_PUBLIC_SUPABASE_ANON_KEY"] == "" and values["SUPABASE_SERVICE_ROLE_KEY"] == ""
    assert "NEXT_PUBLIC_SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY: run `supabase status`" in out


def test_a_literal_jwt_secret_signs_the_keys_as_the_cli_does(tmp_path: Path) -> None:
    secret = "a-local-secret-of-at-least-32-characters"
    config = (FIXTURE / "supabase" / "config.toml").read_text().replace(
        "jwt_expiry = 3600", f'jwt_expiry = 3600\njwt_secret = "{secret}"')
    _out, values = provision(app(tmp_path, config=config))
    assert verified_claims(values["SUPABASE_SERVICE_ROLE_KEY"], secret.encode())["role"] == "service_role"


def test_a_value_already_there_is_never_replaced(tmp_path: Path) -> None:
    project = app(tmp_path)
    (project / ".env.local").write_text("SUPABASE_SERVICE_ROLE_KEY=mine-canary\n")
    _out, values = provision(project)
    assert values["SUPABASE_SERVICE_ROLE_KEY"] == "mine-canary"
    assert verified_claims(values["NEXT_PUBLIC_SUPABASE_ANON_KEY"])["role"] == "anon"


def test_a_workspace_roots_supabase_config_gives_the_apps_local_keys(tmp_path: Path) -> None:
    # The pager review: local_keys read only <app>/supabase/config.toml, while discovery (and
    # DB002) find the stack's config at a workspace's root too.
    root = tmp_path / "repo"
    web = root / "apps" / "web"
    shutil.copytree(FIXTURE, web)
    shutil.move(str(web / "supabase"), str(root / "supabase"))
    (root / "package.json").write_text('{"name": "repo", "private": true}\n')
    (root / "pnpm-workspace.yaml").write_text("packages:\n  - apps/*\n")
    (root / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    out, values = provision(web)
    assert values["SUPABASE_SERVICE_ROLE_KEY"] == STATUS_SERVICE_ROLE_KEY, out
