"""Which values are secrets, and masking them out of any text.

DESIGN.md "Secrets": values of keys whose names contain SECRET, TOKEN, PASSWORD,
PASS, PRIVATE, KEY, SALT, CREDENTIAL, and the password inside any URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASS|PRIVATE|KEY|SALT|CREDENTIAL", re.IGNORECASE)
# scheme://user:password@host — masks a URL password even when we never saw the value.
URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)(?P<password>[^\s@/]+)(?=@)")
# libpq echoes connection options as password=... or password='...'
KEYWORD_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<password>'[^']*'|\S+)", re.IGNORECASE)
MASK = "****"
# Shorter values would mask ordinary words everywhere and protect nothing.
MIN_SECRET_LENGTH = 4
MIN_LINE_LENGTH = 8  # for the lines of a multi-line secret


def is_secret_name(key: str) -> bool:
    return bool(SECRET_NAME.search(key))


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
        if is_secret_name(key):
            found.add(value.strip())
        password = url_password(value)
        if password:
            found.add(password)
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}


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
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        fresh = {s for s in _with_lines(secrets) if len(s) >= MIN_SECRET_LENGTH} - self._secrets
        if not fresh:
            return
        self._secrets |= fresh
        variants: set[str] = set()
        for secret in self._secrets:
            variants.add(secret)
            # A library may echo the value URL-encoded.
            from urllib.parse import quote

            variants.add(quote(secret, safe=""))
        ordered = sorted(variants, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
        return KEYWORD_PASSWORD.sub(lambda m: m.group("head") + MASK, text)

    def deep(self, value: Any) -> Any:
        """Mask every string inside nested dicts/lists/tuples."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.deep(k): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value
