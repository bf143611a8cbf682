"""A machine that resolves no names (an air-gapped CI runner) cannot prove a hosted
service either way: AUTH002 and SENTRY002 are unverified there, with the reason, instead
of failing the app for the machine's network. Where other names resolve (a domain above
the host, or example.com), the resolver works and the host itself is missing: that stays
a failure.

Fault injection in a child process, as tests/database/test_database.py does it: the
resolver answers only the names a test gives it, with 127.0.0.1, and no DNS query leaves
the machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, clean_environ, validate_report, write_project

RESOLVER = """
import socket, sys
real = socket.getaddrinfo
known = set(sys.argv.pop(1).split(",")) - {""}
def resolver(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name in known:
        return real("127.0.0.1", *args, **kwargs)
    if name in (None, "localhost", "127.0.0.1", "::1"):
        return real(host, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
socket.getaddrinfo = resolver
from checks.cli import main
main(sys.argv[1:])
"""
TOKEN = "sntrys_" + "A" * 40  # the shape of a Sentry org token; never sent anywhere
DSN = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.acme-corp.test/4507000000000001"


def run_resolving(project: Path, known: set[str], only: str) -> dict[str, dict[str, Any]]:
    done = subprocess.run([sys.executable, "-c", RESOLVER, ",".join(sorted(known)), "check", "--only", only,
                           "--timeout", "5", "--format", "json", "--project", str(project)],
                          cwd=REPO, env={**clean_environ(), "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.stdout.startswith("{"), done.stderr
    report = json.loads(done.stdout)
    validate_report(report)
    assert TOKEN not in done.stdout + done.stderr
    return {c["id"]: c for c in report["checks"]}


def supabase(tmp_path: Path) -> Path:
    # A hosted Supabase project's URL: https://<project ref>.supabase.co (Supabase dashboard › API).
    return write_project(tmp_path, {".env.local": "NEXT_PUBLIC_SUPABASE_URL=https://abcdefghijklmnopqrst.supabase.co\n"
                                                  "NEXT_PUBLIC_SUPABASE_ANON_KEY=anon-key-value\n"})


def test_auth002_is_unverified_where_the_machine_resolves_no_names(tmp_path: Path) -> None:
    auth002 = run_resolving(supabase(tmp_path), set(), "AUTH002")["AUTH002"]
    assert auth002["status"] == "skip", auth002
    assert auth002["details"]["unverified"].startswith("auth: supabase cannot be reached from this machine")
    assert "resolves neither abcdefghijklmnopqrst.supabase.co nor any other name it asked" in auth002["hint"]


def test_auth002_fails_a_host_that_is_missing_where_its_domain_resolves(tmp_path: Path) -> None:
    auth002 = run_resolving(supabase(tmp_path), {"supabase.co"}, "AUTH002")["AUTH002"]
    assert auth002["status"] == "fail", auth002
    assert "unverified" not in auth002["details"]
    assert auth002["hint"].startswith("The host name abcdefghijklmnopqrst.supabase.co does not resolve, while this "
                                      "machine resolves other names")


@pytest.mark.parametrize(("known", "status"), [(set(), "skip"), ({"acme-corp.test"}, "fail")])
def test_sentry002_on_a_machine_without_dns_is_unverified_not_failed(tmp_path: Path, known: set[str],
                                                                     status: str) -> None:
    project = write_project(tmp_path, {".env.local": f"NEXT_PUBLIC_SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\n"
                                                     "SENTRY_ORG=acme\nSENTRY_PROJECT=web\n"
                                                     "SENTRY_URL=https://sentry.acme-corp.test\n",
                                       "sentry.server.config.ts": "import * as Sentry from '@sentry/nextjs';\n"})
    sentry002 = run_resolving(project, known, "SENTRY001,SENTRY002")["SENTRY002"]
    assert sentry002["status"] == status, sentry002
    assert ("unverified" in sentry002["details"]) == (status == "skip")
    assert "sentry.acme-corp.test" in sentry002["message"]


@pytest.mark.parametrize("api", ["https://sentry.acme-crop.test", "https://sentyr.io"])  # a typo in the domain
def test_sentry002_fails_a_misspelled_domain_where_the_machine_resolves_names(tmp_path: Path, api: str) -> None:
    # No domain above a misspelled domain resolves, nor does a two-label host have one to
    # ask: only a name that surely exists (example.com, RFC 2606) tells that DNS works here.
    project = write_project(tmp_path, {".env.local": f"NEXT_PUBLIC_SENTRY_DSN={DSN}\nSENTRY_AUTH_TOKEN={TOKEN}\n"
                                                     f"SENTRY_ORG=acme\nSENTRY_PROJECT=web\nSENTRY_URL={api}\n",
                                       "sentry.server.config.ts": "import * as Sentry from '@sentry/nextjs';\n"})
    sentry002 = run_resolving(project, {"example.com", "acme-corp.test", "sentry.io"}, "SENTRY001,SENTRY002")["SENTRY002"]
    assert sentry002["status"] == "fail", sentry002
    assert "unverified" not in sentry002["details"]
