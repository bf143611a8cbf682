"""AUTH004 judges the sender the app's sign-in really uses, in three layouts real apps share
(trial reports tr1/tr2): a hosted SDK whose key the app keeps in its database (Dokploy), an
SDK client built only when its key is set, a console stand-in otherwise (Mail-0/Zero), and an
Auth.js email provider registered only when a variable is set (typebot.io). An SMTP server
read through a workspace helper is named by the variables the helper reads (Dokploy)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

# smtp_server is the fixture test_mail.py defines (an aiosmtpd server on 127.0.0.1).
from test_mail import FIXTURES, RESEND_KEY, SMTP_PASSWORD, auth004, closed_port, smtp_server  # noqa: F401

from helpers import app_fixture, committed

DOKPLOY_HELPER = "../../packages/server/src/verification/send-verification-email.tsx"


def dokploy(tmp_path: Path, env: str = "", example: str = "") -> Path:
    # CONTRIBUTING.md: cp apps/dokploy/.env.example apps/dokploy/.env (tests/fixtures/apps/dokploy-custom-server).
    root = shutil.copytree(FIXTURES / "dokploy-custom-server", tmp_path / "dokploy")
    app = root / "apps" / "dokploy"
    (app / ".env.example").write_text((app / ".env.example").read_text() + example, encoding="utf-8")
    committed(root)
    (app / ".env").write_text((app / ".env.example").read_text() + env, encoding="utf-8")
    return app


def test_a_resend_key_the_app_keeps_in_its_database_is_not_judged_and_smtp_is_named_as_read(tmp_path: Path) -> None:
    result, _ = auth004(dokploy(tmp_path))
    assert result["status"] == "fail", result
    assert result["message"] == ("SMTP (package.json depends on nodemailer): no SMTP server is named "
                                 f"(SMTP_SERVER, read by {DOKPLOY_HELPER})")
    resend, smtp = result["details"]["transports"]
    assert resend["not_judged"] == ("Resend (package.json depends on resend) takes its key from elsewhere: the app "
                                    "reads no RESEND_API_KEY or AUTH_RESEND_KEY from env, its example lists none "
                                    "and none is set")
    assert smtp["not_judged"] is None


def test_the_smtp_settings_the_workspace_helper_reads_are_probed(tmp_path: Path, smtp_server: int) -> None:  # noqa: F811
    env = (f"SMTP_SERVER=127.0.0.1\nSMTP_PORT={smtp_server}\nSMTP_USERNAME=mailer\n"
           f"SMTP_PASSWORD={SMTP_PASSWORD}\nSMTP_FROM_ADDRESS=noreply@example.test\n")
    result, printed = auth004(dokploy(tmp_path, env))
    assert result["status"] == "pass", result["message"]
    assert result["message"].startswith(f"smtp://127.0.0.1:{smtp_server} accepted EHLO, AUTH as mailer "
                                        "(package.json depends on nodemailer); not judged: Resend ")
    assert SMTP_PASSWORD not in printed


def test_a_set_smtp_server_nobody_runs_still_fails(tmp_path: Path) -> None:
    result, _ = auth004(dokploy(tmp_path, f"SMTP_SERVER=127.0.0.1\nSMTP_PORT={closed_port()}\n"))
    assert result["status"] == "fail", result
    assert result["message"].startswith("smtp://127.0.0.1:")


def test_a_resend_key_the_example_lists_is_judged_again(tmp_path: Path) -> None:
    result, _ = auth004(dokploy(tmp_path, example="RESEND_API_KEY=\n"))
    assert result["status"] == "fail", result
    assert "Resend (package.json depends on resend): RESEND_API_KEY or AUTH_RESEND_KEY is empty" in result["message"]


def zero(tmp_path: Path, env: str = "") -> Path:
    # README: cp .env.example .env at the root; `dotenv -- turbo run dev` hands it to apps/mail.
    root = shutil.copytree(FIXTURES / "zero-turbo-root-env", tmp_path / "zero")
    committed(root)
    (root / ".env").write_text("BETTER_AUTH_SECRET=9f1c2e7a4b8d3f60a5e1c9b27d4f8a3e\n" + env, encoding="utf-8")
    return root / "apps" / "mail"


def test_a_key_whose_absence_the_app_answers_with_a_console_mailer_is_unverified(tmp_path: Path) -> None:
    result, _ = auth004(zero(tmp_path))
    assert result["status"] == "skip", result
    assert result["details"]["unverified"] == (
        "auth: the mail transport is not proven: lib/services.ts builds the Resend client only when "
        "RESEND_API_KEY is set, and a stand-in mailer otherwise; it is not set, so the app runs without "
        "sending mail through Resend"), result


def test_that_key_once_set_is_still_refused_when_wrong(tmp_path: Path, httpserver: Any) -> None:
    httpserver.expect_request("/domains").respond_with_json(
        {"statusCode": 400, "name": "validation_error", "message": "API key is invalid"}, status=400)
    result, printed = auth004(zero(tmp_path, f"RESEND_API_KEY={RESEND_KEY}\n"), httpserver.url_for(""))
    assert result["status"] == "fail", result
    assert result["message"] == "Resend refused RESEND_API_KEY (400: API key is invalid)"
    assert RESEND_KEY not in printed


def test_a_null_client_is_no_stand_in(tmp_path: Path) -> None:
    app = zero(tmp_path)
    services = app / "lib" / "services.ts"
    services.write_text(services.read_text().replace(
        ": { emails: { send: async (...args: unknown[]) => console.log(args) } };", ": null;"))
    result, _ = auth004(app)
    assert result["status"] == "fail", result
    assert result["message"].endswith("RESEND_API_KEY or AUTH_RESEND_KEY is empty")


# baptisteArno/typebot.io packages/auth/src/lib/providers.ts:26-45: the Nodemailer provider
# exists only when NEXT_PUBLIC_SMTP_FROM is set and SMTP_AUTH_DISABLED is not.
TYPEBOT_NODEMAILER = """
import Nodemailer from "next-auth/providers/nodemailer";

if (process.env.NEXT_PUBLIC_SMTP_FROM && !process.env.SMTP_AUTH_DISABLED)
  providers.push(
    Nodemailer({
      server: {
        host: process.env.SMTP_HOST,
        port: Number(process.env.SMTP_PORT),
        auth: { user: process.env.SMTP_USERNAME, pass: process.env.SMTP_PASSWORD },
      },
      from: process.env.NEXT_PUBLIC_SMTP_FROM,
    }),
  );
"""


def typebot(tmp_path: Path, env: str, nodemailer: str = TYPEBOT_NODEMAILER) -> Path:
    root = app_fixture(tmp_path, "nx-monorepo")
    providers = root / "packages" / "auth" / "src" / "lib" / "providers.ts"
    providers.write_text(providers.read_text() + nodemailer, encoding="utf-8")
    builder = root / "apps" / "builder" / "package.json"
    package = json.loads(builder.read_text())
    package["dependencies"]["nodemailer"] = "^9.0.1"  # typebot.io apps/builder/package.json:148
    builder.write_text(json.dumps(package), encoding="utf-8")
    committed(root)
    (root / ".env").write_text("ENCRYPTION_SECRET=H7kLm2Pq9RsT4vWx8Yz3Ab6Cd1Ef5Gh0\n" + env, encoding="utf-8")
    return root / "apps" / "builder"


def test_an_email_login_registered_only_when_smtp_is_set_is_no_gap_when_unset(tmp_path: Path) -> None:
    result, _ = auth004(typebot(tmp_path, ""))
    assert result["status"] == "skip", result
    assert result["details"]["unverified"] == (
        "auth: the mail transport is not proven: ../../packages/auth/src/lib/providers.ts registers the email "
        "sign-in only when NEXT_PUBLIC_SMTP_FROM is set, and it is not: the app has no email login, so no "
        "sign-in mail to send"), result


def test_that_email_login_turned_on_without_a_server_fails(tmp_path: Path) -> None:
    result, _ = auth004(typebot(tmp_path, "NEXT_PUBLIC_SMTP_FROM=notifications@example.test\n"))
    assert result["status"] == "fail", result
    assert "no SMTP server is named" in result["message"]


def test_an_always_registered_email_login_without_a_sender_fails(tmp_path: Path) -> None:
    always = TYPEBOT_NODEMAILER.replace("if (process.env.NEXT_PUBLIC_SMTP_FROM && !process.env.SMTP_AUTH_DISABLED)\n", "")
    result, _ = auth004(typebot(tmp_path, "", always))
    assert result["status"] == "fail", result
    assert "no SMTP server is named" in result["message"]
