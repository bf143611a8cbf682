"""A provisioner ended by SIGTERM or SIGHUP behaves like Ctrl-C: the statement is
cancelled on the server, the advisory lock is released, and the exit code is 130."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from helpers import REPO, clean_environ, write_project


def busy(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
            "AND pid <> pg_backend_pid()").fetchall()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_provision_schema_cancels_on_the_server(tmp_path: Path, fresh_db: str,
                                                                 sig: signal.Signals) -> None:
    project = write_project(tmp_path, {"schema.sql": "CREATE TABLE slow AS SELECT 1 AS x FROM pg_sleep(30);\n",
                                       ".env.local": f"DATABASE_URL={fresh_db}\n"})
    run = subprocess.Popen([sys.executable, "-m", "checks", "provision", "schema", "--project", str(project)],
                           cwd=REPO, env={**clean_environ(), "PYTHONPATH": str(REPO)},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not busy(fresh_db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert busy(fresh_db), "the statement never reached the server"
        run.send_signal(sig)
        _, stderr = run.communicate(timeout=20)
    finally:
        run.kill()
    assert run.returncode == 130, stderr
    assert "interrupted" in stderr
    deadline = time.monotonic() + 10
    while busy(fresh_db) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert busy(fresh_db) == []  # cancelled on the server, not left running with the lock


def test_waiting_for_another_runs_lock_is_said_on_stderr(tmp_path: Path, fresh_db: str) -> None:
    from provision.schema import LOCK_KEY

    project = write_project(tmp_path, {"schema.sql": "CREATE TABLE notes (id int);\n",
                                       ".env.local": f"DATABASE_URL={fresh_db}\n"})
    with psycopg.connect(fresh_db, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))  # another run, mid-apply
        run = subprocess.Popen([sys.executable, "-m", "checks", "provision", "schema", "--project", str(project)],
                               cwd=REPO, env={**clean_environ(), "PYTHONPATH": str(REPO)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert run.stderr is not None
            said = ""
            deadline = time.monotonic() + 30
            while "waiting for another `provision schema`" not in said and time.monotonic() < deadline:
                line = run.stderr.readline()
                if not line:
                    break
                said += line
            assert "waiting for another `provision schema` on this database" in said, said
            holder.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
            stdout, _ = run.communicate(timeout=30)
        finally:
            run.kill()
    assert run.returncode == 0
    assert "notes" in stdout
