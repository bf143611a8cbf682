"""AUTH003 on apps whose login deploy-check cannot prove locally (issue 19 §1): the login
methods are read from the app's own code, and what cannot be proven is *unverified* with
the reason, listed once in the verdict line, blocking only under --strict — never a fail
for a driver deploy-check lacks. Fixtures under tests/fixtures/apps/, after real layouts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "apps"


def app(tmp_path: Path, name: str, **files: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    for relative, text in files.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text, encoding="utf-8")
    return target


def auth003(project: Path, *extra: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    done = run_cli("check", "--project", str(project), "--only", "AUTH003", "-f", "json", *extra, timeout=60)
    assert done.stdout.startswith("{"), done.stderr
    report = json.loads(done.stdout)
    return done.returncode, report, report["checks"][0]


@pytest.mark.parametrize(("fixture", "says"), [
    ("authjs-oauth", "auth: the app signs in with GitHub OAuth and Google OAuth (auth.ts): no local proof possible"),
    ("stack-auth", "auth: the app signs in on Stack Auth's hosted sign-in pages: no local proof possible"),
    ("kinde", "auth: the app signs in on Kinde's hosted sign-in pages: no local proof possible"),
    ("better-auth-social", "auth: the app signs in with a password and GitHub OAuth (src/lib/auth.ts): "
                           "deploy-check proves email-code sign-in (emailOTP) only; no local proof possible"),
])
def test_a_login_that_cannot_be_proven_locally_is_unverified_once_not_failed(
        tmp_path: Path, fixture: str, says: str) -> None:
    code, report, result = auth003(app(tmp_path, fixture))
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"] == says
    assert [clause for clause in report["unverified"] if clause.startswith("auth:")] == [says]
    assert code == 0 and report["verdict"] == "ready"
    console = run_cli("check", "--project", str(tmp_path / fixture), "--only", "AUTH003", timeout=60)
    verdict = [line for line in console.stdout.splitlines() if "unverified:" in line]
    assert len(verdict) == 1 and verdict[0].count(says.split(": ", 1)[1]) == 1, console.stdout


def test_strict_makes_an_unprovable_login_block(tmp_path: Path) -> None:
    code, report, result = auth003(app(tmp_path, "authjs-oauth"), "--strict")
    assert result["status"] == "skip"
    assert code == 1 and report["verdict"] == "not_ready"


def test_detect_names_the_login_methods_and_the_file(tmp_path: Path) -> None:
    done = run_cli("detect", "--project", str(app(tmp_path, "authjs-oauth")), "--format", "json")
    model = json.loads(done.stdout)
    assert model["login_methods"] == ["github", "google"]
    assert model["login_where"] == "auth.ts"


def test_providers_inside_a_config_object_with_options_are_read(tmp_path: Path) -> None:
    # The T3 / v4 spelling: `GithubProvider({ clientId, clientSecret })` in pages/api/auth/[...nextauth].ts.
    project = app(tmp_path, "authjs-oauth", **{"auth.ts": "", "pages/api/auth/[...nextauth].ts": (
        'import NextAuth from "next-auth";\nimport GithubProvider from "next-auth/providers/github";\n'
        'import CredentialsProvider from "next-auth/providers/credentials";\n'
        '// import Google from "next-auth/providers/google";\n'
        "export default NextAuth({\n  providers: [\n    GithubProvider({ clientId: process.env.GITHUB_ID!,"
        " clientSecret: process.env.GITHUB_SECRET! }),\n    CredentialsProvider({ credentials: {} }),\n  ],\n});\n")})
    _code, _report, result = auth003(project)
    assert result["details"]["unverified"] == (
        "auth: the app signs in with GitHub OAuth and a password (Credentials) "
        "(pages/api/auth/[...nextauth].ts): no local proof possible")


def test_authjs_without_readable_providers_is_unverified_naming_what_was_looked_for(tmp_path: Path) -> None:
    project = app(tmp_path, "authjs-oauth", **{"auth.ts": 'export const config = {}\n'})
    _code, _report, result = auth003(project)
    assert result["status"] == "skip"
    assert "Auth.js providers were not found (no NextAuth providers found in the app's source)" in result["message"]


def test_better_auth_with_email_otp_is_still_driven(tmp_path: Path) -> None:
    project = app(tmp_path, "better-auth-social", **{"src/lib/auth.ts": (
        'import { betterAuth } from "better-auth";\nimport { emailOTP } from "better-auth/plugins";\n'
        "export const auth = betterAuth({ plugins: [emailOTP({ async sendVerificationOTP() {} })] });\n")})
    done = run_cli("detect", "--project", str(project), "--format", "json")
    assert json.loads(done.stdout)["login_methods"] == ["email-otp"]
    _code, _report, result = auth003(project)
    assert "no local proof possible" not in result["message"]


def test_a_better_auth_plugin_list_kept_in_another_file_is_read(tmp_path: Path) -> None:
    project = app(tmp_path, "better-auth-social", **{
        "src/lib/auth.ts": 'import { betterAuth } from "better-auth";\nimport { plugins } from "./plugins";\n'
                           "export const auth = betterAuth({ plugins });\n",
        "src/lib/plugins.ts": 'import { emailOTP } from "better-auth/plugins";\n'
                              "export const plugins = [emailOTP({ async sendVerificationOTP() {} })];\n"})
    done = run_cli("detect", "--project", str(project), "--format", "json")
    model = json.loads(done.stdout)
    assert (model["login_methods"], model["login_where"]) == (["email-otp"], "src/lib/auth.ts")


def test_an_authjs_link_the_app_prints_is_unverified_for_that_reason(tmp_path: Path) -> None:
    """openstatus's Resend provider has no API key; its sendVerificationRequest logs the link
    (src/lib/auth/providers.ts). AUTH003 said the link "travels through the mail provider's API"."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "pnpm-turso-monorepo", root)
    _code, _report, result = auth003(root / "apps" / "dashboard")
    assert result["details"]["unverified"] == (
        "auth: the app signs in with GitHub OAuth and email links (Resend) (src/lib/auth/providers.ts): "
        "the app's own sendVerificationRequest prints the link on the dev server's output instead of "
        "mailing it; deploy-check does not follow an Auth.js link from there; no local proof possible")


# shadcn-ui/taxonomy lib/auth.ts: next-auth v4's EmailProvider whose sendVerificationRequest
# mails through Postmark's API (postmarkClient.sendEmailWithTemplate), not over SMTP.
TAXONOMY_AUTH = """\
import { NextAuthOptions } from "next-auth"
import EmailProvider from "next-auth/providers/email"
import GitHubProvider from "next-auth/providers/github"
import { Client } from "postmark"

const postmarkClient = new Client(process.env.POSTMARK_API_TOKEN)

export const authOptions: NextAuthOptions = {
  providers: [
    GitHubProvider({ clientId: process.env.GITHUB_CLIENT_ID, clientSecret: process.env.GITHUB_CLIENT_SECRET }),
    EmailProvider({
      from: process.env.SMTP_FROM,
      sendVerificationRequest: async ({ identifier, url }) => {
        await postmarkClient.sendEmailWithTemplate({ TemplateId: 1, To: identifier, TemplateModel: { action_url: url } })
      },
    }),
  ],
}
"""


def test_an_email_provider_with_its_own_sender_is_not_driven_through_the_smtp_sink(tmp_path: Path) -> None:
    """The SMTP sink never sees a link that the app's own sendVerificationRequest hands to
    Postmark: AUTH003 planned the sink sign-in (a fail once the dev server ran) instead of
    saying it cannot prove it."""
    project = app(tmp_path, "authjs-oauth", **{
        "auth.ts": "", "lib/auth.ts": TAXONOMY_AUTH,
        "package.json": json.dumps({"name": "taxonomy", "scripts": {"dev": "next dev"}, "dependencies": {
            "next": "13.3.2", "next-auth": "4.22.1", "nodemailer": "6.9.1", "postmark": "3.0.15"}})})
    _code, _report, result = auth003(project)
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"] == (
        "auth: the app signs in with email links (Nodemailer) and GitHub OAuth (lib/auth.ts): the app's own "
        "sendVerificationRequest sends the link, which no local sink receives; no local proof possible")


def test_a_test_files_betterauth_instance_is_not_the_apps_config(tmp_path: Path) -> None:
    """inbox-zero: __tests__/integration/scim-better-auth.test.ts sorts before utils/auth.ts; its
    throwaway betterAuth({ secret: `test-secret-…` }) was taken for the app's config, so AUTH001
    said the secret could not be read and AUTH003 named the test file."""
    project = app(tmp_path, "inbox-zero-web")
    (project / ".env").write_text("NEXT_PUBLIC_BASE_URL=http://localhost:3000\nAUTH_SECRET=" + "a1" * 32 + "\n")
    _code, report, result = auth003(project)
    assert result["status"] == "skip", result["message"]
    assert "utils/auth.ts" in result["details"]["unverified"], result["details"]
    assert "__tests__" not in json.dumps(report)
    done = run_cli("check", "--project", str(project), "--only", "AUTH001", "-f", "json", timeout=60)
    auth001 = json.loads(done.stdout)["checks"][0]
    assert "__tests__" not in auth001["message"], auth001["message"]
    assert "a1a1a1a1" not in done.stdout


def test_an_email_otp_that_refuses_new_users_is_unverified_not_failed(tmp_path: Path) -> None:
    """Tascboard's emailOTP sets disableSignUp: true: better-auth answers 400 USER_NOT_FOUND to a
    throwaway address, so the sign-in would have failed at `send` for a driver's limit."""
    code, report, result = auth003(app(tmp_path, "better-auth-otp-no-signup"))
    says = ("auth: the app's emailOTP sets disableSignUp: true (src/utils/auth.tsx): only an existing user gets "
            "a code, so a throwaway identity cannot sign in; set [auth.login] email to a .test user of the "
            "local database to prove it")
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"] == says
    assert code == 0 and report["verdict"] == "ready"


def test_an_email_otp_that_allows_sign_up_is_still_driven(tmp_path: Path) -> None:
    project = app(tmp_path, "better-auth-otp-no-signup")
    config = project / "src" / "utils" / "auth.tsx"
    config.write_text(config.read_text(encoding="utf-8").replace("disableSignUp: true", "disableSignUp: false"),
                      encoding="utf-8")
    _code, _report, result = auth003(project)
    assert "disableSignUp" not in result["message"]


# Shaped after boxyhq/saas-starter-kit lib/nextAuth.ts: each provider pushed only
# `if (isAuthProviderEnabled('…'))`, which reads AUTH_PROVIDERS (lib/auth.ts; lib/env.ts
# defaults it to `github,credentials`); SAML pushes a second CredentialsProvider ('boxyhq-idp').
SAAS_STARTER_AUTH = """\
import type { NextAuthOptions } from 'next-auth';
import BoxyHQSAMLProvider from 'next-auth/providers/boxyhq-saml';
import CredentialsProvider from 'next-auth/providers/credentials';
import EmailProvider from 'next-auth/providers/email';
import GitHubProvider from 'next-auth/providers/github';
import type { Provider } from 'next-auth/providers';
import env from '@/lib/env';
import { isAuthProviderEnabled } from '@/lib/auth';
import { sendMagicLink } from '@/lib/email/sendMagicLink';

const providers: Provider[] = [];

if (isAuthProviderEnabled('credentials')) {
  providers.push(
    CredentialsProvider({
      id: 'credentials',
      credentials: { email: { type: 'email' }, password: { type: 'password' } },
      async authorize() { return null; },
    })
  );
}

if (isAuthProviderEnabled('github')) {
  providers.push(
    GitHubProvider({ clientId: env.github.clientId, clientSecret: env.github.clientSecret })
  );
}

if (isAuthProviderEnabled('saml')) {
  providers.push(
    BoxyHQSAMLProvider({ issuer: env.appUrl, clientId: 'dummy', clientSecret: 'dummy' }),
    CredentialsProvider({ id: 'boxyhq-idp', credentials: { code: { type: 'text' } }, async authorize() { return null; } })
  );
}

if (isAuthProviderEnabled('email')) {
  providers.push(
    EmailProvider({
      server: { host: env.smtp.host, port: env.smtp.port },
      from: env.smtp.from,
      sendVerificationRequest: async ({ identifier, url }) => { await sendMagicLink(identifier, url); },
    })
  );
}

export const authOptions: NextAuthOptions = { providers, secret: env.nextAuth.secret };
"""


def test_providers_switched_on_by_the_apps_own_setting_are_named_not_claimed(tmp_path: Path) -> None:
    """saas-starter-kit: AUTH003 said the app "signs in with" all five, though AUTH_PROVIDERS
    enables only some (github,credentials by default) and deploy-check cannot evaluate
    isAuthProviderEnabled."""
    project = app(tmp_path, "authjs-oauth", **{"auth.ts": "", "lib/nextAuth.ts": SAAS_STARTER_AUTH})
    _code, _report, result = auth003(project)
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"] == (
        "auth: the app names Boxyhq Saml OAuth, a password (Credentials), email links (Nodemailer) and "
        "GitHub OAuth (lib/nextAuth.ts), each enabled by the app's own setting (e.g. "
        "`if (isAuthProviderEnabled('saml'))`): the app's own sendVerificationRequest sends the link, "
        "which no local sink receives; no local proof possible")


def test_a_literal_in_the_quoted_condition_is_not_printed(tmp_path: Path) -> None:
    """The condition is the app's code: a literal it compares against (a licence key, a password) may be a secret, and is shown as '…'; a provider id stays as written."""
    secret = "sk_live_51Hx9TqL2hunter2pwYlo2C8rT"
    guarded = SAAS_STARTER_AUTH.replace("if (isAuthProviderEnabled('saml')) {",
                                        f"if (isAuthProviderEnabled('saml') && env.samlKey === '{secret}') {{")
    project = app(tmp_path, "authjs-oauth", **{"auth.ts": "", "lib/nextAuth.ts": guarded})
    _code, report, result = auth003(project)
    assert "(e.g. `if (isAuthProviderEnabled('saml') && env.samlKey === '…')`)" in result["details"]["unverified"]
    assert "hunter2pw" not in json.dumps(report)


def test_a_provider_always_registered_is_still_said_to_sign_in(tmp_path: Path) -> None:
    always = SAAS_STARTER_AUTH.replace("if (isAuthProviderEnabled('github')) {", "{")
    project = app(tmp_path, "authjs-oauth", **{"auth.ts": "", "lib/nextAuth.ts": always})
    _code, _report, result = auth003(project)
    assert result["details"]["unverified"].startswith(
        "auth: the app signs in with GitHub OAuth and names Boxyhq Saml OAuth, a password (Credentials) and "
        "email links (Nodemailer) (lib/nextAuth.ts), each enabled by the app's own setting (e.g. "
        "`if (isAuthProviderEnabled('saml'))`): "), result["details"]["unverified"]
