"""The keys of a local Supabase stack (`supabase start`), for `provision env`.

The Supabase CLI does not draw them at random: with no `[auth] jwt_secret`, `anon_key`,
`service_role_key` or `signing_keys_path` in supabase/config.toml it signs, for each role,
the claims {"iss": "supabase-demo", "role": <role>, "exp": 1983812996} with HS256 and the
default secret `super-secret-jwt-token-with-at-least-32-characters-long`
(github.com/supabase/cli apps/cli-go/pkg/config/apikeys.go: defaultJwtSecret,
defaultJwtExpiry, CustomClaims, generateJWT; the anon and service_role keys it yields are the
ones `supabase status` prints in apps/cli-go/docs/templates/examples.yaml). So they are known
without asking the CLI, and are the keys of every local stack on every machine; they go into
`.env.local` only when the app's Supabase URL is that stack's own API (`[api] port`, default
54321, on 127.0.0.1), never for a hosted project. A config that sets its own secret, keys
from `env(…)` or asymmetric signing keys (whose tokens carry the time they were made) leaves
them to `supabase status`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from checks.project.reading import read_small
from checks.support.lazyre import lazy

# apps/cli-go/pkg/config/apikeys.go
DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
DEFAULT_JWT_EXPIRY = 1983812996
ISSUER = "supabase-demo"
# apps/cli-go/pkg/config/templates/config.toml: `[api] port = 54321`; the API listens on the
# CLI's hostname, 127.0.0.1 unless DOCKER_HOST names another machine.
DEFAULT_API_PORT = 54321
LOCAL_HOSTS = ("127.0.0.1", "localhost")
CONFIG = "supabase/config.toml"

URL_NAME = lazy(r"(?:^|_)SUPABASE_URL$")
# The public key under its names (Supabase docs and templates: NEXT_PUBLIC_SUPABASE_ANON_KEY,
# vercel/next.js examples/with-supabase NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY "your-publishable-
# or-anon-key"): the anon JWT, which local stacks of every CLI version take (newer ones also
# print an sb_publishable_ key, older ones know none).
ANON_NAME = lazy(r"(?:^|_)SUPABASE_(?:ANON|PUBLISHABLE|PUBLISHABLE_OR_ANON|PUBLISHABLE_DEFAULT)_KEY$")
SERVICE_NAME = lazy(r"(?:^|_)SUPABASE_SERVICE(?:_ROLE)?_KEY$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def local_jwt(role: str, secret: str = DEFAULT_JWT_SECRET) -> str:
    """The key the Supabase CLI makes for `role`: golang-jwt's header, then the claims in
    CustomClaims' field order (iss, role, exp), compact JSON, HS256 over `secret`."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = _b64(json.dumps({"iss": ISSUER, "role": role, "exp": DEFAULT_JWT_EXPIRY},
                             separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64(signature)}"


def role_of(key: str) -> str | None:
    if ANON_NAME.search(key):
        return "anon"
    if SERVICE_NAME.search(key):
        return "service_role"
    return None


@dataclass
class LocalKeys:
    """What `provision env` may write for the local stack of the app's supabase/config.toml."""

    port: int = DEFAULT_API_PORT
    keys: dict[str, str] | None = None  # role -> key; None: only `supabase status` knows them
    why_unknown: str = ""
    derived: list[str] = field(default_factory=list)  # keys filled, for the report
    unknown: list[str] = field(default_factory=list)  # keys left to `supabase status`
    not_local: list[str] = field(default_factory=list)  # keys left empty: the URL is not the stack's

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def claims(self, key: str) -> bool:
        return role_of(key) is not None

    def value(self, key: str, known: Mapping[str, str]) -> str | None:
        """The local stack's key for `key` when every Supabase URL the app is given (`known`:
        the values it will see) is this stack's API; None otherwise (said in `not_local` or
        `unknown`)."""
        role = role_of(key)
        urls = [value.strip() for name, value in known.items() if URL_NAME.search(name) and value.strip()]
        if role is None or not urls or not all(self.is_local_api(url) for url in urls):
            self.not_local.append(key)
            return None
        if self.keys is None:
            self.unknown.append(key)
            return None
        self.derived.append(key)
        return self.keys[role]

    def is_local_api(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        return (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and port == self.port
                and parts.path in ("", "/") and not parts.query and not parts.username)


def _literal(value: Any) -> str | None:
    """A config value the CLI uses as written; None for an unset one, "" for `env(…)` (the CLI
    substitutes it from its own env files: not known here)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return ""
    return "" if re.fullmatch(r"\s*env\(.*\)\s*", value) else value


def local_keys(config_file: Path | None) -> LocalKeys | None:
    """The local stack's keys from the app's supabase/config.toml (discovery's
    model.supabase_config: the app's, a workspace package's or the workspace root's); None
    without one (an app on a hosted project only) or with one that does not parse."""
    text = read_small(config_file) if config_file is not None else None
    if text is None:
        return None
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    api, auth = config.get("api"), config.get("auth")
    api, auth = (api if isinstance(api, dict) else {}), (auth if isinstance(auth, dict) else {})
    port = api.get("port", DEFAULT_API_PORT)
    found = LocalKeys(port=port if isinstance(port, int) else DEFAULT_API_PORT)
    if _literal(auth.get("signing_keys_path")) is not None:
        found.why_unknown = f"{CONFIG} sets [auth] signing_keys_path: its keys are signed with the app's own key"
        return found
    secret = _literal(auth.get("jwt_secret"))
    own = {"anon": _literal(auth.get("anon_key")), "service_role": _literal(auth.get("service_role_key"))}
    if secret == "" or "" in own.values() or (secret is not None and len(secret) < 16):
        found.why_unknown = f"{CONFIG} takes its [auth] keys or jwt_secret from env(…) or sets an invalid one"
        return found
    found.keys = {role: given or local_jwt(role, secret or DEFAULT_JWT_SECRET) for role, given in own.items()}
    return found
