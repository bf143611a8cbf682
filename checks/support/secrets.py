"""Which values are secrets, and masking them out of any text.

DESIGN.md "Secrets": values of keys whose names contain SECRET, TOKEN, PASSWORD,
PASS, PRIVATE, KEY, SALT, CREDENTIAL, and the password inside any URL.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from checks.support.knownforms import KnownForms
from checks.support.lazyre import lazy

# CUT_MARK, PARTIAL_MIN and WHOLE_TOKEN_BELOW are re-exported for the modules that cut lines.
from checks.support.secretforms import CUT_MARK as CUT_MARK
from checks.support.secretforms import PARTIAL_MIN as PARTIAL_MIN
from checks.support.secretforms import WHOLE_TOKEN_BELOW as WHOLE_TOKEN_BELOW
from checks.support.secretforms import Partials, blank, mask_placed

SECRET_NAME = lazy(
    r"SECRET|TOKEN|PASSWORD|PASS|PRIVATE|KEY|SALT|CREDENTIAL|JWT|SESSION|SIGNING|AUTH"
    r"|(?:^|_)SK(?:_|$)", re.IGNORECASE)
# Known token shapes, after gitleaks' rules (gitleaks/gitleaks config/gitleaks.toml:
# stripe-access-token, openai-api-key, github-pat / github-fine-grained-pat, slack-*-token,
# aws-access-token, gitlab-pat, npm-access-token, sentry-org-token / sentry-user-token, jwt,
# private-key), Stripe's webhook signing secret (whsec_) and Supabase's secret key (sb_secret_). A value of this shape is a
# secret whatever its name, and is masked even in text we never saw it in.
TOKEN_SHAPES = (
    r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}",
    r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
    r"\bwhsec_[A-Za-z0-9+/=]{16,}",
    r"\bsb_secret_[A-Za-z0-9_-]{20,}",  # Supabase's secret API keys (supabase.com/docs/guides/api/api-keys)
    r"\bsntr[ysu]_[A-Za-z0-9+/=_-]{20,}",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    r"\bgithub_pat_[A-Za-z0-9_]{40,}",
    r"\bxox[baprse]-[A-Za-z0-9-]{10,}",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bglpat-[A-Za-z0-9_-]{20,}",
    r"\bnpm_[A-Za-z0-9]{36}\b",
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|$)",
)
TOKEN_SHAPE = lazy("|".join(f"(?:{shape})" for shape in TOKEN_SHAPES))
# What each of TOKEN_SHAPES cannot match without (the pattern is case-sensitive): a text
# holding none of these is masked without compiling it.
TOKEN_NEEDS = ("sk_", "rk_", "sk-", "whsec_", "sb_secret_", "sntr", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
               "github_pat_", "xox", "AKIA", "ASIA", "glpat-", "npm_", "eyJ", "-----BEGIN")
# A SQL statement's `PASSWORD '…'` (CREATE/ALTER ROLE), echoed in an error.
SQL_PASSWORD = lazy(r"(?P<head>\bPASSWORD\s+)(?P<password>'(?:[^']|'')*')", re.IGNORECASE)
# A URL's query may carry one too: ?password=…, ?sslpassword=…, ?client_secret=…, and the
# `?password:…` typo.
QUERY_SECRET = lazy(
    r"(?P<head>[?&;](?:ssl)?password[=:]|[?&](?:client_secret|secret|token|access_token|api_key|apikey"
    r"|key|sig|signature)=)(?P<password>[^\s&#'\"]+)", re.IGNORECASE)
BIDI_AND_C1 = lazy("[\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# scheme://user:password@host — masks a URL password even when we never saw the value,
# also when it holds an unencoded '/' (postgresql://u:pa/ss@host/db): the password runs to
# the last '@' before the path. A scheme is at most 32 characters (postgresql+asyncpg is 18):
# an unbounded one made each start scan a long run of letters to its end.
URL_PASSWORD = lazy(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^\s:/@]*:)(?P<password>[^\s@]+)(?=@[^\s@/]+)")
# A token used as a URL's user name: https://ghp_…@github.com/…
URL_USER_TOKEN = lazy(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]{0,31}://)(?P<password>[^\s:/@]{20,})(?=@)")
# libpq echoes connection options as password=... or password='...'
KEYWORD_PASSWORD = lazy(r"(?P<head>\bpassword\s*=\s*)(?P<password>'[^']*'|\S+)", re.IGNORECASE)
MASK = "****"
# Shorter values would mask ordinary words everywhere and protect nothing.
MIN_SECRET_LENGTH = 4
REPORT_FIELD = lazy(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MIN_LINE_LENGTH = 8  # for the lines of a multi-line secret


# For judging a value published in the committed example (ENV004): a name that says its value
# is a secret. Narrower than SECRET_NAME, which errs wide because it decides masking: PRIVATE,
# JWT, SESSION or AUTH alone name prefixes and settings (papermark's NEXT_PRIVATE_UPLOAD_REGION,
# formbricks' CUBEJS_JWT_ISSUER), not secrets.
SECRET_WORD = lazy(r"SECRET|PASSWORD|PASSWD|TOKEN|SALT|CREDENTIAL|SIGNING|(?:^|_)PASS|(?:^|_)(?:PWD|SK)(?:_|$)"
                   r"|KEYS?(?:_|$)", re.IGNORECASE)
# Keys made to be public (a publishable/site/anon key, a public key of a pair).
PUBLIC_KEY_NAME = lazy(r"(?:PUBLIC|PUBLISHABLE|SITE|ANON)_?KEY", re.IGNORECASE)
# Name endings of settings that hold no secret, whatever word stands before them: an id, a
# region, a JWT claim (issuer, audience), an address, a name.
NOT_SECRET_ENDING = lazy(
    r"_(?:IDS?|REGION|ISSUER|AUDIENCE|URL|URI|HOST|HOSTNAME|PORT|NAME|USER|USERNAME|EMAIL|DOMAIN|ENDPOINT|BUCKET"
    r"|ALGORITHM|ALG|VERSION|ENABLED|DISABLED|MODE|LEVEL|TTL|AGE|LENGTH|EXPIRES|EXPIRY)$", re.IGNORECASE)
# A cloud region name, by the providers' own prefixes and directions: AWS's us-east-1,
# eu-central-2, us-gov-west-1 (docs.aws.amazon.com/general/latest/gr/rande.html); GCP's
# europe-west1, us-central1 (cloud.google.com/compute/docs/regions-zones). Not any word-word-N:
# `super-secret1` is a secret.
REGION_VALUE = lazy(
    r"(?:us|eu|ap|sa|ca|me|af|il|mx|cn|europe|asia|australia|northamerica|southamerica|africa)(?:-gov|-iso[a-z]?)?"
    r"-(?:north|south|east|west|central)(?:east|west)?-?\d{1,2}")


def secret_by_name(key: str, value: str) -> bool:
    """ENV004's "copied from the example, so it is published" rule: a secret only when the value
    has a token's shape or a URL password, or the name says secret (SECRET, PASSWORD, TOKEN,
    …_KEY) and the value is not plainly a setting (a URL, a number, a region). NEXT_PUBLIC_
    names are public by design (Next.js inlines them into the browser bundle); ENV007 judges
    a secret put there."""
    value = value.strip()
    if not value or key.upper().startswith("NEXT_PUBLIC_"):
        return False
    if has_token_shape(value) or url_password(value):
        return True
    if not names_a_secret(key):
        return False
    ordinary = value.lower() in ("true", "false", "yes", "no", "on", "off") or bool(re.fullmatch(r"\d{1,9}", value))
    return not (ordinary or _plain_url(value) or REGION_VALUE.fullmatch(value))


def is_secret_name(key: str) -> bool:
    """Whether a value of `key` is masked (DESIGN "Secrets"): wide on purpose."""
    return bool(SECRET_NAME.search(key))


def names_a_secret(key: str) -> bool:
    """Whether the name says its value is a secret, for a check that fails on it (ENV004,
    CODE005): SECRET, PASSWORD, TOKEN, …_KEY, but not a public or publishable key nor a
    setting's name (an id, a URL, a flag). Masking goes by the wider `is_secret_name`:
    `IS_OAUTH_PROXY_SERVER` (AUTH) or `SESSION_MAX_AGE` are masked, and are no secrets."""
    return bool(SECRET_WORD.search(key)) and not PUBLIC_KEY_NAME.search(key) and not NOT_SECRET_ENDING.search(key)


def has_token_shape(value: str) -> bool:
    return _may_hold_token(value) and bool(TOKEN_SHAPE.search(value))


def _may_hold_token(text: str) -> bool:
    return any(needed in text for needed in TOKEN_NEEDS)


def high_entropy(value: str, *, minimum: int = 24) -> bool:
    """A long token drawn from a wide alphabet: random, so a secret whatever its name
    (STRIPE_SK, WEBHOOK_SIGNING). URLs, paths and words are not tokens."""

    token = value.strip()
    if len(token) < minimum or re.search(r"[\s/:@.]", token) or not re.fullmatch(r"[A-Za-z0-9_+=-]+", token):
        return False
    counts = Counter(token)
    entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    classes = sum(bool(re.search(c, token)) for c in ("[a-z]", "[A-Z]", "[0-9]"))
    return entropy >= 3.5 and classes >= 2


def _plain_url(value: str) -> bool:
    """An http(s) URL with no credentials in it: `BETTER_AUTH_URL=http://localhost:3000`
    names AUTH but holds nothing secret (masking it would blank every message)."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.password is None
            and not QUERY_SECRET.search(value) and " " not in value.strip())


def is_secret(key: str, value: str) -> bool:
    """One detector for masking and ENV007: by name, or by the value's own shape."""
    value = value.strip()
    if not value:
        return False
    if has_token_shape(value) or url_password(value):
        return True
    # A number or a boolean under a secret-looking name (SESSION_MAX_AGE=3600) is a setting:
    # masking it would blank every "3600" in every message.
    ordinary = value.lower() in ("true", "false", "yes", "no", "on", "off") or bool(re.fullmatch(r"\d{1,9}", value))
    if is_secret_name(key) and not _plain_url(value) and not ordinary:
        return True
    return high_entropy(value)


def url_password(value: str) -> str | None:
    if "://" not in value:
        return None
    try:
        password = urlsplit(value.strip()).password
    except ValueError:
        return None
    return unquote(password) if password else None


def secret_values(env: Mapping[str, str]) -> set[str]:
    """Every value in `env` that must never be printed."""
    found: set[str] = set()
    for key, value in env.items():
        if not value:
            continue
        password = url_password(value)
        if password:
            found.add(password)  # the URL around it is what messages must still show
        elif is_secret(key, value):
            found.add(value.strip())
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}


def secrets_in_text(text: str) -> set[str]:
    """Secrets written inside free text (a config's `command = "STRIPE_SECRET_KEY=… node"`,
    an issuer URL's `?client_secret=…`): NAME=value pairs with secret names, URL
    passwords and query secrets, and token shapes."""
    found: set[str] = set()
    for name, value in re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)=(\S+)", text):
        value = value.strip("'\"")
        if is_secret(name, value):
            found.add(value)
    for match in QUERY_SECRET.finditer(text):
        found.add(match.group("password"))
    for match in URL_PASSWORD.finditer(text):
        found.add(match.group("password"))
    found |= {m.group(0) for m in TOKEN_SHAPE.finditer(text)}
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}


def request_secrets(body: Any, path: str = "", key: str = "") -> set[str]:
    """Values a described request sends under secret names, by the one detector (is_secret):
    in its JSON body at any depth and in its path's query. A `{placeholder}` deploy-check
    fills in at run time is left out; the literal text around it stays a secret."""
    found: set[str] = set()
    if isinstance(body, dict):
        for name, value in body.items():
            found |= request_secrets(value, key=str(name))
    elif isinstance(body, list):
        for value in body:
            found |= request_secrets(value, key=key)
    elif isinstance(body, str) and key and is_secret(key, body):
        found |= {part.strip() for part in re.split(r"\{\w+\}", body)}
    if "?" in path:
        for name, value in parse_qsl(path.split("?", 1)[1].split("#", 1)[0]):
            found |= request_secrets(value, key=name)
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}


def set_cookie_values(headers: Iterable[str]) -> list[str]:
    """The values `Set-Cookie` headers set (RFC 6265 4.1: the first `name=value` pair),
    as sent and decoded, and the parts of a signed one (`s:value.signature`), which an app
    may print alone. A deleted cookie (empty value) sets nothing."""
    found: list[str] = []
    for header in headers:
        value = header.split(";", 1)[0].partition("=")[2].strip().strip('"')
        if not value:
            continue
        decoded = unquote(value)
        found += [value, decoded]
        found += [part for part in re.split(r"[.:]", decoded) if len(part) >= 16]
    return found


def _with_lines(secrets: Iterable[str]) -> set[str]:
    """A multi-line secret (a PEM key) is printed line by line by whoever logs it, and
    an env file may hold it with literal `\\n`: each of its lines is a secret too. Lines
    shorter than MIN_LINE_LENGTH (a trailing `==`) are left alone: they would mask
    ordinary text and protect nothing."""
    found: set[str] = set()
    for secret in secrets:
        found.add(secret)
        if "\n" in secret or "\\n" in secret:
            for line in secret.replace("\\n", "\n").splitlines():
                if len(line.strip()) >= MIN_LINE_LENGTH:
                    found.add(line.strip())
    return found


class Masker:
    """Masks every secret it was given, in each form another program prints it and each
    disguise a reader sees through (knownforms), its halves where a line ends or starts, and
    unknown secrets by their shape or place."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._known = KnownForms(MIN_SECRET_LENGTH)
        self._partials = Partials()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        fresh = {s for s in _with_lines(secrets) if len(s) >= MIN_SECRET_LENGTH} - self._secrets
        if not fresh:
            return
        self._secrets |= fresh
        self._known.add(fresh)
        self._partials.add(fresh)

    @property
    def window(self) -> int:
        """Characters of the lines before a line that a known secret may span (wrapped)."""
        return self._known.window if self._known else 0

    def __call__(self, text: str, *, pieces: bool = True) -> str:
        """`text` masked; with `pieces`, also the half of a known secret that ends or starts
        one of its lines (the other half is on the next line, or was cut off)."""
        if not text:
            return text
        text = blank(text, self._known.spans(text), MASK)
        if pieces and self._secrets:
            text = self.unfinished(text)
        if _may_hold_token(text):
            text = TOKEN_SHAPE.sub(MASK, text)
        for shape in (URL_PASSWORD, URL_USER_TOKEN, KEYWORD_PASSWORD, SQL_PASSWORD, QUERY_SECRET):
            text = shape.sub(lambda m: m.group("head") + MASK, text)
        return mask_placed(text, MASK)

    def wrapped(self, lines: Sequence[str], *, open_before: bool = True) -> tuple[list[list[tuple[int, int]]], bool]:
        """Consecutive lines of one output, the last just printed: the spans of each that hold
        part of a known secret split over them, or starting at the last line's end, and
        whether that line ends with a secret's start (knownforms.KnownForms.wrapped)."""
        return self._known.wrapped(lines, open_before=open_before)

    def across(self, before: str, after: str) -> tuple[str, str]:
        """Two consecutive lines with a secret a wrapping logger split between them:
        each part is masked in its own line."""
        spans, _ = self.wrapped([before, after])
        return blank(before, spans[0], MASK), blank(after, spans[1], MASK)

    def unfinished(self, text: str) -> str:
        """A line that ends with the start of a known secret (a wrapping logger split it, the
        rest comes on the next line), or starts with its end: that piece masked too, so live
        progress, which shows the line before the next one arrives, never shows half a
        secret. Pieces shorter than PARTIAL_MIN are left: they would mask ordinary text."""
        return blank(text, self._partials.spans(text), MASK)

    def deep(self, value: Any) -> Any:
        """Mask every string inside nested dicts/lists/tuples. Each distinct string is
        masked once per call: a large report repeats its keys and paths thousands of times
        (CODE003's routes of a 5,000-file tree: 8,800 strings, 2,500 distinct)."""
        return self._deep(value, {})

    def _deep(self, value: Any, seen: dict[str, str]) -> Any:
        if isinstance(value, str):
            masked = seen.get(value)
            if masked is None:
                masked = seen[value] = self(value)
            return masked
        if isinstance(value, dict):
            # A snake_case key is a field of the report, never a value read from the app: a
            # dictionary-word secret (a `root` password) must not rename `project_model.root`.
            return {(k if isinstance(k, str) and REPORT_FIELD.fullmatch(k) else self._deep(k, seen)):
                    self._deep(v, seen) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._deep(v, seen) for v in value]
        return value
