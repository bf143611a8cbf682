"""AUTH004's allowance: a mail transport the app itself marks optional, and leaves unset, is
no gap (the app runs without sending mail: an OAuth-only sign-in, a dev mailer that prints
the code) and is not proven either: unverified. The app says so in its env example (an
`# Optional` marker), in its createEnv schema (`.optional()`, a `.default()`), in its code
(the SDK client built only when the key is set, a stand-in otherwise; the Auth.js email
provider registered only when a variable is set), or by keeping a hosted SDK's key elsewhere."""

from __future__ import annotations

import re
from typing import Any

from checks.auth.smtpnames import app_smtp_settings
from checks.core.context import Context
from checks.project.logins import AUTHJS_EMAIL, MAX_SOURCE_BYTES, provider_guards
from checks.project.reading import read_small

# A createEnv key that names the SMTP server, whatever the app calls it (langfuse's
# web/src/env.mjs: `SMTP_CONNECTION_URL: z.string().optional()`; Auth.js: EMAIL_SERVER).
SMTP_KEY = re.compile(r"SMTP|(?:^|_)E?MAIL_SERVER$")


def optional_unset(ctx: Context, transports: list[Any]) -> dict[int, str]:
    """id(transport) -> why the app lets it be unset, for each transport that is unset and
    optional; the others are judged as usual."""
    examples = [e for e in ctx.examples if e.parsed is not None]
    marked = {key: ctx.rel(e.path) for e in examples for key in e.parsed.optional_keys}  # type: ignore[union-attr]
    schema = ctx.model.env_schema_optional
    found: dict[int, str] = {}
    for transport in transports:
        if transport.unread:
            found[id(transport)] = transport.unread
        if not transport.problems:
            continue
        if transport.kind == "smtp":
            if not all(p.startswith("no SMTP server is named") for p in transport.problems):
                continue
            if off := _email_login_off(ctx):
                found[id(transport)] = off
            elif named := _optional_smtp(ctx):
                found[id(transport)] = f"{ctx.rel(ctx.example_path)} marks {', '.join(named)} optional and none is set"
            elif why := _schema_optional_smtp(ctx):
                found[id(transport)] = why
        elif transport.key_name and all(p.endswith(" is empty") for p in transport.problems):
            where = marked.get(transport.key_name) or schema.get(transport.key_name)
            if where:
                found[id(transport)] = (f"{where} lets {transport.key_name} be unset, and it is: the app "
                                        f"runs without sending mail through {transport.name}")
            elif transport.fallback:
                found[id(transport)] = (f"{transport.fallback} builds the {transport.name} client only when "
                                        f"{transport.key_name} is set, and a stand-in mailer otherwise; it is not "
                                        f"set, so the app runs without sending mail through {transport.name}")
    return found


def _optional_smtp(ctx: Context) -> list[str]:
    """The SMTP settings the app's example lists and marks optional (all of them, or [])."""
    examples = [e.parsed for e in ctx.examples if e.parsed is not None]
    keys, optional = ({k for e in examples for k in getattr(e, field)} for field in ("keys", "optional_keys"))
    settings = app_smtp_settings(ctx)
    named = [key for key in (*settings.urls, settings.host) if key and key in keys]
    return named if named and all(key in optional for key in named) else []


def _schema_optional_smtp(ctx: Context) -> str | None:
    """Why the app's env schema lets its SMTP server be unset: it declares SMTP keys,
    every one optional, none set; None otherwise (a required one, or one that is set)."""
    optional, required = ctx.model.env_schema_optional, ctx.model.env_schema_required
    # A key optional but for the app's own rule on the whole object (karakeep: SMTP_HOST when
    # EMAIL_VERIFICATION_REQUIRED is true) is enough here: the verdict is unverified, never a pass.
    loose = ctx.model.env_schema_loose
    named = sorted(key for key in {**loose, **optional} if SMTP_KEY.search(key))
    if not named or any(SMTP_KEY.search(key) for key in required) or any(ctx.value(key) for key in named):
        return None
    unless = "" if all(key in optional for key in named) else " unless a rule of its own demands them"
    return (f"{optional.get(named[0]) or loose[named[0]]} lets {', '.join(named)} be unset, and none is set: "
            f"the app runs without sending mail{unless}")


def _email_login_off(ctx: Context) -> str | None:
    """Why the app has no email sign-in now: every Auth.js email provider of its config is
    registered only under an `if` that needs a variable which is unset (typebot.io packages/auth/
    src/lib/providers.ts: `if (env.NEXT_PUBLIC_SMTP_FROM && !env.SMTP_AUTH_DISABLED)
    providers.push(Nodemailer(…))`). None when one is always registered or its condition holds."""
    model = ctx.model
    if not AUTHJS_EMAIL & set(model.login_methods) or not model.login_where:
        return None
    guards = provider_guards(read_small(ctx.project / model.login_where, MAX_SOURCE_BYTES) or "", AUTHJS_EMAIL)
    unset: list[str] = []
    for needed in guards:
        missing = next((name for name in needed if not ctx.value(name)), None)
        if missing is None:
            return None  # registered now (or under a condition deploy-check cannot read)
        unset.append(missing)
    if not unset:
        return None
    return (f"{model.login_where} registers the email sign-in only when {unset[0]} is set, and it is not: "
            "the app has no email login, so no sign-in mail to send")
