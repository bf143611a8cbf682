"""The database family (DB001–DB003) against real PostgreSQL servers on loopback:
every way of failing to connect, TLS, and the password never shown."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from checks.core.context import Context
from checks.core.db import open_connection, shared_connection
from checks.core.model import CheckResult, Report, Status, passed, unverified
from checks.core.readings import Reading
from checks.core.registry import select
from checks.core.runner import run
from checks.database import both, judge_tls, judge_tls_readings
from checks.database.facts import DatabaseFacts, ErrorKind, classify_error, database_facts
from checks.database.readings import same_database
from checks.support.hosts import is_loopback
from checks.support.pgbinaries import free_port
from checks.support.pgembed import EmbeddedPostgres
from checks.support.pgurl import DatabaseUrl

from helpers import PG_PASSWORD, TlsPostgres

REPO = Path(__file__).resolve().parents[2]
FORMATS = ("console", "json", "junit", "github", "markdown")
WRONG_PASSWORD = "wrong-canary-Pq93zT"


def check_database(project: Path, url: str | None, *, timeout: float = 5.0,
                   only: str = "database") -> Report:
    environ = {"DATABASE_URL": url} if url is not None else {}
    ctx = Context(project=project, environ=environ, timeout=timeout)
    return asyncio.run(run(select(only), ctx))


def result(report: Report, check_id: str) -> CheckResult:
    return next(r for r in report.checks if r.id == check_id)


def everything_said(report: Report) -> str:
    return json.dumps(report.to_dict())


# -- loopback: a pure function, table-driven -----------------------------------------------
@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True),
    ("127.0.0.2", True),  # all of 127.0.0.0/8 is loopback
    ("::1", True),
    ("[::1]", True),
    ("::ffff:127.0.0.1", True),  # IPv4-mapped
    ("localhost", True),
    ("LocalHost", True),
    ("app.localhost", True),  # RFC 6761
    ("/var/run/postgresql", True),  # unix socket directory
    ("", True),  # libpq's default: the local socket
    ("10.0.0.5", False),
    ("192.168.1.20", False),
    ("192.0.2.2", False),
    ("0.0.0.0", False),
    ("fe80::1", False),
    ("ep-cool-darkness-123456.us-east-2.aws.neon.tech", False),
    ("db.example.invalid", False),
    ("localhost.example.com", False),
    ("127.0.0.1.nip.io", False),  # a name: judged by the address actually connected to
])
def test_loopback_classification(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- libpq's error text → kind, table-driven ------------------------------------------------
@pytest.mark.parametrize(("text", "kind"), [
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
     'password authentication failed for user "postgres"', ErrorKind.AUTH_FAILED),
    ("ERROR:  password authentication failed for user 'neondb_owner'", ErrorKind.AUTH_FAILED),
    ('FATAL:  role "app" does not exist', ErrorKind.AUTH_FAILED),
    ("fe_sendauth: no password supplied", ErrorKind.AUTH_FAILED),
    ('FATAL:  database "shop" does not exist', ErrorKind.DATABASE_MISSING),
    ('connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server '
     "running on that host and accepting TCP/IP connections?", ErrorKind.REFUSED),
    ("failed to resolve host 'db.example.invalid': [Errno -2] Name or service not known",
     ErrorKind.UNRESOLVABLE),
    ('could not translate host name "db.example.invalid" to address: Name or service not known',
     ErrorKind.UNRESOLVABLE),
    ("failed to resolve host 'x': [Errno -3] Temporary failure in name resolution",
     ErrorKind.UNRESOLVABLE),
    ("failed to resolve host 'x': [Errno 8] nodename nor servname provided, or not known",
     ErrorKind.UNRESOLVABLE),
    ("connection timeout expired", ErrorKind.TIMEOUT),
    ('connection to server at "10.1.1.1", port 5432 failed: Connection timed out',
     ErrorKind.TIMEOUT),
    ('connection to server at "10.1.1.1", port 5432 failed: Network is unreachable',
     ErrorKind.UNREACHABLE),
    ('connection to server at "10.1.1.1", port 5432 failed: No route to host',
     ErrorKind.UNREACHABLE),
    ('FATAL:  no pg_hba.conf entry for host "127.0.0.1", user "postgres", database '
     '"postgres", no encryption', ErrorKind.TLS_REQUIRED),
    ('FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "app", database "app", SSL off',
     ErrorKind.TLS_REQUIRED),
    # Neon's proxy (neondatabase/neon, proxy: ERR_INSECURE_CONNECTION), also combined with
    # an earlier attempt's authentication failure, as Neon's docs show it.
    ("ERROR:  connection is insecure (try using `sslmode=require`)", ErrorKind.TLS_REQUIRED),
    ("ERROR:  password authentication failed for user 'x' connection to server at "
     '"ep-x.us-west-2.aws.neon.tech" (12.34.56.78), port 5432 failed: ERROR:  connection is '
     "insecure (try using `sslmode=require`)", ErrorKind.TLS_REQUIRED),
    ("FATAL: SSL connection is required. Please specify SSL options and retry.",
     ErrorKind.TLS_REQUIRED),
    ('FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "app", database "app", SSL '
     "encryption", ErrorKind.NOT_ALLOWED),
    ("server does not support SSL, but SSL was required", ErrorKind.TLS_UNAVAILABLE),
    ("SSL error: certificate verify failed", ErrorKind.TLS_CERTIFICATE),
    ('root certificate file "/root/.postgresql/root.crt" does not exist',
     ErrorKind.TLS_CERTIFICATE),
    ('server certificate for "a.example" does not match host name "b.example"',
     ErrorKind.TLS_CERTIFICATE),
    ("received invalid response to SSL negotiation: H", ErrorKind.NOT_POSTGRES),
    ("FATAL:  sorry, too many clients already", ErrorKind.OTHER),
    ("FATAL:  the database system is starting up", ErrorKind.OTHER),
    # psycopg's summary of several attempts: the specific failure wins over "refused".
    ("connection failed: connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  "
     "password authentication failed for user \"app\"\nMultiple connection attempts failed. "
     "All failures were:\n- host: 'localhost', port: '5432', hostaddr: '::1': connection "
     "failed: connection to server at \"::1\", port 5432 failed: Connection refused\n- host: "
     "'localhost', port: '5432', hostaddr: '127.0.0.1': connection failed: connection to "
     "server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for "
     "user \"app\"", ErrorKind.AUTH_FAILED),
])
def test_error_text_classification(text: str, kind: ErrorKind) -> None:
    assert classify_error(text) is kind


# -- DB001 ------------------------------------------------------------------------------
NEON = ("postgresql://neondb_owner:npg_AbC123xYz@ep-cool-darkness-123456.us-east-2.aws.neon.tech"
        "/neondb?sslmode=require&channel_binding=require")


@pytest.mark.parametrize(("url", "status", "says"), [
    # Nothing names a database: checking a variable the app never reads proves nothing.
    (None, Status.SKIP, "nothing names the app's database"),
    ("", Status.FAIL, "DATABASE_URL is not set (empty in the process environment)"),
    ("postgresql://user:password@host:5432/dbname", Status.FAIL, "is a placeholder"),
    ("postgresql://postgres:[YOUR-PASSWORD]@db.abcdefgh.supabase.co:5432/postgres",
     Status.FAIL, "is a placeholder"),
    # No PostgreSQL evidence in the app: a mysql:// URL says what the database is (issue 19 §2).
    ("mysql://app:s3cret-pw@db.example.com/app", Status.SKIP, "deploy-check checks PostgreSQL only"),
    ("host=db.example.com dbname=app user=app", Status.FAIL, "is a libpq keyword string"),
    ("db.example.com:5432/app", Status.FAIL, "is not a URL"),
    ("postgresql://app:s3cret-pw@db.example.com", Status.FAIL, "names no database"),
    ("postgresql:///app", Status.FAIL, "names no host"),
    ("postgresql://app:s3cret-pw@db.example.com:54x/app", Status.FAIL, "has the port '54x'"),
    ("postgresql://app:p@ss-word@db.example.com/app", Status.FAIL, "unencoded '@'"),
    ("postgresql://app:pa/ss@word@db.example.com/app", Status.FAIL, "unencoded '@', '/'"),
    (NEON, Status.PASS, "points to postgresql://neondb_owner@ep-cool-darkness-123456.us-east-2"
                        ".aws.neon.tech:5432/neondb?sslmode=require"),
    ("postgres://app:s3cret-pw@db.example.com:6543/app?pgbouncer=true&connection_limit=1",
     Status.PASS, "ignoring pgbouncer, connection_limit (not libpq parameters)"),
    ("postgresql://app@/app?host=/var/run/postgresql", Status.PASS, "/var/run/postgresql/app"),
    ("postgresql://app:s3cret-pw@db1.example.com:5432,db2.example.com:5433/app",
     Status.PASS, "db1.example.com,db2.example.com:5432,5433/app"),
])
def test_database_url_rule(tmp_path: Path, url: str | None, status: Status, says: str) -> None:
    report = check_database(tmp_path, url, only="DB001")
    db001 = result(report, "DB001")
    assert db001.status is status, db001.message
    assert says in db001.message
    if status is Status.FAIL:
        # local-db fills an empty or placeholder variable and refuses one the user set
        # (issue 19 §4): only there is it the fix; a set URL must be corrected by hand.
        settable = not url or "placeholder" in says
        assert db001.fix == ("deploy-check provision local-db" if settable else "")
        assert "provider's console" in db001.hint
    assert "s3cret-pw" not in everything_said(report)
    assert "npg_AbC123xYz" not in everything_said(report)


def test_database_url_from_env_local_is_named(tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_text("DATABASE_URL=\n")
    db001 = result(check_database(tmp_path, None, only="DB001"), "DB001")
    assert db001.message == "DATABASE_URL is not set (empty in .env.local)"


def test_libpq_parse_error_echoing_the_password_is_masked(tmp_path: Path) -> None:
    # libpq quotes the token it cannot decode: here that token is the password.
    report = check_database(tmp_path, "postgresql://app:bad%zzpw-canary@db.example.com/app",
                            only="DB001")
    db001 = result(report, "DB001")
    assert db001.status is Status.FAIL
    assert 'invalid percent-encoded token: "****"' in db001.message
    assert "zzpw-canary" not in everything_said(report)


def test_db002_and_db003_skip_when_db001_fails(tmp_path: Path) -> None:
    report = check_database(tmp_path, "postgresql://user:password@host:5432/dbname")
    for check_id in ("DB002", "DB003"):
        dependent = result(report, check_id)
        assert dependent.status is Status.SKIP
        assert dependent.message.startswith("not run: DB001 failed (")


def test_db002_alone_skips_on_an_unusable_url(tmp_path: Path) -> None:
    report = check_database(tmp_path, "postgresql://app:bad%zzpw-canary@db.example.com/app",
                            only="DB002")
    db002 = result(report, "DB002")
    assert db002.status is Status.SKIP
    assert "cannot be parsed by libpq" in db002.message
    assert "zzpw-canary" not in everything_said(report)


# -- DB002 against real servers -----------------------------------------------------------
def test_connects_and_reports_version_latency_and_tls(tmp_path: Path, fresh_db: str) -> None:
    report = check_database(tmp_path, fresh_db)
    db002, db003 = result(report, "DB002"), result(report, "DB003")
    assert db002.status is Status.PASS, db002.message
    assert db002.details["server_version"].split(".")[0].isdigit()
    assert db002.details["latency_ms"] >= 0
    assert db002.details["tls"] is False
    assert db002.details["hostaddr"] == "127.0.0.1"
    version = db002.details["server_version"]
    assert f"connected to PostgreSQL {version} at 127.0.0.1:" in db002.message
    assert db003.status is Status.PASS
    assert "is loopback: no TLS, and none needed" in db003.message
    assert PG_PASSWORD not in everything_said(report)


def _failure(tmp_path: Path, url: str, kind: ErrorKind, timeout: float = 5.0) -> CheckResult:
    report = check_database(tmp_path, url, timeout=timeout)
    db002 = result(report, "DB002")
    assert db002.status is Status.FAIL, db002.message
    assert db002.details["error_kind"] == kind.value, db002.details
    assert result(report, "DB003").status is Status.SKIP
    said = everything_said(report)
    assert PG_PASSWORD not in said
    assert WRONG_PASSWORD not in said
    return db002


def test_wrong_password_is_an_authentication_failure(tmp_path: Path, pg: EmbeddedPostgres) -> None:
    url = pg.url().replace(PG_PASSWORD, WRONG_PASSWORD)
    db002 = _failure(tmp_path, url, ErrorKind.AUTH_FAILED)
    assert db002.message == (f"127.0.0.1:{pg.port}/postgres: authentication failed for user "
                             "'postgres' (password authentication failed for user \"postgres\")")
    assert "provider's console" in (db002.hint or "")


def test_missing_database_is_named(tmp_path: Path, pg: EmbeddedPostgres) -> None:
    db002 = _failure(tmp_path, pg.url("no_such_db"), ErrorKind.DATABASE_MISSING)
    assert "database 'no_such_db' does not exist" in db002.message


def test_closed_port_is_refused_and_offers_a_local_database(tmp_path: Path) -> None:
    port = free_port()  # bound, then closed again: nobody listens there
    db002 = _failure(tmp_path, f"postgresql://app:{WRONG_PASSWORD}@127.0.0.1:{port}/app",
                     ErrorKind.REFUSED)
    assert db002.message == (f"127.0.0.1:{port}/app: connection refused, "
                             "nothing listens on that port")
    # local-db refuses a DATABASE_URL the user set (issue 19 §4): no fix to paste, a hint
    # that says what to start, and local-db only once the variable is emptied.
    assert not db002.fix
    assert f"Start the PostgreSQL that DATABASE_URL names (127.0.0.1:{port}/app" in (db002.hint or "")
    assert "empty DATABASE_URL and run `deploy-check provision local-db`" in (db002.hint or "")


COMPOSE = """\
# Shaped after create-t3-app's and Vercel templates' docker-compose.yml for local Postgres.
services:
  cache:
    image: redis:7
    ports:
      - 6379:6379
  postgres:
    image: "postgres:16-alpine"
    environment:
      POSTGRES_PASSWORD: password
    ports:
      - "127.0.0.1:{port}:5432"
"""


def test_a_refused_database_that_the_apps_compose_file_runs_is_started_by_compose(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "docker-compose.yml").write_text(COMPOSE.format(port=port))
    db002 = _failure(tmp_path, f"postgresql://postgres:{WRONG_PASSWORD}@localhost:{port}/app",
                     ErrorKind.REFUSED)
    assert db002.fix == f"docker compose -f {tmp_path / 'docker-compose.yml'} up -d postgres"
    assert "service 'postgres' (postgres:16-alpine)" in (db002.hint or "")
    # Another port than the service publishes: compose would not serve that URL.
    other = _failure(tmp_path, f"postgresql://postgres:{WRONG_PASSWORD}@localhost:{free_port()}/app",
                     ErrorKind.REFUSED)
    assert not other.fix


# Fault injection in a child process: the resolver says the name does not exist, as it
# does for a typo'd host, while other names resolve (the resolver works). Tests
# send no DNS query: this machine's resolver is not loopback.
UNKNOWN_NAME_RESOLVER = """
import socket, sys
real = socket.getaddrinfo
def unknown(host, *args, **kwargs):
    if host == "deploy-check.invalid":
        return real("127.0.0.1", *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
socket.getaddrinfo = unknown
from checks.cli import main
main(sys.argv[1:])
"""
# A machine that resolves no names at all (an air-gapped CI runner).
NO_DNS_RESOLVER = UNKNOWN_NAME_RESOLVER.replace('host == "deploy-check.invalid"', "False")


def run_with_resolver(tmp_path: Path, program: str,
                      timeout: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`check --only database` in a child whose resolver `program` replaced."""
    (tmp_path / ".env.local").write_text(
        f"DATABASE_URL=postgresql://app:{WRONG_PASSWORD}@db.deploy-check.invalid/app\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", program, "check", "--only", "database",
                           "--timeout", timeout, "--format", "json", "--project", str(tmp_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)
    return done, next(c for c in json.loads(done.stdout)["checks"] if c["id"] == "DB002")


def test_unresolvable_host_is_named(tmp_path: Path) -> None:
    done, db002 = run_with_resolver(tmp_path, UNKNOWN_NAME_RESOLVER, "3")
    assert done.returncode == 1, done.stderr
    assert db002["details"]["error_kind"] == "unresolvable"
    assert db002["message"].startswith("host name 'db.deploy-check.invalid' does not resolve, while this machine "
                                       "resolves other names")
    assert WRONG_PASSWORD not in done.stdout + done.stderr


def test_a_machine_that_resolves_no_names_leaves_the_database_unverified(tmp_path: Path) -> None:
    done, db002 = run_with_resolver(tmp_path, NO_DNS_RESOLVER, "3")
    assert db002["status"] == "skip", db002
    assert db002["details"]["error_kind"] == "no_dns"
    assert db002["details"]["unverified"].startswith("database: DATABASE_URL cannot be reached from this machine, "
                                                     "which resolves neither db.deploy-check.invalid")
    assert "no working DNS" in db002["hint"]
    assert WRONG_PASSWORD not in done.stdout + done.stderr


def test_a_host_name_is_resolved_and_judged_by_the_address_reached(tmp_path: Path,
                                                                   pg: EmbeddedPostgres) -> None:
    report = check_database(tmp_path, pg.url().replace("127.0.0.1", "localhost"))
    db002, db003 = result(report, "DB002"), result(report, "DB003")
    assert db002.status is Status.PASS, db002.message
    assert db002.details["hostaddr"] == "127.0.0.1"
    assert db003.message.startswith("localhost (127.0.0.1) is loopback")


# Fault injection in a child process: a resolver that answers after 30 s, as one does
# when its DNS server is unreachable. The run must end with the database timeout.
HANGING_RESOLVER = """
import socket, sys, time
answer = socket.getaddrinfo
def hanging(*args, **kwargs):
    time.sleep(30)
    return answer(*args, **kwargs)
socket.getaddrinfo = hanging
from checks.cli import main
main(sys.argv[1:])
"""


def test_two_urls_on_a_machine_without_dns_are_unverified_within_the_checks_budget(tmp_path: Path) -> None:
    """Each URL the app reads waits for the resolver, then for the probe that tells a missing
    host from no DNS: DB002's budget counts both per URL, so the verdict is unverified, not
    "did not finish" (a Prisma schema with url and directUrl, the resolver never answering)."""
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n'
        '  directUrl = env("DIRECT_URL")\n}\n')
    (tmp_path / ".env").write_text(f"DIRECT_URL=postgresql://app:{WRONG_PASSWORD}@direct.deploy-check.invalid/app\n")
    done, db002 = run_with_resolver(tmp_path, HANGING_RESOLVER, "1")
    assert db002["status"] == "skip", db002
    assert "did not finish" not in db002["message"]
    assert WRONG_PASSWORD not in done.stdout + done.stderr


def test_a_hanging_resolver_does_not_outlive_the_timeout(tmp_path: Path) -> None:
    started = time.monotonic()
    done, db002 = run_with_resolver(tmp_path, HANGING_RESOLVER, "1")
    elapsed = time.monotonic() - started
    assert db002["details"]["error_kind"] == "no_dns"  # a resolver that never answers: no DNS here
    assert db002["status"] == "skip"
    assert "no answer from the resolver within 1 s" in db002["message"]
    assert elapsed < 15  # not the resolver's 30 s
    assert WRONG_PASSWORD not in done.stdout + done.stderr


def test_silent_server_times_out_within_the_timeout(tmp_path: Path) -> None:
    # A listening socket nobody accept()s: the kernel completes the TCP handshake, and then
    # no byte ever comes back — a firewall or a hung server, as the client sees it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        started = time.monotonic()
        db002 = _failure(tmp_path, f"postgresql://app:{WRONG_PASSWORD}@127.0.0.1:{port}/app",
                         ErrorKind.TIMEOUT, timeout=1.0)
        elapsed = time.monotonic() - started
    assert db002.message == f"127.0.0.1:{port}/app: no answer within 1 s"
    assert 1.0 <= elapsed < 1.0 + 5.0


def test_tls_only_server_refuses_a_plain_connection(tmp_path: Path, pg_tls: TlsPostgres) -> None:
    db002 = _failure(tmp_path, pg_tls.url(sslmode="disable"), ErrorKind.TLS_REQUIRED)
    assert "the server requires TLS" in db002.message
    assert "no encryption" in db002.message
    assert "sslmode=require" in (db002.hint or "")
    assert pg_tls.password not in db002.message


def test_requiring_tls_from_a_server_without_it(tmp_path: Path, pg: EmbeddedPostgres) -> None:
    db002 = _failure(tmp_path, pg.url(sslmode="require"), ErrorKind.TLS_UNAVAILABLE)
    assert "requires TLS (sslmode=require) but the server does not offer it" in db002.message


def test_certificate_from_an_unknown_authority_is_refused(tmp_path: Path,
                                                          pg_tls: TlsPostgres) -> None:
    import trustme

    stranger = tmp_path / "stranger-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    db002 = _failure(tmp_path, pg_tls.url(sslrootcert=str(stranger)), ErrorKind.TLS_CERTIFICATE)
    assert "certificate verify failed" in db002.message


def test_verified_tls_connection_passes_db002_and_db003(tmp_path: Path,
                                                        pg_tls: TlsPostgres) -> None:
    report = check_database(tmp_path, pg_tls.url(sslmode="verify-full"))
    db002, db003 = result(report, "DB002"), result(report, "DB003")
    assert db002.status is Status.PASS, db002.message
    assert db002.details["tls"] is True
    assert "TLS on" in db002.message
    assert db003.status is Status.PASS
    assert db003.message == "TLS in use to 127.0.0.1"
    assert pg_tls.password not in everything_said(report)


# -- DB003 -------------------------------------------------------------------------------
def _facts(*, tls: bool, loopback: bool, sslmode: str | None = None,
           host: str = "db.example.com") -> DatabaseFacts:
    url = DatabaseUrl(scheme="postgresql", user="app", hosts=(host,), ports=(5432,),
                      database="app", sslmode=sslmode, conninfo="")
    return DatabaseFacts(timeout=5, url=url, reachable=True, server_version="16.4",
                         connect_ms=3, latency_ms=1, tls=tls,
                         hostaddr="127.0.0.1" if loopback else "203.0.113.7", is_loopback=loopback)


@pytest.mark.parametrize(("tls", "loopback", "sslmode", "status"), [
    (False, False, None, Status.FAIL),
    (False, False, "disable", Status.FAIL),
    (False, True, None, Status.PASS),
    (True, False, "require", Status.PASS),
    (True, False, "verify-full", Status.PASS),
    # libpq's default "prefer" found TLS, but node-postgres does not negotiate it by itself.
    (True, False, None, Status.WARN),
    (True, False, "prefer", Status.WARN),
    (True, True, None, Status.PASS),
])
def test_tls_rule(tls: bool, loopback: bool, sslmode: str | None, status: Status) -> None:
    assert judge_tls(_facts(tls=tls, loopback=loopback, sslmode=sslmode)).status is status


def test_tls_is_judged_on_the_runtime_url_too_not_only_the_schema_tools() -> None:
    """drizzle-kit's DIRECT_URL requires TLS; the runtime client's pooled DATABASE_URL, the
    one carrying the app's traffic, reached the same host in clear text: a fail, naming it."""
    readings = [Reading("DIRECT_URL", "", ".env", "drizzle.config.ts reads it", reader="drizzle-kit"),
                Reading("DATABASE_URL", "", ".env", "src/db/index.ts: the app's runtime client reads it",
                        reader="the app's runtime")]
    outcome = judge_tls_readings(readings, [_facts(tls=True, loopback=False, sslmode="require"),
                                            _facts(tls=False, loopback=False)])
    assert outcome.status is Status.FAIL
    assert outcome.message.startswith("DATABASE_URL (src/db/index.ts: the app's runtime client reads it): "
                                      "db.example.com (203.0.113.7) is not loopback"), outcome.message
    sslmode_unset = judge_tls_readings(readings, [_facts(tls=True, loopback=False, sslmode="require"),
                                                  _facts(tls=True, loopback=False)])
    assert sslmode_unset.status is Status.WARN and sslmode_unset.hint == (
        "Add ?sslmode=require (or verify-full) to DATABASE_URL.")
    fine = judge_tls_readings(readings, [_facts(tls=True, loopback=False, sslmode="require")] * 2)
    assert fine.status is Status.PASS and "DATABASE_URL" in fine.message


def test_one_urls_skip_hides_neither_the_others_warning_nor_what_it_leaves_open() -> None:
    readings = [Reading("DIRECT_URL", "", ".env", "drizzle.config.ts reads it", reader="drizzle-kit"),
                Reading("DATABASE_URL", "", ".env", "src/db/index.ts reads it", reader="the app's runtime")]
    unreached = DatabaseFacts(timeout=5, url=None, reachable=False)
    outcome = judge_tls_readings(readings, [unreached, _facts(tls=True, loopback=False)])
    assert outcome.status is Status.WARN, outcome  # --fail-level warn must still see it
    assert outcome.hint == "Add ?sslmode=require (or verify-full) to DATABASE_URL."
    opened = both(passed("DIRECT_URL: fine"), "DATABASE_URL", unverified("database: DATABASE_URL is not proven"))
    assert opened.status is Status.SKIP and opened.details["unverified"] == "database: DATABASE_URL is not proven"


# DB003 on a real non-loopback connection is not tested end to end:# DB003 on a real non-loopback connection is not tested end to end: this workplace allows
# test traffic to loopback only, so the rule is covered by `test_tls_rule` above and the
# loopback side by the real connections in this file.


# -- one connection, shared -------------------------------------------------------------------
def test_one_connection_serves_the_whole_run_and_is_closed_after(tmp_path: Path,
                                                                 fresh_db: str) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        ctx = Context(project=tmp_path, environ={"DATABASE_URL": fresh_db}, timeout=5)
        facts = await database_facts(ctx)
        first = await shared_connection(ctx)
        second = await shared_connection(ctx)
        await first.execute("SELECT 1")
        await ctx.aclose()
        return facts.reachable, first is second, first.closed

    reachable, same, closed = asyncio.run(scenario())
    assert reachable and same and closed


def test_a_provisioner_gets_its_own_transactional_connection(tmp_path: Path,
                                                              fresh_db: str) -> None:
    async def scenario() -> tuple[bool, bool, Any]:
        ctx = Context(project=tmp_path, environ={"DATABASE_URL": fresh_db}, timeout=5)
        shared = await shared_connection(ctx)
        own = await open_connection(ctx, autocommit=False)
        async with own:
            await own.execute("CREATE TABLE t (id int)")
            await own.rollback()
        row = await (await shared.execute("SELECT to_regclass('t')")).fetchone()
        await ctx.aclose()
        return own is not shared, own.autocommit, row

    separate, autocommit, row = asyncio.run(scenario())
    assert separate and not autocommit
    assert row == (None,)  # rolled back: nothing half-applied


# -- the password never appears, in any format -------------------------------------------------
def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project),
           "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "checks", *args, "--project", str(project)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("output_format", FORMATS)
def test_password_never_printed(tmp_path: Path, pg: EmbeddedPostgres, output_format: str) -> None:
    cases = {
        "good": (pg.url(), "DB001,DB002,DB003", 0, PG_PASSWORD),
        "wrong": (pg.url().replace(PG_PASSWORD, WRONG_PASSWORD), "database", 1, WRONG_PASSWORD),
        # DB002 alone: libpq's own error text quotes the password.
        "echoed": (f"postgresql://app:{WRONG_PASSWORD}%zz@127.0.0.1:{pg.port}/app", "DB002", 0,
                   WRONG_PASSWORD),
    }
    for name, (url, only, exit_code, canary) in cases.items():
        project = tmp_path / name
        project.mkdir()
        (project / ".env.local").write_text(f"DATABASE_URL={url}\n")
        done = run_cli(project, "check", "--only", only, "--format", output_format)
        assert done.returncode == exit_code, done.stdout + done.stderr
        assert done.stdout.strip()
        assert canary not in done.stdout + done.stderr, (name, done.stdout)


@pytest.fixture(scope="module")
def pg_german(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A PostgreSQL whose messages are German (lc_messages = de_DE.UTF-8): the system's
    binaries (the bundled ones are built without NLS) and a de_DE locale generated with
    localedef into a directory of its own (LOCPATH), where the machine has none."""
    import shutil

    from checks.support.pgbinaries import find_binaries_with_tls

    binaries = find_binaries_with_tls()
    if binaries is None or shutil.which("localedef") is None:
        pytest.skip("needs a system PostgreSQL built with NLS and localedef")
    version = binaries.parent.name
    if not list(Path("/usr/share/locale").glob(f"de/LC_MESSAGES/postgres-{version}*.mo")):
        pytest.skip(f"PostgreSQL {version}'s German message catalog is not installed")
    home = tmp_path_factory.mktemp("pg_de")
    locales = home / "locales"
    locales.mkdir()
    made = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", str(locales / "de_DE.UTF-8")],
                          capture_output=True, text=True, timeout=60, check=False)
    if not (locales / "de_DE.UTF-8").exists():
        pytest.skip(f"cannot generate the de_DE.UTF-8 locale: {made.stderr.strip()}")
    locales.chmod(0o755)
    server = EmbeddedPostgres(home / "server", password=PG_PASSWORD, durable=False, bin_dir=binaries,
                              timeout=60, settings={"lc_messages": "'de_DE.UTF-8'"},
                              environ={"LOCPATH": str(locales)})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(("kind", "says"), [(ErrorKind.AUTH_FAILED, "Passwort-Authentifizierung"),
                                            (ErrorKind.DATABASE_MISSING, "existiert nicht")])
def test_a_german_server_is_classified_like_an_english_one(tmp_path: Path, pg_german: EmbeddedPostgres,
                                                           kind: ErrorKind, says: str) -> None:
    url = (pg_german.url().replace(PG_PASSWORD, WRONG_PASSWORD) if kind is ErrorKind.AUTH_FAILED
           else pg_german.url("keine_db"))
    db002 = _failure(tmp_path, url, kind)
    assert says in db002.message + str(db002.details.get("error"))  # the server's own words are kept


def test_a_check_blocked_by_one_the_run_left_out_names_its_clause(tmp_path: Path) -> None:
    """`--only DB003` leaves DB002 out: with the database down, DB003 judges nothing, and
    READY must list that rather than pass over it."""
    project = tmp_path / "app"
    project.mkdir()
    (project / ".env.local").write_text(f"DATABASE_URL=postgresql://app:pw-canary-8@127.0.0.1:{free_port()}/notes\n")
    (project / "package.json").write_text('{"dependencies": {"pg": "8.13.0"}}\n')
    done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project), "--only", "DB003",
                           "-f", "json"], capture_output=True, text=True, timeout=60, check=False)
    report = json.loads(done.stdout)
    assert [c["status"] for c in report["checks"]] == ["skip"]
    assert "database: not run: no connection to judge (see DB002)" in report["unverified"]
    assert "pw-canary-8" not in done.stdout


@pytest.mark.parametrize(("first", "second", "same"), [
    # `prisma init`'s .env and the app's .env.local: one database, written two ways.
    ("postgresql://johndoe:pw@localhost:5432/mydb?schema=public", "postgresql://johndoe:pw@localhost:5432/mydb", True),
    ("postgresql://app:pw@localhost:5432/app", "postgresql://app:pw@127.0.0.1:5432/app", True),
    # Supavisor's pooler (user postgres.<ref>) reaches the project's own database.
    ("postgresql://postgres.abcdefghijklmnopqrst:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
     "postgresql://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres", True),
    # Really two: another database, another schema, another host.
    ("postgresql://app:pw@localhost:5432/app", "postgresql://app:pw@localhost:5432/app_test", False),
    ("postgresql://app:pw@localhost:5432/app?schema=tenant", "postgresql://app:pw@localhost:5432/app", False),
    ("postgresql://app:pw@db.example.com:5432/app", "postgresql://app:pw@localhost:5432/app", False),
])
def test_db001_two_spellings_of_one_database_are_one_database(first: str, second: str, same: bool) -> None:
    readings = [Reading("DATABASE_URL", first, ".env", "prisma reads it", reader="prisma"),
                Reading("DATABASE_URL", second, ".env.local", "the app reads it", reader="the app's runtime")]
    outcome = same_database(readings, passed("both parse"))
    assert (outcome.status is Status.PASS) == same, outcome.message
