"""AUTH001/AUTH002 for each provider against real HTTP servers on loopback."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from checks.auth import judge_jwks
from checks.runtime.signin.providers import clerk_frontend_api

from helpers import run_cli, write_project

COOKIE_SECRET = "c" * 43
# The shape of a JWKS as Neon Auth / Clerk serve it (RFC 7517).
JWKS = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                  "kid": "d2f4a7c1-key", "alg": "EdDSA", "use": "sig"}]}


def run_auth(project: Path, *args: str) -> dict[str, dict[str, Any]]:
    done = run_cli("check", "--project", str(project), "--only", "auth", "-f", "json", *args)
    assert done.stdout, done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["checks"]}


def neon(root: Path, base_url: str, secret: str = COOKIE_SECRET) -> Path:
    return write_project(root, {".env.local": f"NEON_AUTH_BASE_URL={base_url}\nNEON_AUTH_COOKIE_SECRET={secret}\n"})


def test_neon_auth_jwks_answers(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/neondb/auth/.well-known/jwks.json").respond_with_json(JWKS)
    found = run_auth(neon(tmp_path, httpserver.url_for("/neondb/auth")))
    assert found["AUTH001"]["status"] == "pass"
    assert "NEON_AUTH_BASE_URL in .env.local" in found["AUTH001"]["message"]
    assert found["AUTH002"]["status"] == "pass"
    assert "serves 1 signing key" in found["AUTH002"]["message"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"keys": []}, "is not a JWKS with keys"),
        ({"keys": [{"kty": "RSA"}]}, "none with both kty and kid"),
        ([1, 2], "is not a JWKS with keys"),
    ],
)
def test_a_wrong_jwks_fails(tmp_path: Path, httpserver: HTTPServer, body: Any, problem: str) -> None:
    httpserver.expect_request("/auth/.well-known/jwks.json").respond_with_json(body)
    auth002 = run_auth(neon(tmp_path, httpserver.url_for("/auth")))["AUTH002"]
    assert auth002["status"] == "fail"
    assert problem in auth002["message"]


@pytest.mark.parametrize(
    ("respond", "problem"),
    [
        ({"response_data": "not json", "content_type": "text/plain"}, "not JSON"),
        ({"response_data": "x" * (2 << 20), "content_type": "application/json"}, "larger than 1024 KiB"),
        ({"response_data": "", "status": 404}, "answered 404"),
    ],
    ids=["not-json", "oversized", "404"],
)
def test_bad_answers_are_clean_failures(tmp_path: Path, httpserver: HTTPServer, respond: dict[str, Any],
                                        problem: str) -> None:
    httpserver.expect_request("/auth/.well-known/jwks.json").respond_with_data(**respond)
    auth002 = run_auth(neon(tmp_path, httpserver.url_for("/auth")))["AUTH002"]
    assert auth002["status"] == "fail"
    assert problem in auth002["message"]


def test_a_redirect_loop_is_a_clean_failure(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/auth/.well-known/jwks.json").respond_with_data(
        "", status=302, headers={"Location": "/auth/.well-known/jwks.json"})
    auth002 = run_auth(neon(tmp_path, httpserver.url_for("/auth")))["AUTH002"]
    assert auth002["status"] == "fail"
    assert "redirect loop" in auth002["message"]


def test_a_server_that_never_answers_is_bounded(tmp_path: Path, silent_server: str) -> None:
    auth002 = run_auth(neon(tmp_path, silent_server + "/auth"), "--timeout", "1")["AUTH002"]
    assert auth002["status"] == "fail"
    assert "within 1 s" in auth002["message"]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ("NEON_AUTH_BASE_URL=https://x.neonauth.tech/auth\nNEON_AUTH_COOKIE_SECRET=short\n",
         "NEON_AUTH_COOKIE_SECRET has 5 characters"),
        ("NEON_AUTH_BASE_URL=http://auth.example.com/auth\nNEON_AUTH_COOKIE_SECRET=" + COOKIE_SECRET + "\n",
         "must use https for auth.example.com"),
        # A name that only starts like a loopback address is a remote host.
        ("NEON_AUTH_BASE_URL=http://127.evil.example/auth\nNEON_AUTH_COOKIE_SECRET=" + COOKIE_SECRET + "\n",
         "must use https for 127.evil.example"),
        ("NEON_AUTH_BASE_URL=\nNEON_AUTH_COOKIE_SECRET=" + COOKIE_SECRET + "\n", "NEON_AUTH_BASE_URL is empty"),
    ],
)
def test_neon_auth_variables(tmp_path: Path, env: str, problem: str) -> None:
    found = run_auth(write_project(tmp_path, {".env.local": env}))
    assert found["AUTH001"]["status"] == "fail"
    assert problem in found["AUTH001"]["message"]
    assert found["AUTH002"]["status"] == "skip"
    assert COOKIE_SECRET not in json.dumps(found)


def test_supabase_health_with_apikey(tmp_path: Path, httpserver: HTTPServer) -> None:
    anon = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl"
    httpserver.expect_request("/auth/v1/health", headers={"apikey": anon}).respond_with_json(
        {"version": "v2.170.0", "name": "GoTrue", "description": "GoTrue is a user registration API"})
    project = write_project(tmp_path, {".env.local": f"NEXT_PUBLIC_SUPABASE_URL={httpserver.url_for('/').rstrip('/')}\n"
                                                     f"NEXT_PUBLIC_SUPABASE_ANON_KEY={anon}\n"})
    found = run_auth(project)
    assert found["AUTH002"]["status"] == "pass", found["AUTH002"]
    assert anon not in json.dumps(found)


def test_supabase_unhealthy(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/auth/v1/health").respond_with_json({"message": "unhealthy"}, status=503)
    project = write_project(tmp_path, {".env.local": f"NEXT_PUBLIC_SUPABASE_URL={httpserver.url_for('/').rstrip('/')}\n"
                                                     "NEXT_PUBLIC_SUPABASE_ANON_KEY=anon-key-value\n"})
    auth002 = run_auth(project)["AUTH002"]
    assert auth002["status"] == "fail"
    assert "answered 503" in auth002["message"]


def test_clerk_publishable_key_decodes_to_its_frontend_api(tmp_path: Path, httpserver: HTTPServer) -> None:
    host = f"127.0.0.1:{httpserver.port}"
    key = "pk_test_" + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")
    assert clerk_frontend_api(key) == host
    httpserver.expect_request("/.well-known/jwks.json").respond_with_json(JWKS)
    # clerkMiddleware needs the secret key on the server (Clerk's environment variables page).
    found = run_auth(write_project(tmp_path, {".env.local": f"NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY={key}\n"
                                                            f"CLERK_SECRET_KEY=sk_test_{'k' * 40}\n"}))
    assert [found["AUTH001"]["status"], found["AUTH002"]["status"]] == ["pass", "pass"], found


def test_clerk_key_that_does_not_decode(tmp_path: Path) -> None:
    found = run_auth(write_project(tmp_path, {".env.local": "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_live_%%%\n"}))
    assert found["AUTH001"]["status"] == "fail"
    assert "does not decode" in found["AUTH001"]["message"]


def test_oidc_discovery_then_jwks(tmp_path: Path, httpserver: HTTPServer) -> None:
    issuer = httpserver.url_for("/realms/app")
    httpserver.expect_request("/realms/app/.well-known/openid-configuration").respond_with_json(
        {"issuer": issuer, "jwks_uri": httpserver.url_for("/realms/app/certs"),
         "authorization_endpoint": issuer + "/auth"})
    httpserver.expect_request("/realms/app/certs").respond_with_json(JWKS)
    project = write_project(tmp_path, {"deploy-check.toml": f"[auth]\nprovider = 'oidc'\nissuer = '{issuer}'\n"})
    found = run_auth(project)
    assert found["AUTH002"]["status"] == "pass", found["AUTH002"]
    assert found["AUTH002"]["details"]["jwks_uri"].endswith("/realms/app/certs")


def test_provider_none_skips_with_that_reason(tmp_path: Path) -> None:
    found = run_auth(write_project(tmp_path, {"deploy-check.toml": "[auth]\nprovider = 'none'\n",
                                              ".env.local": "NEON_AUTH_BASE_URL=https://x/auth\n"}))
    assert found["AUTH001"]["status"] == "skip"
    assert 'provider = "none"' in found["AUTH001"]["message"]


def test_nothing_detected_skips_and_says_how_to_set_it(tmp_path: Path) -> None:
    found = run_auth(write_project(tmp_path, {".env.local": "DATABASE_URL=x\n"}))
    assert found["AUTH001"]["status"] == "skip"
    assert "[auth] provider" in found["AUTH001"]["message"]


def test_a_key_in_the_example_is_enough_to_detect_the_provider(tmp_path: Path) -> None:
    found = run_auth(write_project(tmp_path, {".env.local.example": "NEON_AUTH_BASE_URL=\nNEON_AUTH_COOKIE_SECRET=\n"}))
    assert found["AUTH001"]["status"] == "fail"
    assert "NEON_AUTH_BASE_URL is empty" in found["AUTH001"]["message"]


def test_judge_jwks_table() -> None:
    assert judge_jwks(JWKS) is None
    assert judge_jwks({"keys": "nope"}) == "is not a JWKS with keys"


def test_a_refused_loopback_url_says_start_the_local_service(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    project = write_project(tmp_path, {".env.local": f"NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:{port}\n"
                                                     "NEXT_PUBLIC_SUPABASE_ANON_KEY=anon-key-value\n"})
    auth002 = run_auth(project)["AUTH002"]
    assert auth002["status"] == "fail"
    assert auth002["hint"].startswith(f"Nothing listens at 127.0.0.1:{port}: start the local Supabase (`supabase start`)")


@pytest.mark.parametrize(("error", "kind"), [
    ("[Errno -2] Name or service not known", "dns"),
    ("[Errno -3] Temporary failure in name resolution", "dns"),
    ("[Errno 111] Connection refused", "refused"),
    ("All connection attempts failed", "unreachable"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate", "tls"),
])
def test_network_failures_are_told_apart(error: str, kind: str) -> None:
    import httpx

    from checks.core.http import Fetched, network_hint, network_kind

    assert network_kind(httpx.ConnectError(error)) == kind
    hint = network_hint(Fetched("https://auth.example.com/x", problem_kind=kind), "auth service") or ""
    said = {"dns": "does not resolve from here", "refused": "refused the connection",
            "unreachable": "could not be reached", "tls": "TLS handshake"}[kind]
    assert said in hint


def test_a_timeout_hint_is_about_the_network_not_the_credentials(tmp_path: Path, silent_server: str) -> None:
    auth002 = run_auth(neon(tmp_path, silent_server + "/auth"), "--timeout", "1")["AUTH002"]
    assert "did not answer in time" in auth002["hint"]
