"""issue 20 §5: the schema source is the project's own file, in UTF-8, where it was pinned.
A link that leaves the project, bytes that are not UTF-8 and a pinned file that does not
exist each end the run with one line naming the file, exit 2 — never a verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_cli, write_project

APP = {"package.json": '{"name": "app", "dependencies": {"next": "15.0.0"}}\n'}


def refused(project: Path, fresh_db: str) -> list[tuple[int, str, str]]:
    """(exit, stderr lines but provision's target line, stdout) of `check` and `provision schema`."""
    (project / ".env.local").write_text(f"DATABASE_URL={fresh_db}\n")
    runs = [run_cli("check", "--project", str(project), "--only", "schema", "-f", "json"),
            run_cli("provision", "schema", "--project", str(project))]
    return [(done.returncode, "\n".join(line for line in done.stderr.strip().splitlines() if " target: " not in line),
             done.stdout) for done in runs]


def test_a_schema_sql_linked_out_of_the_project_is_refused(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path / "app", APP)
    (project / "schema.sql").symlink_to("/etc/passwd")
    for code, said, stdout in refused(project, fresh_db):
        assert code == 2, said + stdout
        assert said.startswith("deploy-check: schema.sql resolves outside the project") and "\n" not in said
        assert "root:x" not in said + stdout  # /etc/passwd starts "root:x:0:0:"


def test_a_migrations_folder_linked_out_of_the_project_is_refused(tmp_path: Path, fresh_db: str) -> None:
    elsewhere = write_project(tmp_path / "elsewhere", {"0001_init.sql": "CREATE TABLE a (id int);\n"})
    project = write_project(tmp_path / "app", APP)
    (project / "migrations").symlink_to(elsewhere)
    for code, said, _ in refused(project, fresh_db):
        assert code == 2 and said.startswith("deploy-check: migrations resolves outside the project"), said


@pytest.mark.parametrize(("data", "where"), [
    (b"CREATE TABLE caf\xe9 (id int);\n", "byte 0xe9 at offset 16 (invalid continuation byte)"),  # Latin-1
    (b"-- ok\n\xff\xfeC\x00R\x00", "byte 0xff at offset 6 (invalid start byte)"),  # a UTF-16 paste
])
def test_a_schema_sql_that_is_not_utf8_names_the_file_and_byte_offset(
        tmp_path: Path, fresh_db: str, data: bytes, where: str) -> None:
    project = write_project(tmp_path / "app", APP)
    (project / "schema.sql").write_bytes(data)
    for code, said, stdout in refused(project, fresh_db):
        assert code == 2, said + stdout
        assert said == f"deploy-check: schema.sql is not UTF-8 text: {where}; save it as UTF-8"


def test_a_pinned_schema_that_does_not_exist_is_named(tmp_path: Path, fresh_db: str) -> None:
    project = write_project(tmp_path / "app", {**APP, "deploy-check.toml": '[project]\nschema = "nope.sql"\n',
                                               "schema.sql": "CREATE TABLE a (id int);\n"})
    for code, said, _ in refused(project, fresh_db):
        assert code == 2
        assert said.startswith('deploy-check: deploy-check.toml: [project] schema = "nope.sql" does not exist'), said


def test_a_pinned_schema_outside_the_project_is_refused(tmp_path: Path, fresh_db: str) -> None:
    write_project(tmp_path, {"shared.sql": "CREATE TABLE a (id int);\n"})
    project = write_project(tmp_path / "app", {**APP, "deploy-check.toml": '[project]\nschema = "../shared.sql"\n'})
    for code, said, _ in refused(project, fresh_db):
        assert code == 2 and "../shared.sql resolves outside the project" in said, said
