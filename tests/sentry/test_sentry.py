"""SENTRY001–003 against a real HTTP server on loopback standing in for the Sentry Web
API, with the response shapes of https://docs.sentry.io/api/projects/."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from helpers import clean_environ, run_cli, write_project

TOKEN = "sntryu_Tok3nCanary-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c"
PUBLIC_KEY = "a785682ddda742d7a8a4088810e67791"
PROJECT_ID = "4505281256090153"
DSN = f"https://{PUBLIC_KEY}@o4504765715316736.ingest.sentry.io/{PROJECT_ID}"
PROJECT_PATH = "/api/0/projects/acme/web/"
KEYS_PATH = "/api/0/projects/acme/web/keys/"
PROJECT = {"id": PROJECT_ID, "slug": "web", "name": "web", "platform": "javascript-nextjs",
           "organization": {"id": "4504765715316736", "slug": "acme", "name": "Acme"}}


def client_key(public: str, project_id: str = PROJECT_ID) -> dict[str, Any]:
    return {"id": public, "name": "Default", "label": "Default", "public": public,
            "secret": "189485c3b8ccf582bf5e12c530ef8858", "projectId": int(project_id), "isActive": True,
            "dsn": {"public": f"https://{public}@o4504765715316736.ingest.sentry.io/{project_id}"}}


def sentry_project(root: Path, server_url: str, *, dsn: str = DSN, token: str = TOKEN,
                   extra: str = "", **files: str) -> Path:
    env = (f"NEXT_PUBLIC_SENTRY_DSN={dsn}\nSENTRY_AUTH_TOKEN={token}\nSENTRY_ORG=acme\n"
           f"SENTRY_PROJECT=web\nSENTRY_URL={server_url}\n{extra}")
    return write_project(root, {".env.local": env, **files})


def run_sentry(project: Path, *args: str) -> dict[str, dict[str, Any]]:
    done = run_cli("check", "--project", str(project), "--only", "sentry", "-f", "json", *args)
    assert done.stdout, done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["checks"]}


def base(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


def serve_project(server: HTTPServer, keys: list[dict[str, Any]] | None = None) -> None:
    server.expect_request(PROJECT_PATH).respond_with_json(PROJECT)
    server.expect_request(KEYS_PATH).respond_with_json(keys if keys is not None else [client_key(PUBLIC_KEY)])


def test_all_pass_and_the_token_goes_as_a_bearer(tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver, [client_key("0" * 32), client_key(PUBLIC_KEY)])
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert [found[i]["status"] for i in ("SENTRY001", "SENTRY002", "SENTRY003")] == ["pass"] * 3, found
    assert f"project id {PROJECT_ID}" in found["SENTRY002"]["message"]
    assert {r.headers.get("Authorization") for r, _ in httpserver.log} == {f"Bearer {TOKEN}"}
    assert {r.method for r, _ in httpserver.log} == {"GET"}  # nothing is ever written to Sentry


def test_a_dsn_key_on_the_second_page_of_client_keys_is_found(tmp_path: Path, httpserver: HTTPServer) -> None:
    # Sentry pages lists with a Link header (https://docs.sentry.io/api/pagination/).
    def link(cursor: str, more: bool, elsewhere: str = "") -> str:
        url = (elsewhere or base(httpserver)) + KEYS_PATH + f"?&cursor={cursor}"
        return (f'<{base(httpserver)}{KEYS_PATH}?&cursor=0:0:1>; rel="previous"; results="false"; '
                f'cursor="0:0:1", <{url}>; rel="next"; results="{str(more).lower()}"; cursor="{cursor}"')

    httpserver.expect_request(PROJECT_PATH).respond_with_json(PROJECT)
    httpserver.expect_request(KEYS_PATH, query_string="&cursor=0:100:0").respond_with_json(
        [client_key(PUBLIC_KEY)], headers={"Link": link("0:200:0", False)})
    httpserver.expect_request(KEYS_PATH).respond_with_json(
        [client_key(f"{n:032x}") for n in range(100)], headers={"Link": link("0:100:0", True)})
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert found["SENTRY003"]["status"] == "pass", found["SENTRY003"]
    assert len([r for r, _ in httpserver.log if r.path == KEYS_PATH]) == 2


def test_a_next_page_on_another_host_is_not_fetched_with_the_token(
        tmp_path: Path, httpserver: HTTPServer) -> None:
    elsewhere = base(httpserver).replace("localhost", "127.0.0.1")
    assert elsewhere != base(httpserver)
    httpserver.expect_request(PROJECT_PATH).respond_with_json(PROJECT)
    httpserver.expect_request(KEYS_PATH).respond_with_json(
        [client_key("0" * 32)],
        headers={"Link": f'<{elsewhere}{KEYS_PATH}?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"'})
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert found["SENTRY003"]["status"] == "fail"
    assert "pasted from another project" in found["SENTRY003"]["message"]
    assert len([r for r, _ in httpserver.log if r.path == KEYS_PATH]) == 1


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected_status", "expected_text"),
    [
        (401, {"detail": "Invalid token"}, {}, "fail", "invalid or revoked"),
        (403, {"detail": "You do not have permission to perform this action."}, {}, "fail",
         "lacks the project:read scope"),
        (404, {"detail": "The requested resource does not exist"}, {}, "fail",
         "does not know the organization 'acme' or its project 'web'"),
        (429, {"detail": "Too many requests"}, {"Retry-After": "37"}, "warn", "retry after 37 s"),
        (500, {"detail": "Internal Error"}, {}, "fail", "Sentry unreachable"),
        (503, {}, {}, "fail", "Sentry unreachable"),
    ],
    ids=["401", "403", "404", "429", "500", "503"],
)
def test_api_answers_are_told_apart(tmp_path: Path, httpserver: HTTPServer, status: int, body: Any,
                                    headers: dict[str, str], expected_status: str, expected_text: str) -> None:
    httpserver.expect_request(PROJECT_PATH).respond_with_json(body, status=status, headers=headers)
    httpserver.expect_request(KEYS_PATH).respond_with_json(body, status=status, headers=headers)
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    sentry002 = found["SENTRY002"]
    assert sentry002["status"] == expected_status
    assert expected_text in sentry002["message"]
    if status == 403:
        assert "invalid" not in sentry002["message"]
        assert "org:ci" in sentry002["hint"]
    if expected_status == "fail":
        assert found["SENTRY003"]["status"] == "skip"


def test_a_dsn_from_another_project_fails_sentry003(tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver, [client_key("1" * 32)])
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert found["SENTRY002"]["status"] == "pass"
    assert found["SENTRY003"]["status"] == "fail"
    assert "pasted from another project" in found["SENTRY003"]["message"]


def test_a_dsn_naming_another_project_id_fails(tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver)
    other = DSN.rsplit("/", 1)[0] + "/999"
    found = run_sentry(sentry_project(tmp_path, base(httpserver), dsn=other))
    assert found["SENTRY003"]["status"] == "fail"
    assert "names project id 999" in found["SENTRY003"]["message"]


def test_a_server_that_never_answers_is_bounded(tmp_path: Path, silent_server: str) -> None:
    started = time.monotonic()
    found = run_sentry(sentry_project(tmp_path, silent_server), "--timeout", "1")
    assert time.monotonic() - started < 15
    assert found["SENTRY002"]["status"] == "fail"
    assert "Sentry unreachable" in found["SENTRY002"]["message"]
    assert "within 1 s" in found["SENTRY002"]["message"]


def test_invalid_json_is_a_clean_failure(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROJECT_PATH).respond_with_data("<html>login</html>", content_type="text/html")
    httpserver.expect_request(KEYS_PATH).respond_with_data("<html>login</html>", content_type="text/html")
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert found["SENTRY002"]["status"] == "fail"
    assert "not with a Sentry project" in found["SENTRY002"]["message"]


def test_an_oversized_body_is_not_read(tmp_path: Path, httpserver: HTTPServer) -> None:
    huge = json.dumps({"id": PROJECT_ID, "slug": "web", "padding": "x" * (3 << 20)})
    httpserver.expect_request(PROJECT_PATH).respond_with_data(huge, content_type="application/json")
    httpserver.expect_request(KEYS_PATH).respond_with_json([client_key(PUBLIC_KEY)])
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert found["SENTRY002"]["status"] == "fail"
    assert "larger than 1024 KiB" in found["SENTRY002"]["message"]


def test_a_cross_host_redirect_is_not_followed_with_the_token(tmp_path: Path, httpserver: HTTPServer) -> None:
    other = HTTPServer(host="127.0.0.1", port=0)
    other.start()
    try:
        other.expect_request(PROJECT_PATH).respond_with_json(PROJECT)
        target = other.url_for(PROJECT_PATH).replace("127.0.0.1", "localhost")
        httpserver.expect_request(PROJECT_PATH).respond_with_data("", status=302, headers={"Location": target})
        httpserver.expect_request(KEYS_PATH).respond_with_data("", status=302, headers={"Location": target})
        found = run_sentry(sentry_project(tmp_path, base(httpserver)))
        assert found["SENTRY002"]["status"] == "fail"
        assert "redirected (302) to another host" in found["SENTRY002"]["message"]
        assert other.log == []  # the other host never saw a request, let alone the token
    finally:
        other.stop()


def test_a_same_host_redirect_is_followed(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/0/projects/acme/web/").respond_with_data(
        "", status=301, headers={"Location": "/api/0/projects/acme/web-renamed/"})
    httpserver.expect_request("/api/0/projects/acme/web-renamed/").respond_with_json(PROJECT)
    httpserver.expect_request(KEYS_PATH).respond_with_json([client_key(PUBLIC_KEY)])
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert found["SENTRY002"]["status"] == "pass"


@pytest.mark.parametrize(
    ("dsn", "problem"),
    [
        ("not a url", "must start with https://"),
        ("https://o1.ingest.sentry.io/123", "no public key"),
        (f"https://{PUBLIC_KEY}@o1.ingest.sentry.io/project", "numeric project id"),
    ],
)
def test_malformed_dsn_fails_sentry001_without_any_request(tmp_path: Path, httpserver: HTTPServer,
                                                            dsn: str, problem: str) -> None:
    found = run_sentry(sentry_project(tmp_path, base(httpserver), dsn=dsn))
    assert found["SENTRY001"]["status"] == "fail"
    assert problem in found["SENTRY001"]["message"]
    assert httpserver.log == []


def test_unknown_token_shape_is_a_warning(tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver)
    found = run_sentry(sentry_project(tmp_path, base(httpserver), token="f" * 64))
    assert found["SENTRY001"]["status"] == "warn"
    assert found["SENTRY002"]["status"] == "pass"


def test_missing_keys_fail_naming_each(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.local": "SENTRY_ORG=acme\n"})
    sentry001 = run_sentry(project)["SENTRY001"]
    assert sentry001["status"] == "fail"
    assert sentry001["details"]["missing"] == ["NEXT_PUBLIC_SENTRY_DSN", "SENTRY_AUTH_TOKEN", "SENTRY_PROJECT"]


def test_keys_are_read_where_the_wizard_writes_them(tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver)
    project = write_project(tmp_path, {
        ".env.local": f"SENTRY_URL={base(httpserver)}\n",
        ".env.sentry-build-plugin": f"# DO NOT commit this file\nSENTRY_AUTH_TOKEN={TOKEN}\n",
        "sentry.server.config.ts": f'import * as Sentry from "@sentry/nextjs";\nSentry.init({{\n  dsn: "{DSN}",\n}});\n',
        "next.config.mjs": 'export default withSentryConfig(nextConfig, { org: "acme", project: "web" });\n',
    })
    done = run_cli("check", "--project", str(project), "--only", "sentry", "-f", "json")
    found = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert [found[i]["status"] for i in ("SENTRY001", "SENTRY002", "SENTRY003")] == ["pass"] * 3, found
    assert found["SENTRY001"]["details"]["found_in"] == {
        "dsn": "sentry.server.config.ts", "token": "SENTRY_AUTH_TOKEN in .env.sentry-build-plugin",
        "org": "next.config.mjs", "project": "next.config.mjs"}
    assert TOKEN not in done.stdout + done.stderr


def test_a_self_hosted_dsn_without_sentry_url_sends_the_token_nowhere(tmp_path: Path) -> None:
    self_hosted = f"https://{PUBLIC_KEY}@sentry.mycorp.internal/{PROJECT_ID}"
    project = sentry_project(tmp_path, "", dsn=self_hosted)
    (project / ".env.local").write_text((project / ".env.local").read_text().replace("SENTRY_URL=\n", ""))
    found = run_sentry(project)
    assert found["SENTRY001"]["status"] == "fail"
    assert "points at sentry.mycorp.internal, not sentry.io: set SENTRY_URL" in found["SENTRY001"]["message"]
    # SENTRY002/003 depend on SENTRY001: no request was made to sentry.io with the token.
    assert found["SENTRY002"]["status"] == "skip" and found["SENTRY003"]["status"] == "skip"


def test_sentry_url_from_the_wizard_config_is_where_the_token_goes(tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver)
    self_hosted = f"https://{PUBLIC_KEY}@sentry.mycorp.internal/{PROJECT_ID}"
    project = write_project(tmp_path, {
        ".env.sentry-build-plugin": f"SENTRY_AUTH_TOKEN={TOKEN}\n",
        "sentry.server.config.ts": f'Sentry.init({{ dsn: "{self_hosted}" }});\n',
        "next.config.mjs": 'export default withSentryConfig(nextConfig, { org: "acme", project: "web", '
                           f'sentryUrl: "{base(httpserver)}/" }});\n',
    })
    found = run_sentry(project)
    assert [found[i]["status"] for i in ("SENTRY001", "SENTRY002", "SENTRY003")] == ["pass"] * 3, found
    assert found["SENTRY001"]["details"]["api_url"] == base(httpserver)


DECISIONS = """# State

## Decisions Log

| Date | Decision |
|------|----------|
| 2026-11-03 | Sentry is optional for the MVP gate; we add it post-launch |
"""


def test_decisions_log_waives_empty_sentry_keys_quoting_the_entry(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"project-state.md": DECISIONS, ".env.local": "SENTRY_ORG=\n"})
    found = run_sentry(project)
    sentry001 = found["SENTRY001"]
    assert sentry001["status"] == "waived"
    assert 'Decisions Log: "2026-11-03 | Sentry is optional for the MVP gate; we add it post-launch"' in sentry001["message"]
    assert found["SENTRY002"]["status"] == "skip"


def test_under_a_waiver_filled_keys_are_verified_and_failures_warn(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROJECT_PATH).respond_with_json({"detail": "Invalid token"}, status=401)
    httpserver.expect_request(KEYS_PATH).respond_with_json({"detail": "Invalid token"}, status=401)
    found = run_sentry(sentry_project(tmp_path, base(httpserver), **{"project-state.md": DECISIONS}))
    assert found["SENTRY001"]["status"] == "pass"
    assert found["SENTRY002"]["status"] == "warn"
    assert "monitoring deferred" in found["SENTRY002"]["message"]


def test_sentry_required_false_in_config_waives_too(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"deploy-check.toml": "[sentry]\nrequired = false\n"})
    assert run_sentry(project)["SENTRY001"]["status"] == "waived"


@pytest.mark.parametrize("fmt", ["console", "json", "junit", "github", "markdown", "sarif"])
def test_token_canary_in_every_format(tmp_path: Path, httpserver: HTTPServer, fmt: str) -> None:
    # A hostile or buggy server that echoes the token back in its error text.
    def echo(request: Request) -> Response:
        return Response(json.dumps({"detail": f"bad token {request.headers.get('Authorization')}"}),
                        status=400, content_type="application/json")

    httpserver.expect_request(PROJECT_PATH).respond_with_handler(echo)
    httpserver.expect_request(KEYS_PATH).respond_with_handler(echo)
    project = sentry_project(tmp_path / "app", base(httpserver))
    summary = tmp_path / "summary.md"
    done = run_cli("check", "--project", str(project), "--only", "sentry", "-f", fmt,
                   env=clean_environ(GITHUB_STEP_SUMMARY=str(summary)))
    assert done.returncode == 1
    assert "bad token" in done.stdout or fmt == "junit"
    for text in (done.stdout, done.stderr, summary.read_text() if summary.exists() else ""):
        assert TOKEN not in text


def org_token(org: str, url: str = "https://sentry.io", region_url: str = "https://us.sentry.io") -> str:
    # sntrys_<base64 JSON>_<secret> (getsentry/sentry-cli src/utils/auth_token/org_auth_token.rs)
    import base64

    payload = json.dumps({"iat": 1732456000.0, "url": url, "region_url": region_url, "org": org})
    return "sntrys_" + base64.b64encode(payload.encode()).decode().rstrip("=") + "_Zm9vYmFyc2VjcmV0Q2FuYXJ5MTIzNDU2"


def test_an_org_token_of_another_org_fails_offline(tmp_path: Path, httpserver: HTTPServer) -> None:
    found = run_sentry(sentry_project(tmp_path, base(httpserver), token=org_token("other-org", url=base(httpserver))))
    assert found["SENTRY001"]["status"] == "fail"
    assert "is an org token of 'other-org', but SENTRY_ORG (SENTRY_ORG in .env.local) is 'acme'" in found["SENTRY001"]["message"]
    assert httpserver.log == []  # nothing was sent


def test_an_org_token_made_on_another_sentry_fails_offline(tmp_path: Path, httpserver: HTTPServer) -> None:
    found = run_sentry(sentry_project(tmp_path, base(httpserver), token=org_token("acme", url="https://sentry.example.com")))
    assert "was made on https://sentry.example.com, but SENTRY_URL" in found["SENTRY001"]["message"]
    assert httpserver.log == []


@pytest.mark.parametrize(("key_change", "said"), [
    ({"isActive": False}, "client key is disabled"),
    ({"rateLimit": {"window": 3600, "count": 0}}, "rate-limited to 0 events"),
])
def test_a_disabled_or_zero_rate_dsn_key_fails_sentry003(tmp_path: Path, httpserver: HTTPServer,
                                                          key_change: dict[str, Any], said: str) -> None:
    serve_project(httpserver, [{**client_key(PUBLIC_KEY), **key_change}])
    found = run_sentry(sentry_project(tmp_path, base(httpserver)))
    assert found["SENTRY003"]["status"] == "fail" and said in found["SENTRY003"]["message"]


def test_an_org_tokens_region_is_where_the_api_is_asked() -> None:
    from checks.sentry.formats import org_token_payload

    token = org_token("acme", region_url="https://de.sentry.io")
    assert org_token_payload(token) == {"iat": 1732456000.0, "url": "https://sentry.io",
                                        "region_url": "https://de.sentry.io", "org": "acme"}
    from checks.core.context import Context
    from checks.sentry.settings import read_settings

    ctx = Context(project=Path("."), environ={"SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme",
                                              "SENTRY_PROJECT": "web", "NEXT_PUBLIC_SENTRY_DSN": DSN})
    assert read_settings(ctx).api_url == "https://de.sentry.io"


# The app's own names: the variables its Sentry config reads (`org: process.env.X`,
# `dsn: process.env.X`), not deploy-check's defaults.

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


def fixture_app(tmp_path: Path, name: str, **files: str) -> Path:
    import shutil

    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return write_project(target, files)


def test_the_org_variable_the_config_names_is_the_one_read(tmp_path: Path, httpserver: HTTPServer) -> None:
    # ixartz/Next-js-Boilerplate: withSentryConfig(…, { org: process.env.SENTRY_ORGANIZATION, … })
    serve_project(httpserver)
    env = (f"NEXT_PUBLIC_SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\nSENTRY_ORGANIZATION=acme\n"
           f"SENTRY_PROJECT=web\nSENTRY_URL={base(httpserver)}\n")
    found = run_sentry(fixture_app(tmp_path, "sentry-env-names", **{".env.local": env}))
    assert [found[i]["status"] for i in ("SENTRY001", "SENTRY002", "SENTRY003")] == ["pass"] * 3, found
    assert found["SENTRY001"]["details"]["found_in"] == {
        "dsn": "NEXT_PUBLIC_SENTRY_DSN in .env.local, read by src/instrumentation-client.ts",
        "token": "SENTRY_AUTH_TOKEN in .env.local",
        "org": "SENTRY_ORGANIZATION in .env.local, read by next.config.ts",
        "project": "SENTRY_PROJECT in .env.local, read by next.config.ts"}


def test_a_missing_org_names_the_variable_the_app_reads_and_its_file(tmp_path: Path) -> None:
    env = f"NEXT_PUBLIC_SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\nSENTRY_PROJECT=web\n"
    sentry001 = run_sentry(fixture_app(tmp_path, "sentry-env-names", **{".env.local": env}))["SENTRY001"]
    assert sentry001["status"] == "fail"
    assert sentry001["details"]["missing"] == ["SENTRY_ORGANIZATION"]
    assert "missing: SENTRY_ORGANIZATION (read by next.config.ts)" in sentry001["message"]
    assert "SENTRY_ORGANIZATION" in sentry001["hint"]
    assert "SENTRY_ORG " not in sentry001["hint"] + " " and "SENTRY_ORG/" not in sentry001["hint"]


def test_the_build_plugins_own_default_still_counts_when_the_named_variable_is_unset(
        tmp_path: Path, httpserver: HTTPServer) -> None:
    # @sentry/bundler-plugin-core: `org: userOptions.org ?? process.env["SENTRY_ORG"]`.
    serve_project(httpserver)
    env = (f"NEXT_PUBLIC_SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\nSENTRY_ORG=acme\n"
           f"SENTRY_PROJECT=web\nSENTRY_URL={base(httpserver)}\n")
    found = run_sentry(fixture_app(tmp_path, "sentry-env-names", **{".env.local": env}))
    assert found["SENTRY001"]["status"] == "pass", found["SENTRY001"]
    assert found["SENTRY001"]["details"]["found_in"]["org"].startswith("SENTRY_ORG in .env.local")


def test_a_dsn_the_init_reads_from_sentry_dsn_is_not_asked_for_as_next_public(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "package.json": '{"dependencies": {"next": "15.0.0", "@sentry/nextjs": "9.0.0"}}',
        "sentry.server.config.ts": 'import * as Sentry from "@sentry/nextjs";\n'
                                   "Sentry.init({\n  dsn: process.env.SENTRY_DSN,\n  tracesSampleRate: 1,\n});\n",
        ".env.local": f"NEXT_PUBLIC_SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\nSENTRY_ORG=acme\nSENTRY_PROJECT=web\n",
    })
    sentry001 = run_sentry(project)["SENTRY001"]
    assert sentry001["status"] == "fail"
    assert sentry001["details"]["missing"] == ["SENTRY_DSN"]
    assert "missing: SENTRY_DSN (read by sentry.server.config.ts)" in sentry001["message"]
    assert "NEXT_PUBLIC_SENTRY_DSN" not in sentry001["message"] + sentry001["hint"]


def test_opt_in_sentry_names_its_guard_its_variable_and_the_env_file_really_read(tmp_path: Path) -> None:
    # formbricks apps/web: `if (SENTRY_DSN) { Sentry.init({ dsn: SENTRY_DSN }) }`, values in `.env`.
    project = fixture_app(tmp_path, "sentry-opt-in", **{".env": "WEBAPP_URL=http://localhost:3000\n"})
    sentry001 = run_sentry(project)["SENTRY001"]
    # Required all the same: DESIGN.md, a Sentry SDK or config makes Sentry required.
    assert sentry001["status"] == "fail"
    assert sentry001["details"]["missing"] == ["SENTRY_DSN", "SENTRY_AUTH_TOKEN"]
    message = sentry001["message"]
    assert "SENTRY_DSN (read by sentry.server.config.ts)" in message
    assert "sentry.server.config.ts initialises Sentry only when SENTRY_DSN is set" in message
    assert "next.config.mjs applies withSentryConfig only when SENTRY_AUTH_TOKEN is set" in message
    assert "checked the environment, .env, " in message
    assert ".env.local" not in message and "NEXT_PUBLIC_SENTRY_DSN" not in message


def test_opt_in_sentry_with_its_values_in_dot_env_passes(tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver)
    env = f"SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\nSENTRY_URL={base(httpserver)}\n"
    found = run_sentry(fixture_app(tmp_path, "sentry-opt-in", **{".env": env}))
    assert [found[i]["status"] for i in ("SENTRY001", "SENTRY002", "SENTRY003")] == ["pass"] * 3, found
    assert found["SENTRY001"]["details"]["found_in"]["dsn"] == "SENTRY_DSN in .env, read by sentry.server.config.ts"
    assert found["SENTRY001"]["details"]["found_in"]["org"] == "next.config.mjs"


@pytest.mark.parametrize(("init", "name", "condition"), [
    ('Sentry.init({ dsn: process.env["SENTRY_DSN"] });', "SENTRY_DSN", None),
    ("Sentry.init({ dsn: env.NEXT_PUBLIC_SENTRY_DSN });", "NEXT_PUBLIC_SENTRY_DSN", None),
    ("Sentry.init({ dsn: process.env.SENTRY_DSN, enabled: !!process.env.SENTRY_DSN });", "SENTRY_DSN",
     "sentry.client.config.ts initialises Sentry only when SENTRY_DSN is set"),
    ("if (process.env.APP_SENTRY_DSN) {\n  Sentry.init({ dsn: process.env.APP_SENTRY_DSN });\n}", "APP_SENTRY_DSN",
     "sentry.client.config.ts initialises Sentry only when APP_SENTRY_DSN is set"),
], ids=["indexed", "t3-env", "enabled", "if-guard"])
def test_the_dsn_variable_and_its_guard_are_read_from_the_init(
        tmp_path: Path, init: str, name: str, condition: str | None) -> None:
    from checks.core.context import Context
    from checks.sentry.settings import read_settings

    project = write_project(tmp_path, {"sentry.client.config.ts": f'import * as Sentry from "@sentry/nextjs";\n{init}\n'})
    settings = read_settings(Context(project=project, environ={}))
    assert settings.dsn is None and settings.missing[0] == name
    assert settings.said("dsn") == f"{name} (read by sentry.client.config.ts)"
    assert settings.conditions == ([condition] if condition else [])
    found = read_settings(Context(project=project, environ={name: DSN})).dsn
    assert found is not None and found.source == f"{name} in process environment, read by sentry.client.config.ts"


def test_options_spread_into_withsentryconfig_name_the_org_variable_the_app_reads(tmp_path: Path) -> None:
    """inbox-zero: `withSentryConfig(config, { ...sentryOptions, ...sentryConfig })` with `org:
    process.env.SENTRY_ORGANIZATION` in the const; the hint said SENTRY_ORG, which it never reads."""
    env = f"NEXT_PUBLIC_SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\nSENTRY_PROJECT=web\n"
    sentry001 = run_sentry(fixture_app(tmp_path, "inbox-zero-web", **{".env": env}))["SENTRY001"]
    assert sentry001["status"] == "fail"
    assert sentry001["details"]["missing"] == ["SENTRY_ORGANIZATION"], sentry001["message"]
    assert "missing: SENTRY_ORGANIZATION (read by next.config.ts)" in sentry001["message"]
    assert "SENTRY_ORG " not in sentry001["hint"] + " " and "SENTRY_ORG/" not in sentry001["hint"]


# The Sentry wizard's real output: the DSN written as a literal into every Sentry.init, org/project
# literals in withSentryConfig, the token in .env.sentry-build-plugin (Deodat-Lawson/jhu_coursevote).
# A NEXT_PUBLIC_SENTRY_DSN left in .env.local (a wizard-configured app's setup notes keep one there
# "although the DSN is hard-coded in the config files") is never read by the SDK.
OTHER_DSN = f"https://{'b' * 32}@o4504765715316736.ingest.sentry.io/4509999999999999"


def test_a_wizards_literal_dsn_wins_over_a_placeholder_left_in_the_env(tmp_path: Path) -> None:
    from checks.core.context import Context
    from checks.sentry.settings import read_settings

    env = "NEXT_PUBLIC_SENTRY_DSN=https://xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@xxxxxxx.ingest.sentry.io/xxxxxxx\n"
    project = fixture_app(tmp_path, "sentry-wizard-literal-dsn", **{
        ".env.local": env, ".env.sentry-build-plugin": f"SENTRY_AUTH_TOKEN={TOKEN}\n"})
    settings = read_settings(Context(project=project, environ={}))
    assert settings.problems == [] and settings.missing == [], settings.problems
    assert settings.dsn is not None and settings.dsn.value == DSN.replace(".ingest.", ".ingest.us.")
    assert settings.sources["dsn"] == "sentry.server.config.ts"


def test_sentry003_compares_the_dsn_the_wizard_wrote_not_a_stray_env_one(
        tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_project(httpserver)
    project = fixture_app(tmp_path, "sentry-wizard-literal-dsn", **{
        ".env.local": f"NEXT_PUBLIC_SENTRY_DSN={OTHER_DSN}\nSENTRY_URL={base(httpserver)}\n",
        ".env.sentry-build-plugin": f"SENTRY_AUTH_TOKEN={TOKEN}\n"})
    found = run_sentry(project)
    assert [found[i]["status"] for i in ("SENTRY001", "SENTRY002", "SENTRY003")] == ["pass"] * 3, found
    assert "(DSN from sentry.server.config.ts)" in found["SENTRY003"]["message"]


def test_a_wizards_literal_org_is_named_where_it_is_written_not_as_sentry_org(tmp_path: Path) -> None:
    """jhu_coursevote: `withSentryConfig(coreConfig, { org: "acme", project: "web" })`. The message
    said "SENTRY_ORG (next.config.js)" and the hint "set SENTRY_ORG / SENTRY_PROJECT", variables the
    build plugin reads only when the options leave org/project out."""
    project = fixture_app(tmp_path, "sentry-wizard-literal-dsn", **{
        ".env.sentry-build-plugin": f"SENTRY_AUTH_TOKEN={org_token('other-org')}\n"})
    sentry001 = run_sentry(project)["SENTRY001"]
    assert sentry001["status"] == "fail"
    assert "but org in withSentryConfig (next.config.js) is 'acme'" in sentry001["message"], sentry001["message"]
    assert "SENTRY_ORG" not in sentry001["message"] + sentry001["hint"]
    assert "SENTRY_PROJECT" not in sentry001["hint"]
    assert "set org / project in withSentryConfig (next.config.js) to the slugs" in sentry001["hint"]


def test_a_404_names_the_wizards_literal_org_and_project(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROJECT_PATH).respond_with_json({"detail": "The requested resource does not exist"},
                                                              status=404)
    project = fixture_app(tmp_path, "sentry-wizard-literal-dsn", **{
        ".env.local": f"SENTRY_URL={base(httpserver)}\n", ".env.sentry-build-plugin": f"SENTRY_AUTH_TOKEN={TOKEN}\n"})
    sentry002 = run_sentry(project)["SENTRY002"]
    assert sentry002["status"] == "fail", sentry002
    assert sentry002["hint"] == ("Check org in withSentryConfig (next.config.js) and project in withSentryConfig "
                                 "(next.config.js) against the slugs in the project's URL."), sentry002["hint"]
