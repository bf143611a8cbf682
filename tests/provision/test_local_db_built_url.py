"""`provision local-db` for an app that builds its database URL in code (after sebnun/langturbo's
`getDatabaseUri()`, tests/fixtures/apps/langturbo-db-helper): it wrote DATABASE_URL to .env, a
variable the app never reads, and the database checks then passed on that database. It now
refuses, naming the code and the variables the user should set, and starts nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from provision.database import local_db_home, stop_local_db

REPO = Path(__file__).resolve().parents[2]


def test_local_db_refuses_to_write_a_variable_the_app_does_not_read(tmp_path: Path) -> None:
    project = tmp_path / "nextjs"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "langturbo-db-helper", project)
    (project / ".env").write_text("POSTGRES_PASSWORD=devpassword\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project), "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([sys.executable, "-m", "checks", "provision", "local-db", "--project", str(project)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        stop_local_db(project)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "drizzle.config.ts gets the database URL from getDatabaseUri() (lib/utils.ts), not from one variable" in said
    assert "make POSTGRES_PASSWORD in .env match it" in said and "NODE_ENV" not in said, said
    assert (project / ".env").read_text() == "POSTGRES_PASSWORD=devpassword\n"  # nothing guessed was written
    assert not (local_db_home(project) / "data").exists()  # and nothing was started
    assert "devpassword" not in said
