"""Auth family: the auth provider's variables are filled and well-formed (AUTH001) and
its live endpoint answers correctly (AUTH002). Provider from `[auth] provider` or
detected from the env keys: neon-auth, supabase, clerk, oidc, or none."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from checks.auth.mail import mail_facts
from checks.auth.mailsdks import MailFacts
from checks.auth.plan import LOCAL_NAMES, LOCAL_START, plan
from checks.core.context import Context
from checks.core.http import fetch, network_hint
from checks.core.model import Outcome, Spec, failed, passed, plural, skipped, unverified
from checks.core.registry import check
from checks.runtime.session import dev_budget, dev_facts
from checks.runtime.signin.plan import login_plan, unprovable

FIX_PROVISION_ENV = "deploy-check provision env"
AUTH001 = Spec(
    "AUTH001", "auth", "The auth provider's variables are set and well-formed",
    "The provider comes from `[auth] provider`, else the SDK in package.json, else its env "
    "keys (`deploy-check detect` says which). neon-auth: NEON_AUTH_BASE_URL (or "
    "NEXT_PUBLIC_NEON_AUTH_URL / NEON_AUTH_URL; https unless loopback) and "
    "NEON_AUTH_COOKIE_SECRET of 32+ characters; stack: project id, publishable client key "
    "and secret server key; supabase: NEXT_PUBLIC_SUPABASE_URL and its anon key; clerk: a "
    "publishable key that decodes to its Frontend API host and CLERK_SECRET_KEY; authjs: "
    "AUTH_SECRET or NEXTAUTH_SECRET, and the variables its provider calls read for `clientId:` and "
    "`clientSecret:`; better-auth: a secret of 32+ characters from the variables its "
    "config's `secret:` reads (its own fallbacks included), else BETTER_AUTH_SECRET or AUTH_SECRET; "
    "kinde: KINDE_CLIENT_ID, KINDE_CLIENT_SECRET, KINDE_ISSUER_URL; oidc: `[auth] issuer`. "
    "An SDK in the dependencies with its keys empty fails; a placeholder is not a value.",
    "Copy the values from the provider's console into the env file; `provision env` "
    "generates the secrets the app chooses itself (AUTH_SECRET, BETTER_AUTH_SECRET, …).",
)
AUTH002 = Spec(
    "AUTH002", "auth", "The auth provider answers its health/JWKS endpoint",
    "neon-auth: <base>/.well-known/jwks.json, then the host root's; clerk: the Frontend "
    "API's /.well-known/jwks.json — JSON with at least one key carrying `kty` and `kid`; "
    "supabase: GET <url>/auth/v1/health with the apikey header answers GoTrue's JSON; stack: "
    "GET <api>/api/v1/projects/current with the publishable client key answers this project; "
    "oidc and kinde: <issuer>/.well-known/openid-configuration, then its jwks_uri. Auth.js "
    "and Better Auth have no provider endpoint: their sign-in is AUTH003's to prove. A "
    "machine that resolves neither the host nor any other name (no DNS) leaves it unverified.",
    "Open the URL in the message: the provider is not provisioned (or the URL points "
    "elsewhere). In the provider's console, enable auth for this project.",
)


@check(AUTH001)
def variables(ctx: Context) -> Outcome:
    chosen = plan(ctx)
    if chosen.provider is None:
        return unverified(f"auth: {chosen.how}",
                          "set [auth] provider in deploy-check.toml (\"none\" if the app has no auth)")
    if chosen.provider == "none":
        return skipped("no auth: [auth] provider = \"none\" in deploy-check.toml")
    details = {"provider": chosen.provider, "how": chosen.how}
    if chosen.secret_unread and not chosen.problems:
        return unverified(chosen.secret_unread, **details)
    if chosen.problems and chosen.wanted_secret:
        # The command must fill it when pasted, example or not (provision/env.py: the auth plan's secret).
        others = "; copy the other values from the provider's console" if len(chosen.problems) > 1 else ""
        return failed(f"{chosen.provider} ({chosen.how}): {'; '.join(chosen.problems)}",
                      hint=f"`provision env` generates {chosen.wanted_secret} (a secret the app chooses itself) "
                           f"in the env file the app reads{others}.",
                      fix=FIX_PROVISION_ENV, generate=chosen.wanted_secret, **details)
    if chosen.problems:
        return failed(f"{chosen.provider} ({chosen.how}): {'; '.join(chosen.problems)}", **details)
    then = f"will check {chosen.url}" if chosen.url else (chosen.no_endpoint or "")
    supplied = f"; the secret comes from {chosen.secret_from}" if chosen.secret_from else ""
    if chosen.secret_from:
        details["secret_from"] = chosen.secret_from.split(",", 1)[0]
    return passed(f"{chosen.provider} ({chosen.how}): variables are set and well-formed{supplied}; {then}",
                  **details)


def judge_jwks(body: Any) -> str | None:
    """None when `body` is a JWKS with at least one usable key, else what is wrong."""
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not keys:
        return "is not a JWKS with keys"
    usable = [k for k in keys if isinstance(k, dict) and k.get("kty") and k.get("kid")]
    if not usable:
        return f"lists {len(keys)} key(s) but none with both kty and kid"
    return None


def judge_gotrue(body: Any) -> str | None:
    """Supabase Auth's health answer is GoTrue's own JSON (supabase/auth internal/api/
    api.go HealthCheck: {"version", "name": "GoTrue", "description"}); an HTML page or
    another service's 200 is not Supabase Auth."""
    if not isinstance(body, dict) or body.get("name") != "GoTrue":
        return "is not Supabase Auth's health answer (no \"name\": \"GoTrue\")"
    return None


@check(AUTH002, needs=("AUTH001",), budget=lambda ctx: 3 * ctx.timeout + 5)  # OIDC: two GETs
async def endpoint(ctx: Context) -> Outcome:
    chosen = plan(ctx)
    if chosen.provider in (None, "none"):
        return skipped("no auth endpoint to check")
    if chosen.no_endpoint:
        return skipped(f"{chosen.provider}: {chosen.no_endpoint}; AUTH003 proves sign-in")
    if chosen.url is None:
        return skipped(f"the variables are not usable: {'; '.join(chosen.problems)}")
    details: dict[str, Any] = {"provider": chosen.provider, "url": chosen.url}
    tried: list[str] = []
    kinds: set[str | None] = set()
    hint: str | None = None
    for url in [chosen.url, *chosen.fallbacks]:
        ctx.report_progress("AUTH002", f"GET {url}")
        answer = await fetch(ctx, url, headers=chosen.headers)
        details.update(url=url, status=answer.status)
        if not answer.problem and answer.status == 200:
            break
        kinds.add(answer.problem_kind)
        tried.append(f"{url}: {answer.problem or f'answered {answer.status}, expected 200'}")
        # A network failure is not a provisioning gap: say what to do about the network.
        hint = hint or network_hint(answer, LOCAL_NAMES.get(chosen.provider or "", "auth service"),
                                    LOCAL_START.get(chosen.provider or ""))
    else:
        if tried:
            details["tried"] = tried
        if kinds == {"no_dns"}:  # the machine, not the app: nothing was asked
            return replace(unverified(f"auth: {chosen.provider} cannot be reached from this machine, which "
                                      "resolves no names", "; ".join(tried), **details), hint=hint)
        return failed("; ".join(tried), hint=hint, **details)
    url = details["url"]
    try:
        body = answer.json()
    except ValueError as exc:
        return failed(f"{url} {exc}", **details)
    if chosen.checks == "gotrue":
        wrong = judge_gotrue(body)
        return failed(f"{url} {wrong}", **details) if wrong else passed(
            f"Supabase Auth (GoTrue {body.get('version', '?')}) is healthy at {url}", **details)
    if chosen.checks == "stack":
        if not isinstance(body, dict) or body.get("id") != chosen.expect_id:
            return failed(f"{url} did not answer with this project (id {chosen.expect_id})", **details)
        return passed(f"Stack Auth knows project {chosen.expect_id} ({url})", **details)
    if chosen.checks == "oidc":
        jwks_uri = body.get("jwks_uri") if isinstance(body, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            return failed(f"{url} has no jwks_uri", **details)
        details["jwks_uri"] = jwks_uri
        answer = await fetch(ctx, jwks_uri)  # no credentials travel with this one
        if answer.problem or answer.status != 200:
            return failed(f"{jwks_uri}: {answer.problem or f'answered {answer.status}'}",
                          hint=network_hint(answer, "OIDC issuer"), **details)
        try:
            body = answer.json()
        except ValueError as exc:
            return failed(f"{jwks_uri} {exc}", **details)
    wrong = judge_jwks(body)
    where = details.get("jwks_uri", url)
    if wrong:
        return failed(f"{where} {wrong}", **details)
    count = len(body["keys"])
    return passed(f"{chosen.provider}: {where} serves {plural(count, 'signing key')}",
                  **details)


AUTH003 = Spec(
    "AUTH003", "auth", "OTP login works locally",
    "With the dev server up, requests a one-time code for deploy-check+<run>@example.test "
    "(.test never delivers mail) through the app's own routes, takes the code from a local "
    "source — the dev server's output, an SMTP sink on 127.0.0.1 handed to the app as "
    "SMTP_HOST/SMTP_PORT, a local Mailpit, Better Auth's verification row (read-only), or "
    "Clerk's +clerk_test code — submits it, keeps the session cookie and asks the session "
    "route for that email; a wrong code must be refused and the session route must not "
    "answer without the cookie. Better Auth and Neon Auth apps need no configuration; Clerk "
    "apps sign in through Clerk's Frontend API in test mode (deploy-check+clerk_test@…, code "
    "424242, development keys only) and hand the session to the app as clerkMiddleware reads "
    "it; Supabase apps sign in through the local Supabase Auth (`supabase start`) with the "
    "code from its Mailpit and hand @supabase/ssr's cookie to the app; Auth.js apps with the "
    "Nodemailer provider sign in through /api/auth/csrf, /api/auth/signin/nodemailer, the link from the SMTP "
    "sink (handed to the app as EMAIL_SERVER/AUTH_EMAIL_SERVER), the callback and /api/auth/session; others "
    "name their routes in [auth.login]. The login methods come from the app's code (Auth.js `providers: [...]`, "
    "Better Auth's plugins; Stack and Kinde sign in on hosted pages): an app that signs in only with OAuth, "
    "a password, a hosted page or a method deploy-check does not drive leaves AUTH003 unverified with the "
    "reason (blocking under --strict), never failed. Only against a loopback app unless "
    "--allow-remote-login; the code, cookies and tokens are masked everywhere.",
    "Run the app, sign in with an email code yourself, and fix the step named here; "
    "[auth.login] names the routes, otp_from the code source and otp_pattern its shape.",
)


def _login_budget(ctx: Context) -> float:
    return dev_budget(ctx)  # the sign-in is part of the dev server's run, counted there


@check(AUTH003, budget=_login_budget)
async def otp_login(ctx: Context) -> Outcome:
    login, not_planned = login_plan(ctx)
    if login is None and ctx.model.auth_provider in (None, "none"):
        return skipped(not_planned)
    cannot = unprovable(ctx)
    if cannot:
        # Never a fail for a driver deploy-check lacks, never a pass: the gate says so.
        return unverified(f"auth: {cannot}", methods=ctx.model.login_methods, where=ctx.model.login_where)
    if login is None:
        return failed(f"cannot prove OTP login: {not_planned}",
                      hint="Add [auth.login] send/verify/session with the app's OTP routes "
                           "(see the README), or waive AUTH003 with a reason.")
    facts = await dev_facts(ctx)
    if facts.skip_reason:
        return unverified(f"auth: OTP login is not proven locally: {facts.skip_reason}")
    if not facts.ready or facts.login is None:
        return skipped("not run: the dev server did not answer (see DEV001)", blocked_by="DEV001")
    result = facts.login
    details: dict[str, Any] = {"email": result.email, "source": result.source, "elapsed_s": result.elapsed_s,
                               "tried": result.tried, "failed_step": result.failed_step,
                               "signed_out": result.signed_out, "deleted": result.deleted}
    if result.not_run:
        return skipped(result.not_run, unverified=f"auth: OTP login is not proven locally: {result.not_run}")
    details["app_proof"] = result.app_proof
    if result.ok and result.provider_only:
        # Signed in at the provider, but nothing of the app's own asked: not a pass.
        return unverified(f"auth: OTP login is not proven locally: {result.provider_only}",
                          f"{result.email} signed in at the provider with a one-time code from {result.source}",
                          **details)
    if not result.ok:
        said = f"; the server printed: {' | '.join(result.server_lines)}" if result.server_lines else ""
        return failed(f"sign-in of {result.email} broke at `{result.failed_step}`: {result.problem}{said}",
                      hint=result.hint, server_lines=result.server_lines, **details)
    signed_in = (f"{result.email} signed in with a one-time code from {result.source}; the app honours the "
                 f"session ({result.app_proof}) ({result.elapsed_s:.2f} s)")
    bypassed = _delivery_not_proven(await mail_facts(ctx)) if result.source == "database" else None
    if bypassed:
        # The code came from the database, past the mail a user depends on: the sign-in is
        # proven, the delivery is not (unless AUTH004 proved the transport).
        details["unverified"] = (f"auth: delivery by {bypassed} is not proven: the one-time code was read from "
                                 "the database, not from a mail, and AUTH004 did not prove the mail transport")
        return passed(f"signed in; delivery by {bypassed} not proven — {signed_in}", **details)
    return passed(signed_in, **details)


def _delivery_not_proven(mail: MailFacts) -> str | None:
    """The transports ("Resend") whose delivery a code read from the database bypassed,
    when AUTH004 did not prove them; None when there is nothing to prove or it was proven."""
    if not mail.transports or mail.proven:
        return None
    return " and ".join(transport.name for transport in mail.transports)
