"""Which env variables the app's own nodemailer transport reads: `createTransport({ host:
process.env.MAIL_SERVER, port: …, auth: { user: …, pass: … } })` or `createTransport(
process.env.SMTP_URL)`. AUTH004 probes the server those name, and names them, instead of the
conventional EMAIL_SERVER/SMTP_HOST the app may never read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from checks.project.imports import importers
from checks.project.logins import COMMENT, MAX_SOURCE_BYTES
from checks.project.reading import bracketed, env_reference, read_small
from checks.support.lazyre import lazy

if TYPE_CHECKING:
    from checks.core.context import Context

# nodemailer.createTransport(options | url) (nodemailer.com/smtp: host, port, auth.user, auth.pass)
CREATE_TRANSPORT = lazy(r"(?<![\w$])createTransport\s*\(")
# `key: <expression>` up to the next comma or closing brace at the same depth (no nesting
# inside the value: an env read, maybe wrapped in Number(…) or parseInt(…)).
OPTION = lazy(r"(?<![\w$.])(?P<key>host|port|user|pass)\s*:\s*(?P<value>[^,{}\n]+)")
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


def app_smtp_settings(ctx: Context) -> SmtpSettings:
    settings = smtp_settings(ctx.project, [*ctx.model.env_schema_required, *ctx.model.env_schema_optional])
    if settings is not CONVENTIONAL or ctx.value("SMTP_HOST"):
        return settings
    # No createTransport of the app's names its variables: the conventional split names the
    # app sets, or else documents (its example lists EMAIL_SERVER_HOST, not SMTP_HOST).
    documented = {key for e in ctx.examples if e.parsed is not None for key in e.parsed.keys}
    host = EMAIL_SERVER_SPLIT.host or ""
    if ctx.value(host) or (host in documented and CONVENTIONAL.host not in documented):
        return EMAIL_SERVER_SPLIT
    return settings


def smtp_settings(root: Path, declared: Iterable[str] = ()) -> SmtpSettings:
    """The variables the app's own createTransport reads; where it reads none itself (a URL
    passed in), the SMTP URL keys its env schema declares (`declared`); else the
    conventional names."""
    where = importers(root, ["nodemailer"], subpaths=False).get("nodemailer")
    names = smtp_names(root, where) if where else None
    if names is None:
        urls = tuple(sorted(key for key in declared if SCHEMA_URL_KEY.search(key)))
        return SmtpSettings(urls, None, None, None, (), "the app's env schema") if urls else CONVENTIONAL
    if names.url:
        return SmtpSettings((names.url,), None, None, None, (), names.where)
    return SmtpSettings((), names.host, names.port, names.user, (names.password,) if names.password else (),
                        names.where)
