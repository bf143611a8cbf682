"""AUTH004 (the app's mail transport is provisioned) against real servers on 127.0.0.1: the
providers' APIs played by pytest-httpserver (reached through DEPLOY_CHECK_MAIL_API_URL, so no
test leaves this machine) and an SMTP server played by aiosmtpd."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from helpers import REPO, clean_environ, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "apps"
# Resend API keys start with re_ (resend.com/docs/dashboard/api-keys/introduction).
RESEND_KEY = "re_canary_Hk29fLq8ZxW3mVt7"
SMTP_PASSWORD = "smtp-canary-pw-8Kq3Zv"


def resend_app(tmp_path: Path, env: str) -> Path:
    project = tmp_path / "better-auth-resend"
    shutil.copytree(FIXTURES / "better-auth-resend", project)
    (project / ".env.local").write_text(env, encoding="utf-8")
    return project


def auth004(project: Path, api: str | None = None) -> tuple[dict[str, Any], str]:
    env = clean_environ(**({"DEPLOY_CHECK_MAIL_API_URL": api} if api else {}))
    done = run_cli("check", "--project", str(project), "--only", "AUTH004", "-f", "json", env=env, timeout=60)
    assert done.stdout.startswith("{"), done.stderr
    return json.loads(done.stdout)["checks"][0], done.stdout + done.stderr


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_resend_key_the_api_accepts_passes(tmp_path: Path, httpserver: Any) -> None:
    # https://resend.com/docs/api-reference/domains/list-domains
    httpserver.expect_request("/domains", method="GET", headers={"Authorization": f"Bearer {RESEND_KEY}"}) \
        .respond_with_json({"object": "list", "data": []})
    result, printed = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), httpserver.url_for(""))
    assert result["status"] == "pass", result["message"]
    assert "Resend accepted RESEND_API_KEY (package.json depends on resend)" in result["message"]
    assert RESEND_KEY not in printed


def test_a_sending_only_resend_key_is_accepted(tmp_path: Path, httpserver: Any) -> None:
    # https://resend.com/docs/api-reference/errors: restricted_api_key (401) for a sending-only key.
    httpserver.expect_request("/domains").respond_with_json(
        {"statusCode": 401, "name": "restricted_api_key", "message": "This API key is restricted to only send emails"},
        status=401)
    result, _ = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), httpserver.url_for(""))
    assert result["status"] == "pass", result["message"]
    assert "sending-only key" in result["message"]


def test_a_resend_key_the_api_refuses_fails_without_showing_it(tmp_path: Path, httpserver: Any) -> None:
    httpserver.expect_request("/domains").respond_with_json(
        {"statusCode": 400, "name": "validation_error", "message": "API key is invalid"}, status=400)
    result, printed = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), httpserver.url_for(""))
    assert result["status"] == "fail"
    assert result["message"] == "Resend refused RESEND_API_KEY (400: API key is invalid)"
    assert RESEND_KEY not in printed


def test_a_placeholder_key_fails_before_any_request(tmp_path: Path, httpserver: Any) -> None:
    result, _ = auth004(resend_app(tmp_path, "RESEND_API_KEY=re_xxxxxxxxx\n"), httpserver.url_for(""))
    assert result["status"] == "fail"
    assert "RESEND_API_KEY is a placeholder" in result["message"]
    assert httpserver.log == []


def test_an_empty_key_fails_naming_both_names(tmp_path: Path) -> None:
    result, _ = auth004(resend_app(tmp_path, ""))
    assert result["status"] == "fail"
    assert "RESEND_API_KEY or AUTH_RESEND_KEY is empty" in result["message"]


def test_an_api_that_cannot_be_reached_is_unverified_not_failed(tmp_path: Path) -> None:
    # Not reaching Resend proves nothing about the key (papermark, realapps-A item 8: DNS
    # failure on an air-gapped runner); DESIGN.md: what cannot be proven is unverified.
    port = closed_port()
    result, printed = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), f"http://127.0.0.1:{port}")
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"].startswith("auth: the mail transport is not proven: the Resend API at ")
    assert "cannot be reached" in result["message"]
    assert result["hint"].startswith(f"Nothing listens at 127.0.0.1:{port}")
    assert RESEND_KEY not in printed


PAPERMARK_AUTH = """import EmailProvider from "next-auth/providers/email";
import { sendVerificationRequestEmail } from "@/lib/emails/send-verification-request";

export const authOptions = {
  providers: [
    EmailProvider({
      async sendVerificationRequest({ identifier, url }) {
        await sendVerificationRequestEmail({ url, email: identifier });
      },
    }),
  ],
};
"""


def papermark_app(tmp_path: Path, extra: dict[str, str] | None = None, auth: str = PAPERMARK_AUTH) -> Path:
    # papermark's shape: next-auth v4 with nodemailer as its peer dependency in package.json,
    # mail sent through Resend (lib/resend.ts), no file importing nodemailer.
    project = tmp_path / "papermark"
    files = {
        "package.json": json.dumps({"name": "papermark", "dependencies": {
            "next": "14.2.0", "next-auth": "4.24.11", "nodemailer": "6.9.16", "resend": "4.5.1"}}),
        "lib/resend.ts": ('import { Resend } from "resend";\n'
                          "export const resend = new Resend(process.env.RESEND_API_KEY);\n"),
        "pages/api/auth/[...nextauth].ts": auth,
        ".env.local": f"RESEND_API_KEY={RESEND_KEY}\n",
        **(extra or {}),
    }
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return project


def test_a_peer_dependency_nodemailer_is_no_transport_when_resend_is_used(tmp_path: Path, httpserver: Any) -> None:
    httpserver.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    result, _ = auth004(papermark_app(tmp_path), httpserver.url_for(""))
    assert result["status"] == "pass", result["message"]
    assert [t["transport"] for t in result["details"]["transports"]] == ["resend"]
    assert "SMTP" not in result["message"]


def test_nodemailer_imported_by_the_app_is_still_a_transport(tmp_path: Path, httpserver: Any) -> None:
    httpserver.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    project = papermark_app(tmp_path, {"lib/mailer.ts": (
        'import nodemailer from "nodemailer";\n'
        "export const mailer = nodemailer.createTransport(process.env.SMTP_URL);\n")})
    result, _ = auth004(project, httpserver.url_for(""))
    assert result["status"] == "fail", result["message"]
    assert "SMTP (lib/mailer.ts imports nodemailer): no SMTP server is named" in result["message"]


def test_an_authjs_email_provider_without_its_own_sender_mails_over_smtp(tmp_path: Path, httpserver: Any) -> None:
    # next-auth's EmailProvider sends through nodemailer unless the config passes
    # sendVerificationRequest (next-auth v4 providers/email).
    httpserver.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    auth = ('import EmailProvider from "next-auth/providers/email";\n'
            "export const authOptions = { providers: [EmailProvider({ server: process.env.EMAIL_SERVER })] };\n")
    result, _ = auth004(papermark_app(tmp_path, auth=auth), httpserver.url_for(""))
    assert result["status"] == "fail", result["message"]
    assert "Auth.js's email provider mails through nodemailer" in result["message"]


def test_an_app_that_sends_no_mail_is_skipped(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "authjs-oauth", tmp_path / "app")
    result, _ = auth004(tmp_path / "app")
    assert result["status"] == "skip"
    assert result["message"].startswith("the app sends no mail")



def test_a_workspace_package_that_mails_is_the_apps_transport(tmp_path: Path, httpserver: Any) -> None:
    """openstatus's dashboard sends its welcome mail through @openstatus/emails, a workspace
    package that depends on resend; the dashboard's own package.json names no mail SDK. AUTH004
    was skipped ("the app sends no mail") with RESEND_API_KEY still the example's dummy."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "pnpm-turso-monorepo", root)
    project = root / "apps" / "dashboard"
    (project / ".env").write_text(f"RESEND_API_KEY={RESEND_KEY}\n", encoding="utf-8")
    httpserver.expect_request("/domains", method="GET", headers={"Authorization": f"Bearer {RESEND_KEY}"}) \
        .respond_with_json({"name": "validation_error", "message": "API key is invalid"}, status=400)
    result, printed = auth004(project, httpserver.url_for(""))
    assert result["status"] == "fail", result["message"]
    assert result["message"] == "Resend refused RESEND_API_KEY (400: API key is invalid)"
    [transport] = result["details"]["transports"]
    assert transport["why"] == ("../../packages/emails/package.json depends on resend "
                                "(@status/emails, a workspace package of the app)")
    assert RESEND_KEY not in printed

@pytest.mark.parametrize(("package", "env", "path", "header", "answer", "status", "says"), [
    # https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access
    ("@sendgrid/mail", "SENDGRID_API_KEY=SG.canary.key", "/v3/scopes", ("Authorization", "Bearer SG.canary.key"),
     {"scopes": ["mail.send", "user.profile.read"]}, "pass", "SendGrid accepted SENDGRID_API_KEY (scope mail.send)"),
    ("@sendgrid/mail", "SENDGRID_API_KEY=SG.canary.key", "/v3/scopes", ("Authorization", "Bearer SG.canary.key"),
     {"scopes": ["user.profile.read"]}, "fail", "lacks the mail.send scope"),
    # https://postmarkapp.com/developer/api/server-api#get-server
    ("postmark", "POSTMARK_SERVER_TOKEN=pm-canary-token", "/server", ("X-Postmark-Server-Token", "pm-canary-token"),
     {"ID": 1, "Name": "Production"}, "pass", "Postmark accepted POSTMARK_SERVER_TOKEN"),
])
def test_sendgrid_and_postmark_keys_are_asked_their_own_way(
        tmp_path: Path, httpserver: Any, package: str, env: str, path: str, header: tuple[str, str],
        answer: dict[str, Any], status: str, says: str) -> None:
    httpserver.expect_request(path, headers=dict([header])).respond_with_json(answer)
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "app", "dependencies": {package: "1.0.0"}}))
    (project / ".env.local").write_text(env + "\n")
    result, _ = auth004(project, httpserver.url_for(""))
    assert result["status"] == status, result["message"]
    assert says in result["message"]


class Authenticator:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


class Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[int]:
    port = closed_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, authenticator=Authenticator(),
                            auth_require_tls=False)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def smtp_app(tmp_path: Path, url: str) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    # Auth.js's Nodemailer provider reads the SMTP URL from AUTH_EMAIL_SERVER / EMAIL_SERVER
    # (authjs.dev/getting-started/authentication/email, Nodemailer).
    (project / "package.json").write_text(json.dumps(
        {"name": "app", "dependencies": {"next-auth": "5.0.0-beta.25", "nodemailer": "6.9.16"}}))
    (project / ".env.local").write_text(f"EMAIL_SERVER={url}\n")
    return project


def test_an_smtp_server_that_accepts_the_credentials_passes(tmp_path: Path, smtp_server: int) -> None:
    result, printed = auth004(smtp_app(tmp_path, f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{smtp_server}"))
    assert result["status"] == "pass", result["message"]
    assert f"smtp://127.0.0.1:{smtp_server} accepted EHLO, AUTH as mailer" in result["message"]
    assert SMTP_PASSWORD not in printed


def test_an_smtp_server_that_refuses_the_credentials_fails(tmp_path: Path, smtp_server: int) -> None:
    result, _ = auth004(smtp_app(tmp_path, f"smtp://mailer:wrong-password@127.0.0.1:{smtp_server}"))
    assert result["status"] == "fail"
    assert f"smtp://127.0.0.1:{smtp_server} refused the credentials of mailer (535)" == result["message"]


def test_an_smtp_server_nobody_runs_fails_with_the_network_hint(tmp_path: Path) -> None:
    port = closed_port()
    result, _ = auth004(smtp_app(tmp_path, f"smtp://127.0.0.1:{port}"))
    assert result["status"] == "fail"
    assert result["hint"].startswith(f"Nothing listens at 127.0.0.1:{port}")


@pytest.mark.parametrize("optional", [True, False])
def test_an_smtp_server_the_example_marks_optional_is_unverified_not_failed(tmp_path: Path, optional: bool) -> None:
    # The demo's shape: a dev mailer that prints the code when no SMTP server is set, and an
    # example that says so with `# Optional` (DESIGN.md: optional keys need no value).
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "app", "dependencies": {"nodemailer": "6.9.16"}}))
    marker = "# Optional: the dev mailer prints the code when unset\n" if optional else ""
    (project / ".env.local.example").write_text(f"SESSION_SECRET=\n\n{marker}SMTP_HOST=\nSMTP_PORT=\n")
    (project / ".env.local").write_text("SESSION_SECRET=s3cr3t-value-of-some-length\n")
    check, _ = auth004(project)
    if optional:
        assert check["status"] == "skip", check
        assert "marks SMTP_HOST optional" in check["message"]
        assert check["details"]["unverified"].startswith("auth: the mail transport is not proven")
    else:
        assert check["status"] == "fail", check
        assert "no SMTP server is named" in check["message"]


def test_a_sender_on_another_provider_does_not_silence_nodemailers_smtp(tmp_path: Path, httpserver: Any) -> None:
    # review-auth item 3: sendVerificationRequest on Resend says nothing of Nodemailer, which
    # still mails the link over SMTP (and no SMTP server is named).
    httpserver.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    auth = ('import NextAuth from "next-auth";\n'
            'import Nodemailer from "next-auth/providers/nodemailer";\n'
            'import Resend from "next-auth/providers/resend";\n'
            'import { sendWelcome } from "./lib/welcome";\n'
            "export const { handlers, auth } = NextAuth({\n  providers: [\n"
            '    Nodemailer({ server: process.env.EMAIL_SERVER, from: "no-reply@example.com" }),\n'
            '    Resend({ from: "x@example.com", sendVerificationRequest: sendWelcome }),\n  ],\n});\n')
    result, _ = auth004(papermark_app(tmp_path, auth=auth), httpserver.url_for(""))
    assert result["status"] == "fail", result["message"]
    assert "Auth.js's email provider mails through nodemailer" in result["message"]


@pytest.mark.parametrize("status", [503, 429])
def test_an_outage_or_rate_limit_is_unverified_not_a_refused_key(tmp_path: Path, httpserver: Any,
                                                                  status: int) -> None:
    # review-auth item 4: only 401/403 refuse the key; a 5xx or 429 refuses nothing.
    httpserver.expect_request("/domains").respond_with_json({"message": "try later"}, status=status)
    result, printed = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), httpserver.url_for(""))
    assert result["status"] == "skip", result["message"]
    assert f"answered {status}" in result["details"]["unverified"]
    assert "refused" not in result["message"]
    assert result["hint"].startswith(f"The Resend API answered {status}")
    assert RESEND_KEY not in printed


def test_a_key_the_api_answers_401_still_fails(tmp_path: Path, httpserver: Any) -> None:
    httpserver.expect_request("/domains").respond_with_json({"message": "Unauthorized"}, status=401)
    result, _ = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), httpserver.url_for(""))
    assert result["status"] == "fail", result["message"]
    assert "Resend refused RESEND_API_KEY (401" in result["message"]


@pytest.fixture
def self_signed_api() -> Iterator[Any]:
    # A real HTTPS server on 127.0.0.1 whose certificate comes from a CA deploy-check does not
    # trust: what a proxy intercepting TLS (or antivirus) presents in place of the provider's.
    import trustme
    from pytest_httpserver import HTTPServer

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    server = HTTPServer("127.0.0.1", 0, ssl_context=context)
    server.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def test_an_untrusted_certificate_is_unverified_naming_tls_not_a_refused_key(
        tmp_path: Path, self_signed_api: Any) -> None:
    # A TLS failure proves nothing about the key: it was never sent (realapps: a proxy
    # intercepting TLS read as "Resend refused the key").
    api = self_signed_api.url_for("").rstrip("/")
    assert api.startswith("https://127.0.0.1:")
    result, printed = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), api)
    assert result["status"] == "skip", result["message"]
    said = result["details"]["unverified"]
    assert said.startswith(f"auth: the mail transport is not proven: TLS with the Resend API at {api}/domains "
                           "failed, so RESEND_API_KEY was never sent: certificate verify failed: "), said
    assert said.endswith("(the certificate it presented is not trusted here: a proxy or antivirus that intercepts "
                         "TLS presents its own, or the server's is self-signed or expired)"), said
    assert "refused" not in result["message"]
    assert result["hint"].startswith(f"The TLS handshake with {api.removeprefix('https://')} (Resend API) failed")
    assert self_signed_api.log == []  # the handshake failed: no request, no key, reached the server
    assert RESEND_KEY not in printed


def test_a_plain_http_server_behind_an_https_url_is_unverified_naming_tls(tmp_path: Path, httpserver: Any) -> None:
    httpserver.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    api = httpserver.url_for("").rstrip("/").replace("http://", "https://")
    result, printed = auth004(resend_app(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), api)
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"].endswith(
        "so RESEND_API_KEY was never sent: wrong version number (what answers there does not speak TLS: a "
        "plain-HTTP server or proxy behind an https:// URL, or the wrong port)")
    assert httpserver.log == []
    assert RESEND_KEY not in printed


def test_smtps_to_a_plain_smtp_port_is_unverified_not_refused_credentials(tmp_path: Path, smtp_server: int) -> None:
    result, printed = auth004(smtp_app(tmp_path, f"smtps://mailer:{SMTP_PASSWORD}@127.0.0.1:{smtp_server}"))
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"].startswith(
        f"auth: the mail transport is not proven: TLS with smtps://127.0.0.1:{smtp_server} failed, so the "
        "credentials were never sent: wrong version number")
    assert result["hint"].startswith(f"The TLS handshake with 127.0.0.1:{smtp_server} (SMTP server) failed")
    assert SMTP_PASSWORD not in printed


def mail_vars_app(tmp_path: Path, env: str) -> Path:
    project = tmp_path / "app"
    shutil.copytree(FIXTURES / "prisma-dotenv-better-auth", project)
    (project / ".env").write_text(env, encoding="utf-8")
    return project


def test_the_variables_the_apps_own_create_transport_reads_are_probed(tmp_path: Path, smtp_server: int) -> None:
    """ezeparziale/nextjs-better-auth-template's createTransport reads MAIL_SERVER, MAIL_PORT,
    MAIL_USERNAME, MAIL_PASSWORD: AUTH004 said "no SMTP server is named (EMAIL_SERVER,
    AUTH_EMAIL_SERVER, SMTP_URL or SMTP_HOST)", variables the app never reads."""
    project = mail_vars_app(tmp_path, f"MAIL_SERVER=127.0.0.1\nMAIL_PORT={smtp_server}\n"
                                      f"MAIL_USERNAME=app\nMAIL_PASSWORD={SMTP_PASSWORD}\n")
    result, printed = auth004(project)
    assert result["status"] == "pass", result["message"]
    assert f"smtp://127.0.0.1:{smtp_server} accepted EHLO, AUTH as app" in result["message"]
    assert result["details"]["transports"][0]["key"] == "MAIL_SERVER"
    assert SMTP_PASSWORD not in printed


@pytest.mark.parametrize(("env", "says"), [
    ("", "no SMTP server is named (MAIL_SERVER, read by src/lib/email/send-email.ts)"),
    # The example's own values: a remote server, and no user for nodemailer to authenticate with.
    ("MAIL_SERVER=smtp.gmail.com\nMAIL_PORT=587\nMAIL_USERNAME=\n",
     "MAIL_USERNAME is empty (src/lib/email/send-email.ts authenticates to smtp.gmail.com with it)"),
    ("MAIL_SERVER=smtp.gmail.com\nMAIL_PORT=submission\n", "MAIL_PORT is not a number"),
])
def test_the_apps_own_smtp_variables_are_named_when_they_are_wrong(tmp_path: Path, env: str, says: str) -> None:
    result, _ = auth004(mail_vars_app(tmp_path, env))
    assert result["status"] == "fail", result["message"]
    assert result["message"] == f"SMTP (package.json depends on nodemailer): {says}"


def test_nodemailer_used_only_to_build_mime_is_no_smtp_transport(tmp_path: Path, httpserver: Any) -> None:
    """inbox-zero imports nodemailer/lib/mail-composer (MIME for the Gmail API) and types from
    nodemailer/lib/mailer; AUTH004 took that for an SMTP transport and failed on "no SMTP server"."""
    httpserver.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    project = tmp_path / "web"
    shutil.copytree(FIXTURES / "inbox-zero-web", project)
    (project / ".env").write_text(f"RESEND_API_KEY={RESEND_KEY}\n", encoding="utf-8")
    result, printed = auth004(project, httpserver.url_for(""))
    assert result["status"] == "pass", result["message"]
    assert [t["transport"] for t in result["details"]["transports"]] == ["resend"]
    assert RESEND_KEY not in printed


def test_a_key_the_apps_env_schema_lets_be_unset_is_unverified_not_failed(tmp_path: Path) -> None:
    # elie222/inbox-zero: apps/web/env.ts `RESEND_API_KEY: z.string().optional()`, and
    # sign-in is Google/Microsoft OAuth: the app runs without sending mail through Resend.
    project = tmp_path / "inbox-zero-web"
    shutil.copytree(FIXTURES / "inbox-zero-web", project)
    (project / ".env").write_text("RESEND_API_KEY=\n", encoding="utf-8")
    result, _ = auth004(project)
    assert result["status"] == "skip", result
    assert result["details"]["unverified"] == (
        "auth: the mail transport is not proven: env.ts lets RESEND_API_KEY be unset, "
        "and it is: the app runs without sending mail through Resend"), result
    # The same empty key where nothing marks it optional stays a fail (above:
    # test_an_empty_key_fails_naming_both_names).


@pytest.mark.parametrize("schema", ["z.string().optional()", "z.string().min(1)"])
def test_an_smtp_url_the_apps_env_schema_lets_be_unset_is_unverified_not_failed(tmp_path: Path, schema: str) -> None:
    # langfuse: web/src/env.mjs `SMTP_CONNECTION_URL: z.string().optional()`; nodemailer lives in
    # the workspace package @langfuse/shared and is fed a parameter, so no variable name is read there.
    root = shutil.copytree(FIXTURES / "langfuse-monorepo", tmp_path / "langfuse")
    env_mjs = root / "web" / "src" / "env.mjs"
    env_mjs.write_text(env_mjs.read_text().replace("SMTP_CONNECTION_URL: z.string().optional()",
                                                   f"SMTP_CONNECTION_URL: {schema}"))
    result, _ = auth004(root / "web")
    if schema.endswith(".optional()"):
        assert result["status"] == "skip", result
        assert result["details"]["unverified"] == (
            "auth: the mail transport is not proven: src/env.mjs lets SMTP_CONNECTION_URL be unset, "
            "and none is set: the app runs without sending mail"), result
    else:  # the schema requires it: an unset SMTP server is still a gap
        assert result["status"] == "fail", result


def test_an_optional_transport_left_unset_is_named_beside_the_one_that_passes(
        tmp_path: Path, smtp_server: int) -> None:
    project = smtp_app(tmp_path, f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{smtp_server}")
    package = json.loads((project / "package.json").read_text())
    package["dependencies"]["resend"] = "4.5.1"
    (project / "package.json").write_text(json.dumps(package))
    (project / ".env.example").write_text("EMAIL_SERVER=\nRESEND_API_KEY= # optional: digests only\n")
    result, printed = auth004(project)
    assert result["status"] == "pass", result["message"]
    assert result["message"].endswith("; not set, and optional: .env.example lets RESEND_API_KEY be unset, and it "
                                      "is: the app runs without sending mail through Resend"), result["message"]
    assert SMTP_PASSWORD not in printed


@pytest.mark.parametrize("schema", [
    # zod runs a refinement after .optional() on the missing value too: it may refuse it.
    'z.string().optional().refine((v) => !!v, "RESEND_API_KEY is required")',
    "z.string().optional().pipe(z.string().min(1))",
    'z.string().default("").superRefine((v, c) => { if (!v) c.addIssue({ code: "custom" }) })',
])
def test_a_key_made_optional_then_refined_is_not_taken_for_optional(tmp_path: Path, schema: str) -> None:
    project = tmp_path / "inbox-zero-web"
    shutil.copytree(FIXTURES / "inbox-zero-web", project)
    env_ts = project / "env.ts"
    env_ts.write_text(env_ts.read_text().replace("RESEND_API_KEY: z.string().optional(),",
                                                 f"RESEND_API_KEY: {schema},"))
    (project / ".env").write_text("RESEND_API_KEY=\n", encoding="utf-8")
    result, _ = auth004(project)
    assert result["status"] == "fail", result
    assert result["message"].endswith("RESEND_API_KEY or AUTH_RESEND_KEY is empty"), result["message"]


def test_an_smtp_url_the_apps_env_schema_declares_is_probed_when_set(tmp_path: Path, smtp_server: int) -> None:
    # langfuse: createTransport(parseConnectionUrl(connectionUrl)) gets its URL as a parameter;
    # web/src/env.mjs declares SMTP_CONNECTION_URL. AUTH004 failed "no SMTP server is named
    # (EMAIL_SERVER, …)" with the app's own variable set.
    root = shutil.copytree(FIXTURES / "langfuse-monorepo", tmp_path / "langfuse")
    (root / "web" / ".env").write_text(f"SMTP_CONNECTION_URL=smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{smtp_server}\n")
    result, printed = auth004(root / "web")
    assert result["status"] == "pass", result
    assert f"smtp://127.0.0.1:{smtp_server} accepted EHLO, AUTH as mailer" in result["message"]
    assert SMTP_PASSWORD not in printed


def test_the_split_email_server_settings_of_an_app_that_builds_its_transport_elsewhere(
        tmp_path: Path, smtp_server: int) -> None:
    # calcom/cal.com: createTransport(this.getMailerOptions().transport), the options built from
    # EMAIL_SERVER_HOST/PORT/USER/PASSWORD in packages/lib/serverConfig.ts (tests/fixtures/apps/calcom-monorepo).
    root = tmp_path / "calcom"
    shutil.copytree(FIXTURES / "calcom-monorepo", root)
    (root / ".env").write_text(f"EMAIL_SERVER_HOST=127.0.0.1\nEMAIL_SERVER_PORT={smtp_server}\n"
                               f"EMAIL_SERVER_USER=mailer\nEMAIL_SERVER_PASSWORD={SMTP_PASSWORD}\n")
    result, printed = auth004(root / "apps" / "web")
    assert result["status"] == "pass", result["message"]
    assert f"smtp://127.0.0.1:{smtp_server} accepted EHLO, AUTH as mailer" in result["message"]
    assert SMTP_PASSWORD not in printed

    # Unset, the message names the settings the app's example documents.
    (root / ".env").write_text("EMAIL_FROM=notifications@example.test\n")
    result, _ = auth004(root / "apps" / "web")
    assert result["status"] == "fail"
    assert "no SMTP server is named (EMAIL_SERVER, AUTH_EMAIL_SERVER, SMTP_URL, EMAIL_SERVER_HOST)" in result["message"]


def test_an_sdk_without_a_probe_is_unverified_not_no_mail(tmp_path: Path) -> None:
    """sebnun/langturbo mails its OTP through AWS SES (@aws-sdk/client-ses, nextjs/lib/auth.ts):
    AUTH004 said "the app sends no mail". deploy-check has no SES probe: unverified, naming it."""
    shutil.copytree(FIXTURES / "better-auth-ses", tmp_path / "app")
    (tmp_path / "app" / ".env.local").write_text(
        "BETTER_AUTH_SECRET=ses-canary-secret-Zq81vT0pLm3nX7cRw2\nAWS_ACCESS_KEY_ID=AKIAEXAMPLECANARY01\n"
        "AWS_SECRET_ACCESS_KEY=ses-canary-aws-Kq3Zv8Lp2Wm\n", encoding="utf-8")
    result, printed = auth004(tmp_path / "app")
    assert result["status"] == "skip", result["message"]
    assert result["details"]["unverified"] == (
        "auth: the mail transport is not proven: deploy-check has no probe for AWS SES (package.json depends on "
        "@aws-sdk/client-ses): its credentials are not checked")
    assert "sends no mail" not in printed and "ses-canary-aws" not in printed
