"""The forms a secret takes when someone else prints it: what a known secret becomes once
encoded, cased or cut by a wrapping logger, and where an unknown one stands by its place
(a cookie's value, a bearer token), before deploy-check could have learned it.

Everything here knows nothing of which values are secrets: `checks/support/secrets.py`
decides that and its Masker uses these forms."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from checks.support.lazyre import lazy

# Below this length a secret gets no derived forms (they would mask ordinary words), except
# the base64 of the whole value: a one-time code an app logs encoded.
FORMS_FROM = 8
PARTIAL_MIN = 8  # the shortest piece of a secret masked at a line's end or start
WHOLE_TOKEN_BELOW = 12  # shorter pieces are masked only when they stand as a whole token
CUT_MARK = " […]"  # what ends a captured line cut to its length limit (checks/runtime/process.py)
WORD = lazy(r"[A-Za-z0-9_]")
# Where a secret's start shown alone ends: our cut mark, or an app's own ellipsis (it shortened
# the secret for show: `tok_Ab3dEf…`).
SHORTENED = lazy(r"\s*(?:\[…\]|…|\.\.\.)")

# Cookie names that carry a session or a token, by the frameworks' own defaults: Express
# `connect.sid`, PHP `PHPSESSID`, Django `sessionid`, Rails `_app_session`, Better Auth
# `better-auth.session_token`, Auth.js `authjs.session-token`, Clerk `__session` and
# `__clerk_db_jwt`, Supabase `sb-<ref>-auth-token`, and the `__Secure-`/`__Host-` prefixes
# (RFC 6265bis 4.1.3). Their value is masked where it is printed as `name=value`. Names are
# bounded (64) so that a long run of word characters costs one pass, not one per start.
COOKIE_VALUE = lazy(
    r"(?P<head>(?<![\w.-])(?:(?:[\w-]{1,64}[._-])?sid|[\w.-]{0,64}sess(?:ion)?(?:id)?[\w.-]{0,64}"
    r"|[\w.-]{0,64}token|[\w.-]{0,64}jwt|__(?:Secure|Host)-[\w.-]{1,64})=\"?)(?P<password>[^\s;,'\"&<>]{8,})", re.IGNORECASE)
# `Authorization: Bearer <token>` (RFC 6750 2.1): a token has a digit, prose does not.
BEARER = lazy(r"(?P<head>\bBearer\s+)(?P<password>(?=[\w.~+/-]*\d)[\w.~+/-]{8,}=*)", re.IGNORECASE)
# A response's `Set-Cookie: name=value; Path=/` (RFC 6265 4.1): the first pair is the cookie.
SET_COOKIE = lazy(r"(?P<head>\bSet-Cookie:[ \t]*[^=;\s]+=)(?P<password>[^;\s]+)", re.IGNORECASE)
# A request's `Cookie: a=1; b=2` (RFC 6265 4.2): every value is one.
COOKIE_HEADER = lazy(r"(?<![\w-])Cookie:[ \t]*(?P<pairs>[^\r\n]+)", re.IGNORECASE)
COOKIE_PAIR = lazy(r"(?P<head>[^=;\s]+=)(?P<password>[^;\s]+)")


def mask_placed(text: str, mask: str) -> str:
    """Values masked by where they stand, whoever printed them."""
    if "bearer" in text.lower():
        text = BEARER.sub(lambda m: m.group("head") + mask, text)
    if "=" not in text:  # every other place is a `name=value`
        return text
    for pattern in (COOKIE_VALUE, SET_COOKIE):
        text = pattern.sub(lambda m: m.group("head") + mask, text)
    return COOKIE_HEADER.sub(
        lambda m: m.group(0)[: m.start("pairs") - m.start()]
        + COOKIE_PAIR.sub(lambda p: p.group("head") + mask, m.group("pairs")), text)


def forms(secret: str) -> set[str]:
    """What `secret` may look like in someone else's output: URL-encoded; for one of
    FORMS_FROM characters or more also hex-encoded, inside any base64 text, and decoded when it
    is itself base64 text; below that, its whole base64 (a one-time code). Another case and
    the other disguises are seen through where the forms are looked for (knownforms)."""
    found = {secret, quote(secret, safe="")}
    if len(secret) < FORMS_FROM:
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(secret.encode()).decode()
            found |= {encoded, encoded.rstrip("=")}
        return found
    found.add(secret.encode().hex())
    found |= _base64_cores(secret)
    decoded = _base64_decoded(secret)
    if decoded:
        found.add(decoded)
    return found


def _base64_cores(secret: str) -> set[str]:
    """What any base64 text that contains `secret` (at any of the three alignments)
    must contain: a Basic header or an error body may echo `user:secret` encoded."""

    cores: set[str] = set()
    data = secret.encode()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + data).decode().rstrip("=")
            skip = -(-offset * 4 // 3) + (1 if offset else 0)  # characters touched by the prefix
            core = encoded[skip: len(encoded) - 2]  # the tail depends on what follows
            if len(core) >= 8:
                cores.add(core)
    return cores


def _base64_decoded(secret: str) -> str | None:
    """The text a base64 secret encodes (`dXNlcjpwYXNz…` → `user:pass…`), when it is
    printable text: random bytes are not, and are never printed as such."""
    if not re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", secret):
        return None
    padded = secret.rstrip("=") + "=" * (-len(secret.rstrip("=")) % 4)
    try:
        text = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if len(text.strip()) >= 6 and text.isprintable() else None


class Partials:
    """Where a known secret's start ends a line or stands before an ellipsis, or its end starts
    a line: a wrapping logger split it, and the other half is on the neighbouring line (or not
    printed yet), or the app shortened it for show. Indexed by each secret's first and last
    PARTIAL_MIN characters, so a text is scanned once."""

    def __init__(self) -> None:
        self._heads: dict[str, set[str]] = {}
        self._tails: dict[str, set[str]] = {}
        self._longest = 0
        self._patterns: tuple[re.Pattern[str], re.Pattern[str]] | None = None

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if len(secret) > PARTIAL_MIN:
                self._heads.setdefault(secret[:PARTIAL_MIN], set()).add(secret)
                self._tails.setdefault(secret[-PARTIAL_MIN:], set()).add(secret)
                self._longest = max(self._longest, len(secret))
                self._patterns = None

    def _compiled(self) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
        if self._patterns is None and self._heads:
            # A lookahead finds every start, overlapping ones too.
            heads, tails = (f"(?=({alternation(index)}))" for index in (self._heads, self._tails))
            self._patterns = re.compile(heads), re.compile(tails)
        return self._patterns

    def spans(self, text: str, *, ends: bool = True, starts: bool = True) -> list[tuple[int, int]]:
        if self._patterns is None and not any(piece in text for index in (self._heads, self._tails)
                                              for piece in index):
            return []  # no piece here: the patterns need not be compiled yet
        patterns = self._compiled()
        if patterns is None:
            return []
        found: list[tuple[int, int]] = []
        if ends:
            found += self._ends(text, patterns[0])
        if starts:
            found += self._starts(text, patterns[1])
        return found

    def _ends(self, text: str, heads: re.Pattern[str]) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        done_until = -1  # the end of the line already settled
        for match in heads.finditer(text):
            at = match.start()
            if at < done_until:
                continue
            # Only as far as the longest secret (and a cut mark): the scans stay bounded.
            reach = min(len(text), at + self._longest + len(CUT_MARK) + 2)
            line_end = text.find("\n", at, reach)
            shown = text[at:line_end if line_end >= 0 else reach]
            shortened = SHORTENED.search(shown)
            if shortened:
                piece = shown[:shortened.start()]
            elif line_end < 0 and reach < len(text):
                continue  # the rest of the line is longer than any secret
            else:
                piece = shown.rstrip()
            if len(piece) < WHOLE_TOKEN_BELOW and at > 0 and WORD.match(text[at - 1]):
                continue  # a short piece counts only as a token of its own
            if len(piece) >= PARTIAL_MIN and any(len(piece) < len(s) and s.startswith(piece)
                                                 for s in self._heads[match.group(1)]):
                found.append((at, at + len(piece)))
                done_until = at + len(piece)
        return found

    def _starts(self, text: str, tails: re.Pattern[str]) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for match in tails.finditer(text):
            end = match.start() + PARTIAL_MIN
            reach = max(0, end - self._longest - 64)  # indentation and the piece
            line_start = text.rfind("\n", reach, match.start()) + 1
            if line_start == 0 and reach > 0:
                continue  # the line started too far back for a piece of a secret
            start = line_start
            while start < match.start() and text[start] in " \t\r":
                start += 1
            piece = text[start:end]
            if len(piece) < WHOLE_TOKEN_BELOW and end < len(text) and WORD.match(text[end]):
                continue
            if len(piece) >= PARTIAL_MIN and any(len(piece) < len(s) and s.endswith(piece)
                                                 for s in self._tails[match.group(1)]):
                found.append((start, end))
        return found


def alternation(words: Iterable[str]) -> str:
    """A regex matching any of `words`, longest first, as a trie (Aho-Corasick's idea in
    the regex engine): at each position the engine follows one path of characters instead
    of trying every word, so masking costs one pass whatever the number of secrets."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _trie(root)


def _trie(node: dict[str, Any]) -> str:
    branches = []
    for char in sorted(key for key in node if key):
        child, run = node[char], char
        while len(child) == 1 and "" not in child:  # a chain of single children: one literal
            (char, child), = child.items()
            run += char
        branches.append(re.escape(run) + _trie(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body  # greedy: the longer word first


def blank(text: str, spans: list[tuple[int, int]], mask: str) -> str:
    """`text` with each span (merged where they overlap or touch) replaced by `mask`."""
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    last = 0
    for start, end in merged:
        parts += [text[last:start], mask]
        last = end
    parts.append(text[last:])
    return "".join(parts)
