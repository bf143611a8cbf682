"""A text as a reader takes it in, for finding a known secret in what another program made of
it: in lower case, fullwidth letters as ASCII; without what cannot be seen (zero-width
characters, a byte-order mark, control characters, ANSI colour codes, bidi marks) or is layout
(a tab; a line break with the next line's indentation and a process manager's prefix, which a
wrapping logger or a MIME encoder puts inside a long token; a JSON string's `\\n`, escaped
once or more); with HTML entities, %XX, JSON's and JavaScript's escapes and quoted-printable's
`=3D` decoded. Each character of this view leads back to the characters of the text it came
from, so what is found in the view is masked in the text."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from urllib.parse import unquote

from checks.support.lazyre import lazy

# What a process manager puts before each line of the app's: docker compose's `web-1  | `
# (docker/compose cmd/formatter/logs.go, setPrefix), concurrently's `[web] ` (its --prefix
# default, open-cli-tools/concurrently README), turborepo's `web:dev: ` (--log-prefix).
LINE_PREFIX = r"(?:[\w.@/-]{1,40}[ \t]+\|[ \t]|\[[\w.@/:-]{1,40}\][ \t]|[\w.@/-]{1,40}:[\w-]{1,40}:[ \t])"
CONTINUED = rf"[ \t]*(?:{LINE_PREFIX}[ \t]*)?"  # what starts the next line: indentation, a prefix
# Where a line goes on with the next: its break (after a shell's `\` or quoted-printable's soft
# `=`, RFC 2045 6.7 rule 5) and what starts the next line.
JOINT = lazy(rf"[\\=]?\r?\n{CONTINUED}")
LINE_START = lazy(CONTINUED)
# Dropped wherever they stand: the characters every report drops (checks/core/model.py
# printable, so a secret split by one would come out whole), zero-width ones, a soft hyphen.
INVISIBLE = "".join(chr(code) for code in (
    *range(0x00, 0x09), *range(0x0B, 0x0D), *range(0x0E, 0x1B), *range(0x1C, 0x20), *range(0x7F, 0xA0), 0xAD,
    0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065),
    *range(0x2066, 0x206A), 0xFEFF))
# What is dropped or decoded, one alternative a kind. Each starts with a fixed character (the
# invisible ones listed one by one), so the engine skips to the candidates: a text without any
# costs one fast scan.
DISGUISES = (
    rf"\n{CONTINUED}", rf"\r\n{CONTINUED}", rf"\\\r?\n{CONTINUED}", rf"=\r?\n{CONTINUED}",  # line breaks
    r"\\\\*(?:r\\+n|[nrt])(?:\\+t|[ \t])*",  # the same escaped in a string, once or more (JSON in JSON)
    r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])?",  # ANSI CSI, OSC, others
    r"\t", *(re.escape(char) for char in INVISIBLE), r"\r",
    r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});",  # HTML (WHATWG's named references)
    r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*",  # URL encoding (RFC 3986 2.1), a run at a time (UTF-8)
    # JSON's (RFC 8259 7), JavaScript's \xHH, \u{H…} and \' (ECMA-262 12.9.4), Python's: once or more.
    r"\\\\*(?:u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,6}\}|x[0-9A-Fa-f]{2}|[/\"'])|\\\\",
    r"=3[Dd]",  # quoted-printable's `=` (RFC 2045 6.7)
)
DISGUISE = lazy("(" + "|".join(DISGUISES) + ")")  # one group: split() keeps what it cut out
# Only U+0130 (İ) lowers to two characters: lowered alone, the view keeps one per character.
DOTTED_I = "\u0130"
# Unicode's fullwidth forms of ASCII (U+FF01–FF5E, `ｔｏｋ＿`), which read as the ASCII.
FULLWIDTH = lazy("[\uff01-\uff5e]")
HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def lowered(text: str) -> str:
    """`text.lower()`, one character for one, and the ASCII a fullwidth form stands for."""
    if FULLWIDTH.search(text):
        text = text.translate(HALFWIDTH)
    return (text.replace(DOTTED_I, "i") if DOTTED_I in text else text).lower()


class Folded:
    """`view`: the text as a reader takes it in (see the module); `span()` leads a span of the
    view back to the text. Kept as the pieces the text was cut into (what it holds as it is,
    then a disguise, in turns), so the way back costs a search in a list as long as the text
    has disguises, not one entry per character."""

    __slots__ = ("_pieces", "_shown", "_text_at", "_view_at", "risky", "view")

    def __init__(self, pieces: list[str], shown: list[str]) -> None:
        self._pieces = pieces  # of the text
        self._shown = shown  # what each stands for in the view
        self._text_at = [0, *accumulate(map(len, pieces))]
        self._view_at = [0, *accumulate(map(len, shown))]
        self.view = lowered("".join(shown))
        # Whether a disguise of several characters may have cut a secret's first or last
        # character off into itself (`&amp` ending a secret, `=\n` after its `==`, a line
        # prefix of its first letters): then the secret is looked for as written too. A line
        # break and its indentation cannot, nor a single character dropped.
        self.risky = any(len(piece) > 1 and piece.strip(" \t\r\n") for piece in pieces[1::2])

    @property
    def drops_edge(self) -> bool:
        """Whether the text starts or ends with a disguise dropped from the view."""
        return (not self._pieces[0] and not self._shown[1]) or (not self._pieces[-1] and not self._shown[-2])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The text's span behind view[start:end] (end > start): a decoded character stands
        for all of what it was decoded from."""
        first = bisect_right(self._view_at, start) - 1
        last = bisect_right(self._view_at, end - 1) - 1
        text_start = self._text_at[first] + (start - self._view_at[first] if self._kept(first) else 0)
        text_end = (self._text_at[last] + end - self._view_at[last] if self._kept(last)
                    else self._text_at[last + 1])
        return text_start, text_end

    def _kept(self, index: int) -> bool:
        return self._shown[index] == self._pieces[index]


def fold(text: str) -> Folded | None:
    """The view of `text`, or None when nothing but case sets it apart (`lowered(text)` is the
    view then, character for character)."""
    if DISGUISE.search(text) is None:
        return None
    pieces = DISGUISE.split(text)  # what is kept, a disguise, what is kept, …
    shown = pieces[:]
    for index in range(1, len(pieces), 2):
        disguise = pieces[index]
        decoded = DROP.get(disguise)
        shown[index] = _decoded(disguise) if decoded is None else decoded
    return Folded(pieces, shown)


# The most frequent disguises, dropped: a line break and its indentation.
DROP = {"\n": "", "\r\n": "", "\t": "", **{"\n" + " " * n: "" for n in range(1, 17)}}
def _decoded(disguise: str) -> str:
    """What one match of DISGUISE stands for: nothing for what is dropped."""
    lead = disguise[0]
    if lead == "&":
        if disguise[1] == "#":
            number = int(disguise[3:-1], 16) if disguise[2] in "xX" else int(disguise[2:-1])
            return chr(number) if 0 < number <= 0x10FFFF else disguise
        # start-up: html.entities' 2,000 names load only where one is written
        from html import unescape

        return unescape(disguise)  # an unknown name comes back as it was, and is kept
    if lead == "%":
        return unquote(disguise)
    if lead == "=" and disguise[1] == "3":
        return "="
    if lead == "\\":
        escaped = disguise.lstrip("\\")
        if escaped[:1] in ("u", "x"):
            number = int(escaped[1:].strip("{}"), 16)
            return chr(number) if number <= 0x10FFFF else disguise
        if escaped[:1] in ("/", '"', "'"):
            return escaped
        if not escaped:
            return "\\"
    return ""
