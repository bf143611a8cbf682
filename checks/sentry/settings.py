"""Where the app keeps its Sentry settings and what they say: DSN, org, project and token
from the env files, the Sentry wizard's .env.sentry-build-plugin and the SDK's config files,
each with where it was found; a DSN parsed, an org token's payload read (never verified)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from checks.core.context import Context
from checks.support.envfile import read_env_file
from checks.support.files import read_text
from checks.support.placeholders import is_placeholder

if TYPE_CHECKING:
    pass


DEFAULT_SENTRY_URL = "https://sentry.io"



# Token prefixes: https://docs.sentry.io/account/auth-tokens/ (org tokens sntrys_, user sntryu_).
TOKEN_SHAPES = {"sntrys_": "organization token", "sntryu_": "user token"}



DSN_KEYS = ("NEXT_PUBLIC_SENTRY_DSN", "SENTRY_DSN")



WIZARD_ENV_FILE = ".env.sentry-build-plugin"



DSN_IN_CODE = re.compile(r"""\bdsn\s*:\s*["'`](https?://[^"'`\s]+)["'`]""")



OPTION_IN_CONFIG = {key: re.compile(rf"""\b{key}\s*:\s*["'`]([^"'`\s]+)["'`]""")
                    for key in ("org", "project", "sentryUrl")}



# Hosts of sentry.io's own DSNs (o123.ingest.sentry.io, o123.ingest.us.sentry.io, …).
SAAS_DSN_HOST = re.compile(r"(?:^|\.)sentry\.io$")



CODE_GLOBS = ("sentry.server.config.*", "sentry.client.config.*", "sentry.edge.config.*",
              "instrumentation-client.*", "instrumentation.*", "src/instrumentation-client.*",
              "src/instrumentation.*")



@dataclass
class Found:
    value: str
    source: str



@dataclass
class SentrySettings:
    dsn: Found | None = None
    token: Found | None = None
    org: Found | None = None
    project: Found | None = None
    api_url: str = DEFAULT_SENTRY_URL
    problems: list[str] = field(default_factory=list)  # malformed values (fail)
    doubts: list[str] = field(default_factory=list)  # unknown token shape (warn)

    @property
    def missing(self) -> list[str]:
        names = {"dsn": "NEXT_PUBLIC_SENTRY_DSN", "token": "SENTRY_AUTH_TOKEN", "org": "SENTRY_ORG",
                 "project": "SENTRY_PROJECT"}
        return [name for attr, name in names.items() if getattr(self, attr) is None]

    @property
    def sources(self) -> dict[str, str]:
        return {attr: found.source for attr in ("dsn", "token", "org", "project")
                if (found := getattr(self, attr)) is not None}



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



def _read_code_files(ctx: Context, globs: tuple[str, ...], pattern: re.Pattern[str]) -> Found | None:
    for glob in globs:
        for path in sorted(ctx.project.glob(glob)):
            if path.suffix not in (".ts", ".js", ".mjs", ".cjs", ".tsx", ".jsx", ".mts"):
                continue
            try:
                match = pattern.search(read_text(path, 1 << 20)[:200_000])
            except (OSError, UnicodeDecodeError):
                continue
            if match:
                return Found(match.group(1), path.relative_to(ctx.project).as_posix())
    return None



def read_settings(ctx: Context) -> SentrySettings:
    settings = SentrySettings()
    wizard: dict[str, str] = {}
    wizard_path = ctx.path(WIZARD_ENV_FILE)
    if wizard_path.is_file():
        try:
            wizard = {k: v for k, v in read_env_file(wizard_path).values.items() if v.strip()}
        except (OSError, UnicodeDecodeError):
            wizard = {}
        # Values read here were never in the run's environment: mask them from now on.
        ctx.masker.add(v for k, v in wizard.items() if "TOKEN" in k.upper())

    def from_env(*keys: str) -> Found | None:
        for key in keys:
            if ctx.value(key):
                return Found(ctx.value(key), f"{key} in {ctx.source_of(key)}")
        for key in keys:
            if wizard.get(key, "").strip():
                return Found(wizard[key].strip(), f"{key} in {WIZARD_ENV_FILE}")
        return None

    settings.dsn = from_env(*DSN_KEYS) or _read_code_files(ctx, CODE_GLOBS, DSN_IN_CODE)
    settings.token = from_env("SENTRY_AUTH_TOKEN")
    settings.org = from_env("SENTRY_ORG") or _read_code_files(ctx, ("next.config.*",), OPTION_IN_CONFIG["org"])
    settings.project = from_env("SENTRY_PROJECT") or _read_code_files(
        ctx, ("next.config.*",), OPTION_IN_CONFIG["project"])
    # Where the Sentry wizard keeps a self-hosted address: SENTRY_URL in its env file, or
    # `sentryUrl` in withSentryConfig's options.
    explicit = (from_env("SENTRY_URL") or (Found(ctx.config.sentry_url, "deploy-check.toml")
                                           if ctx.config.sentry_url else None)
                or _read_code_files(ctx, ("next.config.*",), OPTION_IN_CONFIG["sentryUrl"]))
    settings.api_url = (explicit.value if explicit else DEFAULT_SENTRY_URL).rstrip("/")

    for name, found in (("the DSN", settings.dsn), ("SENTRY_AUTH_TOKEN", settings.token),
                        ("SENTRY_ORG", settings.org), ("SENTRY_PROJECT", settings.project)):
        if found and is_placeholder(found.value):
            # A placeholder is not a value: never "well-formed", never sent anywhere.
            settings.problems.append(f"{name} ({found.source}) is a placeholder")
    if any("is a placeholder" in problem for problem in settings.problems):
        return settings
    if settings.dsn:
        try:
            parse_dsn(settings.dsn.value)
            dsn_host = (urlsplit(settings.dsn.value.strip()).hostname or "").lower()
            if explicit is None and not SAAS_DSN_HOST.search(dsn_host):
                # The token must not go to sentry.io for a self-hosted instance's project.
                settings.problems.append(
                    f"the DSN ({settings.dsn.source}) points at {dsn_host}, not sentry.io: set "
                    "SENTRY_URL to that Sentry's address (the token is not sent to sentry.io)")
        except ValueError as exc:
            settings.problems.append(f"the DSN ({settings.dsn.source}) {exc}")
    if settings.token:
        token = settings.token.value
        if not token.startswith(tuple(TOKEN_SHAPES)):
            settings.doubts.append(f"SENTRY_AUTH_TOKEN ({settings.token.source}) does not look like a "
                                   "current Sentry token (sntrys_… or sntryu_…)")
        elif any(ch.isspace() for ch in token):
            settings.problems.append(f"SENTRY_AUTH_TOKEN ({settings.token.source}) contains whitespace")
    payload = org_token_payload(settings.token.value) if settings.token else None
    if payload and settings.token:
        # An org token names its org and Sentry (getsentry/sentry-cli src/utils/auth_token/
        # org_auth_token.rs: sntrys_<base64 JSON {iat, url, region_url, org}>_<secret>):
        # a mismatch is found offline, before the token goes anywhere.
        said = settings.token.source
        token_org = payload.get("org")
        if settings.org and isinstance(token_org, str) and token_org != settings.org.value:
            settings.problems.append(f"SENTRY_AUTH_TOKEN ({said}) is an org token of {token_org!r}, but "
                                     f"SENTRY_ORG ({settings.org.source}) is {settings.org.value!r}")
        token_url = str(payload.get("url") or "").rstrip("/")
        if explicit is not None and token_url and token_url != settings.api_url:
            settings.problems.append(f"SENTRY_AUTH_TOKEN ({said}) was made on {token_url}, but SENTRY_URL "
                                     f"({explicit.source}) is {settings.api_url}")
        region = str(payload.get("region_url") or "").rstrip("/")
        if explicit is None and region.startswith("https://") and SAAS_DSN_HOST.search(
                urlsplit(region).hostname or ""):
            settings.api_url = region  # the org's region (us.sentry.io, de.sentry.io)
    for name, found in (("SENTRY_ORG", settings.org), ("SENTRY_PROJECT", settings.project)):
        if found and not re.fullmatch(r"[A-Za-z0-9_.-]+", found.value):
            settings.problems.append(f"{name} ({found.source}) is not a slug: {found.value!r}")
    try:
        parts = urlsplit(settings.api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError
    except ValueError:
        settings.problems.append(f"SENTRY_URL is not an http(s) URL: {settings.api_url!r}")
    return settings



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
