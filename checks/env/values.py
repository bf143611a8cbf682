"""What a value is, whatever its name says: public by design (publishable keys, Supabase's
anon JWT, a Sentry DSN), a secret by its shape, or a secret published by the committed example."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qsl, urlsplit

from checks.core.context import Context
from checks.project.model import ValueShape
from checks.support.appsecrets import app_chosen_secret
from checks.support.errors import RefusedInput
from checks.support.files import confined, read_text
from checks.support.hosts import is_loopback
from checks.support.lazyre import lazy
from checks.support.secrets import has_token_shape, secret_by_name, url_password

# A random value any secret the app chooses itself accepts: 32 bytes, 44 characters (Auth.js's
# docs, authjs.dev/getting-started/installation: `openssl rand -base64 32`).
GENERATE = "openssl rand -base64 32"
GENERATED_LENGTH = 44

PUBLIC_SECRET_NAME = lazy(
    r"SECRET|SALT|TOKEN|PASSWORD|PASSWD|PRIVATE|SERVICE_ROLE|CREDENTIAL|JWT|SIGNING|(?:^|_)SK(?:_|$)",
    re.IGNORECASE,
)

# Tokens named so that are made for the browser: Mixpanel's project token ("A project's token
# is not a secret value", docs.mixpanel.com/reference/project-token; boxyhq/saas-starter-kit
# pages/_app.tsx passes NEXT_PUBLIC_MIXPANEL_TOKEN to mixpanel-browser's init).
PUBLIC_TOKEN_NAME = lazy(r"(?:^|_)MIXPANEL(?:_PROJECT)?_TOKEN$", re.IGNORECASE)


def _jwt_role(value: str) -> str | None:
    """The `role` claim of a Supabase key (a JWT): anon is public by design."""

    parts = value.strip().split(".")
    if len(parts) != 3 or not parts[0].startswith("eyJ"):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    role = payload.get("role") if isinstance(payload, dict) else None
    return role if isinstance(role, str) else None


def public_by_design(value: str) -> bool:
    """Values made to be shipped to browsers: Stripe and Clerk publishable keys (pk_),
    Supabase's anon key, a Firebase web API key (AIza…), a Sentry DSN (a public key and no
    secret), a Stack publishable client key (pck_)."""
    value = value.strip()
    if value.startswith(("pk_live_", "pk_test_", "pck_", "AIza", "sb_publishable_")):
        return True
    if _jwt_role(value) == "anon":
        return True
    return bool(re.fullmatch(r"https://[0-9a-f]{32}@[\w.-]+/\d+", value))


def secret_by_value(value: str) -> bool:
    if not value.strip() or public_by_design(value):
        return False
    return bool(has_token_shape(value) or url_password(value) or _jwt_role(value) == "service_role")


def copied_from_example(ctx: Context, key: str) -> bool:
    """A secret-named value identical to the committed example's is published, not secret
    (`NEXTAUTH_SECRET=my-superstrong-secret` copied from .env.example). A value that is no
    secret (a region under NEXT_PRIVATE_, a JWT issuer, an id, a NEXT_PUBLIC_ key such as the
    local Supabase anon key) may be copied as is."""

    return copied_from(ctx, key) is not None


def copied_from(ctx: Context, key: str) -> str | None:
    """The committed example whose secret value `key` has (`copied_from_example`), or None."""
    for example in ctx.examples:
        shown = ((example.parsed.values.get(key) if example.parsed else None) or "").strip()
        if (shown and ctx.value(key) == shown and secret_by_name(key, shown)
                and not public_by_design(shown)
                and not (loopback_url(shown) and url_password(shown) not in refused_passwords(ctx))):
            return ctx.rel(example.path)
    return None


# create-t3-app's start-database.sh (cli/template/extras/start-database/postgres.sh and
# mysql.sh) stops on the example's password: `if [ "$DB_PASSWORD" = "password" ]; then …
# "Please change the default password in the .env file and try again"`.
# Where it lives: the project's root (create-t3-app), or scripts/ in forks that run it as
# `./scripts/start-database.sh` (sourcing "$REPO_ROOT/.env").
_START_DATABASE = ("start-database.sh", "scripts/start-database.sh")
_REFUSED_PASSWORD = lazy(r"""\[\s*"\$DB_PASSWORD"\s*=\s*"([^"$]+)"\s*\]""")


def refused_passwords(ctx: Context) -> set[str]:
    """The database passwords the app's own start-database.sh refuses to start with: a
    loopback URL still holding one is the example's placeholder, not a local value."""
    found: set[str] = set()
    for script in _START_DATABASE:
        try:
            path = confined(ctx.project / script, (ctx.project,), script)
            found.update(_REFUSED_PASSWORD.findall(read_text(path, 1 << 16)) if path.is_file() else ())
        except (OSError, UnicodeDecodeError, RefusedInput):  # a link out of the project is not the app's
            continue
    return found


def loopback_url(value: str) -> bool:
    """A URL to this machine only (`postgresql://postgres:postgres@localhost:5432/app`, the
    database the README's docker compose runs): its password opens nothing another machine
    can reach, so an example that publishes it publishes no secret (taxonomy, rallly and
    inbox-zero all tell developers to keep theirs)."""
    if "://" not in value or has_token_shape(value):  # a provider's token in it works from anywhere
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    if not host or "," in parts.netloc:  # several hosts (`h1:5432,h2:5432`): any may be remote
        return False
    # libpq takes the server from `?host=`, `?hostaddr=` or `?service=` over the URL's host
    # (`postgresql://u:p@localhost/app?hostaddr=203.0.113.7` connects to 203.0.113.7).
    named = [value for key, value in parse_qsl(parts.query, keep_blank_values=True)
             if key.lower() in ("host", "hostaddr", "service")]
    if any(not value or "," in value or not is_loopback(value) for value in named):
        return False
    return is_loopback(host)


def generate_command(shape: ValueShape | None) -> str | None:
    """A command printing a random value the app's env schema accepts (`z.string().length(32)`
    wants 32 characters); None when the schema asks for a format or for no length at all."""
    if shape is None:
        return GENERATE
    if shape.format is not None:
        return None
    low, high = shape.min or 1, shape.max
    length = shape.length
    if length is None and low <= GENERATED_LENGTH and (high is None or high >= GENERATED_LENGTH):
        return GENERATE
    if length is None:
        length = low if low > GENERATED_LENGTH else high
    if length is None or length < low or (high is not None and length > high):
        return None
    half = (length + 1) // 2  # hex: two characters a byte
    return f"openssl rand -hex {half}" + (f" | cut -c1-{length}" if length % 2 else "")


def placeholder_hint(ctx: Context, offending: list[str]) -> str | None:
    """ENV004's hint when some offending value is a secret the app chooses itself (AUTH_SECRET,
    a session secret, what its auth `secret:` option reads): no console issues one, it is
    generated; None when every offending value comes from a provider."""
    model = ctx.model
    commands = {key: command for key in offending
                if (app_chosen_secret(key) or key in (model.auth_secret_names or []))
                and (command := generate_command(model.env_schema_shapes.get(key))) is not None}
    if not commands:
        return None
    keys = list(commands)
    where = " and ".join(sorted({"the process environment" if (source := ctx.source_of(key)) == "process environment"
                                 else source or model.env_file for key in keys}))
    if len(set(commands.values())) == 1:
        example = f"`{next(iter(commands.values()))}`"
    else:
        example = "; ".join(f"{key}: `{command}`" for key, command in commands.items())
    one = len(keys) == 1
    hint = (f"Generate a new value for {', '.join(keys)} (e.g. {example}) and replace "
            f"{'it' if one else 'them'} in {where}: a secret the app chooses itself comes from no provider's "
            f"console, and `deploy-check provision env` never overwrites a value.")
    if len(keys) < len(offending):
        hint += " Replace the other placeholders with the real value from the provider's console."
    return hint
