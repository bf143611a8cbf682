"""How the app's users sign in, read from the app's own code (DESIGN.md "Discovery"): the
Auth.js `providers: [...]` of its NextAuth config, the Better Auth plugins and options of
its `betterAuth({...})`; Stack and Kinde sign in on their hosted pages. AUTH003 drives
what deploy-check can drive and names the rest as unverified."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from checks.project.providerguard import needed_set, registration_guard, shown_condition
from checks.project.reading import bracketed as _bracketed
from checks.project.reading import (
    env_reference,
    option_value,
    or_chain,
    read_small,
    relative,
)
from checks.support.lazyre import LazyPattern, lazy
from checks.support.placeholders import is_placeholder

# The app's source is walked, never node_modules or build output, and only so far.
SKIP_DIRS = frozenset({"node_modules", ".git", ".next", ".turbo", ".vercel", "dist", "build", "out",
                       "coverage", ".output", ".svelte-kit", "public"})
SOURCE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
MAX_FILES = 4000
MAX_SOURCE_BYTES = 256 << 10
# Tests build their own auth instances (inbox-zero's __tests__/integration/scim-better-auth.test.ts
# calls betterAuth with a throwaway secret): never the app's config. Jest/Vitest's conventions.
TEST_DIRS = frozenset({"__tests__", "__mocks__", "__fixtures__"})
TEST_FILE = lazy(r"\.(?:test|spec)\.[cm]?[jt]sx?$")

# Auth.js providers are default exports of one module each: `next-auth/providers/github`
# (next-auth v4/v5) or `@auth/core/providers/github` (nextauthjs/next-auth packages/core/src/
# providers/<id>.ts, the file name is the provider's id).
AUTHJS_IMPORT = lazy(
    r"""import\s+(?:\*\s+as\s+)?(?P<name>[A-Za-z_$][\w$]*)\s+from\s+["'](?:next-auth|@auth/core)/providers/(?P<id>[\w-]+)["']"""
    r"""|(?P<req>[A-Za-z_$][\w$]*)\s*=\s*(?:require|await\s+import)\(\s*["'](?:next-auth|@auth/core)/providers/(?P<rid>[\w-]+)["']\s*\)""")
AUTHJS_PROVIDERS = lazy(r"\bproviders\s*:\s*\[")
# Better Auth (better-auth/better-auth packages/better-auth/src/plugins/email-otp and
# magic-link; `emailAndPassword` and `socialProviders` in its BetterAuthOptions).
BETTER_AUTH_CALL = lazy(r"\bbetterAuth\s*\(")
# The Auth.js config: `NextAuth({...})` or `NextAuth((req) => ({...}))` (next-auth v4/v5); its
# `secret:` option wins over AUTH_SECRET / NEXTAUTH_SECRET (authjs.dev reference, "secret";
# baptisteArno/typebot.io packages/auth/src/lib/nextAuth.ts: `secret: env.ENCRYPTION_SECRET`).
NEXTAUTH_CALL = lazy(r"(?<![\w$.])NextAuth\s*\(")
BETTER_AUTH_METHODS = (("email-otp", re.compile(r"\bemailOTP\s*\(")),
                       ("magic-link", re.compile(r"\bmagicLink\s*\(")),
                       ("password", re.compile(r"\bemailAndPassword\s*:\s*\{[^}]*\benabled\s*:\s*true")),
                       ("passkey", re.compile(r"\bpasskey\s*\(")))
SOCIAL = lazy(r"\bsocialProviders\s*:\s*\{")
SOCIAL_KEY = lazy(r"(?:^|[{,])\s*(?P<id>[a-z][a-zA-Z]*)\s*:\s*\{")
COMMENT = lazy(r"//[^\n]*|/\*.*?\*/", re.S)
# `secret: <expression>` in a betterAuth({...}) config (BetterAuthOptions.secret), or the
# shorthand `secret,` naming a local const; the env reads in it come from the shared reader
# (checks/project/reading.py env_reference).
SECRET_OPTION = lazy(r"(?<![\w$.])secret\s*:")
SECRET_SHORTHAND = lazy(r"(?:^|,)\s*secret\s*(?:,|$)")
STRING_LITERAL = lazy(r"""(?s)"(?P<d>(?:[^"\\]|\\.)*)"|'(?P<s>(?:[^'\\]|\\.)*)'|`(?P<t>[^`$]*)`""")
IDENTIFIER = lazy(r"[A-Za-z_$][\w$]*")
# An OAuth provider's client options (next-auth packages/core/src/providers/oauth.ts OAuthUserConfig).
CLIENT_OPTIONS = lazy(r"(?<![\w$.])(?:clientId|clientSecret)\s*:")
# A provider's calls read in one file, and the characters of one call's arguments read.
MAX_PROVIDER_CALLS = 64
ARGS_LIMIT = 16 << 10

# emailOTP({ disableSignUp: true }): send-verification-otp answers 400 USER_NOT_FOUND for an
# email with no user (better-auth 1.3.34 dist/plugins/email-otp/index.mjs, `if (opts.disableSignUp)`),
# so a throwaway identity never gets a code (TECH-JBPORTALS/Tascboard src/utils/auth.tsx).
EMAIL_OTP_OPTIONS = lazy(r"\bemailOTP\s*\(\s*\{")
DISABLE_SIGN_UP = lazy(r"(?<![\w$.])disableSignUp\s*:\s*true\b")
# Methods a local run can prove with a code from a local source.
EMAIL_CODE_METHODS = frozenset({"email-otp"})
# Auth.js email providers (packages/core/src/providers/nodemailer.ts, resend.ts, sendgrid.ts,
# postmark.ts, forwardemail.ts, email.ts: type "email").
AUTHJS_EMAIL = frozenset({"nodemailer", "email", "resend", "sendgrid", "postmark", "forwardemail", "mailgun"})
# The Auth.js email providers that mail over SMTP, which a local sink can receive
# (providers/nodemailer.ts: id "nodemailer"; next-auth v4's EmailProvider: id "email").
AUTHJS_SMTP = frozenset({"nodemailer", "email"})
HOSTED = {"stack": "Stack Auth's hosted sign-in pages", "kinde": "Kinde's hosted sign-in pages",
          "oidc": "the OIDC issuer's hosted sign-in pages"}

NAMES = {"github": "GitHub", "gitlab": "GitLab", "linkedin": "LinkedIn", "auth0": "Auth0",
         "microsoft-entra-id": "Microsoft Entra ID", "azure-ad": "Azure AD", "workos": "WorkOS",
         "apple": "Apple", "google": "Google", "discord": "Discord", "twitter": "Twitter",
         "facebook": "Facebook", "keycloak": "Keycloak", "cognito": "Cognito", "okta": "Okta"}


@dataclass(frozen=True)
class LoginMethods:
    methods: tuple[str, ...]  # provider ids: "github", "credentials", "nodemailer", "email-otp"…
    where: str | None  # the file that names them, relative to the project
    why: str  # what was read, or what was looked for
    secret: SecretOption | None = None  # Better Auth: what its `secret:` option reads
    # Auth.js: the env variables its provider calls read for `clientId:` / `clientSecret:`.
    client_credentials: tuple[str, ...] = ()
    # Auth.js: the providers registered only under an `if (…)` that reads no env variable
    # (the app's own setting), and the first such condition.
    guarded: tuple[str, ...] = ()
    guard: str = ""


@dataclass(frozen=True)
class SecretOption:
    """The env variables a `betterAuth({ secret: … })` option reads, in the order it tries
    them (`env.A ?? env.B`, `process.env.A || process.env.B`, or a local const holding that)."""
    names: tuple[str, ...]  # empty: the option is not a chain deploy-check can follow
    # Names read from process.env ahead of `??`: an empty string there is handed on as is
    # (`"" ?? x` is ""), so the app's chain ends at it.
    stops_when_empty: tuple[str, ...] = ()
    # A committed string literal ending the chain (`process.env.A || "dev-secret"`), as
    # (its length, whether it is a placeholder): what better-auth gets when the reads are
    # empty. Its text is never kept.
    literal: tuple[int, bool] | None = None
    # Names read straight from process.env (not a validated env module's `env.A`, whose schema
    # may throw at start-up without it): unset, the option is undefined and Auth.js reads its own.
    direct: tuple[str, ...] = ()


def email_otp_refuses_sign_up(text: str) -> bool:
    """Whether a betterAuth config's emailOTP({...}) options set `disableSignUp: true`."""
    code = COMMENT.sub("", text)
    return any(DISABLE_SIGN_UP.search(_bracketed(code, call.end())) for call in EMAIL_OTP_OPTIONS.finditer(code))


def describe(method: str) -> str:
    """"GitHub OAuth", "a password (Credentials)", "email links (Nodemailer)"."""
    if method in ("credentials", "password"):
        return "a password" + (" (Credentials)" if method == "credentials" else "")
    if method in AUTHJS_EMAIL:
        return f"email links ({'Nodemailer' if method in ('nodemailer', 'email') else method.title()})"
    if method == "magic-link":
        return "magic links (Better Auth magicLink)"
    if method in ("passkey", "webauthn"):
        return "passkeys"
    if method == "email-otp":
        return "email codes (Better Auth emailOTP)"
    return f"{NAMES.get(method, method.replace('-', ' ').title())} OAuth"


def _sources(root: Path) -> list[Path]:
    """The app's own source, less its tests."""
    return [path for path in source_files(root)[0]
            if not TEST_DIRS.intersection(path.relative_to(root).parts) and not TEST_FILE.search(path.name)]


def source_files(root: Path) -> tuple[list[Path], bool]:
    """The app's source files under `root`, and whether that is all of them (False: the walk
    stopped at MAX_FILES, so what the rest says is not known)."""
    found: list[Path] = []
    seen = 0
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                return found, False
            if name.endswith(SOURCE_SUFFIXES) and not name.endswith(".d.ts"):
                found.append(Path(directory) / name)
    return found, True


def _authjs(text: str) -> list[str]:
    imported = {}
    for match in AUTHJS_IMPORT.finditer(text):
        name, provider = (match["name"], match["id"]) if match["name"] else (match["req"], match["rid"])
        imported[name] = provider.lower()
    if not imported:
        return []
    lists = [_bracketed(text, m.end()) for m in AUTHJS_PROVIDERS.finditer(text)]
    used = [provider for name, provider in imported.items()
            if any(re.search(rf"(?<![\w$.]){re.escape(name)}\b", block) for block in lists)]
    return used or list(imported.values())


def smtp_provider_calls(text: str) -> list[str]:
    """The arguments of each call of an Auth.js provider that mails over SMTP (Nodemailer,
    next-auth v4's Email) in `text`, comments removed."""
    return provider_calls(text, AUTHJS_SMTP)


def provider_calls(text: str, ids: frozenset[str]) -> list[str]:
    """The arguments of each call of an Auth.js provider whose id is in `ids`, in `text`."""
    code = COMMENT.sub("", text)
    names = [(match["name"] or match["req"]) for match in AUTHJS_IMPORT.finditer(code)
             if (match["id"] or match["rid"]).lower() in ids]
    return [_bracketed(code, call.end(), ARGS_LIMIT) for name in names
            for call in _calls(name, code)]


def _calls(name: str, code: str) -> Iterator[re.Match[str]]:
    """The calls of provider `name` in `code`, at most MAX_PROVIDER_CALLS: a config registers a
    handful, and each call's arguments are read (thousands of unclosed `Google(` in a crafted
    file read to its end apiece would take minutes)."""
    return itertools.islice(re.finditer(rf"(?<![\w$.]){re.escape(name)}\s*\(", code), MAX_PROVIDER_CALLS)


def client_credentials(text: str, ids: list[str]) -> list[str]:
    """The env variables the calls of the Auth.js providers `ids` read for their OAuth client
    (`GoogleProvider({ clientId: process.env.GOOGLE_CLIENT_ID, clientSecret: env.X })`;
    next-auth OAuthUserConfig clientId/clientSecret). A call without them is not judged here."""
    code = COMMENT.sub("", text)
    imported = [(match["name"] or match["req"]) for match in AUTHJS_IMPORT.finditer(code)
                if (match["id"] or match["rid"]).lower() in ids]
    names: list[str] = []
    braces: list[int] = []
    for name in imported:
        for call in _calls(name, code):
            args = _bracketed(code, call.end(), ARGS_LIMIT)
            read = [found for option in CLIENT_OPTIONS.finditer(args)
                    if (found := env_reference(option_value(args, option.end()))) is not None]
            if read and _registered_only_when_set(code, call.start(), read, braces):
                continue  # off without its credentials: an empty one is no gap
            names += read
    return list(dict.fromkeys(names))


def _registered_only_when_set(code: str, at: int, credentials: list[str], braces: list[int]) -> bool:
    """Whether the statement ending in the provider call at `at` is `if (env.ID && env.SECRET)
    providers.push(…)` over that call's own credentials (typebot.io packages/auth/src/lib/
    providers.ts), or sits in the block of such an `if`: the provider exists only when they are
    set. `braces` is filled once per file (the innermost open `{` before each character)."""
    guard = registration_guard(code, at, braces)
    return guard is not None and set(credentials) <= set(needed_set(guard))


def provider_guards(text: str, ids: frozenset[str]) -> list[list[str]]:
    """For each call of an Auth.js provider whose id is in `ids`, the variables it is registered
    only when set ([]: always registered, or under a condition not read as such)."""
    code = COMMENT.sub("", text)
    names = [(match["name"] or match["req"]) for match in AUTHJS_IMPORT.finditer(code)
             if (match["id"] or match["rid"]).lower() in ids]
    braces: list[int] = []
    return [needed_set(guard) if (guard := registration_guard(code, call.start(), braces)) is not None else []
            for name in names for call in _calls(name, code)]


def app_setting_guards(text: str, ids: list[str]) -> tuple[list[str], str]:
    """The Auth.js providers among `ids` whose every call sits under an `if (…)` deploy-check
    cannot evaluate, one reading no env variable (boxyhq/saas-starter-kit lib/nextAuth.ts:
    `if (isAuthProviderEnabled('github')) providers.push(GitHubProvider(…))`, switched by its
    AUTH_PROVIDERS setting), and the first such condition."""
    code = COMMENT.sub("", text)
    braces: list[int] = []
    guarded: list[str] = []
    first = ""
    for match in AUTHJS_IMPORT.finditer(code):
        name, provider = (match["name"], match["id"]) if match["name"] else (match["req"], match["rid"])
        guards = [registration_guard(code, call.start(), braces) for call in _calls(name, code)]
        if provider.lower() in ids and guards and all(g is not None and not needed_set(g) for g in guards):
            guarded.append(provider.lower())
            first = first or next(shown_condition(g["cond"]) for g in guards if g is not None)
    return list(dict.fromkeys(guarded)), first


def _better_auth(text: str) -> list[str]:
    methods = [method for method, pattern in BETTER_AUTH_METHODS if pattern.search(text)]
    social = SOCIAL.search(text)
    if social:
        block = _bracketed(text, social.end())
        depth_zero = re.sub(r"\{[^{}]*\}", "{}", re.sub(r"\{[^{}]*\}", "{}", block))
        methods += [m["id"].lower() for m in SOCIAL_KEY.finditer(depth_zero)]
    return methods


def secret_option(code: str, config_call: LazyPattern | None = None) -> SecretOption | None:
    """What the first betterAuth({...}) call's (or `config_call`'s) `secret:` reads; None when it
    has none (the library then reads its own env names). A bare identifier is followed to its
    `const` in the file."""
    call = (config_call or BETTER_AUTH_CALL).search(code)
    if call is None:
        return None
    block = _bracketed(code, call.end())
    brace = block.find("{")
    if brace < 0:
        return None
    top = _bracketed(block, brace + 1)
    for _ in range(4):  # the options' own keys only, not a plugin's `secret:`
        top = re.sub(r"\{[^{}]*\}", "{}", top)
    found = SECRET_OPTION.search(top)
    if found is not None:
        expr = option_value(top, found.end())
    elif SECRET_SHORTHAND.search(top.strip()):
        expr = "secret"
    else:
        return None
    if IDENTIFIER.fullmatch(expr):
        defined = re.search(rf"(?:const|let|var)\s+{re.escape(expr)}\s*(?::[^=\n]+)?=", code)
        expr = option_value(code, defined.end()) if defined else expr
    return _secret_chain(expr)


def _secret_chain(expr: str) -> SecretOption:
    """The env reads of `a || b ?? "literal"`; no names when it is anything else (a call, a
    ternary, a template): what better-auth gets then cannot be told from here."""
    names: list[str] = []
    stops: list[str] = []
    direct: list[str] = []
    chain = or_chain(expr) or [(expr, "")]
    for index, (operand, operator) in enumerate(chain):
        name = env_reference(operand)
        literal = STRING_LITERAL.fullmatch(operand.strip())
        if literal is not None and index == len(chain) - 1 and names:
            text = next((g for g in literal.groups() if g is not None), "")
            return SecretOption(tuple(dict.fromkeys(names)), tuple(stops), (len(text), is_placeholder(text)),
                                tuple(direct))
        if name is None:
            return SecretOption(())
        names.append(name)
        if operand.strip().lstrip("(").startswith(("process.env", "import.meta.env")):
            direct.append(name)
        if operand.strip().startswith("process.env") and operator == "??":
            stops.append(name)
    return SecretOption(tuple(dict.fromkeys(names)), tuple(stops), direct=tuple(dict.fromkeys(direct)))


def login_methods(root: Path, provider: str | None, packages: list[Path] | None = None) -> LoginMethods:
    """The sign-in methods the app's auth config names, with the file that names them: in the
    app's source, else in the workspace packages it depends on (`packages`), where a monorepo
    may keep its auth (typebot.io's packages/auth)."""
    found = _login_methods(root, root, provider)
    for home in packages or []:
        if found.where is not None:
            break
        found = _login_methods(root, home, provider)
    return found


def _authjs_secret(root: Path, home: Path) -> SecretOption | None:
    """What the `secret:` of the app's NextAuth({...}) config in `home` reads; None without one."""
    for path in _sources(home):
        code = COMMENT.sub("", read_small(path, MAX_SOURCE_BYTES) or "")
        if NEXTAUTH_CALL.search(code):
            return secret_option(code, NEXTAUTH_CALL)
    return None


def _login_methods(root: Path, home: Path, provider: str | None) -> LoginMethods:
    if provider in HOSTED:
        return LoginMethods(("hosted",), None, f"{provider} signs users in on {HOSTED[provider]}")
    if provider not in ("authjs", "better-auth"):
        return LoginMethods((), None, "")
    what = "NextAuth providers" if provider == "authjs" else "a betterAuth({...}) config"
    config: tuple[str, list[str]] | None = None  # Better Auth: its config file and what it names
    secret: SecretOption | None = None
    plugins: list[str] = []  # Better Auth plugins called anywhere (a config may import its plugin list)
    for path in _sources(home):
        text = read_small(path, MAX_SOURCE_BYTES)
        if not text:
            continue
        code = COMMENT.sub("", text)
        if provider == "authjs":
            methods = _authjs(code)
            if methods:
                where = relative(root, path)
                guarded, guard = app_setting_guards(code, methods)
                return LoginMethods(tuple(dict.fromkeys(methods)), where, f"{where} names {', '.join(methods)}",
                                    _authjs_secret(root, home),
                                    client_credentials=tuple(client_credentials(code, methods)),
                                    guarded=tuple(guarded), guard=guard)
            continue
        if config is None and BETTER_AUTH_CALL.search(code):
            config = (relative(root, path), _better_auth(code))
            secret = secret_option(code)
        plugins += [method for method, pattern in BETTER_AUTH_METHODS[:2] if pattern.search(code)]
    if config is not None:
        where, methods = config
        methods = list(dict.fromkeys([*methods, *plugins]))
        named = ", ".join(methods) or "no sign-in method deploy-check knows"
        return LoginMethods(tuple(methods), where, f"{where} names {named}", secret)
    return LoginMethods((), None, f"no {what} found in the app's source")
