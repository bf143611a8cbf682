"""Sentry family: the four keys are present and well-formed (SENTRY001), the Web API
accepts the token and knows the org and project (SENTRY002), and the DSN is one of that
project's client keys (SENTRY003). No event is ever sent; the token only ever goes to
the configured Sentry API host."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from checks.core.context import Context
from checks.core.http import fetch, network_hint, origin
from checks.core.model import (
    Outcome,
    Spec,
    Status,
    failed,
    passed,
    skipped,
    unverified,
    waived,
    warned,
)
from checks.core.registry import check
from checks.sentry.api import MAX_KEY_PAGES, next_page, sentry_facts
from checks.sentry.formats import parse_dsn
from checks.sentry.settings import WIZARD_ENV_FILE, SentrySettings, read_settings

if TYPE_CHECKING:
    from checks.core.http import Fetched

SENTRY001 = Spec(
    "SENTRY001", "sentry", "Sentry DSN, org, project and token are set and well-formed",
    "NEXT_PUBLIC_SENTRY_DSN (or SENTRY_DSN), SENTRY_AUTH_TOKEN, SENTRY_ORG and SENTRY_PROJECT "
    "must be present; the DSN must parse as scheme://public_key@host/project_id and the token "
    "look like a Sentry token (sntrys_ organization token, sntryu_ user token). Also read "
    "where `npx @sentry/wizard -i nextjs` puts them: .env.sentry-build-plugin, "
    "sentry.*.config.* / instrumentation-client.*, next.config.*. Where the app's own Sentry code "
    "names its variables (withSentryConfig's `org: process.env.SENTRY_ORGANIZATION`, Sentry.init's "
    "`dsn: process.env.SENTRY_DSN`), those are read and named instead, with the file that reads them; "
    "an init guarded by the DSN (`if (SENTRY_DSN)`) is still required, and the message says so. "
    "A Decisions Log entry that "
    "defers monitoring waives this check (not one inside an HTML comment, a question answered "
    "no, or one whose \"until YYYY-MM-DD\" has passed: that one is named as expired).",
    "Copy the DSN from Sentry › Project Settings › Client Keys, create a token in Settings › "
    "Auth Tokens, and set SENTRY_ORG / SENTRY_PROJECT to the slugs in the project's URL.",
)
SENTRY002 = Spec(
    "SENTRY002", "sentry", "The Sentry API accepts the token and knows the org and project",
    "GET /api/0/projects/{org}/{project}/ on SENTRY_URL (default https://sentry.io) with the "
    "token: 401 means invalid or revoked, 403 a missing scope, 404 an unknown org or project. "
    "A machine that resolves neither the host nor any other name (no DNS) leaves it unverified.",
    "Check SENTRY_ORG / SENTRY_PROJECT against the project's URL, and the token in Settings › "
    "Auth Tokens (it needs project:read).",
)
SENTRY003 = Spec(
    "SENTRY003", "sentry", "The DSN belongs to SENTRY_ORG/SENTRY_PROJECT",
    "Lists the project's client keys (GET /api/0/projects/{org}/{project}/keys/) and looks "
    "for the DSN's public key: catches a DSN pasted from another project.",
    "Copy the DSN from this project's Settings › Client Keys (DSN).",
)


def _keys_hint(settings: SentrySettings, *, opt_in: bool) -> str:
    """SENTRY001's hint in the app's own variable names (SENTRY_ORGANIZATION where its
    next.config reads that), not deploy-check's defaults."""
    steps = []
    if settings.dsn is None:
        steps.append(f"copy the DSN from Sentry › Project Settings › Client Keys into {settings.said('dsn')}")
    if settings.token is None:
        steps.append(f"create a token in Settings › Auth Tokens for {settings.said('token')}")
    slugs = [settings.said(attr) for attr in ("org", "project") if getattr(settings, attr) is None]
    if slugs:
        steps.append(f"set {' / '.join(slugs)} to the slugs in the project's URL")
    hint = "; ".join(steps)
    hint = hint[:1].upper() + hint[1:] + "."
    if opt_in:
        hint += (" The app runs without them, so if monitoring is deferred for this gate, say so in the "
                 "Decisions Log or set [sentry] required = false in deploy-check.toml.")
    return hint


def _slugs_hint(settings: SentrySettings) -> str | None:
    """SENTRY001's hint when the wizard wrote org/project as literals in withSentryConfig: edit
    them there (a SENTRY_ORG the plugin would read only in their absence changes nothing)."""
    if not settings.literals:
        return None
    literal = [attr for attr in ("org", "project") if attr in settings.literals]
    slugs = [f"{' / '.join(literal)} in withSentryConfig ({settings.literals[literal[0]]})"]
    slugs += [settings.said(attr) for attr in ("org", "project") if attr not in settings.literals]
    return ("Copy the DSN from Sentry › Project Settings › Client Keys, create a token in Settings › "
            f"Auth Tokens, and set {' / '.join(slugs)} to the slugs in the project's URL.")


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
                                            hint=_slugs_hint(settings), **details)
    if settings.missing and not note:
        # The env files really read (`.env` where the values live there), else the one to fill.
        env_files = [ctx.rel(f.path) for f in ctx.env_files if f.parsed is not None] or [ctx.rel(ctx.env_path)]
        where = f"checked the environment, {', '.join(env_files)}, {WIZARD_ENV_FILE} and the Sentry config files"
        expired = ctx.expired_monitoring_deferral
        if expired is not None:
            details["expired_deferral"] = {"entry": expired.text, "until": str(expired.until),
                                           "line": expired.line}
            where += f"; the Decisions Log deferral expired on {expired.until}: {expired.quote()}"
        said = [settings.said(attr) for attr in ("dsn", "token", "org", "project") if getattr(settings, attr) is None]
        # Opt-in Sentry is still required (DESIGN.md: a Sentry SDK or config makes it so);
        # the message says what the app does without the keys.
        opt_in = f"; {'; '.join(settings.conditions)}" if settings.conditions else ""
        if settings.conditions:
            details["conditions"] = settings.conditions
        return failed(f"missing: {', '.join(said)} — {where}{opt_in}",
                      hint=_keys_hint(settings, opt_in=bool(opt_in)), **details)
    if settings.doubts:
        return warned("; ".join(settings.doubts), **details)
    if settings.missing:  # deferred, partly filled: what is there is fine
        return waived(f"monitoring deferred for this gate — {note}; filled keys are well-formed, "
                      f"missing: {', '.join(settings.missing)}", waived_by=note, **details)
    sources = ", ".join(f"{k} from {v}" for k, v in settings.sources.items())
    return passed(f"DSN, token, org and project are set and well-formed ({sources})", **details)


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
        if answer.problem_kind == "no_dns":  # the machine resolves no names: nothing was asked
            return replace(unverified(f"sentry: the Sentry API at {settings.api_url} cannot be reached from this "
                                      "machine, which resolves no names", answer.problem, **details),
                           hint=hint)
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
                      hint=f"Check {settings.said('org')} and {settings.said('project')} against the slugs "
                           "in the project's URL.",
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
        return _soften(ctx, failed(f"the DSN names project id {dsn.project_id}, but {settings.said('project')} is "
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

