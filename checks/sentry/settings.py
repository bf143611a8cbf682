"""Where the app keeps its Sentry settings and what they say: DSN, org, project and token
from the env files, the Sentry wizard's .env.sentry-build-plugin and the SDK's config files,
each with where it was found; a DSN parsed, an org token's payload read (never verified)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from checks.core.context import Context
from checks.project.detectors import SENTRY_WIZARD_ENV_FILE
from checks.project.reading import arguments, bracketed, env_references, option_value, or_chain
from checks.sentry.formats import org_token_payload, parse_dsn
from checks.support.envfile import read_env_file
from checks.support.files import read_text
from checks.support.placeholders import is_placeholder

if TYPE_CHECKING:
    pass


DEFAULT_SENTRY_URL = "https://sentry.io"



# Token prefixes: https://docs.sentry.io/account/auth-tokens/ (org tokens sntrys_, user sntryu_).
TOKEN_SHAPES = {"sntrys_": "organization token", "sntryu_": "user token"}



DSN_KEYS = ("NEXT_PUBLIC_SENTRY_DSN", "SENTRY_DSN")



WIZARD_ENV_FILE = SENTRY_WIZARD_ENV_FILE



DSN_IN_CODE = re.compile(r"""\bdsn\s*:\s*["'`](https?://[^"'`\s]+)["'`]""")



OPTION_IN_CONFIG = {key: re.compile(rf"""\b{key}\s*:\s*["'`]([^"'`\s]+)["'`]""")
                    for key in ("org", "project", "sentryUrl")}



# Hosts of sentry.io's own DSNs (o123.ingest.sentry.io, o123.ingest.us.sentry.io, …).
SAAS_DSN_HOST = re.compile(r"(?:^|\.)sentry\.io$")



CODE_GLOBS = ("sentry.server.config.*", "sentry.client.config.*", "sentry.edge.config.*",
              "instrumentation-client.*", "instrumentation.*", "src/instrumentation-client.*",
              "src/instrumentation.*")



NEXT_CONFIG_GLOBS = ("next.config.*",)
# The init files that run in the browser (@sentry/nextjs: sentry.client.config.* before v8's
# instrumentation-client.*).
CLIENT_INITS = ("sentry.client.config.", "instrumentation-client.")



# The variables an option reads, every one of a `??`/`||` chain, through the project's one env
# reader (checks/project/reading.py): `dsn: process.env.NEXT_PUBLIC_SENTRY_DSN || process.env.SENTRY_DSN`,
# `org: process.env.SENTRY_ORGANIZATION`, t3-env's `env.X`; or a constant re-exported under a
# Sentry name (formbricks apps/web: `dsn: SENTRY_DSN` with `export const SENTRY_DSN =
# env.SENTRY_DSN` in lib/constants.ts).
OPTION_KEY = {key: re.compile(rf"""(?<![\w$.])["']?{key}["']?\s*(?::|=(?!=))""")
              for key in ("dsn", "org", "project", "authToken")}
SENTRY_CONSTANT = re.compile(r"[A-Z0-9_]*SENTRY[A-Z0-9_]*")
# withSentryConfig(nextConfig, { org, project, authToken, … }): the build plugin's options,
# the only place next.config's `org:`/`project:` mean Sentry's.
WITH_SENTRY_CONFIG = re.compile(r"\bwithSentryConfig\s*\(")


def option_reads(text: str, key: str) -> list[str]:
    """The env variables (or Sentry constants) `key:` reads in `text`, first seen first."""
    names: list[str] = []
    for match in OPTION_KEY[key].finditer(text):
        expression = option_value(text, match.end())
        for operand, _operator in or_chain(expression) or [(expression, "")]:
            found = env_references(operand)
            if not found and SENTRY_CONSTANT.fullmatch(operand.strip()):
                found = [operand.strip()]
            names += [name for name in found if name not in names]
    return names


def sentry_options(text: str) -> str:
    """withSentryConfig's options in a next.config (its arguments after the Next config, an
    identifier followed to its `const`), or "" when the file does not call it."""
    def const_object(name: str) -> str:
        defined = re.search(rf"(?:const|let|var)\s+{re.escape(name)}\s*(?::[^=\n]+)?=\s*\{{", text)
        return bracketed(text, defined.end()) if defined else ""

    found: list[str] = []
    for call in WITH_SENTRY_CONFIG.finditer(text):
        for argument in arguments(bracketed(text, call.end()))[1:]:
            if re.fullmatch(r"[A-Za-z_$][\w$]*", argument):
                argument = const_object(argument)
            # inbox-zero's next.config.ts: `withSentryConfig(config, { ...sentryOptions, ...sentryConfig })`
            found += [argument, *(const_object(m) for m in re.findall(r"\.\.\.\s*([A-Za-z_$][\w$]*)", argument))]
    return "\n".join(found)



# deploy-check's names when the app's code names none; also what the build plugin reads
# when the option is undefined (getsentry/sentry-javascript-bundler-plugins
# packages/bundler-plugin-core/src/options-mapping.ts: `org: userOptions.org ??
# process.env["SENTRY_ORG"]`, likewise SENTRY_PROJECT, SENTRY_AUTH_TOKEN).
DEFAULT_NAMES = {"dsn": "NEXT_PUBLIC_SENTRY_DSN", "token": "SENTRY_AUTH_TOKEN", "org": "SENTRY_ORG",
                 "project": "SENTRY_PROJECT"}



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
    # The variable the app reads for each setting, and the file that reads it (where its code says).
    names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_NAMES))
    readers: dict[str, str] = field(default_factory=dict)
    # "sentry.server.config.ts initialises Sentry only when SENTRY_DSN is set", …
    conditions: list[str] = field(default_factory=list)
    # org/project written as literals in withSentryConfig, and the file: no variable is read.
    literals: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [name for attr, name in self.names.items() if getattr(self, attr) is None]

    def said(self, attr: str) -> str:
        """The variable as messages name it: `SENTRY_ORGANIZATION (read by next.config.ts)`, or
        `org in withSentryConfig (next.config.js)` for a literal."""
        if attr in self.literals:
            return f"{attr} in withSentryConfig ({self.literals[attr]})"
        reader = self.readers.get(attr)
        return f"{self.names[attr]} (read by {reader})" if reader else self.names[attr]

    def named(self, attr: str) -> str:
        """A found setting with where it came from, as problems name it."""
        found = getattr(self, attr)
        if attr in self.literals or found is None:
            return self.said(attr)
        return f"{'the DSN' if attr == 'dsn' else self.names[attr]} ({found.source})"

    @property
    def sources(self) -> dict[str, str]:
        return {attr: found.source for attr in ("dsn", "token", "org", "project")
                if (found := getattr(self, attr)) is not None}



def _code_files(ctx: Context, globs: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(path relative to the project, text) of each code file the globs find, in order."""
    for glob in globs:
        for path in sorted(ctx.project.glob(glob)):
            if path.suffix not in (".ts", ".js", ".mjs", ".cjs", ".tsx", ".jsx", ".mts"):
                continue
            try:
                text = read_text(path, 1 << 20)[:200_000]
            except (OSError, UnicodeDecodeError):
                continue
            yield path.relative_to(ctx.project).as_posix(), text


def _read_code_files(ctx: Context, globs: tuple[str, ...], pattern: re.Pattern[str],
                     region: Callable[[str], str] = str) -> Found | None:
    for relative, text in _code_files(ctx, globs):
        match = pattern.search(region(text))
        if match:
            return Found(match.group(1), relative)
    return None


def _env_names_in_code(ctx: Context, globs: tuple[str, ...], option: str,
                       region: Callable[[str], str] = str) -> list[tuple[str, str, str]]:
    """(variable, file, file text) for each variable the option reads in the files, first seen first."""
    named: list[tuple[str, str, str]] = []
    for relative, text in _code_files(ctx, globs):
        for name in option_reads(region(text), option):
            if name not in (seen[0] for seen in named):
                named.append((name, relative, text))
    return named


def _only_when(name: str, text: str) -> str | None:
    """What the code does only when `name` is set: `if (SENTRY_DSN) { Sentry.init(…) }`,
    `enabled: !!process.env.SENTRY_DSN`, `process.env.SENTRY_AUTH_TOKEN ? withSentryConfig(…) : …`."""
    ref = rf"(?:process\.env\.|(?<![\w.])env\.|(?<![\w.]))\b{re.escape(name)}\b"
    if re.search(rf"\bif\s*\(\s*{ref}\s*\)", text) or re.search(
            rf"\benabled\s*:\s*(?:!!\s*|Boolean\(\s*){ref}", text):
        return "initialises Sentry"
    if re.search(rf"{ref}\s*\?\s*withSentryConfig\b", text):
        return "applies withSentryConfig"
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

    def from_code(attr: str, option: str, globs: tuple[str, ...], *defaults: str,
                  region: Callable[[str], str] = str) -> Found | None:
        """The value of the variable the app's own code reads for `option`; deploy-check's
        defaults only when the code names none (or, for the build plugin's options, as the
        plugin's own fallback when the named one is unset)."""
        named = _env_names_in_code(ctx, globs, option, region)
        for name, reader, text in named:
            what = _only_when(name, text)
            if what and (said := f"{reader} {what} only when {name} is set") not in settings.conditions:
                settings.conditions.append(said)
        for name, reader, _text in named:
            if found := from_env(name):
                settings.names[attr], settings.readers[attr] = name, reader
                return Found(found.value, f"{found.source}, read by {reader}")
        if named:
            settings.names[attr], settings.readers[attr] = named[0][0], named[0][1]
            if attr == "dsn":  # the SDK reads what Sentry.init is given, nothing else
                return None
        for name in defaults:
            if found := from_env(name):
                settings.names[attr] = name
                settings.readers.pop(attr, None)
                return found
        return None

    # The wizard writes the DSN into every Sentry.init (getsentry/sentry-wizard src/nextjs/templates.ts:
    # `dsn: "${dsn}"`). When no init reads a variable, that literal is what the SDK sends to, and a
    # NEXT_PUBLIC_SENTRY_DSN left in an env file (a placeholder, another project's) is never read.
    literal_dsn = _read_code_files(ctx, CODE_GLOBS, DSN_IN_CODE)
    if literal_dsn is not None and not _env_names_in_code(ctx, CODE_GLOBS, "dsn"):
        settings.dsn = literal_dsn
    else:
        settings.dsn = from_code("dsn", "dsn", CODE_GLOBS, *DSN_KEYS) or literal_dsn
    if settings.dsn is not None and "dsn" in settings.readers:
        # The server's DSN variable proves nothing for the browser: a client init reading
        # another, empty variable gets undefined, and browser errors are never reported.
        for reader, text in _code_files(ctx, CODE_GLOBS):
            names = option_reads(text, "dsn")
            if reader.rsplit("/", 1)[-1].startswith(CLIENT_INITS) and names and not any(map(from_env, names)):
                settings.doubts.append(
                    f"{reader} (the browser's Sentry.init) reads {' or '.join(names)}, which is empty, so "
                    f"browser errors are not reported (the DSN found is {settings.names['dsn']}, read by "
                    f"{settings.readers['dsn']})")
    # The build plugin's options live in withSentryConfig's arguments only (a `project:` elsewhere
    # in next.config is not Sentry's), and a literal there wins over the env: the plugin reads
    # `userOptions.org ?? process.env.SENTRY_ORG`.
    settings.token = from_code("token", "authToken", NEXT_CONFIG_GLOBS, "SENTRY_AUTH_TOKEN", region=sentry_options)
    for attr in ("org", "project"):
        literal = _read_code_files(ctx, NEXT_CONFIG_GLOBS, OPTION_IN_CONFIG[attr], sentry_options)
        if literal is not None:
            settings.literals[attr] = literal.source
        setattr(settings, attr, literal or from_code(attr, attr, NEXT_CONFIG_GLOBS, DEFAULT_NAMES[attr],
                                                     region=sentry_options))
    # A withSentryConfig applied only when the token is set names the token's variable.
    for reader, text in _code_files(ctx, NEXT_CONFIG_GLOBS):
        what = _only_when(settings.names["token"], text)
        if what and (said := f"{reader} {what} only when {settings.names['token']} is set") not in settings.conditions:
            settings.conditions.append(said)
    # Where the Sentry wizard keeps a self-hosted address: SENTRY_URL in its env file, or
    # `sentryUrl` in withSentryConfig's options.
    explicit = (from_env("SENTRY_URL") or (Found(ctx.config.sentry_url, "deploy-check.toml")
                                           if ctx.config.sentry_url else None)
                or _read_code_files(ctx, NEXT_CONFIG_GLOBS, OPTION_IN_CONFIG["sentryUrl"]))
    settings.api_url = (explicit.value if explicit else DEFAULT_SENTRY_URL).rstrip("/")

    token_name = settings.names["token"]
    for attr in ("dsn", "token", "org", "project"):
        found = getattr(settings, attr)
        if found and is_placeholder(found.value):
            # A placeholder is not a value: never "well-formed", never sent anywhere.
            settings.problems.append(f"{settings.named(attr)} is a placeholder")
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
            settings.doubts.append(f"{token_name} ({settings.token.source}) does not look like a "
                                   "current Sentry token (sntrys_… or sntryu_…)")
        elif any(ch.isspace() for ch in token):
            settings.problems.append(f"{token_name} ({settings.token.source}) contains whitespace")
    payload = org_token_payload(settings.token.value) if settings.token else None
    if payload and settings.token:
        # An org token names its org and Sentry (getsentry/sentry-cli src/utils/auth_token/
        # org_auth_token.rs: sntrys_<base64 JSON {iat, url, region_url, org}>_<secret>):
        # a mismatch is found offline, before the token goes anywhere.
        said = settings.token.source
        token_org = payload.get("org")
        if settings.org and isinstance(token_org, str) and token_org != settings.org.value:
            settings.problems.append(f"{token_name} ({said}) is an org token of {token_org!r}, but "
                                     f"{settings.named('org')} is {settings.org.value!r}")
        token_url = str(payload.get("url") or "").rstrip("/")
        if explicit is not None and token_url and token_url != settings.api_url:
            settings.problems.append(f"{token_name} ({said}) was made on {token_url}, but SENTRY_URL "
                                     f"({explicit.source}) is {settings.api_url}")
        region = str(payload.get("region_url") or "").rstrip("/")
        if explicit is None and region.startswith("https://") and SAAS_DSN_HOST.search(
                urlsplit(region).hostname or ""):
            settings.api_url = region  # the org's region (us.sentry.io, de.sentry.io)
    for attr in ("org", "project"):
        found = getattr(settings, attr)
        if found and not re.fullmatch(r"[A-Za-z0-9_.-]+", found.value):
            settings.problems.append(f"{settings.named(attr)} is not a slug: {found.value!r}")
    try:
        parts = urlsplit(settings.api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError
    except ValueError:
        settings.problems.append(f"SENTRY_URL is not an http(s) URL: {settings.api_url!r}")
    return settings
