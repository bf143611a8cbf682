"""`provision local-db` for an app that builds its database URL in code (after sebnun/langturbo's
`getDatabaseUri()`, tests/fixtures/apps/langturbo-db-helper): it wrote DATABASE_URL to .env, a
variable the app never reads, and the database checks then passed on that database. It now
refuses, naming the code and the variables the user should set, and starts nothing."""

from __future__ import annotations

from pathlib import Path

from provision.database import local_db_home

from helpers import app_fixture, provision_local_db


def test_local_db_refuses_to_write_a_variable_the_app_does_not_read(tmp_path: Path) -> None:
    project = app_fixture(tmp_path, "langturbo-db-helper", {".env": "POSTGRES_PASSWORD=devpassword\n"}, at="nextjs")
    code, said = provision_local_db(project)
    assert code == 1, said
    assert "drizzle.config.ts gets the database URL from getDatabaseUri() (lib/utils.ts), not from one variable" in said
    assert "make POSTGRES_PASSWORD in .env match it" in said and "NODE_ENV" not in said, said
    assert (project / ".env").read_text() == "POSTGRES_PASSWORD=devpassword\n"  # nothing guessed was written
    assert not (local_db_home(project) / "data").exists()  # and nothing was started
    assert "devpassword" not in said
