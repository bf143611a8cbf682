"""An app whose runtime client is Neon's serverless driver (tests/fixtures/apps/neon-serverless-pool,
after TECH-JBPORTALS/Tascboard src/server/db/index.ts) cannot use a plain PostgreSQL: `Pool` opens
wss://<host>/v2 and `neon()` posts to https://<host>/sql, both on port 443 (the driver's
CONFIG.md defaults). DB002 passed on the local database every query of the app then failed on
(ECONNREFUSED 127.0.0.1:443), and `provision local-db` said nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, detect, provision_local_db, run_json
from helpers import checks_by_id as checks

FIXTURES = REPO / "tests" / "fixtures" / "apps"
# drizzle-orm/neon-http over neon(): the driver's HTTP transport (orm.drizzle.team/docs/connect-neon).
NEON_HTTP = ('import { neon } from "@neondatabase/serverless";\nimport { drizzle } from "drizzle-orm/neon-http";\n'
             'import { env } from "@/env";\n\nconst sql = neon(env.DATABASE_URL);\nexport const db = drizzle({ client: sql });\n')
# A local WebSocket proxy, as the driver's CONFIG.md ("wsProxy") and DEPLOY.md describe it.
WITH_PROXY = ('import { drizzle } from "drizzle-orm/neon-serverless";\nimport { Pool, neonConfig } from "@neondatabase/serverless";\n'
              'import { env } from "@/env";\n\nif (env.NODE_ENV === "development") {\n'
              '  neonConfig.wsProxy = (host) => `${host}:5433/v1`;\n  neonConfig.useSecureWebSocket = false;\n'
              '  neonConfig.pipelineConnect = false;\n}\n'
              'const pool = new Pool({ connectionString: env.DATABASE_URL });\nexport const db = drizzle({ client: pool });\n')


def tascboard(tmp_path: Path, url: str, runtime: str | None = None) -> Path:
    project = tmp_path / "tascboard"
    shutil.copytree(FIXTURES / "neon-serverless-pool", project)
    (project / ".env").write_text(f"DATABASE_URL={url}\n")
    if runtime is not None:
        (project / "src/server/db/index.ts").write_text(runtime)
    return project


def test_a_neon_pool_on_a_local_postgresql_fails_db002_naming_the_driver(tmp_path: Path, fresh_db: str) -> None:
    project = tascboard(tmp_path, fresh_db)
    assert detect(project)["runtime_driver"]["transport"] == "websocket"
    _code, report = run_json(project, "--only", "database")
    db002 = checks(report)["DB002"]
    assert db002["status"] == "fail", db002
    message = db002["message"]
    assert message.startswith("connected to PostgreSQL"), message  # the database itself answers
    assert "src/server/db/index.ts uses @neondatabase/serverless (Pool/Client through " \
           "drizzle-orm/neon-serverless)" in message, message
    assert "wss://127.0.0.1/v2 on port 443" in message and "neonConfig" in message, message
    assert "neon.tech" in db002["hint"] and "neonConfig.wsProxy" in db002["hint"], db002["hint"]
    assert db002["fix"] in ("", None)


def test_neon_http_on_a_local_postgresql_names_fetch_endpoint(tmp_path: Path, fresh_db: str) -> None:
    project = tascboard(tmp_path, fresh_db, NEON_HTTP)
    _code, report = run_json(project, "--only", "DB001,DB002")
    db002 = checks(report)["DB002"]
    assert db002["status"] == "fail", db002
    assert "neon() through drizzle-orm/neon-http" in db002["message"], db002["message"]
    assert "https://127.0.0.1/sql" in db002["message"] and "neonConfig.fetchEndpoint" in db002["hint"], db002


def test_an_app_that_routes_the_driver_to_a_local_proxy_is_taken_at_its_word(tmp_path: Path, fresh_db: str) -> None:
    project = tascboard(tmp_path, fresh_db, WITH_PROXY)
    assert detect(project)["runtime_driver"]["local_proxy"] == "neonConfig.wsProxy in src/server/db/index.ts"
    _code, report = run_json(project, "--only", "DB001,DB002")
    assert checks(report)["DB002"]["status"] == "pass", checks(report)["DB002"]


def test_a_tcp_driver_on_the_same_database_still_passes(tmp_path: Path, fresh_db: str) -> None:
    project = tascboard(tmp_path, fresh_db, 'import { drizzle } from "drizzle-orm/node-postgres";\n'
                                            'import { env } from "@/env";\n'
                                            "export const db = drizzle(env.DATABASE_URL);\n")
    assert detect(project)["runtime_driver"] is None
    _code, report = run_json(project, "--only", "DB001,DB002")
    assert checks(report)["DB002"]["status"] == "pass", checks(report)["DB002"]


def test_provision_local_db_warns_that_the_neon_driver_cannot_use_it(tmp_path: Path) -> None:
    project = tascboard(tmp_path, "")
    code, said = provision_local_db(project)
    assert code == 0, said
    assert "DATABASE_URL: wrote it to .env" in said or "DATABASE_URL: replaced" in said, said
    assert "warning: the local PostgreSQL answers deploy-check, but the app's runtime client cannot use it: " \
           "src/server/db/index.ts uses @neondatabase/serverless" in said, said
