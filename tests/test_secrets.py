"""Masking: whatever the text, a known secret never survives it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from checks.context import Context, SilentProgress
from checks.model import Status
from checks.registry import select
from checks.runner import run
from checks.secrets import Masker, is_secret_name, secret_values

# A secret made of the mask's own character could be re-formed by the mask itself.
secret_text = st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s and "*" not in s)


@given(secret=secret_text, before=st.text(max_size=50), after=st.text(max_size=50))
def test_a_known_secret_never_survives_masking(secret: str, before: str, after: str) -> None:
    masked = Masker([secret])(before + secret + after)
    assert secret not in masked


@given(secret=secret_text)
def test_url_encoded_secret_is_masked_too(secret: str) -> None:
    encoded = quote(secret, safe="")
    assert encoded not in Masker([secret])(f"postgresql://app:{encoded}@db/x failed")


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
