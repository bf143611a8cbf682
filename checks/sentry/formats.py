"""What a Sentry DSN and an org auth token say, read offline: a DSN's parts, an org token's
payload (never verified)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Dsn:
    public_key: str
    host: str
    project_id: str


def parse_dsn(text: str) -> Dsn:
    """scheme://public_key@host[:port][/path]/project_id, as the Sentry SDKs read it
    (https://develop.sentry.dev/sdk/overview/#parsing-the-dsn)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ValueError("is not a URL") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with https:// (or http://)")
    if not parts.username:
        raise ValueError("has no public key before the @")
    if not parts.hostname:
        raise ValueError("has no host")
    project_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not project_id.isdigit():
        raise ValueError("must end with the numeric project id")
    host = parts.hostname + (f":{port}" if port else "")
    return Dsn(parts.username, host, project_id)


def org_token_payload(token: str) -> dict[str, Any] | None:
    """The JSON payload of an org auth token (sntrys_), or None."""

    if not token.startswith("sntrys_"):
        return None
    encoded = token.removeprefix("sntrys_").rsplit("_", 1)[0]
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            payload = json.loads(decode(encoded + "=" * (-len(encoded) % 4)))
        except (binascii.Error, ValueError):
            continue
        if isinstance(payload, dict):
            return payload
    return None
