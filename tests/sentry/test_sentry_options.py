"""SENTRY001's reading of the app's code (review-auth items 5 and 7): every variable of a
`??`/`||` chain, and the build plugin's org/project/authToken from withSentryConfig's own
options only, a literal there winning over the env."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from helpers import write_project

if TYPE_CHECKING:
    from checks.sentry.settings import SentrySettings

TOKEN = "sntryu_Tok3nCanary-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c"
DSN = "https://a785682ddda742d7a8a4088810e67791@o4504765715316736.ingest.sentry.io/4505281256090153"
INIT = 'import * as Sentry from "@sentry/nextjs";\n'


def settings_of(project: Path, environ: dict[str, str]) -> SentrySettings:
    from checks.core.context import Context
    from checks.sentry.settings import read_settings

    return read_settings(Context(project=project, environ=environ))


def test_every_variable_of_an_or_chain_dsn_is_read(tmp_path: Path) -> None:
    # The SDK gets `process.env.NEXT_PUBLIC_SENTRY_DSN || process.env.SENTRY_DSN`: SENTRY_DSN suffices.
    project = write_project(tmp_path, {
        "sentry.server.config.ts": INIT + "Sentry.init({ dsn: process.env.NEXT_PUBLIC_SENTRY_DSN || process.env.SENTRY_DSN });\n",
    })
    settings = settings_of(project, {"SENTRY_DSN": DSN})
    assert settings.dsn is not None, settings.missing
    assert settings.dsn.source == "SENTRY_DSN in process environment, read by sentry.server.config.ts"


def test_a_literal_org_and_project_in_with_sentry_config_win_over_the_env(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "next.config.js": ('const { withSentryConfig } = require("@sentry/nextjs");\n'
                           'module.exports = withSentryConfig({}, { org: "acme", project: "web", '
                           "authToken: process.env.SENTRY_AUTH_TOKEN });\n"),
    })
    settings = settings_of(project, {"SENTRY_ORG": "wrong-org", "SENTRY_PROJECT": "wrong-proj",
                                     "SENTRY_AUTH_TOKEN": TOKEN})
    assert settings.org is not None and settings.org.value == "acme" and settings.org.source == "next.config.js"
    assert settings.project is not None and settings.project.value == "web"


def test_a_project_key_outside_with_sentry_config_is_not_sentrys(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "next.config.js": ('const { withSentryConfig } = require("@sentry/nextjs");\n'
                           "const nextConfig = { serverRuntimeConfig: { project: process.env.INTERNAL_API_PASSPHRASE } };\n"
                           "module.exports = withSentryConfig(nextConfig, { org: process.env.SENTRY_ORG, "
                           "authToken: process.env.SENTRY_AUTH_TOKEN });\n"),
    })
    settings = settings_of(project, {"SENTRY_ORG": "acme", "SENTRY_PROJECT": "web", "SENTRY_AUTH_TOKEN": TOKEN,
                                     "INTERNAL_API_PASSPHRASE": "hunter2 horse!battery"})
    assert settings.names["project"] == "SENTRY_PROJECT"
    assert settings.project is not None and settings.project.value == "web"
    assert not settings.problems, settings.problems


def test_an_empty_client_dsn_beside_a_set_server_dsn_warns_naming_the_client_config(tmp_path: Path) -> None:
    # review-auth item 6: the browser's Sentry.init reads NEXT_PUBLIC_SENTRY_DSN, which is empty,
    # while the server's SENTRY_DSN is set: browser errors would go nowhere.
    project = write_project(tmp_path, {
        "sentry.client.config.ts": INIT + "Sentry.init({ dsn: process.env.NEXT_PUBLIC_SENTRY_DSN });\n",
        "sentry.server.config.ts": INIT + "Sentry.init({ dsn: process.env.SENTRY_DSN });\n",
    })
    settings = settings_of(project, {"SENTRY_DSN": DSN, "NEXT_PUBLIC_SENTRY_DSN": ""})
    assert settings.dsn is not None
    assert len(settings.doubts) == 1, settings.doubts
    assert settings.doubts[0].startswith("sentry.client.config.ts (the browser's Sentry.init) reads "
                                         "NEXT_PUBLIC_SENTRY_DSN, which is empty")
    assert DSN not in settings.doubts[0]
    both = settings_of(project, {"SENTRY_DSN": DSN, "NEXT_PUBLIC_SENTRY_DSN": DSN})
    assert both.doubts == []
