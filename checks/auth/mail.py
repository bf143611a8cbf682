"""AUTH004: the app's mail transport is provisioned. The transport comes from the mail SDK
in package.json (Resend, SendGrid, Postmark; nodemailer with an SMTP URL); its key must be
set and not a placeholder, and one read-only authenticated GET to the provider's API must
accept it, the way SENTRY002 proves a token. An SMTP server gets connect + EHLO (+ AUTH
where the URL carries credentials). The facts are gathered once (`mail_facts`), so AUTH003
can tell a proven delivery from one it bypassed."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import ssl
from typing import Any
from urllib.parse import unquote, urlsplit

from checks.auth.mailoptional import optional_unset
from checks.auth.mailsdks import HOSTED, SMTP_URLS, MailFacts, Transport, transports
from checks.auth.smtpnames import app_smtp_settings
from checks.core.context import Context
from checks.core.http import Fetched, fetch, network_hint, network_kind, tls_reason
from checks.core.model import Outcome, Spec, failed, passed, skipped, unverified
from checks.core.registry import check
from checks.support.hosts import is_loopback
from checks.support.placeholders import is_placeholder

AUTH004 = Spec(
    "AUTH004", "auth", "The app's mail transport is provisioned",
    "The mail SDK in package.json (or in a workspace package the app depends on) names the transport: resend (RESEND_API_KEY or AUTH_RESEND_KEY), "
    "@sendgrid/mail (SENDGRID_API_KEY), postmark (POSTMARK_SERVER_TOKEN), nodemailer (an SMTP URL in "
    "EMAIL_SERVER, AUTH_EMAIL_SERVER or SMTP_URL, else SMTP_HOST/SMTP_PORT/SMTP_USER/SMTP_PASSWORD; or the "
    "variables the app's own createTransport reads, such as host: process.env.MAIL_SERVER, or those a "
    "workspace helper fills its settings from, such as smtpServer: process.env.SMTP_SERVER). A hosted "
    "SDK's key counts only when the app's code reads it from env, an Auth.js provider reads it, the example "
    "lists it or an env file sets it (else the key lives elsewhere, such as a database, and is not judged). "
    "The key must be set and not a placeholder, and one read-only authenticated GET must be accepted: "
    "Resend GET /domains (a sending-only key is accepted with restricted_api_key), SendGrid GET "
    "/v3/scopes (which must include mail.send), Postmark GET /server. An SMTP server gets connect, "
    "EHLO, STARTTLS where offered, and AUTH where the URL carries credentials; nothing is sent. "
    "DEPLOY_CHECK_MAIL_API_URL replaces the provider's API address (a proxy, a stand-in). nodemailer "
    "declared beside a hosted SDK the app imports (next-auth's peer dependency) counts only when the app's "
    "code imports it or Auth.js's email provider sends through it. A provider API that cannot be reached "
    "from here (DNS, refused, timeout) or a TLS handshake that fails with it or the SMTP server (a proxy "
    "intercepting TLS, a plain server behind https:// or smtps://) leaves the clause unverified: the key was never sent. So "
    "does a transport the app itself lets be unset (an `# Optional` marker in its example, `.optional()` in its "
    "createEnv schema, a client built only when the key is set with a stand-in mailer otherwise, an Auth.js "
    "email provider registered only under an `if (env.X && …)` whose X is unset) when it is unset. A refused key fails. An app "
    "mailing through an SDK deploy-check has no probe for (AWS SES, Mailgun, MailerSend) is unverified, "
    "naming it. An app with no mail SDK and no SMTP settings is skipped. A code AUTH003 read from the database "
    "proves delivery only when this check passed.",
    "Set the key from the provider's dashboard in the env file (an API key with sending access), or point the SMTP URL at a server that accepts the credentials.",
)

# Where each provider's API lives, and its read-only call that any valid key may make.
# Resend: https://resend.com/docs/api-reference/domains/list-domains (Authorization: Bearer re_…);
RESEND_API, RESEND_PATH = "https://api.resend.com", "/domains"
# a sending-only key answers 401 {"name": "restricted_api_key"} there
# (https://resend.com/docs/api-reference/errors "restricted_api_key"): the key is real.
RESEND_RESTRICTED = "restricted_api_key"
# SendGrid: https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access
SENDGRID_API, SENDGRID_PATH = "https://api.sendgrid.com", "/v3/scopes"
# Postmark: https://postmarkapp.com/developer/api/server-api#get-server (X-Postmark-Server-Token).
POSTMARK_API, POSTMARK_PATH = "https://api.postmarkapp.com", "/server"
API_OVERRIDE = "DEPLOY_CHECK_MAIL_API_URL"
# Failures to reach an API (checks/core/http.py kinds): they prove nothing about the key.
NOT_REACHED = frozenset({"dns", "no_dns", "no_host", "refused", "unreachable", "timeout"})


def _key(ctx: Context, names: tuple[str, ...], transport: Transport) -> str:
    name = next((n for n in names if ctx.value(n)), names[0])
    transport.key_name = name
    value = ctx.value(name)
    if not value:
        transport.problems.append(f"{' or '.join(names)} is empty")
    elif is_placeholder(value):
        transport.problems.append(f"{name} is a placeholder")
        return ""
    return value


def _api(ctx: Context, default: str, transport: Transport) -> str | None:
    base = (ctx.value(API_OVERRIDE) or default).rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        transport.problems.append(f"{API_OVERRIDE} is not an http(s) URL")
        return None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        transport.problems.append(f"{API_OVERRIDE} must use https for {parts.hostname}")
        return None
    return base


def _smtp_target(ctx: Context, transport: Transport) -> tuple[str, str, int, str, str] | None:
    """(scheme, host, port, user, password) of the app's SMTP server, or None with the problem.
    The variables are those the app's own createTransport reads (checks/auth/smtpnames.py)."""
    settings = app_smtp_settings(ctx)
    name = next((n for n in settings.urls if ctx.value(n)), None)
    if name:
        transport.key_name = name
        value = ctx.value(name)
        if is_placeholder(value):
            transport.problems.append(f"{name} is a placeholder")
            return None
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError:
            parts, port = urlsplit(""), None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            transport.problems.append(f"{name} is not an smtp:// or smtps:// URL")
            return None
        default = 465 if parts.scheme == "smtps" else 587
        return (parts.scheme, parts.hostname, port or default, unquote(parts.username or ""),
                unquote(parts.password or ""))
    host = ctx.value(settings.host) if settings.host else ""
    if not host:
        named = [*settings.urls, *([settings.host] if settings.host else [])]
        transport.problems.append(f"no SMTP server is named ({settings.named(named)})")
        return None
    transport.key_name = settings.host
    if is_placeholder(host):
        transport.problems.append(f"{settings.host} is a placeholder")
        return None
    port_text = (ctx.value(settings.port) if settings.port else "") or "587"
    if not port_text.isdigit():
        transport.problems.append(f"{settings.port} is not a number")
        return None
    user = ctx.value(settings.user) if settings.user else ""
    if settings.read_by and settings.user and not user and not is_loopback(host):
        # nodemailer skips AUTH without a user: a remote server then refuses to relay.
        transport.problems.append(f"{settings.user} is empty ({settings.read_by} authenticates to {host} with it)")
        return None
    password = next((ctx.value(n) for n in settings.passwords if ctx.value(n)), "")
    scheme = "smtps" if port_text == "465" else "smtp"
    return scheme, host, int(port_text), user, password



def _smtp_probe(scheme: str, host: str, port: int, user: str, password: str, timeout: float) -> str:
    """connect, EHLO, STARTTLS where offered, AUTH where credentials are given; sends nothing.
    Returns what the server accepted; raises OSError/smtplib.SMTPException otherwise."""
    context = ssl.create_default_context()
    server: smtplib.SMTP = (smtplib.SMTP_SSL(host, port, timeout=timeout, context=context) if scheme == "smtps"
                            else smtplib.SMTP(host, port, timeout=timeout))
    try:
        code, _ = server.ehlo("deploy-check.invalid")
        if code != 250:
            raise smtplib.SMTPResponseException(code, b"EHLO refused")
        said = "EHLO"
        if scheme == "smtp" and server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo("deploy-check.invalid")
            said += ", STARTTLS"
        if user and "STARTTLS" not in said and scheme == "smtp" and not is_loopback(host):
            # The password is never sent in clear text to another machine.
            raise smtplib.SMTPNotSupportedError(f"{host} offers no STARTTLS: the credentials were not sent in clear")
        if user:
            server.login(user, password)
            said += f", AUTH as {user}"
        return said
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()


async def _probe_smtp(ctx: Context, transport: Transport) -> None:
    target = _smtp_target(ctx, transport)
    if target is None:
        return
    scheme, host, port, user, password = target
    transport.url = f"{scheme}://{host}:{port}"
    ctx.report_progress("AUTH004", f"EHLO {host}:{port}")
    try:
        said = await asyncio.wait_for(asyncio.to_thread(_smtp_probe, scheme, host, port, user, password,
                                                        ctx.timeout), ctx.timeout + 1)
        transport.accepted = f"{transport.url} accepted {said}"
    except smtplib.SMTPAuthenticationError as exc:
        transport.refused = f"{transport.url} refused the credentials of {user} ({exc.smtp_code})"
    except smtplib.SMTPNotSupportedError as exc:
        transport.refused = f"{transport.url}: {exc}"
    except smtplib.SMTPResponseException as exc:
        transport.refused = f"{transport.url} answered {exc.smtp_code}: {ctx.mask(str(exc.smtp_error)[:120])}"
    except ssl.SSLError as exc:
        # TLS failed before AUTH (smtps:// on a plain port, an untrusted certificate): the
        # credentials were never sent, so they are neither accepted nor refused.
        transport.unreachable = (f"TLS with {transport.url} failed, so the credentials were never sent: "
                                 f"{ctx.mask(tls_reason(str(exc)))}")
        transport.hint = network_hint(Fetched(transport.url, problem_kind="tls"), "SMTP server")
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError) else network_kind(exc)
        probe = Fetched(f"smtp://{host}:{port}", problem_kind=kind)
        transport.refused = f"{transport.url}: {ctx.mask(str(exc) or type(exc).__name__)}"
        transport.hint = network_hint(probe, "SMTP server")


def _judge_api(transport: Transport, answer: Fetched) -> None:
    body: Any = None
    with contextlib.suppress(ValueError):
        body = answer.json()
    if answer.problem and answer.problem_kind == "tls":
        # The handshake failed before the request went out: the key was never shown to anyone,
        # so nothing is proven either way (a proxy intercepting TLS is the usual cause).
        transport.unreachable = (f"TLS with the {transport.name} API at {transport.url} failed, so "
                                 f"{transport.key_name} was never sent: {tls_reason(answer.problem)}")
        transport.hint = network_hint(answer, f"{transport.name} API")
    elif answer.problem and answer.problem_kind in NOT_REACHED:
        transport.unreachable = f"the {transport.name} API at {transport.url} cannot be reached: {answer.problem}"
        transport.hint = network_hint(answer, f"{transport.name} API")
    elif answer.problem:
        transport.refused = f"the {transport.name} API at {transport.url}: {answer.problem}"
        transport.hint = network_hint(answer, f"{transport.name} API")
    elif transport.kind == "resend" and answer.status == 401 and isinstance(body, dict) \
            and body.get("name") == RESEND_RESTRICTED:
        transport.accepted = f"Resend accepted {transport.key_name} (a sending-only key)"
    elif answer.status == 200 and transport.kind == "sendgrid":
        scopes = body.get("scopes") if isinstance(body, dict) else None
        if isinstance(scopes, list) and "mail.send" in scopes:
            transport.accepted = f"SendGrid accepted {transport.key_name} (scope mail.send)"
        else:
            transport.refused = f"SendGrid accepted {transport.key_name}, but it lacks the mail.send scope"
    elif answer.status == 200:
        transport.accepted = f"{transport.name} accepted {transport.key_name}"
    else:
        said = body.get("message") or body.get("Message") if isinstance(body, dict) else None
        detail = f": {str(said)[:120]}" if said else ""
        # 401/403 refuse the key; so does Resend's 400 validation_error for a malformed key.
        if answer.status in (400, 401, 403):
            transport.refused = f"{transport.name} refused {transport.key_name} ({answer.status}{detail})"
        else:
            # An outage (5xx), a rate limit (429) or any other answer refuses nothing: not proven.
            transport.unreachable = (f"the {transport.name} API at {transport.url} answered {answer.status}"
                                     f"{detail}, which neither accepts nor refuses {transport.key_name}")
            transport.hint = (f"The {transport.name} API answered {answer.status}: run the check again later, "
                              "or look at the provider's status page")


async def collect(ctx: Context) -> MailFacts:
    facts = MailFacts(transports(ctx))
    for transport in facts.transports:
        if transport.kind in ("smtp", "unprobed"):
            await _probe_smtp(ctx, transport) if transport.kind == "smtp" else None
            continue
        if transport.unread:
            continue  # its key lives elsewhere (a database): nothing here to judge or send
        _kind, _package, keys, _name = next(row for row in HOSTED if row[0] == transport.kind)
        key = _key(ctx, transport.key_names or keys, transport)
        default, path = {"resend": (RESEND_API, RESEND_PATH), "sendgrid": (SENDGRID_API, SENDGRID_PATH),
                         "postmark": (POSTMARK_API, POSTMARK_PATH)}[transport.kind]
        base = _api(ctx, default, transport)
        if not key or base is None:
            continue
        headers = ({"X-Postmark-Server-Token": key} if transport.kind == "postmark"
                   else {"Authorization": f"Bearer {key}"})
        transport.url = base + path
        ctx.report_progress("AUTH004", f"GET {transport.url}")
        _judge_api(transport, await fetch(ctx, transport.url, headers={**headers, "Accept": "application/json"}))
    return facts


async def mail_facts(ctx: Context) -> MailFacts:
    return await ctx.fact("mail", lambda: collect(ctx))


@check(AUTH004, budget=lambda ctx: 3 * ctx.timeout + 5)
async def mail_transport(ctx: Context) -> Outcome:
    facts = await mail_facts(ctx)
    if not facts.transports:
        return skipped("the app sends no mail: no resend, @sendgrid/mail, postmark, nodemailer, AWS SES, "
                       "mailgun.js or mailersend in package.json or its workspace packages, and no SMTP settings "
                       f"({', '.join(SMTP_URLS)}, SMTP_HOST, EMAIL_SERVER_HOST)")
    optional = optional_unset(ctx, facts.transports)
    details: dict[str, Any] = {"transports": [
        {"transport": t.kind, "why": t.why, "key": t.key_name, "url": t.url,
         "accepted": t.accepted, "refused": t.refused, "unreachable": t.unreachable,
         "problems": t.problems, "not_judged": optional.get(id(t))} for t in facts.transports]}
    judged = [t for t in facts.transports if id(t) not in optional]
    if not judged:
        return unverified("auth: the mail transport is not proven: " + "; ".join(optional.values()), **details)
    wrong = [f"{t.name} ({t.why}): {'; '.join(t.problems)}" for t in judged if t.problems]
    wrong += [t.refused for t in judged if t.refused and not t.problems]
    if wrong:
        hint = next((t.hint for t in judged if t.hint and not t.unreachable), None)
        return failed("; ".join(wrong), hint=hint, **details)
    not_reached = [t for t in judged if t.unreachable]
    if not_reached:
        # DESIGN.md: what cannot be proven from here is unverified, never a fail. An answer
        # that refuses the key stays a fail (above).
        proven = [f"{t.accepted} ({t.why})" for t in judged if t.accepted]
        outcome = unverified("auth: the mail transport is not proven: "
                             + "; ".join(t.unreachable or "" for t in not_reached),
                             "; ".join(proven) or None, **details)
        outcome.hint = next((t.hint for t in not_reached if t.hint), None)
        return outcome
    unset = "".join(f"; not judged: {optional[id(t)]}" if t.unread else f"; not set, and optional: {optional[id(t)]}"
                    for t in facts.transports if id(t) in optional)  # named, never hidden
    return passed("; ".join(f"{t.accepted} ({t.why})" for t in judged) + unset, **details)
