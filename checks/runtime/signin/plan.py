"""Which sign-in a run attempts: the effective `[auth.login]`, with each provider's
defaults filled in (Better Auth's email-OTP routes, Clerk's test mode, a local Supabase
Auth), or why none is planned."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from checks.project.config import Login, Request
from checks.project.logins import (
    AUTHJS_EMAIL,
    AUTHJS_SMTP,
    EMAIL_CODE_METHODS,
    HOSTED,
    describe,
    email_otp_refuses_sign_up,
    provider_calls,
)
from checks.project.reading import read_small

if TYPE_CHECKING:
    from checks.core.context import Context


# better-auth 1.7 src/plugins/email-otp/index.ts: the email-OTP plugin's endpoints, mounted
# under the default basePath /api/auth (Neon Auth's Next.js SDK mounts the same handler).
BETTER_AUTH_LOGIN = {
    "send": Request("/api/auth/email-otp/send-verification-otp", "POST", {"email": "{email}", "type": "sign-in"}),
    "verify": Request("/api/auth/sign-in/email-otp", "POST", {"email": "{email}", "otp": "{otp}"}),
    "session": Request("/api/auth/get-session", "GET"),
}



BETTER_AUTH_SIGN_OUT = Request("/api/auth/sign-out", "POST", {})



# better-auth 1.7 src/api/routes/update-user.ts deleteUser: deletes the signed-in user and its
# sessions where the app sets user.deleteUser.enabled (404 otherwise); a fresh session needs no
# password; with sendDeleteAccountVerification it mails a link instead ("Verification email sent").
BETTER_AUTH_DELETE_USER = Request("/api/auth/delete-user", "POST", {})



DEFAULT_LOGIN = {"better-auth": BETTER_AUTH_LOGIN, "neon-auth": BETTER_AUTH_LOGIN}



def run_email(login: Login, run_id: str) -> str:
    return login.email.replace("{run}", run_id.split("-")[-1][:12])



def _spoken(methods: list[str]) -> str:
    names = [describe(method) for method in methods]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _authjs_methods(ctx: Context, where: str) -> str:
    """The Auth.js providers the app registers; those registered only under an `if (…)` of its
    own setting (`isAuthProviderEnabled('github')`) are named, not claimed as enabled."""
    model = ctx.model
    always = [method for method in model.login_methods if method not in model.login_guarded]
    maybe = [method for method in model.login_methods if method in model.login_guarded]
    if not maybe:
        return f"the app signs in with {_spoken(always)}{where}"
    said = (f"names {_spoken(maybe)}{where}, each enabled by the app's own setting "
            f"(e.g. `if ({model.login_guard})`)")
    return f"the app signs in with {_spoken(always)} and {said}" if always else f"the app {said}"


def unprovable(ctx: Context) -> str | None:
    """Why the app's own login cannot be proven locally (an OAuth-only app, a password, a
    hosted page, a method deploy-check has no driver for), or None. The methods come from
    the app's code (checks/project/logins.py); an explicit [auth.login] always drives."""
    provider, model = ctx.model.auth_provider, ctx.model
    if ctx.config.login.explicit or provider in (None, "none"):
        return None
    if provider in HOSTED:
        return f"the app signs in on {HOSTED[provider]}: no local proof possible"
    where = f" ({model.login_where})" if model.login_where else ""
    if provider == "authjs":
        if not model.login_methods:
            return (f"the app's Auth.js providers were not found ({model.login_why}): its login cannot be "
                    "proven locally")
        if _mails_over_smtp(ctx):
            return None  # email links over SMTP: driven through the app's routes and the sink
        if AUTHJS_EMAIL & set(model.login_methods):
            return f"{_authjs_methods(ctx, where)}: {_link_route(ctx)}; no local proof possible"
        return f"{_authjs_methods(ctx, where)}: no local proof possible"
    if provider == "better-auth" and model.login_where and not EMAIL_CODE_METHODS & set(model.login_methods):
        said = _spoken(model.login_methods) if model.login_methods else "no method deploy-check knows"
        return (f"the app signs in with {said}{where}: deploy-check proves email-code sign-in "
                "(emailOTP) only; no local proof possible")
    if provider == "better-auth" and email_otp_refuses_sign_up(_login_text(ctx)):
        return (f"the app's emailOTP sets disableSignUp: true{where}: only an existing user gets a code, so a "
                "throwaway identity cannot sign in; set [auth.login] email to a .test user of the local "
                "database to prove it")
    return None


# An app's own sendVerificationRequest that prints the link instead of mailing it (openstatus's
# src/lib/auth/providers.ts: console.log(`>>> Magic Link: ${params.url}`)).
PRINTS_LINK = re.compile(r"console\.(?:log|info|debug)\s*\([^;]*\burl\b")


def _login_text(ctx: Context) -> str:
    where = ctx.model.login_where
    return (read_small(ctx.project / where, 256 << 10) if where else None) or ""


def _mails_over_smtp(ctx: Context) -> bool:
    """An Auth.js Nodemailer/Email provider that mails the link itself, over SMTP (a sink can
    receive it): not one whose every call passes its own sendVerificationRequest (taxonomy's
    EmailProvider sends through Postmark's API: no sink ever sees the link)."""
    if not AUTHJS_SMTP & set(ctx.model.login_methods):
        return False
    calls = provider_calls(_login_text(ctx), AUTHJS_SMTP)
    return not calls or not all("sendVerificationRequest" in call for call in calls)


def _link_route(ctx: Context) -> str:
    """How the app's Auth.js email link leaves it: the mail provider's API, or the app's own
    sendVerificationRequest (which may only print it)."""
    calls = provider_calls(_login_text(ctx), AUTHJS_EMAIL)
    own = [call for call in calls if "sendVerificationRequest" in call]
    if not calls or len(own) < len(calls):
        return "the link travels through the mail provider's API, which no local sink receives"
    if all(PRINTS_LINK.search(call) for call in own):
        return ("the app's own sendVerificationRequest prints the link on the dev server's output "
                "instead of mailing it; deploy-check does not follow an Auth.js link from there")
    return "the app's own sendVerificationRequest sends the link, which no local sink receives"


def login_plan(ctx: Context) -> tuple[Login | None, str]:
    """The effective `[auth.login]` (the provider's defaults filled in), or None and why."""
    login = ctx.config.login
    provider = ctx.model.auth_provider
    defaults = DEFAULT_LOGIN.get(provider or "", {})
    if not login.explicit and provider in (None, "none"):
        return None, "no auth provider and no [auth.login]: nothing to sign in to"
    cannot = unprovable(ctx)
    if cannot:
        return None, cannot
    if (provider == "authjs" and not (login.send or login.verify) and login.otp_from in ("auto", "smtp")
            and _mails_over_smtp(ctx)):
        # Auth.js email sign-in: its own csrf/signin/callback/session routes, the link from the
        # SMTP sink (checks/runtime/signin/authjs.py).
        return replace(login, via="authjs", otp_from="smtp"), ""
    if provider == "clerk" and not (login.send or login.verify) and login.otp_from in ("auto", "clerk-test"):
        # Clerk apps sign in through Clerk's Frontend API, not routes of their own: its test
        # mode (a +clerk_test address, code 424242) on the development instance.
        email = login.email if "+clerk_test" in login.email else "deploy-check+clerk_test@example.test"
        return replace(login, via="clerk", otp_from="clerk-test", email=email), ""
    if provider == "supabase" and not (login.send or login.verify):
        # Supabase apps sign in with supabase-js against Supabase Auth, not routes of their
        # own: the local one (`supabase start`) mails the code to its Mailpit.
        return replace(login, via="supabase", otp_from="mailpit" if login.otp_from == "auto" else login.otp_from), ""
    filled = replace(login, send=login.send or defaults.get("send"), verify=login.verify or defaults.get("verify"),
                     session=login.session or defaults.get("session"))
    missing = [name for name in ("send", "verify", "session") if getattr(filled, name) is None]
    if missing:
        return None, (f"no sign-in routes for {provider or 'this app'}: deploy-check knows Better Auth's "
                      f"email-OTP routes (better-auth, neon-auth), Clerk's Frontend API and a local Supabase Auth; set [auth.login] "
                      f"{', '.join(missing)} to the app's own OTP routes")
    return filled, ""
