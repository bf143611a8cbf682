"""SENTRY002/003's facts: one read-only exchange with the Sentry API per run (the project,
then its keys, page by page up to a bound), gathered once and judged by both checks."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from checks.core.context import Context
from checks.core.http import fetch
from checks.sentry.settings import SentrySettings, read_settings

if TYPE_CHECKING:
    from checks.core.http import Fetched


# https://docs.sentry.io/api/projects/retrieve-a-project/ and
# https://docs.sentry.io/api/projects/get-project-keys/ (scopes project:read/write/admin).
PROJECT_PATH = "/api/0/projects/{org}/{project}/"



KEYS_PATH = "/api/0/projects/{org}/{project}/keys/"



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
