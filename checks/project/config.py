"""`deploy-check.toml`: every key optional; an unknown key or a wrong type is a
configuration error naming the key (DESIGN.md "Configuration")."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.project.configtypes import CONFIG_FILE as CONFIG_FILE
from checks.project.configtypes import check_http_url, check_json, check_table, check_type
from checks.project.configtypes import compile_user_pattern as compile_user_pattern
from checks.project.configtypes import seconds as seconds
from checks.support.errors import DeployCheckError
from checks.support.files import CONFIG_LIMIT, read_text
from checks.support.jsonpaths import compile_path
from checks.support.secrets import request_secrets
from checks.support.sqltree import read_only_select

AUTH_PROVIDERS = ("auto", "neon-auth", "stack", "supabase", "clerk", "authjs", "better-auth",
                  "kinde", "oidc", "none")

# section -> key -> accepted type(s). Lists are checked item by item below.
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "project": {"env_file": str, "example_file": str, "schema": str, "state_file": str},
    "database": {"url_var": str, "timeout": (int, float), "expected_tables": list, "scratch_url": str},
    "dev_server": {
        "command": str,
        "url": str,
        "port": int,
        "ready_pattern": str,
        "ready_timeout": (int, float),
        "route_timeout": (int, float),
        "routes": list,
    },
    "auth": {"provider": str, "issuer": str, "login": dict},
    "sentry": {"required": bool, "url": str},
    "browser": {"executable": str, "page_timeout": (int, float)},
    "code": {"route_max_lines": int, "page_max_lines": int},
}
_ROUTE_KEYS: dict[str, type | tuple[type, ...]] = {
    "path": str,
    "status": int,
    "method": str,
    "json": (dict, list, str, int, float, bool),
    "signed_in": bool,
    "capture": dict,
    "expect": dict,
    "sql": dict,
    "owned": bool,
    "foreign": list,
}
_REQUEST_KEYS: dict[str, type | tuple[type, ...]] = {
    "path": str, "method": str, "json": (dict, list, str, int, float, bool)}
_LOGIN_KEYS: dict[str, type | tuple[type, ...]] = {
    "email": str, "send": dict, "verify": dict, "session": dict, "otp_from": str,
    "otp_pattern": str, "smtp_env": dict, "mailpit_url": str, "code_timeout": (int, float),
    "delete_user": bool}
_EXPECT_KEYS: dict[str, type | tuple[type, ...]] = {"json": dict, "contains": str}
_SQL_KEYS: dict[str, type | tuple[type, ...]] = {
    "query": str, "params": list, "equals": (str, int, float, bool)}
OTP_SOURCES = ("auto", "output", "smtp", "mailpit", "database", "clerk-test")
_WAIVER_KEYS: dict[str, type | tuple[type, ...]] = {"check": str, "reason": str, "expires": dt.date}


@dataclass(frozen=True)
class Route:
    path: str
    status: int | None = None  # None: anything below 500
    method: str = "GET"
    json: Any = None
    # The signed-in core flow (DEV004): sent with AUTH003's session, and once without it.
    signed_in: bool = False
    capture: dict[str, str] = field(default_factory=dict)  # name -> JSONPath into the answer
    expect: dict[str, Any] = field(default_factory=dict)  # json = {path = value}, contains = "…"
    sql: dict[str, Any] = field(default_factory=dict)  # query, params, equals
    # DEV005: replayed by a second user with the first one's values (None: a signed-in GET
    # whose path uses a captured value is; false: never), and body keys holding the first's ids.
    owned: bool | None = None
    foreign: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """One HTTP request of the sign-in; `{email}`, `{otp}` and `{run}` are filled in."""
    path: str
    method: str = "POST"
    json: Any = None


@dataclass
class Login:
    """`[auth.login]`: how AUTH003 signs a throwaway identity in (checks/runtime/signin/__init__.py). Unset
    requests take the provider's defaults; `explicit` turns AUTH003 on for any provider."""
    explicit: bool = False
    email: str = "deploy-check+{run}@example.test"
    send: Request | None = None
    verify: Request | None = None
    session: Request | None = None
    otp_from: str = "auto"
    otp_pattern: str = r"\b(\d{6})\b"
    smtp_env: tuple[str, str] = ("SMTP_HOST", "SMTP_PORT")
    mailpit_url: str | None = None
    code_timeout: float = 15.0
    delete_user: bool = True  # delete the test user this run created, where the provider lets it
    via: str = "app"  # "clerk", "supabase": through the provider's own API (checks/runtime/signin/clerk.py, supabase_login.py)


@dataclass(frozen=True)
class Waiver:
    check: str  # an id or a glob such as "SENTRY*"
    reason: str
    source: str
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass
class Config:
    path: Path | None = None
    env_file: str | None = None  # None: the files Next.js loads (checks/project/detectors.py)
    example_file: str | None = None  # None: the first example found
    schema: str | None = None  # None: schema.sql, else a known migrations directory
    state_file: str = "project-state.md"
    database_url_var: str | None = None  # None: discovered from the app (ctx.model)
    database_timeout: float | None = None
    # Where DB005 builds its throw-away database when not on our own embedded server (like
    # Prisma's shadowDatabaseUrl or Atlas's dev URL); never the app's own server by default.
    scratch_url: str | None = None
    expected_tables: list[str] = field(default_factory=list)
    dev_command: str | None = None
    dev_url: str | None = None
    dev_port: int | None = None
    ready_pattern: str | None = None
    ready_timeout: float = 60.0
    route_timeout: float = 30.0
    routes: list[Route] = field(default_factory=list)
    auth_provider: str = "auto"
    auth_issuer: str | None = None
    login: Login = field(default_factory=Login)
    sentry_required: bool | None = None  # None: required when the app uses Sentry
    sentry_url: str | None = None
    route_max_lines: int = 200  # CODE001: physical lines of a route handler, of a page
    page_max_lines: int = 250
    waivers: list[Waiver] = field(default_factory=list)
    browser_executable: str | None = None  # DEV006: None: Playwright's own, else a system Chromium
    page_timeout: float = 15.0

    def sent_secrets(self) -> set[str]:
        """The values the requests described here send under secret names (a route's or the
        sign-in's `json = { password = "…" }`, a path's `?invite_secret=…`): an app that
        echoes them must find them masked, so the masker takes them when the config is read."""
        requests: list[Route | Request | None] = [*self.routes, self.login.send, self.login.verify,
                                                  self.login.session]
        return {secret for request in requests if request is not None
                for secret in request_secrets(request.json, request.path)}


def parse_config(data: dict[str, Any], path: Path | None) -> Config:
    config = Config(path=path)
    for section, body in data.items():
        if section == "waivers":
            check_type("waivers", body, list)
            for index, item in enumerate(body):
                where = f"waivers[{index}]"
                check_table(where, item, _WAIVER_KEYS)
                for required in ("check", "reason"):
                    if not str(item.get(required, "")).strip():
                        # A waiver without a reason is a silenced gate nobody can account for.
                        raise DeployCheckError(f"{CONFIG_FILE}: {where}.{required} is required "
                                               "and must not be empty")
                if not any(ch.isalpha() for ch in item["reason"]):
                    # A zero-width space or a lone "." is no reason anybody can read.
                    raise DeployCheckError(f"{CONFIG_FILE}: {where}.reason must say why in words "
                                           f"(it holds no letter: {item['reason']!r})")
                expires = item.get("expires")
                if isinstance(expires, dt.datetime):
                    expires = expires.date()
                config.waivers.append(
                    Waiver(item["check"].upper(), item["reason"], CONFIG_FILE, expires)
                )
            continue
        if section not in _SCHEMA:
            raise DeployCheckError(
                f"{CONFIG_FILE}: unknown section [{section}] (known: {', '.join([*_SCHEMA, 'waivers'])})"
            )
        check_table(section, body, _SCHEMA[section])
    project = data.get("project", {})
    config.env_file = project.get("env_file", config.env_file)
    config.example_file = project.get("example_file", config.example_file)
    config.schema = project.get("schema")
    config.state_file = project.get("state_file", config.state_file)

    database = data.get("database", {})
    config.database_url_var = database.get("url_var", config.database_url_var)
    if "timeout" in database:
        config.database_timeout = seconds("database.timeout", database["timeout"])
    config.scratch_url = database.get("scratch_url")
    for index, table in enumerate(database.get("expected_tables", [])):
        check_type(f"database.expected_tables[{index}]", table, str)
        config.expected_tables.append(table)

    dev = data.get("dev_server", {})
    config.dev_command = dev.get("command")
    config.dev_url = dev.get("url")
    if config.dev_url is not None:
        check_http_url("dev_server.url", config.dev_url)
    config.dev_port = dev.get("port")
    if config.dev_port is not None and not 1 <= config.dev_port <= 65535:
        raise DeployCheckError(f"{CONFIG_FILE}: dev_server.port must be 1–65535, got {config.dev_port}")
    config.ready_pattern = dev.get("ready_pattern")
    if config.ready_pattern is not None:
        compile_user_pattern("dev_server.ready_pattern", config.ready_pattern)
    config.ready_timeout = seconds("dev_server.ready_timeout", dev.get("ready_timeout", config.ready_timeout))
    config.route_timeout = seconds("dev_server.route_timeout", dev.get("route_timeout", config.route_timeout))
    for index, route in enumerate(dev.get("routes", [])):
        where = f"dev_server.routes[{index}]"
        check_table(where, route, _ROUTE_KEYS)
        if "path" not in route or not route["path"].startswith("/"):
            raise DeployCheckError(f"{CONFIG_FILE}: {where}.path is required and must start with /")
        if any(ch in route["path"] for ch in "\r\n\x00 ") or any(ord(ch) < 32 for ch in route["path"]):
            raise DeployCheckError(f"{CONFIG_FILE}: {where}.path holds a space or control character "
                                   "(CR, LF, NUL…): percent-encode it")
        if "json" in route:
            check_json(f"{where}.json", route["json"])
        _check_flow_keys(where, route)
        config.routes.append(
            Route(route["path"], route.get("status"), route.get("method", "GET").upper(), route.get("json"),
                  route.get("signed_in", False), dict(route.get("capture", {})), dict(route.get("expect", {})),
                  dict(route.get("sql", {})), route.get("owned"), tuple(route.get("foreign", ())))
        )

    auth = data.get("auth", {})
    config.auth_provider = auth.get("provider", config.auth_provider)
    if config.auth_provider not in AUTH_PROVIDERS:
        raise DeployCheckError(
            f"{CONFIG_FILE}: auth.provider must be one of {', '.join(AUTH_PROVIDERS)}, "
            f"got {config.auth_provider!r}"
        )
    config.auth_issuer = auth.get("issuer")
    if "login" in auth:
        config.login = _login(auth["login"])

    browser = data.get("browser", {})
    config.browser_executable = browser.get("executable")
    config.page_timeout = seconds("browser.page_timeout", browser.get("page_timeout", config.page_timeout))

    sentry = data.get("sentry", {})
    config.sentry_required = sentry.get("required", config.sentry_required)
    config.sentry_url = sentry.get("url")
    for key, value in data.get("code", {}).items():
        if value < 1:
            raise DeployCheckError(f"{CONFIG_FILE}: code.{key} must be a positive number of lines, got {value}")
        setattr(config, key, value)
    return config


def _json_path(where: str, path: str) -> None:
    try:
        compile_path(path)
    except ValueError as exc:
        raise DeployCheckError(f"{CONFIG_FILE}: {where}: {exc}") from None


def _check_flow_keys(where: str, route: dict[str, Any]) -> None:
    for name, path in route.get("capture", {}).items():
        check_type(f"{where}.capture.{name}", path, str)
        if not name.isidentifier() or not path.startswith("$"):
            raise DeployCheckError(f"{CONFIG_FILE}: {where}.capture: `{name} = {path!r}` needs a "
                                   "name of letters, digits and _ and a JSONPath starting with $")
        _json_path(f"{where}.capture.{name}", path)
    if "expect" in route:
        check_table(f"{where}.expect", route["expect"], _EXPECT_KEYS)
        for path, value in route["expect"].get("json", {}).items():
            if not path.startswith("$"):
                raise DeployCheckError(f"{CONFIG_FILE}: {where}.expect.json: {path!r} is no JSONPath ($.…)")
            _json_path(f"{where}.expect.json", path)
            check_json(f"{where}.expect.json.{path}", value)
    for index, key in enumerate(route.get("foreign", [])):
        check_type(f"{where}.foreign[{index}]", key, str)
        if not isinstance(route.get("json"), dict) or key not in route["json"]:
            raise DeployCheckError(f"{CONFIG_FILE}: {where}.foreign names {key!r}, which the route's json "
                                   "body does not hold (foreign lists the body keys that carry the user's ids)")
    if ("owned" in route or "foreign" in route) and not route.get("signed_in"):
        raise DeployCheckError(f"{CONFIG_FILE}: {where}: owned and foreign mark steps of the signed-in "
                               "flow: set signed_in = true")
    if "sql" in route:
        check_table(f"{where}.sql", route["sql"], _SQL_KEYS)
        if "query" not in route["sql"] or "equals" not in route["sql"]:
            raise DeployCheckError(f"{CONFIG_FILE}: {where}.sql needs `query` and `equals`")
        for index, param in enumerate(route["sql"].get("params", [])):
            check_type(f"{where}.sql.params[{index}]", param, (str, int, float, bool))

        why = read_only_select(route["sql"]["query"])
        if why:
            raise DeployCheckError(f"{CONFIG_FILE}: {where}.sql.query must be one read-only SELECT: {why}")


def _request(where: str, table: Any, method: str = "POST") -> Request:
    check_table(where, table, _REQUEST_KEYS)
    path = table.get("path", "")
    if not path.startswith("/") or any(ch in path for ch in " \r\n\x00"):
        raise DeployCheckError(f"{CONFIG_FILE}: {where}.path is required, starts with / and holds no space")
    if "json" in table:
        check_json(f"{where}.json", table["json"])
    return Request(path, table.get("method", method).upper(), table.get("json"))


def _login(table: Any) -> Login:
    where = "auth.login"
    check_table(where, table, _LOGIN_KEYS)
    login = Login(explicit=True)
    login.email = table.get("email", login.email)
    if not re.fullmatch(r"[^\s@,;<>\"'()]+@[^\s@,;<>\"'()]+", login.email):
        # One bare address: a list ("a@gmail.com, b@x.test") would mail a real person.
        raise DeployCheckError(f"{CONFIG_FILE}: {where}.email must be one bare address, got {login.email!r}")
    domain = login.email.rsplit("@", 1)[1].lower()
    if not (domain == "test" or domain.endswith(".test")):
        # RFC 2606/6761: .test never delivers; a real domain could mail a real person.
        raise DeployCheckError(f"{CONFIG_FILE}: {where}.email must use a reserved .test domain "
                               f"(e.g. deploy-check+{{run}}@example.test), got …@{domain}")
    login.send = _request(f"{where}.send", table["send"]) if "send" in table else None
    login.verify = _request(f"{where}.verify", table["verify"]) if "verify" in table else None
    login.session = _request(f"{where}.session", table["session"], "GET") if "session" in table else None
    login.otp_from = table.get("otp_from", login.otp_from)
    if login.otp_from not in OTP_SOURCES:
        raise DeployCheckError(f"{CONFIG_FILE}: {where}.otp_from must be one of {', '.join(OTP_SOURCES)}, "
                               f"got {login.otp_from!r}")
    login.otp_pattern = table.get("otp_pattern", login.otp_pattern)
    if compile_user_pattern(f"{where}.otp_pattern", login.otp_pattern).groups < 1:
        raise DeployCheckError(f"{CONFIG_FILE}: {where}.otp_pattern needs a group around the code")
    names = table.get("smtp_env", {})
    check_table(f"{where}.smtp_env", names, {"host": str, "port": str})
    login.smtp_env = (names.get("host", login.smtp_env[0]), names.get("port", login.smtp_env[1]))
    if "mailpit_url" in table:
        check_http_url(f"{where}.mailpit_url", table["mailpit_url"])
        login.mailpit_url = table["mailpit_url"].rstrip("/")
    if "code_timeout" in table:
        login.code_timeout = seconds(f"{where}.code_timeout", table["code_timeout"])
    login.delete_user = table.get("delete_user", login.delete_user)
    return login


def load_config(project: Path) -> Config:
    path = project / CONFIG_FILE
    if not path.exists() and not path.is_symlink():
        return Config()
    import tomllib  # start-up: only a project with a deploy-check.toml parses TOML

    try:
        # utf-8-sig: a BOM (Windows editors write one) is not a TOML error.
        data = tomllib.loads(read_text(path, CONFIG_LIMIT, encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployCheckError(f"{CONFIG_FILE}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DeployCheckError(f"{CONFIG_FILE}: invalid TOML: {exc}") from None
    except RecursionError:
        raise DeployCheckError(f"{CONFIG_FILE}: nested too deeply to be a configuration") from None
    return parse_config(data, path)
