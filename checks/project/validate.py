"""The checks every `deploy-check.toml` value goes through: its type, and what a
number of seconds, a user's pattern, a URL or a JSON body may be."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlsplit

from checks.support.errors import DeployCheckError

CONFIG_FILE = "deploy-check.toml"


def type_name(expected: type | tuple[type, ...]) -> str:
    names = [t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,))]
    return " or ".join("number" if n == "float" else n for n in names if n != "int" or "float" not in names)


def check_type(where: str, value: Any, expected: type | tuple[type, ...]) -> None:
    # bool is an int in Python; a TOML `true` is never a valid number or port here.
    is_bool_mismatch = isinstance(value, bool) and expected is not bool and not (
        isinstance(expected, tuple) and bool in expected
    )
    if is_bool_mismatch or not isinstance(value, expected):
        raise DeployCheckError(
            f"{CONFIG_FILE}: {where} must be {type_name(expected)}, got {type(value).__name__}"
        )


def check_table(where: str, table: Any, schema: dict[str, type | tuple[type, ...]]) -> None:
    check_type(where, table, dict)
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(schema)
            raise DeployCheckError(f"{CONFIG_FILE}: unknown key {where}.{key} (known: {known})")
        check_type(f"{where}.{key}", value, schema[key])


MAX_SECONDS = 24 * 3600.0


def seconds(where: str, value: Any) -> float:
    """A positive, finite number of seconds (inf, nan, 0 and negatives are mistakes)."""

    number = float(value)
    if not math.isfinite(number) or number <= 0 or number > MAX_SECONDS:
        raise DeployCheckError(f"{where} must be a positive number of seconds (at most a day), got {value!r}")
    return number


def compile_user_pattern(where: str, pattern: str) -> Any:
    """A user's regular expression, validated now; matched later with a time bound
    (`regex`'s timeout=), so `^(a+)+$` can never outlive the run's budget."""
    import regex  # start-up: only user patterns load the regex engine

    try:
        return regex.compile(pattern)
    except (regex.error, ValueError, OverflowError) as exc:
        raise DeployCheckError(f"{CONFIG_FILE}: {where} is not a valid regular expression: {exc}") from None


def check_http_url(where: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        credentials = parts.username is not None or parts.password is not None
    except ValueError:
        ok, credentials = False, False
    if not ok:
        raise DeployCheckError(f"{CONFIG_FILE}: {where} must be an http(s) URL with a host, got {url!r}")
    if credentials:
        # `http://127.0.0.1:1@192.0.2.2/` reads as loopback and goes elsewhere.
        raise DeployCheckError(f"{CONFIG_FILE}: {where} must not hold a user name or password")


def check_json(where: str, value: Any, depth: int = 0) -> None:
    """A route's JSON body: TOML dates and times have no JSON form."""
    if depth > 50:
        raise DeployCheckError(f"{CONFIG_FILE}: {where} is nested too deeply")
    if isinstance(value, dt.date | dt.time | dt.datetime):
        raise DeployCheckError(f"{CONFIG_FILE}: {where} holds a TOML date/time, which JSON cannot "
                               "carry: quote it as a string")
    if isinstance(value, dict):
        for key, item in value.items():
            check_json(f"{where}.{key}", item, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json(f"{where}[{index}]", item, depth + 1)
