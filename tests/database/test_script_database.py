"""DB002 on an app that starts its own database from a package.json script: the refusal is
true while it is not running, and the hint names the command that starts it, not docker
compose or pg_ctl (the trial of ixartz/Next-js-Boilerplate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.support.pgbinaries import free_port

from helpers import run_cli, write_project


def boilerplate(tmp_path: Path, dev: str, port: int) -> Path:
    # ixartz/Next-js-Boilerplate package.json: "dev": "run-p db-server:file dev:*",
    # "db-server:file": "pglite-server -m 100 --db=local.db --run 'npm run db:migrate'" (port 5432 there).
    scripts = {"dev": dev, "dev:next": "next dev",
               "db-server:file": f"pglite-server -m 100 --db=local.db --port={port} --run 'npm run db:migrate'",
               "db:migrate": "dotenv -c -- drizzle-kit migrate"}
    return write_project(tmp_path, {
        "package.json": json.dumps({"name": "boilerplate", "scripts": scripts,
                                    "devDependencies": {"@electric-sql/pglite-socket": "^0.1.5"}}),
        ".env": f"DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:{port}/postgres\n",
    })


@pytest.mark.parametrize(("dev", "start"), [
    ("run-p db-server:file dev:*", "`npm run dev` (its db-server:file script runs pglite-server)"),
    ("run-p db-server:* dev:*", "`npm run dev` (its db-server:file script runs pglite-server)"),
    ("next dev", "`npm run db-server:file` (pglite-server)"),
])
def test_a_refused_database_the_app_starts_itself_names_its_script(tmp_path: Path, dev: str, start: str) -> None:
    port = free_port()
    project = boilerplate(tmp_path, dev, port)
    done = run_cli("check", "--project", str(project), "--only", "DB002", "-f", "json")
    db002 = json.loads(done.stdout)["checks"][0]
    assert db002["status"] == "fail", db002
    assert db002["hint"] == (f"The app starts this database itself: {start} listens on port {port}. Run it, "
                             "and check again while it runs.")
    assert db002["fix"] is None


def test_a_script_server_on_another_port_is_not_named(tmp_path: Path) -> None:
    port = free_port()
    project = boilerplate(tmp_path, "run-p db-server:file dev:*", port)
    env = project / ".env"
    env.write_text(env.read_text().replace(f":{port}/", f":{free_port()}/"))
    done = run_cli("check", "--project", str(project), "--only", "DB002", "-f", "json")
    db002 = json.loads(done.stdout)["checks"][0]
    assert db002["status"] == "fail"
    assert "pglite-server" not in db002["hint"]
