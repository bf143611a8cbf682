"""Which env variables the app's own nodemailer transport reads: `createTransport({ host:
process.env.MAIL_SERVER, port: …, auth: { user: …, pass: … } })` or `createTransport(
process.env.SMTP_URL)`, in the app or in a workspace package it depends on; or, where the
transport takes parameters, the settings object a helper fills from env (Dokploy's
`smtpServer: process.env.SMTP_SERVER`). AUTH004 probes the server those name, and names them,
instead of the conventional EMAIL_SERVER/SMTP_HOST the app may never read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from checks.project.imports import importers
from checks.project.logins import COMMENT, MAX_SOURCE_BYTES, _sources
from checks.project.reading import (
    bracketed,
    env_reference,
    env_references,
    option_value,
    package_json,
    read_small,
    relative,
)
from checks.project.workspace import workspace_packages
from checks.support.lazyre import lazy

if TYPE_CHECKING:
    from checks.core.context import Context

# nodemailer.createTransport(options | url) (nodemailer.com/smtp: host, port, auth.user, auth.pass)
CREATE_TRANSPORT = lazy(r"(?<![\w$])createTransport\s*\(")
# `key: <expression>` up to the next comma or closing brace at the same depth (no nesting
# inside the value: an env read, maybe wrapped in Number(…) or parseInt(…)).
OPTION = lazy(r"(?<![\w$.])(?P<key>host|port|user|pass)\s*:\s*(?P<value>[^,{}\n]+)")
# Any `key:` of an object literal: a helper's settings object (`smtpServer:`, `smtpPort:`,
# `username:`, `password:`), read by meaning rather than by nodemailer's option names.
ANY_OPTION = lazy(r"(?<![\w$.])(?P<key>[A-Za-z_$][\w$]*)\s*:(?!:)")
# The env variables a mail server's settings are kept in (SMTP_SERVER, MAIL_HOST, EMAIL_SERVER_HOST).
MAIL_ENV = lazy(r"SMTP|MAIL")
NUMBER_CALL = lazy(r"^(?:Number|parseInt|parseFloat)\s*\((?P<inner>.*?)(?:,\s*\d+)?\)$|^\+(?P<plus>.*)$")


@dataclass(frozen=True)
class SmtpNames:
    """The variables one createTransport call reads (None where it reads no single env var)."""

    where: str  # the file, relative to the project
    url: str | None = None
    host: str | None = None
    port: str | None = None
    user: str | None = None
    password: str | None = None

    @property
    def reads_any(self) -> bool:
        return any((self.url, self.host, self.port, self.user, self.password))


def _read(expression: str) -> str | None:
    expression = expression.strip()
    wrapped = NUMBER_CALL.match(expression)
    if wrapped:
        expression = wrapped["inner"] if wrapped["inner"] is not None else wrapped["plus"]
    return env_reference(expression)


def smtp_names(root: Path, relative_file: str) -> SmtpNames | None:
    """The env variables of the first createTransport call in `relative_file` that reads any,
    or None (no call, or one built from constants or a config object elsewhere)."""
    text = read_small(root / relative_file, MAX_SOURCE_BYTES)
    if not text:
        return None
    code = COMMENT.sub("", text)
    for call in CREATE_TRANSPORT.finditer(code):
        arguments = bracketed(code, call.end())
        first = re.split(r",(?![^{]*})", arguments, maxsplit=1)[0]
        url = _read(first) if not first.lstrip().startswith("{") else None
        options = {match["key"]: _read(match["value"]) for match in OPTION.finditer(arguments)}
        names = SmtpNames(relative_file, url=url, host=options.get("host"), port=options.get("port"),
                          user=options.get("user"), password=options.get("pass"))
        if names.reads_any:
            return names
    return None


@dataclass(frozen=True)
class SmtpSettings:
    """Where AUTH004 looks for the app's SMTP server: URL variables, else host/port/user/password."""

    urls: tuple[str, ...]
    host: str | None
    port: str | None
    user: str | None
    passwords: tuple[str, ...]
    read_by: str | None = None  # the file whose createTransport names them

    def named(self, names: list[str]) -> str:
        return ", ".join(names) + (f", read by {self.read_by}" if self.read_by else "")


# nodemailer's SMTP URL as Auth.js's Nodemailer provider reads it (EMAIL_SERVER in its docs,
# AUTH_EMAIL_SERVER in v5), and the split settings apps pass to createTransport.
CONVENTIONAL = SmtpSettings(("EMAIL_SERVER", "AUTH_EMAIL_SERVER", "SMTP_URL"), "SMTP_HOST", "SMTP_PORT",
                            "SMTP_USER", ("SMTP_PASSWORD", "SMTP_PASS"))
# The split settings of next-auth v4's Email provider docs (next-auth.js.org/providers/email:
# `host: process.env.EMAIL_SERVER_HOST`, EMAIL_SERVER_PORT, EMAIL_SERVER_USER, EMAIL_SERVER_PASSWORD),
# which apps keep when they build the transport elsewhere (calcom/cal.com packages/lib/serverConfig.ts).
EMAIL_SERVER_SPLIT = SmtpSettings(CONVENTIONAL.urls, "EMAIL_SERVER_HOST", "EMAIL_SERVER_PORT",
                                  "EMAIL_SERVER_USER", ("EMAIL_SERVER_PASSWORD",))


# A key of the app's env schema that holds its SMTP server as a URL (langfuse's web/src/env.mjs
# SMTP_CONNECTION_URL; its createTransport(parseConnectionUrl(connectionUrl)) takes a parameter).
SCHEMA_URL_KEY = lazy(r"SMTP\w*(?:URL|URI|CONNECTION)|(?:^|_)E?MAIL_SERVER$")


def app_folders(ctx: Context) -> list[Path]:
    """The app's folder, then those of the workspace packages it depends on (where a monorepo
    app keeps its mailer: Dokploy's packages/server, openstatus's packages/emails)."""
    root = ctx.model.workspace_root
    if root in (None, "."):
        return [ctx.project]
    return [ctx.project, *workspace_packages(ctx.project, (ctx.project / root).resolve(), package_json(ctx.project))]


def app_smtp_settings(ctx: Context) -> SmtpSettings:
    model = ctx.model
    settings = smtp_settings(ctx.project, [*model.env_schema_required, *model.env_schema_optional,
                                           *model.env_schema_loose],
                             app_folders(ctx)[1:])
    if settings is not CONVENTIONAL or ctx.value("SMTP_HOST"):
        return settings
    # No createTransport of the app's names its variables: the conventional split names the
    # app sets, or else documents (its example lists EMAIL_SERVER_HOST, not SMTP_HOST).
    documented = {key for e in ctx.examples if e.parsed is not None for key in e.parsed.keys}
    host = EMAIL_SERVER_SPLIT.host or ""
    if ctx.value(host) or (host in documented and CONVENTIONAL.host not in documented):
        return EMAIL_SERVER_SPLIT
    return settings


def smtp_settings(root: Path, declared: Iterable[str] = (), packages: Iterable[Path] = ()) -> SmtpSettings:
    """The variables the app's own createTransport reads (or, failing that, one of the workspace
    `packages`'); where none reads any (a URL or settings passed in), the SMTP URL keys its env
    schema declares (`declared`); then a settings object that a helper fills from env; else
    the conventional names."""
    names = None
    for folder in (root, *packages):
        where = importers(folder, ["nodemailer"], subpaths=False).get("nodemailer")
        names = smtp_names(folder, where) if where else None
        if names is not None:
            names = SmtpNames(relative(root, folder / names.where), names.url, names.host, names.port,
                              names.user, names.password)
            break
    if names is None:
        urls = tuple(sorted(key for key in declared if SCHEMA_URL_KEY.search(key)))
        if urls:
            return SmtpSettings(urls, None, None, None, (), "the app's env schema")
        names = helper_names(root, [root, *packages])
    if names is None:
        return CONVENTIONAL
    if names.url:
        return SmtpSettings((names.url,), None, None, None, (), names.where)
    return SmtpSettings((), names.host, names.port, names.user, (names.password,) if names.password else (),
                        names.where)


def helper_names(root: Path, folders: list[Path]) -> SmtpNames | None:
    """The env variables of the first object literal in the sources of `folders` that fills a
    mail server's settings from env: a key naming a host or server whose value reads an SMTP/MAIL
    variable, with the port, user and password keys beside it (Dokploy/dokploy packages/server/
    src/verification/send-verification-email.tsx: `smtpServer: process.env.SMTP_SERVER || ""`,
    handed to a createTransport that takes parameters)."""
    for folder in folders:
        for path in _sources(folder):
            text = read_small(path, MAX_SOURCE_BYTES)
            if not text or not MAIL_ENV.search(text):
                continue
            code = COMMENT.sub("", text)
            for option in ANY_OPTION.finditer(code):
                if _role(option["key"]) != "host":
                    continue
                read = env_references(option_value(code, option.end()))
                if not read or not MAIL_ENV.search(read[0]):
                    continue
                names = _settings_object(code, option.start(), relative(root, path))
                if names is not None:
                    return names
    return None


def _role(key: str) -> str | None:
    lowered = key.lower()
    for role, words in (("password", ("pass",)), ("user", ("user",)), ("port", ("port",)),
                        ("host", ("host", "server"))):
        if any(word in lowered for word in words):
            return role
    return None


def _settings_object(code: str, at: int, where: str) -> SmtpNames | None:
    """The settings of the object literal whose key starts at `at`, each from its first env read."""
    depth, start = 0, -1
    for index in range(at - 1, -1, -1):
        depth += {"}": 1, "{": -1}.get(code[index], 0)
        if depth < 0:
            start = index
            break
    if start < 0:
        return None
    block = bracketed(code, start + 1)
    found: dict[str, str] = {}
    for option in ANY_OPTION.finditer(block):
        role = _role(option["key"])
        read = env_references(option_value(block, option.end()))
        if role and read and role not in found:
            found[role] = read[0]
    host = found.get("host")
    if host is None:
        return None
    if SCHEMA_URL_KEY.search(host):
        return SmtpNames(where, url=host)
    return SmtpNames(where, host=host, port=found.get("port"), user=found.get("user"),
                     password=found.get("password"))
