"""`.env.local.example` semantics from DESIGN.md, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from checks.support.envfile import parse_env_text

NEXT_STRIPE_NEON_EXAMPLE = """\
# Database (Neon)
DATABASE_URL=postgresql://user:password@ep-example.us-east-2.aws.neon.tech/neondb?sslmode=require
# Optional: Neon "authenticated" role pooled connection string
DATABASE_AUTHENTICATED_URL=

# Neon Auth
NEON_AUTH_BASE_URL=https://ep-example.neonauth.us-east-2.aws.neon.tech/neondb/auth
NEON_AUTH_COOKIE_SECRET=

# Stripe
STRIPE_SECRET_KEY=sk_test_...
STRIPE_WEBHOOK_SECRET=whsec_...
NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_test_...

# Sentry
NEXT_PUBLIC_SENTRY_DSN=
SENTRY_AUTH_TOKEN=
SENTRY_ORG=
SENTRY_PROJECT=

# Optional — analytics
NEXT_PUBLIC_POSTHOG_KEY=
NEXT_PUBLIC_POSTHOG_HOST=https://us.i.posthog.com
export NEXT_PUBLIC_APP_URL="http://localhost:3000" # optional, defaults to localhost
"""


def test_realistic_next_stripe_neon_example() -> None:
    parsed = parse_env_text(NEXT_STRIPE_NEON_EXAMPLE, Path(".env.local.example"))
    assert parsed.optional_keys == {
        "DATABASE_AUTHENTICATED_URL", "NEXT_PUBLIC_POSTHOG_KEY", "NEXT_PUBLIC_POSTHOG_HOST",
        "NEXT_PUBLIC_APP_URL",
    }
    assert "DATABASE_URL" in parsed.required_keys
    assert "SENTRY_PROJECT" in parsed.required_keys
    assert parsed.values["NEXT_PUBLIC_APP_URL"] == "http://localhost:3000"
    assert parsed.malformed == []
    assert parsed.duplicates == {}


@pytest.mark.parametrize(
    ("text", "optional", "required"),
    [
        pytest.param("A=1 # optional\nB=2\n", {"A"}, ["B"], id="inline-marker"),
        pytest.param("A=1 # Optional: used by staging\n", {"A"}, [], id="inline-marker-capitalised"),
        pytest.param("A=\"x # optional\"\n", set(), ["A"], id="hash-inside-quotes-is-value"),
        pytest.param("A='x' # OPTIONAL\n", {"A"}, [], id="inline-after-single-quotes"),
        pytest.param("A=x#optional\n", set(), ["A"], id="no-space-before-hash-is-value"),
        pytest.param("A= # optional\n", {"A"}, [], id="empty-value-inline-marker"),
        pytest.param("# Optional\nA=\nB=\n\nC=\n", {"A", "B"}, ["C"], id="block-ends-at-blank-line"),
        pytest.param("# Optional\nA=\n# Stripe\nB=\n", {"A"}, ["B"], id="block-ends-at-comment"),
        pytest.param("# optional\n\nA=\n", set(), ["A"], id="blank-line-after-marker"),
        pytest.param("# -- Optional --\nA=\n", {"A"}, [], id="marker-with-dashes"),
        pytest.param("# This is optional\nA=\n", set(), ["A"], id="marker-must-start-the-comment"),
        pytest.param("#   optional: x\nexport A=1\n", {"A"}, [], id="export-in-block"),
        pytest.param("A=1 # not optional\n", set(), ["A"], id="inline-must-start-with-optional"),
        pytest.param('# Optional\nA="multi\nline"\nB=2\n', {"A", "B"}, [], id="multiline-value-in-block"),
    ],
)
def test_optional_markers(text: str, optional: set[str], required: list[str]) -> None:
    parsed = parse_env_text(text, Path("x"))
    assert parsed.optional_keys == optional
    assert parsed.required_keys == required


def test_optional_marker_above_key_covers_its_block() -> None:
    parsed = parse_env_text(
        '# Optional: Neon "authenticated" role pooled connection string\n'
        "DATABASE_AUTHENTICATED_URL=\nDATABASE_AUTHENTICATED_POOL=\n\nDATABASE_URL=\n",
        Path("x"),
    )
    assert parsed.optional_keys == {"DATABASE_AUTHENTICATED_URL", "DATABASE_AUTHENTICATED_POOL"}


@pytest.mark.parametrize(
    ("text", "malformed"),
    [
        ("A=1\nthis is not a line\nB=2\n", [2]),
        ("A=1\n\n\nbad line\n", [4]),
        ('A="unterminated\nB=2\n', [1]),
        ("A=1\nB=2\n", []),
        ("A=1\nLONELY_KEY\n", [2]),
        # An unquoted PEM: its base64 lines would read as keys; they are the secret.
        ("K=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\nQ2hhbmdl==\n-----END PRIVATE KEY-----\nB=2\n", [2, 3, 4]),
    ],
)
def test_malformed_lines_are_found_with_their_line_number(text: str, malformed: list[int]) -> None:
    assert parse_env_text(text, Path("x")).malformed == malformed


def test_duplicate_keys_are_listed_with_lines_and_last_wins() -> None:
    parsed = parse_env_text("A=1\nB=2\n\nA=3\n", Path("x"))
    assert parsed.duplicates == {"A": [1, 4]}
    assert parsed.values["A"] == "3"


def test_values_follow_python_dotenv() -> None:
    import io

    from dotenv import dotenv_values

    text = 'A="x\\ny"\nB=\'raw\\n\'\nC=plain # c\nexport D=4\nE="a#b"\n'
    parsed = parse_env_text(text, Path("x"))
    assert parsed.values == dict(dotenv_values(stream=io.StringIO(text)))


@given(st.text(max_size=300))
def test_parser_never_raises_and_agrees_with_dotenv_on_keys(text: str) -> None:
    import io

    from dotenv import dotenv_values

    assume("-----BEGIN" not in text)  # an unquoted PEM is covered by its own test
    parsed = parse_env_text(text, Path("x"))
    # A `KEY` line without `=` is ignored by Next.js's dotenv: malformed here, not a key.
    # A key that breaks the grammar ([A-Za-z_][A-Za-z0-9_.]*) or is a spilled base64 line
    # is malformed too (issue 13): reported by number, never by its text.
    from checks.support.envfile import KEY_NAME, _spilled_base64

    expected = {k for k, v in dotenv_values(stream=io.StringIO(text)).items()
                if v is not None and KEY_NAME.fullmatch(k) and not _spilled_base64(k, v)}
    assert set(parsed.values) == expected


@pytest.mark.parametrize("line", [
    "AUTH_SECRET:value-canary-9",  # YAML habit
    "Q2hhbmdlTWVJbUFQZW1Cb2R5TGluZVR3b0F6ZXJ0eQ1x==",  # a base64 line ending in ==
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7=",
    "9LIVES=1",
])
def test_a_line_that_is_no_key_is_malformed_by_number(line: str) -> None:
    parsed = parse_env_text(f"A=1\n{line}\n", Path("x"))
    assert parsed.malformed == [2]
    assert list(parsed.values) == ["A"]
