"""Issue 21: a migration history is read once per run — each file opened once (its digest
serves the migrator's checksum, the parse cache's key and the report's inputs), however
many checks and steps ask. Counted with Python's own audit hook on `open`."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from helpers import run_cli, run_python, write_project

# Shaped after drizzle-kit 0.31 `generate` output for PostgreSQL (meta/_journal.json
# entries{idx, version, when, tag, breakpoints}); written for this test.
COUNT = 12


def history(root: Path, url: str) -> Path:
    entries = [{"idx": n, "version": "7", "when": 1732000000000 + n * 1000, "tag": f"{n:04d}_t{n}",
                "breakpoints": True} for n in range(COUNT)]
    files = {f"drizzle/{n:04d}_t{n}.sql": f'CREATE TABLE "t{n}" (\n\t"id" serial PRIMARY KEY NOT NULL\n);\n'
             for n in range(COUNT)}
    return write_project(root, {
        ".env.local": f"DATABASE_URL={url}\n",
        ".env.local.example": "DATABASE_URL=\n",
        "package.json": '{"name": "app", "dependencies": {"drizzle-orm": "0.45.4"}}\n',
        "drizzle/meta/_journal.json": json.dumps({"version": "7", "dialect": "postgresql", "entries": entries}),
        **files})


def opened(project: Path, *args: str) -> collections.Counter[str]:
    """How often each migration file was opened by one run of `deploy-check ARGS`."""
    program = (
        "import sys, contextlib, io\n"
        "seen = []\n"
        "sys.addaudithook(lambda event, args: seen.append(str(args[0])) if event == 'open' else None)\n"
        "from checks.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({[*args, '--project', str(project)]!r})\n"
        "print('\\n'.join(p for p in seen if p.endswith('.sql')))\n"
    )
    done = run_python(program, timeout=120)
    return collections.Counter(Path(line).name for line in done.stdout.splitlines())


@pytest.mark.parametrize("args", [["check", "--only", "DB006,DB004", "-f", "json"], ["provision", "schema"]])
def test_each_migration_file_is_read_once_per_run(tmp_path: Path, fresh_db: str, args: list[str]) -> None:
    project = history(tmp_path, fresh_db)
    applied = run_cli("provision", "schema", "--project", str(project))
    assert applied.returncode == 0, applied.stderr
    run_cli("check", "--only", "DB004", "--project", str(project))  # the parse cache is written
    counts = opened(project, *args)
    assert sorted(counts) == sorted(f"{n:04d}_t{n}.sql" for n in range(COUNT)), counts
    assert set(counts.values()) == {1}, counts


def imported(project: Path, *args: str) -> set[str]:
    """The top-level packages one run of `deploy-check ARGS` imported."""
    program = (
        "import sys, contextlib, io\n"
        "from checks.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({[*args, '--project', str(project)]!r})\n"
        "print('\\n'.join(sorted({name.partition('.')[0] for name in sys.modules})))\n"
    )
    done = run_python(program, timeout=120, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("args", [["check", "--only", "DB006", "-f", "json"], ["provision", "schema"]])
def test_an_applied_history_is_compared_without_parsing_any_sql(tmp_path: Path, fresh_db: str,
                                                                 args: list[str]) -> None:
    """Nothing pending: the history table against the files' hashes is the whole answer, so
    no migration is parsed (pglast, 60 ms to import, is never loaded)."""
    project = history(tmp_path, fresh_db)
    applied = run_cli("provision", "schema", "--project", str(project))
    assert applied.returncode == 0, applied.stderr
    modules = imported(project, *args)
    assert "psycopg" in modules  # the database was read
    assert "pglast" not in modules


def inputs(project: Path, only: str) -> dict[str, str]:
    done = run_cli("check", "--only", only, "-f", "json", "--project", str(project))
    digests: dict[str, str] = json.loads(done.stdout)["inputs"]
    return digests


@pytest.mark.parametrize("linked", [False, True])
def test_the_reports_inputs_list_the_history_alike_whichever_check_read_it(tmp_path: Path, fresh_db: str,
                                                                           linked: bool) -> None:
    """DB006 hands its migrator's reading of the journal to the report (issue 21: 5,000
    entries parsed once): the same files in the same order as the report lists them on its
    own, a file the journal leaves out left out by both, a journal over 1 MiB read by both,
    and a folder reached through a link named where it leads."""
    project = history(tmp_path, fresh_db)
    journal = project / "drizzle" / "meta" / "_journal.json"
    journal.write_text(journal.read_text() + " " * (1 << 20))  # drizzle's JSON.parse takes it
    (project / "drizzle" / "9999_stray.sql").write_text("CREATE TABLE stray (id int);\n")
    if linked:
        (project / "drizzle").rename(project / "db")
        (project / "drizzle").symlink_to(project / "db")
    assert run_cli("provision", "schema", "--project", str(project)).returncode == 0
    by_db006, alone = inputs(project, "DB006"), inputs(project, "ENV001")
    folder = "db" if linked else "drizzle"
    listed = [name for name in by_db006 if name.endswith(".sql")]
    assert listed == [f"{folder}/{n:04d}_t{n}.sql" for n in range(COUNT)], listed
    assert list(by_db006.items()) == list(alone.items())
