"""Masking: whatever the text, a known secret never survives it."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
