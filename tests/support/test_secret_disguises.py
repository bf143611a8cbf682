"""A known secret in the disguises other programs print it in: base64 wrapped at MIME's 76
columns, a long token wrapped over three lines or more, another case, an invisible character,
a tab or an HTML entity inside it, and the like. Masked in one text (a library's error, a
report) and in the dev server's lines as they come (live progress included), never shown in
part; and ordinary words and short values are left alone."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from checks.core.context import Context
from checks.project.config import Config
from checks.runtime.process import DevServer
from checks.support.secrets import PARTIAL_MIN, Masker, secret_values

from helpers import ProgressRecorder

PASSWORD = "Kx9vQm2LpT7wRz4N"
DATABASE_URL = f"postgres://user:{PASSWORD}@db.internal/app"
TOKEN = "tok_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 3  # 100 characters
ENV = {"DATABASE_URL": DATABASE_URL, "API_SECRET": TOKEN}


def mime_lines(data: bytes) -> list[str]:
    """Base64 as MIME writes it: 76 columns a line (RFC 2045 6.8)."""
    return base64.encodebytes(data).decode().splitlines()


def encoded_secret(prefix: bytes, secret: str) -> str:
    """The base64 characters that only the secret's bytes decide (none of its neighbours')."""
    encoded = base64.b64encode(prefix + secret.encode() + b"@").decode()
    first = -(-len(prefix) * 8 // 6)
    last = (len(prefix) + len(secret)) * 8 // 6  # exclusive
    return encoded[first:last]


def windows(secret: str, width: int = 8) -> list[str]:
    return [secret[at:at + width] for at in range(len(secret) - width + 1)]


def fed(lines: list[str], env: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """The dev server's lines fed one at a time: (what live progress showed, what was kept)."""
    recorder = ProgressRecorder()
    shown = recorder.shown
    ctx = Context(project=Path("/nonexistent"), config=Config(), environ=env or ENV, progress=recorder)
    server = DevServer(ctx, "true")
    for line in lines:
        server.output.feed(line.encode())
    return shown, server.lines_since(0)


# -- 1. base64, wrapped ----------------------------------------------------------------

@pytest.mark.parametrize("lead", range(0, 76, 5))
@pytest.mark.parametrize(("secret", "before"), [
    (PASSWORD, "postgres://user:"), (TOKEN, ""), (TOKEN, "API_SECRET="),
])
def test_mime_wrapped_base64_holding_a_secret_is_masked_on_every_line(lead: int, secret: str, before: str) -> None:
    prefix = b"x" * lead + before.encode()
    tail = b"@db.internal/app" if before.startswith("postgres") else b"\n"
    lines = mime_lines(prefix + secret.encode() + tail)
    hidden = encoded_secret(prefix, secret)
    in_one_text = Masker(secret_values(ENV))("\n".join(lines))
    shown, kept = fed(lines)
    for said in (in_one_text.replace("\n", ""), "".join(kept)):
        assert not any(piece in said for piece in windows(hidden, 6)), said
    for text in shown:  # a line at a time: a piece shorter than PARTIAL_MIN waits for the next one
        assert not any(piece in text for piece in windows(hidden, PARTIAL_MIN + 2)), text


def test_mime_wrapped_base64_of_a_database_url_in_an_error_is_masked() -> None:
    head = "could not connect to the database: "  # the password's base64 straddles the 76th column
    lines = mime_lines(f"{head}{DATABASE_URL}".encode())
    said = Masker(secret_values(ENV))("Error: mail body was\n" + "\r\n".join(lines) + "\nend")
    assert said.startswith("Error: mail body was\n") and said.endswith("\nend")
    assert "****" in said
    for piece in windows(encoded_secret(f"{head}postgres://user:".encode(), PASSWORD), 6):
        assert piece not in said.replace("\r\n", ""), piece


# -- 2. a secret wrapped over three lines or more -----------------------------------------

@pytest.mark.parametrize("width", [12, 20, 30, 45])
@pytest.mark.parametrize("indent", ["", "    ", "\t"])
def test_a_secret_wrapped_over_many_lines_is_masked_on_every_line(width: int, indent: str) -> None:
    head = "Error: upstream refused token "
    text = head + TOKEN
    lines = [text[:len(head) + width]] + [indent + TOKEN[at:at + width] for at in range(width, len(TOKEN), width)]
    lines[-1] += " (retrying)"
    assert len(lines) >= 3
    in_one_text = Masker([TOKEN])("\n".join(lines))
    shown, kept = fed(lines, {"API_SECRET": TOKEN})
    for said in (in_one_text, *kept):
        assert not any(piece in said for piece in windows(TOKEN)), said
    assert in_one_text.startswith("Error: upstream refused token ****\n") and in_one_text.endswith("**** (retrying)")
    assert kept[0] == "Error: upstream refused token ****" and kept[-1].endswith("**** (retrying)")
    assert all(line.strip() == "****" for line in kept[1:-1]), kept
    for text in shown:
        assert not any(piece in text for piece in windows(TOKEN)), text


def test_a_wrapped_secret_in_a_json_string_is_masked() -> None:
    logged = json.dumps({"msg": "token rejected", "token": TOKEN[:40] + "\n" + TOKEN[40:80] + "\n" + TOKEN[80:]})
    said = Masker([TOKEN])(logged)
    assert json.loads(said)["token"] == "****" and json.loads(said)["msg"] == "token rejected"


# -- 3. case, invisible characters, tabs, entities ---------------------------------------

SECRET = "Pa/ss&wo<rd-K9x2Lq"


@pytest.mark.parametrize("disguised", [
    SECRET.upper(), SECRET.lower(), SECRET.swapcase(), SECRET[:4].upper() + SECRET[4:],
    *(SECRET[:7] + mark + SECRET[7:] for mark in ("\t", "\u200b", "\u200c", "\u200d", "\ufeff")),
    SECRET[:3] + "\u200b" + SECRET[3:9] + "\u200d" + SECRET[9:],
    SECRET.replace("/", "&#x2F;"), SECRET.replace("/", "&#47;"), SECRET.replace("/", "&sol;"),
    SECRET.replace("&", "&amp;"), html.escape(SECRET), SECRET.replace("<", "&lt;").upper(),
], ids=repr)
def test_a_known_secret_in_another_case_or_with_something_invisible_inside_is_masked(disguised: str) -> None:
    masker = Masker([SECRET])
    assert masker(f"said {disguised} ok") == "said **** ok"
    assert fed([f"said {disguised} ok"], {"API_SECRET": SECRET})[1] == ["said **** ok"]


@pytest.mark.parametrize("disguised", [
    quote(SECRET, safe=""), quote(SECRET), quote(SECRET).lower(), SECRET.replace("<", "%3c"),  # URL-encoded, in part
    json.dumps(SECRET)[1:-1].replace("<", "\\u003c"),  # Go's encoding/json escapes <, > and &
    SECRET.replace("/", "\\/"), SECRET[:6] + "\\n" + SECRET[6:],  # JSON escapes
    SECRET.replace("/", "\\x2f"), SECRET.replace("<", "\\x3C"),  # JavaScript's and Python's escapes
    SECRET[:10] + "=\n" + SECRET[10:],  # quoted-printable's soft line break (a mail body)
    json.dumps(json.dumps(SECRET[:6] + "\n" + SECRET[6:]))[3:-3],  # JSON logged inside JSON: `\\\\n`
    SECRET.replace("&", "\\u{26}"),  # ECMAScript 2015's code point escape
    "".join(chr(ord(c) + 0xFEE0) for c in SECRET),  # fullwidth forms: read as the ASCII
    SECRET[:6] + "\x1b[31m" + SECRET[6:] + "\x1b[0m",  # a colour change inside
    SECRET[:5] + "\x00" + SECRET[5:], SECRET[:5] + "\u202e" + SECRET[5:],  # dropped by every report
], ids=repr)
def test_a_known_secret_escaped_encoded_or_coloured_in_part_is_masked(disguised: str) -> None:
    said = Masker([SECRET])(f"said {disguised} ok")
    assert said in ("said **** ok", "said ****\x1b[0m ok", "said ****=\n**** ok"), said  # a mask on each line


def test_a_secret_wrapped_under_a_process_managers_line_prefix_is_masked() -> None:
    """docker compose, concurrently and turborepo put their own prefix before each line."""
    for prefix in ("web-1  | ", "[web] ", "web:dev: "):
        lines = [f"{prefix}Error: token {TOKEN[:30]}", *(prefix + TOKEN[at:at + 30] for at in range(30, 100, 30))]
        in_one_text = Masker([TOKEN])("\n".join(lines))
        shown, kept = fed(lines, {"API_SECRET": TOKEN})
        assert in_one_text.splitlines() == kept == [f"{prefix}Error: token ****", *[f"{prefix}****"] * 3]
        for text in shown:
            assert not any(piece in text for piece in windows(TOKEN)), text


def test_the_start_of_a_secret_an_app_shortened_for_show_is_masked() -> None:
    masker = Masker([TOKEN])
    assert masker(f"using key {TOKEN[:8]}... for uploads") == "using key ****... for uploads"
    assert masker(f"using key {TOKEN[:30]}… (truncated)") == "using key ****… (truncated)"
    assert masker(f"using key {TOKEN[:7]}... and {TOKEN[:8]}x...") == f"using key {TOKEN[:7]}... and {TOKEN[:8]}x..."


# -- what must stay --------------------------------------------------------------------

@pytest.mark.parametrize(("secret", "text"), [
    ("Hunter7", "HUNTER7 and hunter7 are other words"),  # short: only the value itself, as a token
    ("Hunter7", "Hunt\u200ber7 is not it either"),
    ("abcd", "ab\ncd"),
    ("482913", "code 48291\n3 and 4829\u200b13"),
    ("Production-Key-0042", "NODE_ENV=production\nmode: Production, key 0042"),
    ("Production-Key-0042", "Production-Key-0041"),
])
def test_ordinary_words_and_short_values_are_left_alone(secret: str, text: str) -> None:
    assert Masker([secret])(text) == text


def test_a_short_value_at_the_start_of_a_line_is_still_masked() -> None:
    masker = Masker(["482913"])
    assert masker("your code is\n482913\nthanks") == "your code is\n****\nthanks"
