"""Whether a hosted mail SDK's key is the app's to provision (AUTH004). A dependency on
`resend` alone does not say so: Dokploy/dokploy keeps its Resend keys in the database, one per
notification channel (packages/server/src/utils/notifications/utils.ts `new Resend(connection.apiKey)`),
and reads no RESEND_API_KEY. The key is the app's when its code (or a workspace package's) reads
it from env, an Auth.js provider reads it, its example lists it, or an env file sets it. The
client built only when the key is set, with a stand-in otherwise, marks it optional
(Mail-0/Zero apps/mail/lib/services.ts: `process.env.RESEND_API_KEY ? new Resend(…) : { emails:
{ send: … console.log … } }`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.core.context import Context
from checks.project.logins import COMMENT, MAX_SOURCE_BYTES, _sources
from checks.project.reading import arguments, bracketed, env_reference, read_small, relative
from checks.support.lazyre import lazy

# How each SDK takes its key: resend `new Resend(key)` (resend/resend-node README), SendGrid
# `sgMail.setApiKey(key)` (sendgrid/sendgrid-nodejs packages/mail README), Postmark
# `new postmark.ServerClient(token)` (ActiveCampaign/postmark.js README).
CLIENT = {"resend": lazy(r"(?<![\w$.])new\s+Resend\s*\("),
          "sendgrid": lazy(r"\.setApiKey\s*\("),
          "postmark": lazy(r"(?<![\w$])new\s+(?:[\w$]+\.)?ServerClient\s*\(")}
# `<env read> ? new Resend(<env read>) : <stand-in>`: the test before the call, and a stand-in
# after it that is an object (a null or undefined client is no mailer: inbox-zero's
# packages/resend/src/client.ts `… ? new Resend(…) : null` leaves the app without one).
TERNARY_TAIL = lazy(r"(?P<cond>[\w$.\[\]\"'`]+)\s*\?\s*$")
STAND_IN = lazy(r"\s*:\s*(?!null\b|undefined\b|void\b)[^\s;,)]")


@dataclass(frozen=True)
class KeyUse:
    names: tuple[str, ...]  # the variables to judge, the app's own name first
    why: str | None  # what makes the key the app's; None: nothing does
    fallback: str | None = None  # the file that builds the client only when the key is set


def key_use(ctx: Context, kind: str, names: tuple[str, ...], folders: list[Path]) -> KeyUse:
    mentioned = re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\b")
    reads: list[tuple[str, str, bool]] = []  # (variable, file, built only when it is set)
    mentioned_in: str | None = None
    for folder in folders:
        for path in _sources(folder):
            text = read_small(path, MAX_SOURCE_BYTES)
            if not text:
                continue
            code = COMMENT.sub("", text)
            where = relative(ctx.project, path)
            if mentioned_in is None and mentioned.search(code):
                mentioned_in = where
            for call in CLIENT[kind].finditer(code):
                inside = bracketed(code, call.end())
                read = env_reference(next(iter(arguments(inside)), ""))
                if read:
                    tail = TERNARY_TAIL.search(code[max(0, call.start() - 200):call.start()])
                    stand_in = STAND_IN.match(code, call.end() + len(inside) + 1)
                    reads.append((read, where, bool(tail and stand_in and env_reference(tail["cond"]) == read)))
    own = tuple(dict.fromkeys(read for read, _where, _guarded in reads if read not in names))
    judged = own or names
    fallback = reads[0][1] if reads and all(guarded for _r, _w, guarded in reads) else None
    if reads:
        return KeyUse(judged, f"{reads[0][1]} reads {reads[0][0]}", fallback)
    if mentioned_in:
        return KeyUse(judged, f"{mentioned_in} reads {' or '.join(names)}")
    if kind in ctx.model.login_methods:
        # Auth.js's Resend/SendGrid/Postmark providers read AUTH_<ID>_KEY themselves
        # (authjs.dev/getting-started/authentication/email: AUTH_RESEND_KEY).
        return KeyUse(judged, f"{ctx.model.login_where}: Auth.js's {kind} provider reads {names[-1]}")
    for example in ctx.examples:
        if example.parsed is not None and (listed := [n for n in names if n in example.parsed.keys]):
            return KeyUse(judged, f"{ctx.rel(example.path)} lists {listed[0]}")
    if set_ := next((n for n in names if ctx.value(n)), None):
        return KeyUse(judged, f"{set_} is set ({ctx.source_of(set_)})")
    return KeyUse(judged, None)
