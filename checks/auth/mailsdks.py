"""Which mail transports the app has (AUTH004): the mail SDK in package.json or in a workspace
package the app depends on (Resend, SendGrid, Postmark; nodemailer for SMTP), and, for a hosted
SDK, whether its key is the app's to provision at all (checks/auth/mailkeys.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.auth.mailkeys import key_use
from checks.auth.smtpnames import CONVENTIONAL, app_folders
from checks.core.context import Context
from checks.project.imports import importers
from checks.project.logins import AUTHJS_SMTP, smtp_provider_calls
from checks.project.reading import dependencies, package_json, read_small
from checks.project.workspace import workspace_packages

# (transport, package, key names, display name)
HOSTED: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("resend", "resend", ("RESEND_API_KEY", "AUTH_RESEND_KEY"), "Resend"),
    ("sendgrid", "@sendgrid/mail", ("SENDGRID_API_KEY", "AUTH_SENDGRID_KEY"), "SendGrid"),
    ("postmark", "postmark", ("POSTMARK_SERVER_TOKEN", "POSTMARK_API_TOKEN", "AUTH_POSTMARK_KEY"), "Postmark"),
)
SMTP_URLS = CONVENTIONAL.urls
# Mail SDKs with no probe here (aws-sdk-js-v3 clients/client-ses{,v2}, mailgun/mailgun.js, mailersend):
# the app does mail (langturbo nextjs/lib/auth.ts sends its OTP through SES), so AUTH004 is unverified.
UNPROBED = {"@aws-sdk/client-ses": "AWS SES", "@aws-sdk/client-sesv2": "AWS SES", "mailgun.js": "Mailgun",
            "mailersend": "MailerSend"}


@dataclass
class Transport:
    kind: str  # resend, sendgrid, postmark, smtp, unprobed
    name: str  # "Resend", "SMTP"
    why: str  # "package.json depends on resend"
    key_name: str | None = None
    problems: list[str] = field(default_factory=list)
    accepted: str | None = None  # what the provider said when it accepted the key
    refused: str | None = None  # what it said when it did not
    unreachable: str | None = None  # the provider could not be reached from here: nothing proven
    hint: str | None = None
    url: str | None = None  # where the probe went (no credentials in it)
    key_names: tuple[str, ...] = ()  # a hosted SDK's key variables, the app's own name first
    unread: str | None = None  # why a hosted SDK's key is not the app's to provision (not judged)
    fallback: str | None = None  # the file that builds the client only when the key is set


@dataclass
class MailFacts:
    transports: list[Transport] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        return bool(self.transports) and all(t.accepted for t in self.transports)

    @property
    def hosted(self) -> list[Transport]:
        return [t for t in self.transports if t.kind != "smtp"]



def _authjs_mails_over_smtp(ctx: Context) -> str | None:
    """The Auth.js config file when its Email/Nodemailer provider sends the link itself (over
    nodemailer), i.e. the config gives it no `sendVerificationRequest` of its own."""
    model = ctx.model
    if not AUTHJS_SMTP & set(model.login_methods) or not model.login_where:
        return None
    text = read_small(ctx.project / model.login_where, 256 << 10) or ""
    # Only the provider's own call counts: a sendVerificationRequest on another provider
    # (Resend beside Nodemailer) leaves this one mailing over SMTP. Undecided: SMTP.
    calls = smtp_provider_calls(text)
    if calls and all("sendVerificationRequest" in call for call in calls):
        return None
    return model.login_where


def _workspace_sdks(ctx: Context) -> dict[str, str]:
    """Mail SDKs of the workspace packages the app depends on, each with why: a monorepo app
    mails through its own package (openstatus: `sendEmail` of @openstatus/emails, which
    depends on resend)."""
    model = ctx.model
    if model.workspace_root in (None, "."):
        return {}
    app_package = package_json(ctx.project)
    found: dict[str, str] = {}
    for folder in workspace_packages(ctx.project, (ctx.project / model.workspace_root).resolve(), app_package):
        member = package_json(folder)
        for package in (*(package for _k, package, _n, _d in HOSTED), "nodemailer"):
            if package in dependencies(member):
                found.setdefault(package, f"{ctx.rel(folder / 'package.json')} depends on {package} "
                                          f"({(member or {}).get('name')}, a workspace package of the app)")
    return found


def transports(ctx: Context) -> list[Transport]:
    deps = dependencies(package_json(ctx.project))
    found = [Transport(kind, name, f"package.json depends on {package}") for kind, package, _keys, name in HOSTED if package in deps]
    workspace = {package: why for package, why in _workspace_sdks(ctx).items() if package not in deps}
    found += [Transport(kind, name, workspace[package])
              for kind, package, _keys, name in HOSTED if package in workspace]
    folders = app_folders(ctx)
    for transport in found:
        keys = next(names for kind, _package, names, _name in HOSTED if kind == transport.kind)
        use = key_use(ctx, transport.kind, keys, folders)
        transport.key_names, transport.fallback = use.names, use.fallback
        if use.why is None:
            transport.unread = (f"{transport.name} ({transport.why}) takes its key from elsewhere: the app "
                                f"reads no {' or '.join(keys)} from env, its example lists none and none is set")
    live = [transport for transport in found if not transport.unread]
    if "nodemailer" in workspace and not live and "nodemailer" not in deps:
        found.append(Transport("smtp", "SMTP", workspace["nodemailer"]))
    smtp_named = next((n for n in (*SMTP_URLS, "SMTP_HOST", "EMAIL_SERVER_HOST") if ctx.value(n)), None)
    if "nodemailer" in deps and live:
        # nodemailer is next-auth's peer dependency, declared by apps that mail through Resend & co.:
        # with another transport used, SMTP counts only when the app imports nodemailer itself
        # (papermark: realapps-A item 7; inbox-zero's nodemailer/lib/mail-composer only builds MIME).
        used = {**importers(ctx.project, [p for _k, p, _n, _d in HOSTED if p in deps]),
                **importers(ctx.project, ["nodemailer"], subpaths=False)}
        authjs_smtp = _authjs_mails_over_smtp(ctx)
        if "nodemailer" in used:
            found.append(Transport("smtp", "SMTP", f"{used['nodemailer']} imports nodemailer"))
        elif authjs_smtp:
            found.append(Transport("smtp", "SMTP", f"{authjs_smtp}: Auth.js's email provider mails through nodemailer"))
        elif not any(package in used for _k, package, _n, _d in HOSTED if package in deps) \
                and not any(package in workspace for _k, package, _n, _d in HOSTED):
            found.append(Transport("smtp", "SMTP", "package.json depends on nodemailer"))
    elif "nodemailer" in deps:
        found.append(Transport("smtp", "SMTP", "package.json depends on nodemailer"))
    elif smtp_named and not live:
        found.append(Transport("smtp", "SMTP", f"{smtp_named} is set ({ctx.source_of(smtp_named)})"))
    used = {name: package for package, name in reversed(UNPROBED.items()) if package in deps}  # one per SDK
    found += [Transport("unprobed", name, f"package.json depends on {package}", unreachable=f"deploy-check has no "
                        f"probe for {name} (package.json depends on {package}): its credentials are not checked")
              for name, package in used.items()]
    return found

