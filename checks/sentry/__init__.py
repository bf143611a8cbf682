"""Sentry family: the four keys are present and well-formed (SENTRY001), the Web API
accepts the token and knows the org and project (SENTRY002), and the DSN is one of that
project's client keys (SENTRY003). No event is ever sent; the token only ever goes to
the configured Sentry API host."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from checks.core.context import Context
from checks.core.http import fetch, network_hint, origin
from checks.core.model import Outcome, Spec, Status, failed, passed, skipped, waived, warned
from checks.core.registry import check
from checks.support.envfile import read_env_file
from checks.support.files import read_text
from checks.support.placeholders import is_placeholder

if TYPE_CHECKING:
    from checks.core.http import Fetched

SENTRY001 = Spec(
    "SENTRY001", "sentry", "Sentry DSN, org, project and token are set and well-formed",
    "NEXT_PUBLIC_SENTRY_DSN (or SENTRY_DSN), SENTRY_AUTH_TOKEN, SENTRY_ORG and SENTRY_PROJECT "
    "must be present; the DSN must parse as scheme://public_key@host/project_id and the token "
    "look like a Sentry token (sntrys_ organization token, sntryu_ user token). Also read "
    "where `npx @sentry/wizard -i nextjs` puts them: .env.sentry-build-plugin, "
    "sentry.*.config.* / instrumentation-client.*, next.config.*. A Decisions Log entry that "
    "defers monitoring waives this check.",
    "Copy the DSN from Sentry › Project Settings › Client Keys, create a token in Settings › "
    "Auth Tokens, and set SENTRY_ORG / SENTRY_PROJECT to the slugs in the project's URL.",
)
SENTRY002 = Spec(
    "SENTRY002", "sentry", "The Sentry API accepts the token and knows the org and project",
    "GET /api/0/projects/{org}/{project}/ on SENTRY_URL (default https://sentry.io) with the "
    "token: 401 means invalid or revoked, 403 a missing scope, 404 an unknown org or project.",
    "Check SENTRY_ORG / SENTRY_PROJECT against the project's URL, and the token in Settings › "
    "Auth Tokens (it needs project:read).",
)
SENTRY003 = Spec(
    "SENTRY003", "sentry", "The DSN belongs to SENTRY_ORG/SENTRY_PROJECT",
    "Lists the project's client keys (GET /api/0/projects/{org}/{project}/keys/) and looks "
    "for the DSN's public key: catches a DSN pasted from another project.",
    "Copy the DSN from this project's Settings › Client Keys (DSN).",
)

DEFAULT_SENTRY_URL = "https://sentry.io"
# https://docs.sentry.io/api/projects/retrieve-a-project/ and
# https://docs.sentry.io/api/projects/get-project-keys/ (scopes project:read/write/admin).
PROJECT_PATH = "/api/0/projects/{org}/{project}/"
KEYS_PATH = "/api/0/projects/{org}/{project}/keys/"
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


def deferral_note(ctx: Context) -> str | None:
    if ctx.monitoring_deferral is not None:
        return ctx.monitoring_deferral.quote()
    if ctx.config.sentry_required is False:
        return "deploy-check.toml: [sentry] required = false"
    return None


@check(SENTRY001)
def keys_present(ctx: Context) -> Outcome:
    if not ctx.model.sentry_required and ctx.config.sentry_required is None:
        return skipped(ctx.model.sentry_why)
    settings = read_settings(ctx)
    note = deferral_note(ctx)
    details: dict[str, Any] = {"missing": settings.missing, "found_in": settings.sources,
                               "api_url": settings.api_url}
    if note and len(settings.missing) == 4:
        return waived(f"monitoring deferred for this gate — {note}", waived_by=note, **details)
    if settings.problems:
        message = "; ".join(settings.problems)
        return (warned if note else failed)(message + (f" (monitoring deferred: {note})" if note else ""),
                                            **details)
    if settings.missing and not note:
        where = f"checked the environment, .env.local, {WIZARD_ENV_FILE} and the Sentry config files"
        return failed(f"missing: {', '.join(settings.missing)} ({where})", **details)
    if settings.doubts:
        return warned("; ".join(settings.doubts), **details)
    if settings.missing:  # deferred, partly filled: what is there is fine
        return waived(f"monitoring deferred for this gate — {note}; filled keys are well-formed, "
                      f"missing: {', '.join(settings.missing)}", waived_by=note, **details)
    sources = ", ".join(f"{k} from {v}" for k, v in settings.sources.items())
    return passed(f"DSN, token, org and project are set and well-formed ({sources})", **details)


# A project with more client keys than fit a page: at most this many pages are read.
MAX_KEY_PAGES = 10
# https://docs.sentry.io/api/pagination/: `Link: <url>; rel="next"; results="true"; cursor="…"`
LINK = re.compile(r'<(?P<url>[^>]*)>(?P<params>(?:\s*;\s*[a-zA-Z]+="[^"]*")*)')
LINK_PARAM = re.compile(r'([a-zA-Z]+)="([^"]*)"')


def next_page(link_header: str | None) -> str | None:
    """The URL of the next page when Sentry says there are more results."""
    for match in LINK.finditer(link_header or ""):
        params = dict(LINK_PARAM.findall(match.group("params")))
        if params.get("rel") == "next" and params.get("results") == "true":
            return match.group("url")
    return None


@dataclass
class SentryFacts:
    settings: SentrySettings
    project: Fetched | None = None
    keys: Fetched | None = None
    headers: dict[str, str] = field(default_factory=dict)


async def collect(ctx: Context) -> SentryFacts:


    settings = read_settings(ctx)
    facts = SentryFacts(settings)
    if settings.token is None or settings.org is None or settings.project is None or settings.problems:
        return facts
    names = {"org": quote(settings.org.value, safe=""), "project": quote(settings.project.value, safe="")}
    headers = {"Authorization": f"Bearer {settings.token.value}", "Accept": "application/json"}
    ctx.report_progress("SENTRY002", f"asking {settings.api_url}")
    facts.headers = headers
    facts.project, facts.keys = await asyncio.gather(
        fetch(ctx, settings.api_url + PROJECT_PATH.format(**names), headers=headers),
        fetch(ctx, settings.api_url + KEYS_PATH.format(**names), headers=headers),
    )
    return facts


async def sentry_facts(ctx: Context) -> SentryFacts:
    return await ctx.fact("sentry", lambda: collect(ctx))


def _soften(ctx: Context, outcome: Outcome) -> Outcome:
    """Under a monitoring deferral, filled keys are still verified but cannot block."""
    note = deferral_note(ctx)
    if note and outcome.status is Status.FAIL:
        outcome.status = Status.WARN
        outcome.message += f" (monitoring deferred, so a warning: {note})"
    return outcome


def _api_error(answer: Fetched, settings: SentrySettings, scope: str, what: str) -> Outcome | None:
    """The outcome for a non-200 answer, or None when it is a 200."""

    org = settings.org.value if settings.org else "?"
    project = settings.project.value if settings.project else "?"
    details: dict[str, Any] = {"url": answer.url, "status": answer.status}
    if answer.problem:
        hint = network_hint(answer, "Sentry")
        if hint is not None:
            # The network failed, not the token: a credentials hint would send the user astray.
            return failed(f"Sentry unreachable at {settings.api_url}: {answer.problem}", hint=hint, **details)
        return failed(f"{what}: {answer.problem}", **details)
    status = answer.status or 0
    if status == 200:
        return None
    detail = ""
    try:
        body = answer.json()
        detail = f" (Sentry says: {body.get('detail')})" if isinstance(body, dict) and body.get("detail") else ""
    except ValueError:
        pass
    if status == 401:
        return failed(f"the token was rejected (401): invalid or revoked{detail}",
                      hint="Create a new token in Sentry › Settings › Auth Tokens.", **details)
    if status == 403:
        return failed(f"the token is valid but lacks the {scope} scope for {org}/{project} (403){detail}",
                      hint=f"Use a token with {scope} (an organization token carries only org:ci: use a "
                           "user token or an internal integration's token).", **details)
    if status == 404:
        return failed(f"Sentry does not know the organization {org!r} or its project {project!r} (404)",
                      hint="Check SENTRY_ORG and SENTRY_PROJECT against the slugs in the project's URL.",
                      **details)
    if status == 429:
        retry = answer.headers.get("retry-after", "unknown")
        return warned(f"Sentry rate-limited the request (429); retry after {retry} s", retry_after=retry,
                      **details)
    if status >= 500:
        return failed(f"Sentry unreachable at {settings.api_url}: it answered {status}", **details)
    return failed(f"{what}: Sentry answered {status}{detail}", **details)


@check(SENTRY002, needs=("SENTRY001",))
async def api_accepts(ctx: Context) -> Outcome:
    facts = await sentry_facts(ctx)
    settings = facts.settings
    if facts.project is None:
        missing = settings.missing
        reason = f"missing {', '.join(missing)}" if missing else "; ".join(settings.problems)
        return skipped(f"nothing to verify: {reason}")
    error = _api_error(facts.project, settings, "project:read", "the project lookup failed")
    if error:
        return _soften(ctx, error)
    try:
        project = facts.project.json()
        slug, project_id = project["slug"], str(project["id"])
    except (ValueError, KeyError, TypeError):
        return _soften(ctx, failed(f"{facts.project.url} answered 200 but not with a Sentry project"))
    return passed(f"the token is accepted and {settings.org.value if settings.org else '?'}/{slug} exists "
                  f"(project id {project_id}) at {settings.api_url}", project_id=project_id, slug=slug)


@check(SENTRY003, needs=("SENTRY002",))
async def dsn_matches(ctx: Context) -> Outcome:
    facts = await sentry_facts(ctx)
    settings = facts.settings
    if settings.dsn is None:
        return skipped("no DSN to compare")
    if facts.keys is None or facts.project is None:
        return skipped("nothing to verify without the token, org and project")
    dsn = parse_dsn(settings.dsn.value)
    error = _api_error(facts.keys, settings, "project:read", "listing the client keys failed")
    if error:
        return _soften(ctx, error)
    try:
        key_objects = {str(key["public"]): key for key in facts.keys.json()}
        public_keys = set(key_objects)
        project_id = str(facts.project.json()["id"])
        page, pages = facts.keys, 1
        while dsn.public_key not in public_keys and pages < MAX_KEY_PAGES:
            following = next_page(page.headers.get("link"))
            # The token goes only to the configured API host (a Link elsewhere is ignored).
            if following is None or origin(following) != origin(settings.api_url):
                break
            page, pages = await fetch(ctx, following, headers=facts.headers), pages + 1
            error = _api_error(page, settings, "project:read", "listing the client keys failed")
            if error:
                return _soften(ctx, error)
            key_objects |= {str(key["public"]): key for key in page.json()}
            public_keys = set(key_objects)
    except (ValueError, KeyError, TypeError):
        return _soften(ctx, failed(f"{facts.keys.url} answered 200 but not with a list of client keys"))
    where = f"(DSN from {settings.dsn.source})"
    if dsn.public_key not in public_keys:
        return _soften(ctx, failed(
            f"the DSN's public key is not one of the {len(public_keys)} client keys of "
            f"{settings.org.value if settings.org else '?'}/{settings.project.value if settings.project else '?'} "
            f"{where}: it was pasted from another project", dsn_project_id=dsn.project_id,
            project_id=project_id))
    if dsn.project_id != project_id:
        return _soften(ctx, failed(f"the DSN names project id {dsn.project_id}, but SENTRY_PROJECT is "
                                   f"project {project_id} {where}", dsn_project_id=dsn.project_id,
                                   project_id=project_id))
    # https://docs.sentry.io/api/projects/list-a-projects-client-keys/: isActive, rateLimit
    # {window, count}. A disabled key, or one limited to zero events, drops every error.
    key = key_objects.get(dsn.public_key) or {}
    if key.get("isActive") is False:
        return _soften(ctx, failed(f"the DSN's client key is disabled in {project_id} {where}: Sentry "
                                   "drops every event sent with it", project_id=project_id,
                                   hint="Enable the key in Project Settings → Client Keys, or use an active one."))
    limit = key.get("rateLimit")
    if isinstance(limit, dict) and limit.get("count") == 0:
        return _soften(ctx, failed(f"the DSN's client key is rate-limited to 0 events {where}: Sentry "
                                   "drops every event sent with it", project_id=project_id,
                                   hint="Raise the key's rate limit in Project Settings → Client Keys."))
    return passed(f"the DSN is a client key of project {project_id} {where}", project_id=project_id)

