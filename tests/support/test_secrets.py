"""Masking: whatever the text, a known secret never survives it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from checks.core.context import Context, SilentProgress
from checks.core.model import Status
from checks.core.registry import select
from checks.core.runner import run
from checks.support.secrets import WHOLE_TOKEN_BELOW, Masker, is_secret_name, secret_values

# A secret made of the mask's own character could be re-formed by the mask itself.
secret_text = st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s and "*" not in s)


long_secret = secret_text.filter(lambda s: len(s) >= WHOLE_TOKEN_BELOW)


@given(secret=long_secret, before=st.text(max_size=50), after=st.text(max_size=50))
def test_a_known_secret_never_survives_masking(secret: str, before: str, after: str) -> None:
    masked = Masker([secret])(before + secret + after)
    assert secret not in masked


@given(secret=secret_text, before=st.text(max_size=50), after=st.text(max_size=50))
def test_a_short_secret_standing_as_a_token_never_survives(secret: str, before: str, after: str) -> None:
    # Short values are masked as whole tokens (issue 13: "short" inside "shorter").
    masked = Masker([secret])(f"{before} {secret} {after}")
    assert f" {secret} " not in masked


def test_a_short_secret_never_mangles_prose() -> None:
    masker = Masker(["short"])
    assert masker("shorter than 32 characters; token: short.") == "shorter than 32 characters; token: ****."


@given(secret=secret_text)
def test_url_encoded_secret_is_masked_too(secret: str) -> None:
    encoded = quote(secret, safe="")
    # Judged where the password sits: the text around it may hold the same letters
    # (hypothesis drew "fail", in "failed", and "post", in "postgresql").
    masked = Masker([secret])(f"postgresql://app:{encoded}@db/x failed")
    assert masked.startswith("postgresql://app:****@")


@pytest.mark.parametrize(
    "text",
    [
        'connection to server at "db.internal" failed: postgresql://app:Unseen-Pw@db.internal/x',
        "dsn: host=db user=app password=Unseen-Pw dbname=x",
        "dsn: host=db user=app password='Unseen-Pw' dbname=x",
        "https://user:Unseen-Pw@example.invalid/path",
    ],
)
def test_url_and_keyword_passwords_are_masked_even_when_unknown(text: str) -> None:
    assert "Unseen-Pw" not in Masker()(text)


@pytest.mark.parametrize(
    ("key", "secret"),
    [("API_SECRET", True), ("GITHUB_TOKEN", True), ("DB_PASSWORD", True), ("SMTP_PASS", True),
     ("PRIVATE_PEM", True), ("STRIPE_KEY", True), ("AB_SALT", True), ("GCP_CREDENTIALS", True),
     ("DATABASE_URL", False), ("SENTRY_ORG", False), ("NEXT_PUBLIC_APP_URL", False)],
)
def test_secret_names(key: str, secret: bool) -> None:
    assert is_secret_name(key) is secret


def test_secret_values_take_secret_keys_and_url_passwords_only() -> None:
    found = secret_values({
        "API_SECRET": "s3cret-value", "DATABASE_URL": "postgres://app:url-pass@db/x",
        "SENTRY_ORG": "acme", "SHORT_TOKEN": "abc",
    })
    assert found == {"s3cret-value", "url-pass"}


def test_each_line_of_a_multi_line_secret_is_a_secret() -> None:
    body = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw", "Z2dTakFnRUFBb0lCQVFDNytoZXJl"]
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body) + "\n==\n-----END PRIVATE KEY-----"
    escaped = pem.replace("\n", "\\n")  # as a single-quoted .env value holds it
    for secret in (pem, escaped):
        masker = Masker([secret])
        logged = "\n".join(f"key line: {line}" for line in pem.splitlines())
        masked = masker(logged)
        assert not any(line in masked for line in body), masked
        assert "key line: ==" in masked  # too short to be worth masking


def test_live_progress_is_masked(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/auth/.well-known/jwks.json").respond_with_json(
        {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]})
    canary = "Progress-Canary-pw"
    base = httpserver.url_for("/auth").replace("://", f"://app:{canary}@")
    seen: list[str] = []

    class Recorder(SilentProgress):
        def update(self, check_id: str, text: str) -> None:
            seen.append(text)

    ctx = Context(project=tmp_path, environ={"NEON_AUTH_BASE_URL": base,
                                             "NEON_AUTH_COOKIE_SECRET": "c" * 43}, progress=Recorder())
    asyncio.run(run(select("AUTH002"), ctx, Status.FAIL))
    assert any(text.startswith("GET http://app:****@") for text in seen), seen
    assert not any(canary in text for text in seen)


# -- one detector, by name and by value shape (issue 13) -------------------------------

@pytest.mark.parametrize(("key", "value"), [
    ("STRIPE_SK", "sk_live_51HqLyjWDarjtT1zdp7dcXyZ0aBcDeF"),
    ("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("SESSION", "9fK2xQ7mL4pR8vT1wZ3bN6cH0jD5sG2y"),
    ("WEBHOOK_SIGNING", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ("SUPABASE_ADMIN", "sb_secret_Qw3rTy8uIoP2aSdF-gHjKl_ZxCvBnM9q"),
    ("OPENAI", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("CI", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("AWS", "AKIAIOSFODNN7EXAMPLE"),
    ("SLACK", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
])
def test_a_secret_is_known_by_its_shape_whatever_its_name(key: str, value: str) -> None:
    from checks.support.secrets import has_token_shape

    assert value in secret_values({key: value})
    assert value not in Masker(secret_values({key: value}))(f"the server said: {value}")
    if has_token_shape(value):  # a known shape is masked even where it was never seen
        assert value not in Masker()(f"the server said: {value}")


@pytest.mark.parametrize(("key", "value"), [
    ("NEXT_PUBLIC_APP_URL", "http://localhost:3000"), ("BETTER_AUTH_URL", "http://localhost:3000"),
    ("SENTRY_ORG", "acme"), ("NODE_ENV", "development"), ("AUTH_TRUST_HOST", "true"),
    ("SESSION_MAX_AGE", "3600"), ("JWT_EXPIRES_IN_SECONDS", "86400"),
])
def test_ordinary_values_are_not_secrets(key: str, value: str) -> None:
    assert secret_values({key: value}) == set()


def test_a_token_used_as_a_url_user_name_is_masked() -> None:
    text = "cloning https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/app"
    assert "ghp_" not in Masker()(text)
    assert "abcdefghijklmnopqrstuvwx" not in Masker()("https://abcdefghijklmnopqrstuvwx@git.example/x")


@pytest.mark.parametrize("text", [
    "connecting to postgresql://app:pa/ss-Unseen9@db.example.com/app",
    "libpq: invalid URI query parameter ?password=Unseen-Pw%zz",
    "postgresql://app@db/x?sslpassword=Unseen-Pw&sslmode=require",
    "postgresql://app@db/x?password:Unseen-Pw",
    "issuer https://id.example.com/?client_secret=Unseen-Pw",
])
def test_url_passwords_in_every_spelling(text: str) -> None:
    assert "Unseen" not in Masker()(text)


def test_base64_and_basic_auth_forms_of_a_known_secret_are_masked() -> None:
    import base64

    token = "sntrys_Tok3nCanary-0f9e8d7c6b5a"
    masker = Masker([token])
    for prefix in ("", "a", "ab", "Bearer ", "user:"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode((prefix + token).encode()).decode()
            masked = masker(f"Authorization: Basic {encoded} rejected")
            assert encoded[4:-4] not in masked, (prefix, encoded)


def test_a_secret_split_across_two_lines_is_masked_in_both() -> None:
    secret = "Split-Canary-0123456789abcdef"
    masker = Masker([secret])
    before, after = masker.across("token: " + secret[:12], secret[12:] + " (wrapped)")
    assert secret[:12] not in before and secret[12:] not in after
    assert after.endswith(" (wrapped)")


def test_a_create_role_password_in_a_statement_is_masked() -> None:
    text = "statement failed: CREATE ROLE app LOGIN PASSWORD 'Role-Pw-Canary' (in schema.sql:3)"
    assert "Role-Pw-Canary" not in Masker()(text)


def test_secrets_in_deploy_check_toml_are_masked(tmp_path: Path) -> None:
    from helpers import run_cli, write_project

    toml = ('[dev_server]\ncommand = "STRIPE_SECRET_KEY=toml-canary-Xq81 node server.js; exit 3"\n'
            '[auth]\nprovider = "oidc"\nissuer = "https://id.example.com/?client_secret=toml-canary-Zr55"\n')
    project = write_project(tmp_path, {"deploy-check.toml": toml})
    for fmt in ("console", "json"):
        done = run_cli("check", "--project", str(project), "--only", "devserver,AUTH001", "-f", fmt)
        said = done.stdout + done.stderr
        assert "toml-canary" not in said, fmt


def test_the_start_of_a_secret_at_a_lines_end_is_masked_before_the_rest_arrives() -> None:
    secret = "Split-Canary-0123456789abcdef"
    masker = Masker([secret])
    assert masker.unfinished("token: " + secret[:12]) == "token: ****"
    assert masker.unfinished("an ordinary line ending in Split") == "an ordinary line ending in Split"


def test_live_progress_never_shows_half_a_wrapped_secret(tmp_path: Path) -> None:
    """The dev server's lines as progress shows them, one at a time: a secret a logger
    wrapped over two lines is masked in the first before the second arrives."""
    from checks.core.context import Context
    from checks.project.config import Config
    from checks.runtime.process import DevServer

    secret = "Wrapped-Canary-0123456789abcdefXYZ"
    shown: list[str] = []

    class Recorder:
        def update(self, check_id: str, text: str) -> None:
            shown.append(text)

    ctx = Context(project=tmp_path, config=Config(), environ={"API_SECRET": secret},
                  progress=Recorder())  # type: ignore[arg-type]
    ctx.masker.add([secret])
    server = DevServer(ctx, "true")
    server.output.feed(("key=" + secret[:15]).encode())
    server.output.feed((secret[15:] + " (wrapped)").encode())
    stored = server.lines_since(0)
    for text in shown + stored:
        assert secret[:15] not in text and secret[15:] not in text, text
    assert stored[1].endswith(" (wrapped)")


def test_a_cut_line_ending_in_half_of_a_later_known_secret_is_masked() -> None:
    secret = "Late-Cookie-Canary-0123456789abcdef"
    masker = Masker()
    line = "set-cookie: session=" + secret[:20] + " […]"  # cut before the cookie was known
    masker.add([secret])
    assert secret[:20] not in masker(line) and masker(line).endswith(" […]")


def test_a_dictionary_word_secret_does_not_rename_the_reports_own_fields(tmp_path: Path) -> None:
    """shadcn-ui/taxonomy's README URL `mysql://root:root@localhost:3306`: the password `root`
    turned the JSON key `project_model.root` into `****`, breaking every reader of the report.
    Its fields stay; every value that holds the word is still masked."""
    from tests.helpers import run_json, write_project

    project = write_project(tmp_path / "app", {
        "package.json": '{"name": "notes", "dependencies": {"next": "15.0.0"}}',
        ".env.example": "DATABASE_URL=\n",
        ".env.local": "DATABASE_URL=postgresql://app:root@127.0.0.1:9/notes\n",
    })
    _, report = run_json(project, "--only", "env")
    assert report["project_model"]["root"].endswith("/app")  # the field, under its own name
    assert "app:root@" not in json.dumps(report)
    assert Masker(["root"]).deep({"root": "the workspace root", "ROOT": "root"}) == {
        "root": "the workspace ****", "ROOT": "****"}
