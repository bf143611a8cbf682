"""What AUTH001 and AUTH002 go by: the provider's variables, read and judged once (the
plan), and the URLs its endpoint is asked at."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from checks.core.context import Context
from checks.runtime.signin.providers import CLERK_KEYS, SUPABASE_ANON_KEYS, clerk_frontend_api
from checks.support.hosts import is_loopback
from checks.support.placeholders import is_placeholder

# The Neon Auth SDK refuses shorter cookie secrets at run time (per the research).
MIN_COOKIE_SECRET = 32
# better-auth warns below 32 characters (better-auth/better-auth packages/better-auth/src/
# context/create-context.ts: "secret should be at least 32 characters long").
MIN_BETTER_AUTH_SECRET = 32
# Neon Auth's base URL under the names its SDK and docs use.
NEON_AUTH_URLS = ("NEON_AUTH_BASE_URL", "NEXT_PUBLIC_NEON_AUTH_URL", "NEON_AUTH_URL")
# Stack Auth's env names and API (stack-auth/stack-auth packages/stack/src/lib/stack-app:
# NEXT_PUBLIC_STACK_API_URL defaults to https://api.stack-auth.com; request headers from
# apps/backend/src/route-handlers/smart-request.tsx).
STACK_API_DEFAULT = "https://api.stack-auth.com"
STACK_KEYS = ("NEXT_PUBLIC_STACK_PROJECT_ID", "NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY",
              "STACK_SECRET_SERVER_KEY")
# Kinde's Next.js SDK reads these (kinde-oss/kinde-auth-nextjs README, "Environment variables").
KINDE_KEYS = ("KINDE_CLIENT_ID", "KINDE_CLIENT_SECRET", "KINDE_ISSUER_URL")
AUTHJS_SECRETS = ("AUTH_SECRET", "NEXTAUTH_SECRET")
# better-auth's own fallback when `secret` is not passed (or falsy): `options.secret ||
# env.BETTER_AUTH_SECRET || env.AUTH_SECRET || DEFAULT_SECRET` (better-auth/better-auth
# packages/better-auth/src/context/create-context.ts, createAuthContext).
BETTER_AUTH_SECRETS = ("BETTER_AUTH_SECRET", "AUTH_SECRET")
LOCAL_NAMES = {"supabase": "Supabase", "neon-auth": "Neon Auth service", "stack": "Stack Auth server",
               "clerk": "Clerk Frontend API", "kinde": "Kinde issuer", "oidc": "OIDC issuer"}
# How each provider's local stack is started (Supabase CLI: `supabase start`).
LOCAL_START = {"supabase": "`supabase start`"}


@dataclass
class AuthPlan:
    provider: str | None  # None: nothing detected
    how: str  # "deploy-check.toml: [auth] provider" / "package.json depends on …"
    problems: list[str] = field(default_factory=list)
    url: str | None = None  # what AUTH002 fetches first
    fallbacks: list[str] = field(default_factory=list)  # tried in order when `url` fails
    headers: dict[str, str] = field(default_factory=dict)
    checks: str = ""  # "jwks", "gotrue", "oidc", "stack"
    expect_id: str | None = None  # stack: the project id the API must answer with
    no_endpoint: str | None = None  # why AUTH002 has nothing to ask
    secret_from: str | None = None  # which variable supplied the secret, and why that one
    secret_unread: str | None = None  # the app's `secret:` reads nothing deploy-check can follow
    # The app-chosen secret a problem asks for, which `provision env` generates where the app
    # reads it even when the example does not list it (Dokploy's .env.example has no BETTER_AUTH_SECRET).
    wanted_secret: str | None = None


def detect(ctx: Context) -> tuple[str | None, str]:
    return ctx.model.auth_provider, ctx.model.auth_why


def _check_url(name: str, value: str, problems: list[str]) -> str | None:
    if not value:
        problems.append(f"{name} is empty")
        return None
    if is_placeholder(value):
        problems.append(f"{name} is a placeholder")
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


def _filled(ctx: Context, name: str, problems: list[str], *, min_length: int = 0,
            why: str = "") -> str:
    """The value of `name`, or "" with the problem noted (empty, placeholder, too short)."""
    value = ctx.value(name)
    if not value:
        problems.append(f"{name} is empty")
    elif is_placeholder(value):
        problems.append(f"{name} is a placeholder")
        return ""
    elif len(value) < min_length:
        problems.append(f"{name} has {len(value)} characters; {why} needs at least {min_length}")
    return value


def _first(ctx: Context, names: tuple[str, ...]) -> tuple[str, str]:
    """(name, value) of the first of `names` with a value, else (names[0], "")."""
    for name in names:
        if ctx.value(name):
            return name, ctx.value(name)
    return names[0], ""


def _authjs_secret(ctx: Context, problems: list[str], result: AuthPlan) -> None:
    """Auth.js's secret: what the config's own `secret:` option reads, which wins over
    AUTH_SECRET / NEXTAUTH_SECRET (typebot.io: `secret: env.ENCRYPTION_SECRET`), else those."""
    app_names = ctx.model.auth_secret_names
    if app_names == []:
        # `secret: loadSecret()`: what it hands Auth.js cannot be read from here (DESIGN.md: unverified).
        result.secret_unread = ("auth: the NextAuth config's `secret:` option is not env reads joined by ?? or "
                                "||: what it hands Auth.js cannot be read from here")
        return
    names = tuple(app_names) if app_names else AUTHJS_SECRETS
    name, _ = _first(ctx, names)
    if app_names and not any(ctx.value(n) for n in names) and (unset := _falls_through(ctx, names)):
        _authjs_own_secret(ctx, names, unset, problems, result)
    elif not any(ctx.value(n) for n in names):
        read_by = " (read by the NextAuth config's `secret:` option)" if app_names else ""
        problems.append(f"{' or '.join(names)} is empty{read_by}")
        result.wanted_secret = names[0]
    else:
        _filled(ctx, name, problems)
        if app_names:
            result.secret_from = f"{name}, read by the NextAuth config's `secret:` option"


def _falls_through(ctx: Context, names: tuple[str, ...]) -> str:
    """Why the config's `secret:` is undefined when its variables are empty, so that Auth.js
    reads its own (next-auth 4 src/next/index.ts: `options.secret ??= options.jwt?.secret ??
    process.env.NEXTAUTH_SECRET`; @auth/core lib/utils/env.ts setEnvDefaults: `if
    (!config.secret?.length)` → AUTH_SECRET): each is read straight from process.env, or from an
    env module whose schema lets it be unset. "" when one may not be: a validated `env.X` the
    schema requires (or does not declare) throws at start-up, a committed literal is used instead."""
    model = ctx.model
    if model.auth_secret_literal or all(n in names for n in AUTHJS_SECRETS):
        return ""
    direct = [n for n in names if n in model.auth_secret_direct]
    optional = [n for n in names if n not in direct and n in model.env_schema_optional]
    if len(direct) + len(optional) != len(names):
        return ""
    said = []
    if direct:
        said.append(f"{' and '.join(direct)} straight from process.env")
    if optional:
        files = sorted({model.env_schema_optional[n] for n in optional})
        said.append(f"{' and '.join(optional)} from an env schema that lets {'it' if len(optional) == 1 else 'them'} "
                    f"be unset ({', '.join(files)})")
    return " and ".join(said) + ", empty here"


def _authjs_own_secret(ctx: Context, names: tuple[str, ...], unset: str, problems: list[str],
                       result: AuthPlan) -> None:
    """The config's `secret:` reads only empty variables that leave it undefined: Auth.js then
    takes AUTH_SECRET / NEXTAUTH_SECRET itself."""
    own = tuple(n for n in AUTHJS_SECRETS if n not in names)
    filled = next((n for n in own if ctx.value(n)), None)
    said = f"the NextAuth config's `secret:` reads {unset}"
    if filled is None:
        problems.append(f"{' or '.join((*names, *own))} is empty ({said}, and Auth.js falls back to "
                        f"{' or '.join(own)})")
        result.wanted_secret = names[0]
        return
    before = len(problems)
    _filled(ctx, filled, problems)
    if len(problems) == before:
        result.secret_from = f"{filled}, read by Auth.js itself: {said}"


def _better_auth_secret(ctx: Context, problems: list[str], result: AuthPlan) -> str | None:
    """The secret better-auth will use: the first filled variable of the app's own `secret:`
    option (its fallbacks included), else of the names better-auth reads itself — unless the
    chain ends in a committed literal, which better-auth then gets instead (a short or
    placeholder one fails; another leaves the clause unverified). Returns "NAME, why" for the
    pass message, or None with the problem (or the unverified reason) noted."""
    model = ctx.model
    where = model.login_where or "the betterAuth config"
    app_names = model.auth_secret_names or []
    candidates: list[tuple[str, str]] = []
    ended = False  # `process.env.X ?? …` with X empty: the chain hands on "" and stops
    for name in app_names:
        candidates.append((name, f"read by the app's `secret:` in {where}"))
        if name in model.auth_secret_stops and name in ctx.env and not ctx.value(name):
            ended = True
            break
    literal = model.auth_secret_literal
    if literal and literal[0] and not ended and not any(ctx.value(name) for name, _ in candidates):
        # better-auth gets the committed literal (options.secret is truthy): its own names are never read.
        length, placeholder = int(literal[0]), bool(literal[1])
        empty = " and ".join(name for name, _ in candidates)
        said = f"the `secret:` in {where} falls back to a string literal committed in the code"
        if placeholder or length < MIN_BETTER_AUTH_SECRET:
            result.wanted_secret = candidates[0][0]  # filled, it is what better-auth gets
        if placeholder:
            problems.append(f"{empty} empty: {said}, a placeholder")
        elif length < MIN_BETTER_AUTH_SECRET:
            problems.append(f"{empty} empty: {said}, of {length} characters; better-auth needs at least "
                            f"{MIN_BETTER_AUTH_SECRET}")
        else:
            result.secret_unread = f"auth: {empty} empty: {said}, which deploy-check does not judge"
        return None
    if not literal or not literal[0] or ended:
        candidates += [(name, "read by better-auth itself") for name in BETTER_AUTH_SECRETS
                       if name not in {n for n, _ in candidates}]
    for name, why in candidates:
        if ctx.value(name):
            before = len(problems)
            _filled(ctx, name, problems, min_length=MIN_BETTER_AUTH_SECRET, why="better-auth")
            return None if len(problems) > before else f"{name}, {why}"
    problems.append(f"{' or '.join(name for name, _ in candidates)} is empty")
    result.wanted_secret = candidates[0][0]
    return None


def _root_jwks(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def plan(ctx: Context) -> AuthPlan:
    provider, how = detect(ctx)
    result = AuthPlan(provider, how)
    problems = result.problems
    if provider == "neon-auth":
        name, value = _first(ctx, NEON_AUTH_URLS)
        base = _check_url(name, value, problems)
        if not value:
            problems[-1] += f" (nor {' or '.join(NEON_AUTH_URLS[1:])} set)"
        if not _filled(ctx, "NEON_AUTH_COOKIE_SECRET", problems, min_length=MIN_COOKIE_SECRET,
                       why="the Neon Auth SDK") and not ctx.value("NEON_AUTH_COOKIE_SECRET"):
            result.wanted_secret = "NEON_AUTH_COOKIE_SECRET"  # provision env never replaces a placeholder
        if base:
            result.url, result.checks = f"{base}/.well-known/jwks.json", "jwks"
            if _root_jwks(base) != result.url:
                result.fallbacks = [_root_jwks(base)]
    elif provider == "stack":
        project_id = _filled(ctx, STACK_KEYS[0], problems)
        client_key = _filled(ctx, STACK_KEYS[1], problems)
        _filled(ctx, STACK_KEYS[2], problems)
        api = _check_url("NEXT_PUBLIC_STACK_API_URL",
                         ctx.value("NEXT_PUBLIC_STACK_API_URL") or STACK_API_DEFAULT, problems)
        if api and project_id and client_key:
            result.url, result.checks = f"{api}/api/v1/projects/current", "stack"
            result.headers = {"x-stack-project-id": project_id, "x-stack-access-type": "client",
                              "x-stack-publishable-client-key": client_key}
            result.expect_id = project_id
    elif provider == "supabase":
        base = _check_url("NEXT_PUBLIC_SUPABASE_URL", ctx.value("NEXT_PUBLIC_SUPABASE_URL"), problems)
        anon = next((ctx.value(k) for k in SUPABASE_ANON_KEYS if ctx.value(k)), "")
        if not anon:
            problems.append(f"the anon key is empty ({' or '.join(SUPABASE_ANON_KEYS[:2])})")
        elif is_placeholder(anon):
            problems.append("the anon key is a placeholder")
            anon = ""
        if base and anon:
            # Supabase Auth (GoTrue) health endpoint behind the API gateway, which wants the key.
            result.url, result.checks = f"{base}/auth/v1/health", "gotrue"
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
        _filled(ctx, "CLERK_SECRET_KEY", problems)
    elif provider == "authjs":
        _authjs_secret(ctx, problems, result)
        for credential in ctx.model.login_credentials:  # what its OAuth provider calls read
            _filled(ctx, credential, problems)
        result.no_endpoint = "Auth.js has no provider endpoint to ask"
    elif provider == "better-auth":
        if ctx.model.auth_secret_names == []:
            # `secret: loadSecret()`: the option wins over better-auth's own names, and what
            # it holds cannot be read from here (DESIGN.md: unverified, never a pass or a fail).
            # A ternary (`NODE_ENV === "production" ? … : "dev"`) is not judged by its condition.
            result.secret_unread = (f"auth: the betterAuth `secret:` option in {ctx.model.login_where} is not "
                                    "env reads joined by ?? or || (a call, a ternary, a template): what it "
                                    "hands better-auth cannot be read from here")
        else:
            result.secret_from = _better_auth_secret(ctx, problems, result)
        if ctx.value("BETTER_AUTH_URL"):
            _check_url("BETTER_AUTH_URL", ctx.value("BETTER_AUTH_URL"), problems)
        result.no_endpoint = "Better Auth runs inside the app: it has no provider endpoint to ask"
    elif provider == "kinde":
        _filled(ctx, KINDE_KEYS[0], problems)
        _filled(ctx, KINDE_KEYS[1], problems)
        issuer = _check_url(KINDE_KEYS[2], ctx.value(KINDE_KEYS[2]), problems)
        if issuer:
            result.url, result.checks = f"{issuer}/.well-known/openid-configuration", "oidc"
    elif provider == "oidc":
        issuer = _check_url("[auth] issuer", ctx.config.auth_issuer or "", problems)
        if issuer:
            result.url, result.checks = f"{issuer}/.well-known/openid-configuration", "oidc"
    return result
