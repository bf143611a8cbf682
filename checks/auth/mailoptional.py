"""AUTH004's allowance: a mail transport the app itself marks optional, and leaves unset, is
no gap (the app runs without sending mail: an OAuth-only sign-in, a dev mailer that prints
the code) and is not proven either: unverified. The app says so in its env example (an
`# Optional` marker) or in its createEnv schema (`.optional()`, a `.default()`)."""

from __future__ import annotations

from typing import Any

from checks.auth.smtpnames import smtp_settings
from checks.core.context import Context


def optional_unset(ctx: Context, transports: list[Any]) -> dict[int, str]:
    """id(transport) -> why the app lets it be unset, for each transport that is unset and
    optional; the others are judged as usual."""
    examples = [e for e in ctx.examples if e.parsed is not None]
    marked = {key: ctx.rel(e.path) for e in examples for key in e.parsed.optional_keys}  # type: ignore[union-attr]
    schema = ctx.model.env_schema_optional
    found: dict[int, str] = {}
    for transport in transports:
        if not transport.problems:
            continue
        if transport.kind == "smtp":
            named = _optional_smtp(ctx)
            if named and all(p.startswith("no SMTP server is named") for p in transport.problems):
                found[id(transport)] = f"{ctx.rel(ctx.example_path)} marks {', '.join(named)} optional and none is set"
        elif transport.key_name and all(p.endswith(" is empty") for p in transport.problems):
            where = marked.get(transport.key_name) or schema.get(transport.key_name)
            if where:
                found[id(transport)] = (f"{where} lets {transport.key_name} be unset, and it is: the app "
                                        f"runs without sending mail through {transport.name}")
    return found


def _optional_smtp(ctx: Context) -> list[str]:
    """The SMTP settings the app's example lists and marks optional (all of them, or [])."""
    examples = [e.parsed for e in ctx.examples if e.parsed is not None]
    keys, optional = ({k for e in examples for k in getattr(e, field)} for field in ("keys", "optional_keys"))
    settings = smtp_settings(ctx.project)
    named = [key for key in (*settings.urls, settings.host) if key and key in keys]
    return named if named and all(key in optional for key in named) else []
