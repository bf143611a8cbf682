"""Auth family: the auth provider's variables are filled and well-formed (AUTH001) and
its live endpoint answers correctly (AUTH002). Provider from `[auth] provider` or
detected from the env keys: neon-auth, supabase, clerk, oidc, or none."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from checks.context import Context
from checks.hosts import is_loopback
from checks.model import Outcome, Spec, failed, passed, skipped
from checks.registry import check

AUTH001 = Spec(
    "AUTH001", "auth", "The auth provider's variables are set and well-formed",
    "neon-auth: NEON_AUTH_BASE_URL (https unless loopback) and NEON_AUTH_COOKIE_SECRET of at "
    "least 32 characters; supabase: NEXT_PUBLIC_SUPABASE_URL and its anon key; clerk: a "
    "publishable key that decodes to its Frontend API host; oidc: `[auth] issuer`.",
    "Copy the values from the provider's console into .env.local; `provision env` generates "
    "random *_SECRET values.",
)
AUTH002 = Spec(
    "AUTH002", "auth", "The auth provider answers its health/JWKS endpoint",
    "neon-auth and clerk: <base>/.well-known/jwks.json is JSON with at least one key carrying "
    "`kty` and `kid`; supabase: GET <url>/auth/v1/health with the apikey header answers 200; "
    "oidc: <issuer>/.well-known/openid-configuration, then its jwks_uri.",
    "Open the URL in the message: the provider is not provisioned (or the URL points "
    "elsewhere). In the provider's console, enable auth for this project.",
)

# The Neon Auth SDK refuses shorter cookie secrets at run time (per the research).
MIN_COOKIE_SECRET = 32
SUPABASE_ANON_KEYS = ("NEXT_PUBLIC_SUPABASE_ANON_KEY", "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY",
                      "SUPABASE_ANON_KEY")
CLERK_KEYS = ("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_PUBLISHABLE_KEY")


@dataclass
class AuthPlan:
    provider: str | None  # None: nothing detected
    how: str  # "from deploy-check.toml" / "detected from NEON_AUTH_BASE_URL"
    problems: list[str] = field(default_factory=list)
    url: str | None = None  # what AUTH002 fetches first
    headers: dict[str, str] = field(default_factory=dict)
    checks: str = ""  # "jwks", "health", "oidc"


def _known_keys(ctx: Context) -> set[str]:
    keys = set(ctx.env)
    if ctx.example.parsed:
        keys |= set(ctx.example.parsed.keys)
    return keys


def detect(ctx: Context) -> tuple[str | None, str]:
    configured = ctx.config.auth_provider
    if configured != "auto":
        return configured, "from deploy-check.toml"
    keys = _known_keys(ctx)
    for provider, names in (("neon-auth", ("NEON_AUTH_BASE_URL",)), ("supabase", ("NEXT_PUBLIC_SUPABASE_URL",)),
                            ("clerk", CLERK_KEYS)):
        for name in names:
            if name in keys:
                return provider, f"detected from {name}"
    if ctx.config.auth_issuer:
        return "oidc", "detected from [auth] issuer"
    return None, "no auth provider's variables found"


def _check_url(name: str, value: str, problems: list[str]) -> str | None:
    if not value:
        problems.append(f"{name} is empty")
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        host = ""
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not host:
        problems.append(f"{name} is not an http(s) URL")
        return None
    if parts.scheme != "https" and not is_loopback(host):
        problems.append(f"{name} must use https for {host}")
        return None
    return value.rstrip("/")


def clerk_frontend_api(publishable_key: str) -> str:
    """pk_test_/pk_live_ + base64("<frontend api host>$") (Clerk's publishable key format,
    https://clerk.com/docs/deployments/clerk-environment-variables)."""
    prefix = next((p for p in ("pk_test_", "pk_live_") if publishable_key.startswith(p)), None)
    if prefix is None:
        raise ValueError("does not start with pk_test_ or pk_live_")
    encoded = publishable_key[len(prefix):]
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("does not decode (base64)") from None
    if not decoded.endswith("$") or not decoded[:-1] or "/" in decoded:
        raise ValueError("does not decode to a Frontend API host")
    return decoded[:-1]


def plan(ctx: Context) -> AuthPlan:
    provider, how = detect(ctx)
    result = AuthPlan(provider, how)
    problems = result.problems
    if provider == "neon-auth":
        base = _check_url("NEON_AUTH_BASE_URL", ctx.value("NEON_AUTH_BASE_URL"), problems)
        secret = ctx.value("NEON_AUTH_COOKIE_SECRET")
        if not secret:
            problems.append("NEON_AUTH_COOKIE_SECRET is empty")
        elif len(secret) < MIN_COOKIE_SECRET:
            problems.append(f"NEON_AUTH_COOKIE_SECRET has {len(secret)} characters; the Neon Auth SDK "
                            f"needs at least {MIN_COOKIE_SECRET}")
        if base:
            result.url, result.checks = f"{base}/.well-known/jwks.json", "jwks"
    elif provider == "supabase":
        base = _check_url("NEXT_PUBLIC_SUPABASE_URL", ctx.value("NEXT_PUBLIC_SUPABASE_URL"), problems)
        anon = next((ctx.value(k) for k in SUPABASE_ANON_KEYS if ctx.value(k)), "")
        if not anon:
            problems.append(f"the anon key is empty ({' or '.join(SUPABASE_ANON_KEYS[:2])})")
        if base and anon:
            # Supabase Auth (GoTrue) health endpoint behind the API gateway, which wants the key.
            result.url, result.checks = f"{base}/auth/v1/health", "health"
            result.headers = {"apikey": anon}
    elif provider == "clerk":
        key = next((ctx.value(k) for k in CLERK_KEYS if ctx.value(k)), "")
        if not key:
            problems.append(f"{CLERK_KEYS[0]} is empty")
        else:
            try:
                host = clerk_frontend_api(key)
                scheme = "http" if is_loopback(host.rsplit(":", 1)[0]) else "https"
                result.url, result.checks = f"{scheme}://{host}/.well-known/jwks.json", "jwks"
            except ValueError as exc:
                problems.append(f"the Clerk publishable key {exc}")
    elif provider == "oidc":
        issuer = _check_url("[auth] issuer", ctx.config.auth_issuer or "", problems)
        if issuer:
            result.url, result.checks = f"{issuer}/.well-known/openid-configuration", "oidc"
    return result


@check(AUTH001)
def variables(ctx: Context) -> Outcome:
    chosen = plan(ctx)
    if chosen.provider is None:
        return skipped(f"{chosen.how}; set [auth] provider in deploy-check.toml if the app has one")
    if chosen.provider == "none":
        return skipped("no auth: [auth] provider = \"none\" in deploy-check.toml")
    details = {"provider": chosen.provider, "how": chosen.how}
    if chosen.problems:
        return failed(f"{chosen.provider} ({chosen.how}): {'; '.join(chosen.problems)}", **details)
    return passed(f"{chosen.provider} ({chosen.how}): variables are set and well-formed; "
                  f"will check {chosen.url}", **details)


def judge_jwks(body: Any) -> str | None:
    """None when `body` is a JWKS with at least one usable key, else what is wrong."""
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not keys:
        return "is not a JWKS with keys"
    usable = [k for k in keys if isinstance(k, dict) and k.get("kty") and k.get("kid")]
    if not usable:
        return f"lists {len(keys)} key(s) but none with both kty and kid"
    return None


@check(AUTH002, needs=("AUTH001",), budget=lambda ctx: 2 * ctx.timeout + 5)  # OIDC: two GETs
async def endpoint(ctx: Context) -> Outcome:
    from checks.httpfetch import fetch

    chosen = plan(ctx)
    if chosen.provider in (None, "none") or chosen.url is None:
        return skipped("no auth endpoint to check" if chosen.provider in (None, "none")
                       else f"the variables are not usable: {'; '.join(chosen.problems)}")
    ctx.report_progress("AUTH002", f"GET {chosen.url}")
    answer = await fetch(ctx, chosen.url, headers=chosen.headers)
    details: dict[str, Any] = {"provider": chosen.provider, "url": chosen.url, "status": answer.status}
    if answer.problem:
        return failed(f"{chosen.url}: {answer.problem}", **details)
    if answer.status != 200:
        return failed(f"{chosen.url} answered {answer.status}, expected 200", **details)
    if chosen.checks == "health":
        return passed(f"Supabase Auth is healthy at {chosen.url} (200)", **details)
    try:
        body = answer.json()
    except ValueError as exc:
        return failed(f"{chosen.url} {exc}", **details)
    if chosen.checks == "oidc":
        jwks_uri = body.get("jwks_uri") if isinstance(body, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            return failed(f"{chosen.url} has no jwks_uri", **details)
        details["jwks_uri"] = jwks_uri
        answer = await fetch(ctx, jwks_uri)  # no credentials travel with this one
        if answer.problem or answer.status != 200:
            return failed(f"{jwks_uri}: {answer.problem or f'answered {answer.status}'}", **details)
        try:
            body = answer.json()
        except ValueError as exc:
            return failed(f"{jwks_uri} {exc}", **details)
    wrong = judge_jwks(body)
    where = details.get("jwks_uri", chosen.url)
    if wrong:
        return failed(f"{where} {wrong}", **details)
    count = len(body["keys"])
    return passed(f"{chosen.provider}: {where} serves {count} signing key{'s' if count > 1 else ''}",
                  **details)
