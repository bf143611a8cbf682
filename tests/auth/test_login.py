"""AUTH003 (OTP login) and DEV004 (the signed-in core flow) against real dev servers:
tests/node/otp-app (Better Auth's email-OTP routes and cookie, Node builtins only) and,
where the npm registry is reachable, a real better-auth server on the embedded PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from helpers import REPO, clean_environ, node_packages, run_cli, write_project

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")

OTP_APP = REPO / "tests" / "node" / "otp-app"
SECRET = "ba-secret-canary-7Qm2Lx9Vt4Rk8Wp3Zn6Hs1Jd5Fg0"
FLOW = """
[dev_server]
ready_timeout = 30
route_timeout = 10
routes = [
    { path = "/", status = 200 },
    { path = "/api/notes", method = "POST", status = 201, json = { body = "hello {run}" }, signed_in = true, capture = { note_id = "$.id" } },
    { path = "/api/notes/{note_id}", signed_in = true, expect = { json = { "$.body" = "hello {run}" } } },
]
"""


def otp_project(root: Path, *, login: str = "", env: str = "", flow: str = FLOW) -> Path:
    project = write_project(root, {
        "package.json": '{"name": "app", "private": true, "scripts": {"dev": "node server.mjs"}}\n',
        ".env.local": f"BETTER_AUTH_SECRET={SECRET}\n{env}",
        "deploy-check.toml": f'[auth]\nprovider = "better-auth"\n{login}\n{flow}'})
    shutil.copy(OTP_APP / "server.mjs", project / "server.mjs")
    return project


def run(project: Path, *extra: str, only: str = "AUTH003,DEV004") -> tuple[dict[str, dict[str, Any]], str]:
    done = run_cli("check", "--project", str(project), "--only", only, "-f", "json", *extra, timeout=180)
    assert done.stdout.startswith("{"), done.stderr
    report = json.loads(done.stdout)
    return {c["id"]: c for c in report["checks"]}, done.stdout + done.stderr


def test_otp_login_from_the_smtp_sink_then_the_signed_in_flow(tmp_path: Path) -> None:
    checks, _ = run(otp_project(tmp_path))
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["source"] == "smtp"
    assert re.fullmatch(r"deploy-check\+\w+@example\.test", checks["AUTH003"]["details"]["email"])
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    assert [s["status"] for s in checks["DEV004"]["details"]["steps"]] == [201, 200]


def test_code_from_the_dev_servers_output_is_masked_everywhere(tmp_path: Path) -> None:
    code, token = "731904", "sessiontokencanaryAq7Zr2Lm9Xw4"
    project = otp_project(tmp_path, login='[auth.login]\notp_from = "output"\n',
                          env=f"OTP_FIXED={code}\nSESSION_TOKEN_FIXED={token}\n")
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("junit", "github", "markdown", "sarif")}
    checks, printed = run(project, "--verbose", *[f"--also={k}={v}" for k, v in outputs.items()],
                          only="auth,devserver")
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["source"] == "output"
    console = run_cli("check", "--project", str(project), "--only", "AUTH003", "--verbose", timeout=180)
    everything = printed + console.stdout + console.stderr + "".join(p.read_text() for p in outputs.values())
    assert "[dev mailer] sign-in code for" in everything or "sign-in" in everything
    for canary in (code, token, SECRET):
        assert canary not in everything


def test_a_broken_verify_fails_at_the_verify_step_and_blocks_the_flow(tmp_path: Path) -> None:
    checks, _ = run(otp_project(tmp_path, env="OTP_BROKEN_VERIFY=1\n"))
    assert checks["AUTH003"]["status"] == "fail"
    assert "broke at `verify`" in checks["AUTH003"]["message"]
    assert "400 INVALID_OTP: Invalid OTP" in checks["AUTH003"]["message"]
    assert checks["DEV004"]["status"] == "skip"
    assert "AUTH003 did not sign in" in checks["DEV004"]["message"]


def test_a_route_that_answers_without_a_session_fails_dev004(tmp_path: Path) -> None:
    checks, _ = run(otp_project(tmp_path, env="NOTES_UNPROTECTED=1\n"))
    assert checks["AUTH003"]["status"] == "pass"
    assert checks["DEV004"]["status"] == "fail"
    assert "answers without a session (the route is not protected): POST /api/notes → 201" in checks["DEV004"]["message"]


def test_a_flow_whose_read_back_finds_nothing_names_the_step(tmp_path: Path) -> None:
    checks, _ = run(otp_project(tmp_path, env="NOTES_FORGET=1\n"))
    assert checks["DEV004"]["status"] == "fail"
    assert "step 2 `GET /api/notes/{note_id}` answered 404 (expected 2xx)" in checks["DEV004"]["message"]


def test_no_code_source_fails_and_says_what_was_tried(tmp_path: Path) -> None:
    project = otp_project(tmp_path, login='[auth.login]\notp_from = "mailpit"\ncode_timeout = 1\n')
    checks, _ = run(project)
    assert checks["AUTH003"]["status"] == "fail"
    assert "broke at `code`" in checks["AUTH003"]["message"]
    assert "mailpit: no Mailpit" in checks["AUTH003"]["message"]
    assert "otp_from" in checks["AUTH003"]["hint"]


def test_an_app_without_known_routes_fails_auth003_rather_than_passing(tmp_path: Path) -> None:
    # An explicit [auth.login] asks for an OTP proof; without routes it cannot pass. (Stack
    # alone signs in on its hosted pages: unverified, tests/auth/test_login_methods.py.)
    project = otp_project(tmp_path)
    (project / "deploy-check.toml").write_text('[auth]\nprovider = "stack"\n[auth.login]\notp_from = "smtp"\n')
    checks, _ = run(project, only="AUTH003")
    assert checks["AUTH003"]["status"] == "fail"
    assert "set [auth.login] send, verify, session" in checks["AUTH003"]["message"]


def test_no_signed_in_routes_leave_dev004_unverified(tmp_path: Path) -> None:
    project = otp_project(tmp_path, flow="")
    done = run_cli("check", "--project", str(project), "--only", "DEV004", "-f", "json", timeout=60)
    report = json.loads(done.stdout)
    assert report["checks"][0]["status"] == "skip"
    assert any("signed-in core flow is not described" in u for u in report["unverified"])


@pytest.mark.parametrize(("key", "status"), [("pk_test_Y2xlcmsuZXhhbXBsZS50ZXN0JA", "pass"),
                                             ("pk_live_Y2xlcmsuZXhhbXBsZS50ZXN0JA", "skip")])
def test_clerk_test_codes_only_on_a_development_key(tmp_path: Path, key: str, status: str) -> None:
    # Clerk's test mode: +clerk_test addresses take 424242 (clerk.com/docs/testing/test-emails-and-phones);
    # the otp-app plays the development instance by accepting that fixed code.
    project = otp_project(tmp_path, env=f"OTP_FIXED=424242\nNEXT_PUBLIC_CLERK_PUBLISHABLE_KEY={key}\n",
                          login='[auth.login]\nemail = "deploy-check+clerk_test@example.test"\n'
                                'otp_from = "clerk-test"\nsend = { path = "/api/auth/email-otp/send-verification-otp", '
                                'json = { email = "{email}", type = "sign-in" } }\n'
                                'verify = { path = "/api/auth/sign-in/email-otp", json = { email = "{email}", otp = "{otp}" } }\n'
                                'session = { path = "/api/auth/get-session" }\n')
    text = (project / "deploy-check.toml").read_text().replace('provider = "better-auth"', 'provider = "clerk"')
    (project / "deploy-check.toml").write_text(text)
    checks, _ = run(project, only="AUTH003")
    assert checks["AUTH003"]["status"] == status, checks["AUTH003"]["message"]
    if status == "pass":
        assert checks["AUTH003"]["details"]["source"] == "clerk-test"
    else:
        assert "pk_live_" in checks["AUTH003"]["message"]


def test_the_login_email_must_be_a_reserved_test_address(tmp_path: Path) -> None:
    project = otp_project(tmp_path, login='[auth.login]\nemail = "someone@gmail.com"\n')
    done = run_cli("check", "--project", str(project), "--only", "AUTH003")
    assert done.returncode == 2 and "reserved .test domain" in done.stderr


# -- Mailpit: a loopback stand-in with Mailpit's API shapes ---------------------------------


class FakeMailpit:
    """SMTP in (aiosmtpd), Mailpit's /api/v1/search and /api/v1/message/{ID} out
    (https://mailpit.axllent.org/docs/api-v1/: messages[].ID/To[].Address; message Text/HTML)."""

    def __init__(self, httpserver: Any) -> None:
        from aiosmtpd.controller import Controller

        from checks.runtime.addresses import free_port

        self.messages: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                with outer.lock:
                    outer.messages.append((f"m{len(outer.messages) + 1}", list(envelope.rcpt_tos),
                                           bytes(envelope.content)))
                return "250 OK"

        self.smtp_port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.smtp_port)
        self.controller.start()
        httpserver.expect_request("/api/v1/search").respond_with_handler(self.search)
        httpserver.expect_request(re.compile(r"^/api/v1/message/[^/]+$")).respond_with_handler(self.message)

    def search(self, request: Any) -> Any:
        from werkzeug.wrappers import Response

        wanted = request.args.get("query", "").removeprefix('to:"').removesuffix('"')
        with self.lock:
            found = [{"ID": mid, "To": [{"Address": r} for r in rcpts], "Subject": "Your sign-in code"}
                     for mid, rcpts, _ in self.messages if wanted in rcpts]
        return Response(json.dumps({"total": len(found), "messages": found}), content_type="application/json")

    def message(self, request: Any) -> Any:
        import email

        from werkzeug.wrappers import Response

        mid = request.path.rsplit("/", 1)[-1]
        with self.lock:
            content = next((c for m, _, c in self.messages if m == mid), None)
        if content is None:
            return Response("not found", status=404)
        text = email.message_from_bytes(content).get_payload(decode=True).decode()
        return Response(json.dumps({"ID": mid, "Text": text, "HTML": ""}), content_type="application/json")


def test_code_from_a_local_mailpit(tmp_path: Path, httpserver: Any) -> None:
    mailpit = FakeMailpit(httpserver)
    try:
        project = otp_project(tmp_path, env=f"SMTP_HOST=127.0.0.1\nSMTP_PORT={mailpit.smtp_port}\n",
                              login=f'[auth.login]\notp_from = "mailpit"\nmailpit_url = "{httpserver.url_for("/")}"\n')
        checks, _ = run(project, only="AUTH003")
    finally:
        mailpit.controller.stop()
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["source"] == "mailpit"


# -- a real better-auth server ------------------------------------------------------------


@pytest.fixture(scope="module")
def better_auth() -> Path:
    return node_packages("better-auth-app")


def better_auth_project(root: Path, packages: Path, url: str, login: str) -> Path:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute((packages / "schema.sql").read_text())
    flow = FLOW.replace('{ path = "/", status = 200 }', '{ path = "/api/auth/ok", status = 200 }').replace(
        'expect = { json = { "$.body" = "hello {run}" } } },',
        'expect = { json = { "$.body" = "hello {run}" } }, sql = { query = "SELECT count(*) FROM notes '
        'WHERE id = $1 AND body = $2", params = ["{note_id}", "hello {run}"], equals = 1 } },')
    project = write_project(root, {
        "package.json": '{"name": "app", "private": true, "type": "module", "scripts": {"dev": "node server.mjs"}}\n',
        ".env.local": f"BETTER_AUTH_SECRET={SECRET}\nDATABASE_URL={url}\n",
        "deploy-check.toml": f'[auth]\nprovider = "better-auth"\n{login}\n{flow}'})
    (project / "node_modules").symlink_to(packages / "node_modules")
    shutil.copy(packages / "server.mjs", project / "server.mjs")
    return project


@pytest.mark.parametrize("source", ["smtp", "database"])
def test_a_real_better_auth_server_signs_in_and_the_flow_reaches_the_database(
        tmp_path: Path, fresh_db: str, better_auth: Path, source: str) -> None:
    login = "" if source == "smtp" else '[auth.login]\notp_from = "database"\n'
    project = better_auth_project(tmp_path, better_auth, fresh_db, login)
    checks, printed = run(project, only="AUTH003,DEV002,DEV004")
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["source"] == source
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    # The session was ended afterwards (better-auth's sign-out, with the Origin its CSRF
    # check wants); the test user stays (better-auth deletes users only where the app enables it).
    assert checks["AUTH003"]["details"]["signed_out"] == "/api/auth/sign-out answered 200"
    assert checks["AUTH003"]["details"]["deleted"] == "not deleted: the app does not enable Better Auth's user.deleteUser"
    with psycopg.connect(fresh_db) as connection:
        assert connection.execute('SELECT count(*) FROM "session"').fetchone() == (0,)
        assert connection.execute('SELECT count(*) FROM "user"').fetchone() == (1,)
    assert SECRET not in printed


@pytest.mark.parametrize("resend_accepts", [False, True])
def test_a_code_from_the_database_proves_sign_in_but_not_delivery_by_resend(
        tmp_path: Path, fresh_db: str, better_auth: Path, httpserver: Any, resend_accepts: bool) -> None:
    # The app mails its codes through Resend (tests/fixtures/apps/better-auth-resend); the code
    # is read from Better Auth's verification row, so the mail path is bypassed. Resend's API is
    # played on 127.0.0.1 (https://resend.com/docs/api-reference/domains/list-domains).
    if resend_accepts:
        httpserver.expect_request("/domains").respond_with_json({"object": "list", "data": []})
    else:
        httpserver.expect_request("/domains").respond_with_json({"name": "validation_error"}, status=400)
    project = better_auth_project(tmp_path, better_auth, fresh_db, '[auth.login]\notp_from = "database"\n')
    (project / "package.json").write_text(
        '{"name": "app", "private": true, "type": "module", "scripts": {"dev": "node server.mjs"}, '
        '"dependencies": {"better-auth": "1.2.7", "resend": "4.5.1"}}\n')
    with (project / ".env.local").open("a") as env:
        env.write(f"RESEND_API_KEY=re_canary_Qp4Lm8Zt2Vx7\nDEPLOY_CHECK_MAIL_API_URL={httpserver.url_for('')}\n")
    done = run_cli("check", "--project", str(project), "--only", "AUTH003,AUTH004", "-f", "json", timeout=180)
    report = json.loads(done.stdout)
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["source"] == "database"
    delivery = [clause for clause in report["unverified"] if "delivery by Resend" in clause]
    if resend_accepts:
        assert checks["AUTH004"]["status"] == "pass"
        assert delivery == [] and "not proven" not in checks["AUTH003"]["message"]
    else:
        assert checks["AUTH004"]["status"] == "fail"
        assert checks["AUTH003"]["message"].startswith("signed in; delivery by Resend not proven")
        assert delivery == ["auth: delivery by Resend is not proven: the one-time code was read from the database, "
                            "not from a mail, and AUTH004 did not prove the mail transport"]
        strict = run_cli("check", "--project", str(project), "--only", "AUTH003", "--strict", timeout=180)
        assert strict.returncode == 1, strict.stdout
    assert "re_canary_Qp4Lm8Zt2Vx7" not in done.stdout + done.stderr


def test_the_test_user_is_deleted_where_the_app_lets_a_user_delete_itself(
        tmp_path: Path, fresh_db: str, better_auth: Path) -> None:
    project = better_auth_project(tmp_path, better_auth, fresh_db, "")
    with (project / ".env.local").open("a") as env:
        env.write("DELETE_USER=1\n")
    checks, _ = run(project, only="AUTH003,DEV004")
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    assert checks["AUTH003"]["details"]["deleted"] == "deleted (/api/auth/delete-user)"
    assert checks["AUTH003"]["details"]["signed_out"] == "the session ended with the user"
    with psycopg.connect(fresh_db) as connection:
        assert connection.execute('SELECT count(*) FROM "user"').fetchone() == (0,)
        assert connection.execute('SELECT count(*) FROM "session"').fetchone() == (0,)


@pytest.mark.parametrize("why", ["existed before", "delete_user = false"])
def test_a_user_this_run_did_not_create_is_never_deleted(
        tmp_path: Path, fresh_db: str, better_auth: Path, why: str) -> None:
    project = better_auth_project(tmp_path, better_auth, fresh_db, "")
    with (project / ".env.local").open("a") as env:
        env.write("DELETE_USER=1\n")
    if why == "existed before":
        # A user made by hand (an app that allows no sign-up needs one), with the app's data.
        login = '[auth.login]\nemail = "qa@example.test"\n'
        with psycopg.connect(fresh_db, autocommit=True) as connection:
            connection.execute('INSERT INTO "user" (id, name, email, "emailVerified", "createdAt") '
                               "VALUES ('u-qa', 'QA', 'qa@example.test', true, now() - interval '1 day')")
    else:
        login = "[auth.login]\ndelete_user = false\n"
    text = (project / "deploy-check.toml").read_text()
    (project / "deploy-check.toml").write_text(text.replace('provider = "better-auth"\n', f'provider = "better-auth"\n{login}'))
    checks, _ = run(project, only="AUTH003,DEV004")
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["deleted"] == f"not deleted: {'the user existed before this run' if why == 'existed before' else '[auth.login] delete_user = false'}"
    assert checks["AUTH003"]["details"]["signed_out"] == "/api/auth/sign-out answered 200"
    with psycopg.connect(fresh_db) as connection:
        assert connection.execute('SELECT count(*) FROM "user"').fetchone() == (1,)


def test_node_apps_are_not_left_running(tmp_path: Path) -> None:
    project = otp_project(tmp_path)
    run(project, only="AUTH003")
    left = subprocess.run(["pgrep", "-f", str(project / "server.mjs")], capture_output=True, text=True,
                          env=clean_environ(), check=False)
    assert left.stdout.strip() == ""


@pytest.mark.parametrize(("env", "says"), [
    ("OTP_ACCEPT_ANY=1\n", "for a wrong code (expected a 4xx refusal): the code is not checked"),
    ("SESSION_ANSWERS_ANYONE=1\n", "to a request without any cookie: it does not read the session"),
])
def test_a_login_that_proves_nothing_fails_auth003(tmp_path: Path, env: str, says: str) -> None:
    checks, _ = run(otp_project(tmp_path, env=env), only="AUTH003")
    assert checks["AUTH003"]["status"] == "fail"
    assert says in checks["AUTH003"]["message"]


def test_a_signed_in_page_that_redirects_to_login_fails_dev004(tmp_path: Path) -> None:
    flow = '[dev_server]\nroutes = [{ path = "/dashboard", signed_in = true }]\n'
    checks, _ = run(otp_project(tmp_path, flow=flow))
    assert checks["DEV004"]["status"] == "fail"
    assert "step 1 `GET /dashboard` answered 307 (expected 2xx)" in checks["DEV004"]["message"]


def test_an_eight_digit_code_the_pattern_misses_is_never_quoted(tmp_path: Path) -> None:
    project = otp_project(tmp_path, env="OTP_FIXED=73190455\n",
                          login='[auth.login]\notp_from = "output"\ncode_timeout = 1\n')
    checks, printed = run(project, only="auth,devserver")
    assert checks["AUTH003"]["status"] == "fail" and "broke at `code`" in checks["AUTH003"]["message"]
    assert "73190455" not in printed


@pytest.mark.parametrize(("toml", "says"), [
    ('[dev_server]\nroutes = [{ path = "/x", signed_in = true, sql = { query = "SELECT 3; COMMIT; DELETE FROM audit", equals = 3 } }]\n',
     "must be one read-only SELECT"),
    ('[dev_server]\nroutes = [{ path = "/x", signed_in = true, sql = { query = "WITH d AS (DELETE FROM a RETURNING 1) SELECT count(*) FROM d", equals = 0 } }]\n',
     "it writes"),
    ('[dev_server]\nurl = "http://127.0.0.1:1@192.0.2.2:4567"\n', "must not hold a user name or password"),
    ('[auth.login]\nemail = "someone@gmail.com, deploy-check+{run}@example.test"\n', "one bare address"),
    ('[auth.login]\nmailpit_url = "http://127.0.0.1:1@192.0.2.2:8025"\n', "must not hold a user name or password"),
])
def test_unsafe_login_and_flow_settings_are_refused_at_load(tmp_path: Path, toml: str, says: str) -> None:
    project = otp_project(tmp_path, flow="")
    (project / "deploy-check.toml").write_text(toml)
    done = run_cli("check", "--project", str(project), "--only", "AUTH003")
    assert done.returncode == 2 and says in done.stderr, done.stderr


def test_a_url_with_a_user_name_is_never_taken_for_loopback() -> None:
    from checks.runtime.addresses import loopback_url

    assert loopback_url("http://127.0.0.1:1@192.0.2.2:4567") is None
    assert loopback_url("http://127.0.0.1:3000") == "http://127.0.0.1:3000"


# -- Clerk: a loopback stand-in with the Frontend API's shapes -------------------------------


TOKEN_TIME = int(__import__("time").time())  # one issue time: a token is the same string whenever it is made


class FakeClerk:
    """Clerk's Frontend API as clerk-js speaks to it (clerk/javascript packages/clerk-js:
    auth/devBrowser.ts, resources/SignIn.ts, SignUp.ts, Client.ts): form-urlencoded bodies,
    the dev browser's `id` as `__clerk_db_jwt`, `{response, client}` envelopes, errors as
    `{errors: [{code, message, long_message}]}`, and test mode's fixed code 424242."""

    def __init__(self, httpserver: Any, *, leaky: bool = False, lifetime: int = 0) -> None:
        self.lifetime = lifetime  # > 0: sign-ins hand out a token with that many seconds left
        self.renewed = 0
        self.refuse_renewal = False
        self.users: set[str] = set()
        self.browsers: set[str] = set()
        self.attempts: dict[str, dict[str, str]] = {}  # sia_/sua_ id -> {"email", "kind"}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.ended = 0
        self.leaky = leaky  # every dev browser sees every session
        self.jwt = self.jwt_for("sess_1")
        httpserver.expect_request(re.compile(r"^/v1/.*")).respond_with_handler(self.handle)

    @staticmethod
    def jwt_for(session: str) -> str:
        """A session token shaped like Clerk's: sid and a live exp (its signature is not checked here)."""
        import base64

        claims = {"iat": TOKEN_TIME - 5, "exp": TOKEN_TIME + 3600, "sid": session}
        return ("eyJhbGciOiJSUzI1NiJ9." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
                + f".clerkjwtcanarysig{session}")

    def short_jwt(self, session: str) -> str:
        """A token near its end, as a sign-in's is after a slow first compile of the app's routes."""
        import base64
        import time

        claims = {"iat": int(time.time()) - 50, "exp": int(time.time()) + self.lifetime, "sid": session}
        return ("eyJhbGciOiJSUzI1NiJ9." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
                + f".clerkshortcanary{session}")

    @staticmethod
    def answer(status: int, body: Any) -> Any:
        from werkzeug.wrappers import Response

        return Response(json.dumps(body), status=status, content_type="application/json")

    def client(self, browser: str) -> dict[str, Any]:
        return {"object": "client", "sessions": [s for s in self.sessions.values()
                                                 if s["browser"] == browser or self.leaky]}

    def handle(self, request: Any) -> Any:
        path, form = request.path, request.form
        if request.method == "POST" and path == "/v1/dev_browser":
            browser = f"dvb_{len(self.browsers) + 1}canary"
            self.browsers.add(browser)
            return self.answer(200, {"object": "dev_browser", "id": browser})
        browser = request.args.get("__clerk_db_jwt", "")
        if browser not in self.browsers:
            return self.answer(401, {"errors": [{"code": "dev_browser_unauthenticated", "message": "Unauthenticated"}]})
        if path == "/v1/client" and request.method == "GET":
            return self.answer(200, {"response": self.client(browser)})
        if path == "/v1/client/sessions" and request.args.get("_method") == "DELETE":
            for session in self.sessions.values():
                if session["browser"] == browser and session["status"] == "active":
                    session["status"] = "ended"
                    self.ended += 1
            return self.answer(200, {"response": self.client(browser)})
        renewal = re.fullmatch(r"/v1/client/sessions/(\w+)/tokens", path)
        if renewal and request.method == "POST":
            # clerk-js Session.ts getToken → Token.create(`${this.path()}/tokens`): {object: "token", jwt}
            session = self.sessions.get(renewal.group(1))
            if (session is None or session["browser"] != browser or session["status"] != "active"
                    or self.refuse_renewal):
                return self.answer(404, {"errors": [{"code": "resource_not_found", "message": "not found"}]})
            self.renewed += 1
            return self.answer(200, {"object": "token", "jwt": self.jwt_for(renewal.group(1))})
        if path == "/v1/client/sign_ins":
            email = form.get("identifier", "")
            if email not in self.users:
                return self.answer(422, {"errors": [{"code": "form_identifier_not_found",
                                                     "message": "Couldn't find your account.",
                                                     "long_message": "Couldn't find your account."}]})
            attempt = f"sia_{len(self.attempts) + 1}"
            self.attempts[attempt] = {"email": email, "kind": "sign_in"}
            return self.answer(200, {"response": {"object": "sign_in_attempt", "id": attempt,
                                                  "status": "needs_first_factor", "identifier": email,
                                                  "supported_first_factors": [{"strategy": "email_code",
                                                                               "safe_identifier": email,
                                                                               "email_address_id": "idn_1"}]},
                                     "client": self.client(browser)})
        if path == "/v1/client/sign_ups":
            attempt = f"sua_{len(self.attempts) + 1}"
            self.attempts[attempt] = {"email": form.get("email_address", ""), "kind": "sign_up"}
            return self.answer(200, {"response": {"object": "sign_up_attempt", "id": attempt,
                                                  "status": "missing_requirements",
                                                  "unverified_fields": ["email_address"]},
                                     "client": self.client(browser)})
        step = re.fullmatch(r"/v1/client/sign_(?:ins|ups)/(\w+)/(\w+)", path)
        if step and step.group(1) in self.attempts:
            attempt = self.attempts[step.group(1)]
            if step.group(2).startswith("prepare"):
                return self.answer(200, {"response": {"id": step.group(1), "status": "needs_first_factor"},
                                         "client": self.client(browser)})
            if form.get("code") != "424242" or "+clerk_test" not in attempt["email"]:
                return self.answer(422, {"errors": [{"code": "form_code_incorrect", "message": "Incorrect code"}]})
            self.users.add(attempt["email"])
            session = f"sess_{len(self.sessions) + 1}"
            self.sessions[session] = {"object": "session", "id": session, "status": "active", "browser": browser,
                                      "user": {"email_addresses": [{"email_address": attempt["email"]}]},
                                      "last_active_token": {"object": "token", "jwt": self.short_jwt(session)
                                                            if self.lifetime else self.jwt_for(session)}}
            return self.answer(200, {"response": {"id": step.group(1), "status": "complete",
                                                  "created_session_id": session},
                                     "client": self.client(browser)})
        return self.answer(404, {"errors": [{"code": "resource_not_found", "message": "not found"}]})


def clerk_project(root: Path, httpserver: Any, key_prefix: str = "pk_test_", session_route: bool = True,
                  jwt: str = "") -> Path:
    """A Clerk app: the otp-app takes Clerk's session token as a Bearer (ACCEPT_BEARER) and its
    get-session route is the app's own proof that it honours the session."""
    import base64

    host = f"127.0.0.1:{httpserver.port}"
    key = key_prefix + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")
    project = otp_project(root, env=f"NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY={key}\nCLERK_SECRET_KEY=sk_test_canaryQm2Lx9Vt4\n"
                                    f"ACCEPT_BEARER={jwt or FakeClerk.jwt_for('sess_1')}\n", flow="")
    login = '[auth.login]\nsession = { path = "/api/auth/get-session" }\n' if session_route else ""
    (project / "deploy-check.toml").write_text(f'[auth]\nprovider = "clerk"\n{login}')
    return project


def test_clerk_test_mode_signs_up_then_in_through_the_frontend_api(tmp_path: Path, httpserver: Any) -> None:
    clerk = FakeClerk(httpserver)
    project = clerk_project(tmp_path, httpserver, jwt=clerk.jwt)
    for run_number in (1, 2):  # the first run signs the test identity up, the second in
        # The app takes this run's session token (sess_1, then sess_2).
        env = (project / ".env.local").read_text()
        (project / ".env.local").write_text(re.sub(r"ACCEPT_BEARER=.*", f"ACCEPT_BEARER={clerk.jwt_for(f'sess_{run_number}')}", env))
        checks, printed = run(project, only="AUTH003")
        assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
        assert checks["AUTH003"]["details"]["source"] == "clerk-test"
        assert checks["AUTH003"]["details"]["email"] == "deploy-check+clerk_test@example.test"
        assert checks["AUTH003"]["details"]["app_proof"] == "GET /api/auth/get-session"
        assert clerk.jwt_for(f"sess_{run_number}") not in printed and "dvb_" not in printed
        assert clerk.ended == run_number  # the session is ended after the run
    kinds = [a["kind"] for a in clerk.attempts.values()]
    assert kinds[0] == "sign_up" and "sign_in" in kinds


def test_clerk_frontend_api_that_shows_the_session_to_another_browser_fails(tmp_path: Path, httpserver: Any) -> None:
    clerk = FakeClerk(httpserver, leaky=True)
    checks, _ = run(clerk_project(tmp_path, httpserver), only="AUTH003")
    assert checks["AUTH003"]["status"] == "fail"
    assert "names the test identity to another dev browser" in checks["AUTH003"]["message"]
    assert clerk.ended == 1  # the session it made is ended although the sign-in failed


def test_a_provider_sign_in_the_app_never_sees_is_not_a_pass(tmp_path: Path, httpserver: Any) -> None:
    FakeClerk(httpserver)
    done = run_cli("check", "--project", str(clerk_project(tmp_path, httpserver, session_route=False)),
                   "--only", "AUTH003", "-f", "json", timeout=180)
    report = json.loads(done.stdout)
    assert report["checks"][0]["status"] == "skip"
    assert any("the app's acceptance of the session is not proven" in u for u in report["unverified"])


def test_the_app_must_honour_the_clerk_session(tmp_path: Path, httpserver: Any) -> None:
    FakeClerk(httpserver)
    project = clerk_project(tmp_path, httpserver, jwt="a-token-the-app-does-not-take")
    checks, _ = run(project, only="AUTH003")
    assert checks["AUTH003"]["status"] == "fail"
    assert "the app does not honour the session" in checks["AUTH003"]["message"]


def test_a_publishable_key_must_decode_to_a_bare_host() -> None:
    import base64

    from checks.runtime.signin.providers import clerk_frontend_api

    crafted = "pk_test_" + base64.b64encode(b"192.0.2.2:4?.localhost:1$").decode()
    with pytest.raises(ValueError, match="Frontend API host"):
        clerk_frontend_api(crafted)


def test_a_production_clerk_key_is_never_signed_in_with(tmp_path: Path, httpserver: Any) -> None:
    clerk = FakeClerk(httpserver)
    checks, _ = run(clerk_project(tmp_path, httpserver, "pk_live_"), only="AUTH003")
    assert checks["AUTH003"]["status"] == "skip" and "pk_live_" in checks["AUTH003"]["message"]
    assert clerk.browsers == set()  # nothing was asked of the Frontend API


def test_the_clerk_session_reaches_the_apps_signed_in_routes(tmp_path: Path, httpserver: Any) -> None:
    clerk = FakeClerk(httpserver)
    project = clerk_project(tmp_path, httpserver, session_route=False)
    (project / "deploy-check.toml").write_text('[auth]\nprovider = "clerk"\n' + FLOW)
    checks, printed = run(project)
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["app_proof"] == "DEV004's signed-in routes"
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    assert clerk.jwt not in printed


def test_a_clerk_token_near_its_end_is_renewed_before_the_app_is_asked(tmp_path: Path, httpserver: Any) -> None:
    # The sign-in's token has 10 s left; the app takes only a live one (the renewed token).
    clerk = FakeClerk(httpserver, lifetime=10)
    project = clerk_project(tmp_path, httpserver)
    (project / "deploy-check.toml").write_text('[auth]\nprovider = "clerk"\n[auth.login]\n'
                                               'session = { path = "/api/auth/get-session" }\n' + FLOW)
    checks, printed = run(project)
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    # Once, before the session route: the renewed token has an hour left, so the flow's
    # steps find it live.
    assert clerk.renewed == 1
    assert clerk.jwt not in printed and "clerkshortcanary" not in printed


def test_a_clerk_token_that_cannot_be_renewed_stops_the_flow_by_name(tmp_path: Path, httpserver: Any) -> None:
    clerk = FakeClerk(httpserver, lifetime=10)
    project = clerk_project(tmp_path, httpserver, session_route=False)
    (project / "deploy-check.toml").write_text('[auth]\nprovider = "clerk"\n' + FLOW)
    clerk.refuse_renewal = True
    checks, _ = run(project)
    assert checks["DEV004"]["status"] == "fail"
    assert "tokens answered 404" in checks["DEV004"]["message"] and "not renewed" in checks["DEV004"]["message"]


# -- Supabase: a loopback stand-in for the local Supabase Auth (GoTrue) and its Mailpit -------


class FakeGoTrue:
    """Supabase Auth's email OTP as supabase/auth answers it (POST /auth/v1/otp, /verify,
    GET /user, POST /logout; errors as {code, error_code, msg}), mailing its default
    template's "Alternatively, enter the code: {{ .Token }}" into a Mailpit stand-in."""

    def __init__(self, httpserver: Any, mailpit: FakeMailpit, *, pad: int = 0) -> None:
        import base64
        import secrets

        self.mailpit, self.codes, self.logged_out = mailpit, {}, 0
        self.token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.gotruecanary" + "x" * pad  # pad: a session cookie over 3,180
        self.refresh = "refreshcanary" + secrets.token_hex(4)
        self.anon = "anon-key-for-tests"
        # Shaped as `supabase start`'s service_role key: a JWT for issuer "supabase-demo".
        self.service = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                        + base64.urlsafe_b64encode(b'{"iss":"supabase-demo","role":"service_role"}').decode().rstrip("=")
                        + ".servicecanary" + secrets.token_hex(4))
        self.existing = False  # the test user was there before the run
        # Each address its own session: the first signed in gets `token`, a second (DEV005's) `token_b`.
        self.token_b = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MiJ9.gotruecanaryB" + "x" * pad
        self.issued: dict[str, str] = {}
        self.deleted: list[str] = []
        httpserver.expect_request(re.compile(r"^/auth/v1/.*")).respond_with_handler(self.handle)

    def handle(self, request: Any) -> Any:
        answer = FakeClerk.answer
        if request.headers.get("apikey") not in (self.anon, self.service):
            return answer(401, {"message": "No API key found in request"})
        path, body = request.path, (request.get_json(silent=True) or {})
        admin = re.fullmatch(r"/auth/v1/admin/users/([\w-]+)", path)
        if admin and request.method == "DELETE":
            # supabase/auth internal/api/api.go adminUserDelete: service_role only, 200 {} once done.
            if request.headers.get("Authorization") != f"Bearer {self.service}":
                return answer(403, {"code": 403, "error_code": "not_admin", "msg": "User not allowed"})
            self.deleted.append(admin.group(1))
            return answer(200, {})
        if path == "/auth/v1/otp":
            code = f"{__import__('random').randint(0, 999999):06d}"
            self.codes[body["email"]] = code
            text = ("<h2>Confirm your email</h2>\n<p>Follow this link to confirm your email:</p>\n"
                    f"<p>Alternatively, enter the code: {code}</p>\n")
            with self.mailpit.lock:
                self.mailpit.messages.append((f"m{len(self.mailpit.messages) + 1}", [body["email"]],
                                              f"Subject: Confirm Your Signup\r\n\r\n{text}".encode()))
            return answer(200, {})
        if path == "/auth/v1/verify":
            if body.get("type") != "email" or self.codes.get(body.get("email")) != body.get("token"):
                return answer(403, {"code": 403, "error_code": "otp_expired", "msg": "Token has expired or is invalid"})
            token = self.issued.setdefault(body["email"], self.token_b if self.issued else self.token)
            return answer(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600,
                                "expires_at": 1764603600, "refresh_token": self.refresh,
                                "user": {"id": "u1" if token == self.token else "u2", "email": body["email"],
                                         "aud": "authenticated",
                                         "created_at": "2024-01-01T00:00:00Z" if self.existing
                                         else time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())}})
        said = request.headers.get("Authorization", "")
        bearer = next((email for email, token in self.issued.items() if said == f"Bearer {token}"), None)
        if path == "/auth/v1/user":
            if not bearer:
                return answer(401, {"code": 401, "error_code": "no_authorization",
                                    "msg": "This endpoint requires a valid Bearer token"})
            return answer(200, {"id": "u1" if self.issued[bearer] == self.token else "u2", "email": bearer})
        if path == "/auth/v1/logout" and bearer:
            self.logged_out += 1
            from werkzeug.wrappers import Response

            return Response(status=204)
        return answer(404, {"code": 404, "msg": "not found"})


@pytest.mark.parametrize(("pad", "host"), [(0, "127.0.0.1"), (4000, "127.0.0.1"), (0, "::1")],
                         ids=["one cookie", "chunked cookie", "app on ::1"])
def test_supabase_local_auth_signs_in_with_the_code_from_mailpit_and_the_app_gets_the_session(
        tmp_path: Path, httpserver: Any, pad: int, host: str) -> None:
    mailpit = FakeMailpit(httpserver)
    gotrue = FakeGoTrue(httpserver, mailpit, pad=pad)
    base = httpserver.url_for("/").rstrip("/")
    try:
        # One case without the service-role key: the test user then stays, and AUTH003 says why.
        service = f"SUPABASE_SERVICE_ROLE_KEY={gotrue.service}\n" if host == "127.0.0.1" else ""
        project = otp_project(tmp_path, env=f"NEXT_PUBLIC_SUPABASE_URL={base}\nNEXT_PUBLIC_SUPABASE_ANON_KEY={gotrue.anon}\n"
                                            f"ACCEPT_SUPABASE_TOKEN={gotrue.token}\nHOST={host}\n{service}")
        (project / "deploy-check.toml").write_text(f'[auth]\nprovider = "supabase"\n[auth.login]\nmailpit_url = "{base}"\n'
                                                   + FLOW)
        checks, printed = run(project)
    finally:
        mailpit.controller.stop()
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["source"] == "mailpit"
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    assert gotrue.logged_out == 1
    if service:
        assert gotrue.deleted == ["u1"]
        assert checks["AUTH003"]["details"]["deleted"] == "deleted (DELETE /auth/v1/admin/users/<id>)"
    else:
        assert gotrue.deleted == []
        assert "no service-role key (SUPABASE_SERVICE_ROLE_KEY)" in checks["AUTH003"]["details"]["deleted"]
    for canary in (gotrue.token, gotrue.refresh, gotrue.service, *gotrue.codes.values()):
        assert canary not in printed


@pytest.mark.parametrize("why", ["existed before", "another project's key"])
def test_a_supabase_user_is_deleted_only_when_this_run_made_it_with_the_local_key(
        tmp_path: Path, httpserver: Any, why: str) -> None:
    mailpit = FakeMailpit(httpserver)
    gotrue = FakeGoTrue(httpserver, mailpit)
    base = httpserver.url_for("/").rstrip("/")
    gotrue.existing = why == "existed before"
    # A hosted project's key (issuer supabase, not supabase-demo) must never be sent to delete.
    key = gotrue.service if gotrue.existing else "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJzZXJ2aWNlX3JvbGUifQ.hostedcanary"
    try:
        project = otp_project(tmp_path, env=f"NEXT_PUBLIC_SUPABASE_URL={base}\nNEXT_PUBLIC_SUPABASE_ANON_KEY={gotrue.anon}\n"
                                            f"ACCEPT_SUPABASE_TOKEN={gotrue.token}\nSUPABASE_SERVICE_ROLE_KEY={key}\n")
        (project / "deploy-check.toml").write_text(f'[auth]\nprovider = "supabase"\n[auth.login]\nmailpit_url = "{base}"\n'
                                                   + FLOW)
        checks, printed = run(project, only="AUTH003,DEV004")
    finally:
        mailpit.controller.stop()
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert gotrue.deleted == [] and gotrue.logged_out == 1
    deleted = checks["AUTH003"]["details"]["deleted"]
    assert ("the user existed before this run" in deleted if gotrue.existing
            else "not the local Supabase's" in deleted), deleted
    assert "hostedcanary" not in printed


def test_a_session_route_that_drops_a_request_without_cookie_is_not_proven_to_refuse(tmp_path: Path) -> None:
    checks, _ = run(otp_project(tmp_path, env="SESSION_ANON_RESET=1\n"), only="AUTH003")
    assert checks["AUTH003"]["status"] == "fail"
    assert "without any cookie could not be asked" in checks["AUTH003"]["message"]


@pytest.fixture
def fixed_port() -> int:
    from checks.runtime.addresses import free_port

    return free_port()


def test_better_auth_with_a_localhost_base_url_signs_in_and_out(
        tmp_path: Path, fresh_db: str, better_auth: Path, fixed_port: int) -> None:
    # The most common setup: BETTER_AUTH_URL=http://localhost:PORT. deploy-check reaches the
    # server at 127.0.0.1, sends no Origin with the sign-in and the app's own with the sign-out.
    project = better_auth_project(tmp_path, better_auth, fresh_db, "")
    with (project / ".env.local").open("a") as env:
        env.write(f"BETTER_AUTH_URL=http://localhost:{fixed_port}\n")
    toml = (project / "deploy-check.toml").read_text().replace("[dev_server]", f"[dev_server]\nport = {fixed_port}")
    (project / "deploy-check.toml").write_text(toml)
    checks, _ = run(project, only="AUTH003,DEV004")
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["AUTH003"]["details"]["signed_out"] == "/api/auth/sign-out answered 200"
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]


# -- DEV005's second user through the providers' own sign-ins ---------------------------


def test_clerk_signs_a_second_test_user_in_for_dev005(tmp_path: Path, httpserver: Any) -> None:
    clerk = FakeClerk(httpserver)
    project = clerk_project(tmp_path, httpserver, session_route=False)
    # The app knows both users' tokens: the first sign-up is sess_1, the second user's sess_2.
    with (project / ".env.local").open("a") as env:
        env.write(f"ACCEPT_BEARER_B={clerk.jwt_for('sess_2')}\n")
    (project / "deploy-check.toml").write_text('[auth]\nprovider = "clerk"\n' + FLOW)
    checks, printed = run(project, only="AUTH003,DEV004,DEV005")
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    dev005 = checks["DEV005"]
    assert dev005["status"] == "pass", dev005["message"]
    # Clerk test mode: the second address keeps +clerk_test, so no mail leaves and 424242 works.
    assert dev005["details"]["second_user"] == "deploy-check-b+clerk_test@example.test"
    assert dev005["details"]["probes"][0]["status"] == 404  # the second user's own session, refused
    assert clerk.users == {"deploy-check+clerk_test@example.test", "deploy-check-b+clerk_test@example.test"}
    assert clerk.ended == 2  # both sessions ended
    assert clerk.jwt_for("sess_2") not in printed


def test_supabase_signs_a_second_user_in_for_dev005(tmp_path: Path, httpserver: Any) -> None:
    mailpit = FakeMailpit(httpserver)
    gotrue = FakeGoTrue(httpserver, mailpit)
    base = httpserver.url_for("/").rstrip("/")
    try:
        project = otp_project(tmp_path, env=f"NEXT_PUBLIC_SUPABASE_URL={base}\nNEXT_PUBLIC_SUPABASE_ANON_KEY={gotrue.anon}\n"
                                            f"ACCEPT_SUPABASE_TOKEN={gotrue.token}\nACCEPT_SUPABASE_TOKEN_B={gotrue.token_b}\n"
                                            f"SUPABASE_SERVICE_ROLE_KEY={gotrue.service}\n")
        (project / "deploy-check.toml").write_text(f'[auth]\nprovider = "supabase"\n[auth.login]\nmailpit_url = "{base}"\n'
                                                   + FLOW)
        checks, printed = run(project, only="AUTH003,DEV004,DEV005")
    finally:
        mailpit.controller.stop()
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    dev005 = checks["DEV005"]
    assert dev005["status"] == "pass", dev005["message"]
    assert re.fullmatch(r"deploy-check\+\w+-b@example\.test", dev005["details"]["second_user"])
    assert dev005["details"]["probes"][0]["status"] == 404
    # Both users made by this run with the local key: both deleted, both signed out.
    assert sorted(gotrue.deleted) == ["u1", "u2"] and gotrue.logged_out == 2
    assert dev005["details"]["deleted"] == "deleted (DELETE /auth/v1/admin/users/<id>)"
    assert gotrue.token_b not in printed
