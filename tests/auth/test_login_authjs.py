"""AUTH003 drives Auth.js email sign-in (the Nodemailer provider) through the app's own
routes: csrf, signin/nodemailer, the link from the SMTP sink, the callback, the session with
and without the cookie, sign-out. The app is tests/node/authjs-app/server.mjs, a Node stand-in
of @auth/core's exact routes (a real next-auth app needs `next dev` and an adapter database:
too heavy for this suite); its header cites the source of each shape. The same drive also runs
against real @auth/core (tests/node/authjs-core-app: its own Auth() behind node:http, the
Nodemailer provider, an in-memory adapter) where npm can install it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, node_packages, run_cli, write_project

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")

AUTHJS_APP = REPO / "tests" / "node" / "authjs-app"
AUTH_SECRET = "authjs-secret-canary-Zr7Pq2Lm9Xw4Vt8Kd"
# authjs.dev/getting-started/authentication/email (Nodemailer): the provider's server from AUTH_EMAIL_SERVER.
AUTH_TS = """import NextAuth from "next-auth"
import Nodemailer from "next-auth/providers/nodemailer"
import { PrismaAdapter } from "@auth/prisma-adapter"
import { prisma } from "@/prisma"

export const { handlers, auth, signIn, signOut } = NextAuth({
  adapter: PrismaAdapter(prisma),
  providers: [
    Nodemailer({
      server: process.env.EMAIL_SERVER,
      from: process.env.EMAIL_FROM,
    }),
  ],
})
"""
# The stand-in declares next-auth but installs nothing: the dev command is named, as an app
# with an unusual dev script would.
DEV_SERVER = '[dev_server]\ncommand = "node server.mjs"\nready_timeout = 30\nroute_timeout = 10\n'


def authjs_project(root: Path, env: str = "") -> Path:
    project = write_project(root, {
        "package.json": json.dumps({"name": "app", "private": True, "scripts": {"dev": "node server.mjs"},
                                    "dependencies": {"next-auth": "5.0.0-beta.25", "nodemailer": "6.9.16"}}),
        "auth.ts": AUTH_TS,
        ".env.local": f"AUTH_SECRET={AUTH_SECRET}\nEMAIL_FROM=\"Acme <hello@acme.com>\"\n{env}",
        "deploy-check.toml": DEV_SERVER})
    shutil.copy(AUTHJS_APP / "server.mjs", project / "server.mjs")
    return project


def auth003(project: Path) -> tuple[dict[str, Any], str]:
    done = run_cli("check", "--project", str(project), "--only", "AUTH003", "-f", "json", timeout=180)
    assert done.stdout.startswith("{"), done.stderr
    return json.loads(done.stdout)["checks"][0], done.stdout + done.stderr


def test_authjs_email_sign_in_is_driven_through_its_own_routes(tmp_path: Path) -> None:
    result, printed = auth003(authjs_project(tmp_path))
    assert result["status"] == "pass", result["message"]
    assert result["details"]["source"] == "smtp"
    assert result["details"]["app_proof"] == "GET /api/auth/session"
    assert result["details"]["signed_out"] == "/api/auth/signout answered 200"
    assert AUTH_SECRET not in printed and "token=" not in printed


@pytest.mark.parametrize(("env", "step", "says"), [
    ("AUTHJS_ANY_TOKEN=1\n", "verify", "with a wrong token answered 302 without an error"),
    ("AUTHJS_SESSION_ANYONE=1\n", "session", "names deploy-check+"),
])
def test_an_authjs_app_that_proves_nothing_fails_at_the_step(tmp_path: Path, env: str, step: str, says: str) -> None:
    result, _ = auth003(authjs_project(tmp_path, env))
    assert result["status"] == "fail"
    assert result["details"]["failed_step"] == step
    assert says in result["message"]


def test_an_authjs_app_whose_mail_never_reaches_the_sink_fails_at_the_link(tmp_path: Path) -> None:
    # The app's server setting is not read from the environment: the link goes nowhere we can see.
    project = authjs_project(tmp_path)
    text = (project / "server.mjs").read_text()
    (project / "server.mjs").write_text(text.replace(
        "const server = process.env.EMAIL_SERVER || process.env.AUTH_EMAIL_SERVER;", "const server = null;"))
    (project / "deploy-check.toml").write_text(
        DEV_SERVER + "[auth.login]\ncode_timeout = 2\n")
    result, _ = auth003(project)
    assert result["status"] == "fail"
    assert result["details"]["failed_step"] == "code"
    assert "no sign-in link for deploy-check+" in result["message"]


# -- real @auth/core ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def auth_core() -> Path:
    """@auth/core and nodemailer from tests/node/authjs-core-app's lockfile (skips, saying why,
    where npm or its registry is unreachable)."""
    return node_packages("authjs-core-app")


def test_real_authjs_email_sign_in_is_driven_through_auth_core(tmp_path: Path, auth_core: Path) -> None:
    """The same drive against @auth/core's own Auth() with the Nodemailer provider: its CSRF
    double-submit cookie, its hashed verification token through the adapter, its database session."""
    project = authjs_project(tmp_path)
    shutil.copy(auth_core / "server.mjs", project / "server.mjs")
    (project / "node_modules").symlink_to(auth_core / "node_modules")
    result, printed = auth003(project)
    assert result["status"] == "pass", result["message"]
    assert result["details"]["source"] == "smtp"
    assert result["details"]["app_proof"] == "GET /api/auth/session"
    assert result["details"]["signed_out"] == "/api/auth/signout answered 200"
    assert AUTH_SECRET not in printed and "token=" not in printed
