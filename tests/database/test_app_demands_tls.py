"""An app whose runtime client demands TLS in code (tests/fixtures/apps/postgres-auth-starter, after
vercel/nextjs-postgres-auth-starter app/db.ts: `postgres(`${process.env.POSTGRES_URL!}?sslmode=require`)`)
cannot connect to a PostgreSQL without TLS, whatever POSTGRES_URL says. DB002 used to pass on such a
server (deploy-check connected without TLS); it now connects as the app does and fails naming the file.
postgres-js reads `sslmode` from the URL as its `ssl` option and falls back to plain text only for
'prefer' (porsager/postgres src/index.js, src/connection.js); node-postgres requires TLS for any
truthy `ssl` (node-postgres.com/features/ssl)."""

from __future__ import annotations

import uuid
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from checks.database.apptls import requiring_tls

from helpers import TlsPostgres, app_fixture, detect, query, run_cli, run_json
from helpers import checks_by_id as checks

# The same module with the TLS demand as a driver option instead of a URL suffix.
SSL_OPTION = ("import postgres from 'postgres';\n"
              "const client = postgres(process.env.POSTGRES_URL!, { ssl: 'require', max: 1 });\n"
              "export default client;\n")
# node-postgres with `ssl: true` (node-postgres.com/features/ssl).
PG_POOL = ("import { Pool } from 'pg';\n"
           "export const pool = new Pool({ connectionString: process.env.POSTGRES_URL, ssl: true });\n")
# TLS only in production: not a demand deploy-check can see holding locally.
CONDITIONAL = ("import postgres from 'postgres';\n"
               "const client = postgres(process.env.POSTGRES_URL!, {\n"
               "  ssl: process.env.NODE_ENV === 'production' ? 'require' : false,\n});\n"
               "export default client;\n")
PLAIN = "import postgres from 'postgres';\nexport const client = postgres(process.env.POSTGRES_URL!);\n"


def starter(tmp_path: Path, url: str, db: str | None = None) -> Path:
    files = {".env.local": f"POSTGRES_URL={url}\nAUTH_SECRET=a-local-secret-for-tests-only-0123456789\n"}
    if db is not None:
        files["app/db.ts"] = db
    return app_fixture(tmp_path, "postgres-auth-starter", files)


def test_detect_names_the_suffix_the_runtime_module_appends(tmp_path: Path) -> None:
    model = detect(starter(tmp_path, ""))
    assert model["runtime_tls"] == {"file": "app/db.ts", "variable": "POSTGRES_URL",
                                    "how": "appends ?sslmode=require to POSTGRES_URL"}, model["runtime_tls"]


def test_db002_fails_when_the_app_demands_tls_the_server_does_not_offer(tmp_path: Path, fresh_db: str) -> None:
    _code, report = run_json(starter(tmp_path, fresh_db), "--only", "database")
    db002 = checks(report)["DB002"]
    assert db002["status"] == "fail", db002
    message = db002["message"]
    assert message.startswith("connected to PostgreSQL") and "TLS off" in message, message
    assert "app/db.ts appends ?sslmode=require to POSTGRES_URL, so it requires TLS, which this server " \
           "does not offer" in message, message
    assert "drop the sslmode suffix" in db002["hint"] and "enable TLS on the server" in db002["hint"], db002
    assert db002["fix"] in ("", None)
    assert db002["details"]["tls_required_by"] == "app/db.ts"


def test_the_ssl_option_of_postgres_js_and_node_postgres_counts_too(tmp_path: Path, fresh_db: str) -> None:
    for index, (module, how) in enumerate(((SSL_OPTION, "passes ssl: 'require' to postgres()"),
                                           (PG_POOL, "passes ssl: true to Pool()"))):
        project = starter(tmp_path / str(index), fresh_db, module)
        assert detect(project)["runtime_tls"]["how"] == how
        _code, report = run_json(project, "--only", "DB001,DB002")
        db002 = checks(report)["DB002"]
        assert db002["status"] == "fail" and f"app/db.ts {how}" in db002["message"], db002


def test_no_demand_seen_leaves_db002_passing(tmp_path: Path, fresh_db: str) -> None:
    for index, module in enumerate((CONDITIONAL, PLAIN)):
        project = starter(tmp_path / str(index), fresh_db, module)
        assert detect(project)["runtime_tls"] is None
        _code, report = run_json(project, "--only", "DB001,DB002")
        assert checks(report)["DB002"]["status"] == "pass", checks(report)["DB002"]


def test_a_server_with_tls_passes_as_the_app_connects(tmp_path: Path, pg_tls: TlsPostgres) -> None:
    name = f"starter_{uuid.uuid4().hex[:8]}"
    query(pg_tls.url("postgres"), f'CREATE DATABASE "{name}"')
    _code, report = run_json(starter(tmp_path, pg_tls.url(name, sslmode="require")), "--only", "database")
    db002 = checks(report)["DB002"]
    assert db002["status"] == "pass" and "TLS on" in db002["message"], db002
    # The app's own case, whole: it connects, and its empty database awaits the table app/db.ts creates.
    _code, report = run_json(tmp_path / "postgres-auth-starter", "--only", "database,schema")
    db004 = checks(report)["DB004"]
    assert db004["status"] == "skip" and "app/db.ts runs CREATE TABLE" in db004["message"], db004


def test_provision_local_db_warns_that_the_app_demands_tls(tmp_path: Path) -> None:
    project = starter(tmp_path, "")
    try:
        done = run_cli("provision", "local-db", "--project", str(project))
    finally:
        run_cli("provision", "local-db", "--stop", "--project", str(project))
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "POSTGRES_URL: wrote it to .env.local" in said or "POSTGRES_URL: replaced" in said, said
    assert "warning: the local PostgreSQL answers deploy-check, but the app's runtime client cannot connect to " \
           "it: app/db.ts appends ?sslmode=require to POSTGRES_URL" in said, said
    assert "drop the sslmode suffix" in said and "ssl = on" not in said, said


def test_the_tls_url_keeps_a_space_in_options_as_libpq_reads_it() -> None:
    # libpq decodes only %XX in a URI's query (PostgreSQL docs, "Connection URIs"): `+` stays `+`.
    url = requiring_tls("postgresql://app:pw@db.example.com/app?options=-c%20search_path%3Dapp&sslmode=disable")
    params = conninfo_to_dict(url)
    assert params["options"] == "-c search_path=app"
    assert params["sslmode"] == "require"
