"""The forms a known secret takes in someone else's output (issue 20, section 3): split
over two lines, base64-decoded, hex, lower-cased, and a one-time code base64-encoded;
and the values masked by their place before deploy-check learned them."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from checks.core.context import Context
from checks.project.config import Config
from checks.runtime.process import DevServer
from checks.support.secrets import Masker

from helpers import ProgressRecorder

SECRET = "Split-Canary-0123456789abcdef"


@pytest.mark.parametrize("joint", ["\n", "\n    ", "\r\n\t", "\r\n"])
def test_a_secret_split_over_two_lines_of_one_text_is_masked_in_both(joint: str) -> None:
    for cut in (8, 12, 20):
        text = f"token: {SECRET[:cut]}{joint}{SECRET[cut:]} (wrapped)"
        masked = Masker([SECRET])(text)
        if len(SECRET) - cut >= 8:
            assert SECRET[cut:] not in masked, (cut, masked)
        assert SECRET[:cut] not in masked, (cut, masked)
        assert masked.endswith(" (wrapped)")


def test_a_piece_of_a_secret_inside_a_line_is_not_taken_for_one() -> None:
    masker = Masker([SECRET])
    assert masker("prefix Split-Canary suffix") == "prefix Split-Canary suffix"
    assert masker("an ordinary line ending in Split") == "an ordinary line ending in Split"


def test_the_dev_servers_indented_continuation_of_a_wrapped_secret_is_masked(tmp_path: Path) -> None:
    recorder = ProgressRecorder()
    shown = recorder.shown
    ctx = Context(project=tmp_path, config=Config(), environ={"API_SECRET": SECRET}, progress=recorder)
    server = DevServer(ctx, "true")
    server.output.feed(f"Error: upstream refused token {SECRET[:14]}".encode())
    server.output.feed(f"        {SECRET[14:]}".encode())  # a logger's hanging indent
    for text in shown + server.lines_since(0):
        assert SECRET[:14] not in text and SECRET[14:] not in text, text


def test_derived_forms_of_a_known_secret_are_masked() -> None:
    decoded = "admin:Decoded-Canary-42"
    encoded = base64.b64encode(decoded.encode()).decode()
    masker = Masker([encoded, SECRET])
    said = masker(f"basic credentials were {decoded}; hex {SECRET.encode().hex()} "
                  f"HEX {SECRET.encode().hex().upper()}; lower {SECRET.lower()}")
    for form in (decoded, SECRET.encode().hex(), SECRET.encode().hex().upper(), SECRET.lower()):
        assert form not in said, (form, said)


def test_the_base64_of_a_one_time_code_is_masked() -> None:
    masker = Masker()
    masker.add(["482913"])
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(b"482913").decode()
        assert encoded not in masker(f"mail body: your code is {encoded}"), encoded
    assert masker("ordinary words stay") == "ordinary words stay"


@pytest.mark.parametrize(("text", "kept"), [
    ("Error: new session cookie sid=hdumzQCSpYBBhvU-1-QDneQg", "sid=****"),
    ("set connect.sid=s%3AabcdefghijklmnopQRST.sig", "connect.sid=****"),
    ("cookie __Secure-next-auth.session-token=abcdefgh12345678", "__Secure-next-auth.session-token=****"),
    ("better-auth.session_token=Zx81kQ0aPl2mNb7v; Path=/", "better-auth.session_token=****"),
    ("csrfToken=abcdef0123456789", "csrfToken=****"),
    ("Authorization: Bearer abcDEF0123456789xyz", "Bearer ****"),
    ("< Set-Cookie: id=ZmFrZS1zZXNzaW9uLXZhbHVl; Path=/; HttpOnly", "Set-Cookie: id=****; Path=/"),
    ("> Cookie: theme=dark; id=ZmFrZS1zZXNzaW9uLXZhbHVl", "Cookie: theme=****; id=****"),
])
def test_cookie_and_bearer_values_are_masked_by_their_place(text: str, kept: str) -> None:
    assert kept in Masker()(text)


@pytest.mark.parametrize("text", [
    "the session expired; sign in again", "inside=the-house-of-cards", "Bearer tokens are required",
    "author=Jane Smith", "SESSION_MAX_AGE=3600",
])
def test_prose_about_sessions_and_tokens_is_left_alone(text: str) -> None:
    assert Masker()(text) == text


def test_masking_stays_linear_with_many_secrets_and_long_text() -> None:
    """A sign-in adds its secrets one by one between lines: each add must not rebuild
    anything until the next text, and a text costs one pass, not one per secret."""
    secrets = [f"Canary-{n:04d}-" + "k" * 20 for n in range(300)]
    masker = Masker()
    began = time.perf_counter()
    for secret in secrets:
        masker.add([secret])
    line = ("GET /api/items 200 in 12ms " * 80) + secrets[-1][:20]
    for _ in range(200):
        masker(line)
    assert time.perf_counter() - began < 5.0
    assert masker(line).endswith("****")


def test_values_sent_under_secret_names_are_secrets_when_the_config_is_read() -> None:
    from checks.project.config import parse_config

    config = parse_config({
        "dev_server": {"routes": [
            {"path": "/api/keys?api_key=Query-Key-Canary&page=2", "method": "POST",
             "json": {"title": "a note", "auth": {"Authorization": "Bearer Nested-Canary-0042"},
                      "tokens": ["List-Canary-0001"], "password_confirm": "{run}-Pw-Canary"}},
        ]},
        "auth": {"login": {"send": {"path": "/api/otp", "json": {"email": "{email}", "otp": "{otp}"}},
                           "verify": {"path": "/api/verify", "json": {"client_secret": "Login-Canary-77"}}}},
    }, None)
    assert config.sent_secrets() == {"Query-Key-Canary", "Bearer Nested-Canary-0042", "List-Canary-0001",
                                     "-Pw-Canary", "Login-Canary-77"}


@pytest.mark.parametrize("text", ["a" * 200_000, "sess" * 50_000 + "=", "a1" * 100_000 + "=x"])
def test_a_long_run_of_letters_is_masked_in_one_pass(text: str) -> None:
    """A 64 KiB line of the dev server is masked before it is cut: each start of a URL
    scheme or a cookie name must not scan the rest of the run (it took minutes)."""
    masker = Masker(["a" * 16 + "XYZ123-canary"])
    began = time.perf_counter()
    masker(text)
    assert time.perf_counter() - began < 5.0
