"""The parsed facts are cached by file content under .deploy-check/ and a large cold tree
is parsed across a process pool; both give exactly what one process parsing gives."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from checks.code.analysis import analyze
from checks.code.cache import CACHE_FILE, POOL_FROM, content_key, parse_many, parser_stamp
from checks.code.collect import parse_all, read_code
from checks.code.files import Role, SourceFile, read_sources
from checks.code.files import content_key as content_key_of
from checks.support.state import read_state, write_state

from helpers import REPO, clean_environ, locations, run_json, write_project


def _stored(project: Path) -> Any:
    found = read_state(project, CACHE_FILE)
    assert found is not None
    return found[0]

ROUTE = "export async function GET() {\n  const rows = await db.select().from(t)\n  return Response.json(rows)\n}\n"


def test_an_unchanged_file_is_read_from_the_cache_and_a_changed_one_parsed_again(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": "{}\n", "app/api/orders/route.ts": ROUTE})
    _, first = run_json(project, "--only", "CODE006")
    assert first["checks"][0]["status"] == "pass"
    cache = project / CACHE_FILE
    assert (cache.parent / ".gitignore").read_text().endswith("*\n")
    # The cache is what the next run reads: an entry this user's deploy-check wrote is what
    # it reports (written here through the one writer, which signs it).
    stored = _stored(project)
    source = read_sources(project)[0]
    stored["files"][content_key(source)]["limited_totals"] = [
        {"total": "totalOrders", "rows": "rows", "site": {"line": 2, "column": 9}}]
    write_state(project, CACHE_FILE, stored)
    _, cached = run_json(project, "--only", "CODE006")
    assert locations(cached["checks"][0]) == [
        "app/api/orders/route.ts:2:9 totalOrders is computed from rows, the result of a query with a limit"]
    # A changed file has another key: parsed again, and the cache holds only current files.
    (project / "app/api/orders/route.ts").write_text(
        "export async function GET() {\n  const rows = await db.select().from(t).limit(5)\n"
        "  const countRows = rows.length\n  return Response.json({ rows, countRows })\n}\n")
    _, changed = run_json(project, "--only", "CODE006")
    assert locations(changed["checks"][0]) == [
        "app/api/orders/route.ts:3:9 countRows is computed from rows, the result of a query with a limit"]
    assert list(_stored(project)["files"]) == [content_key(read_sources(project)[0])]


def test_a_process_pool_parses_a_large_tree_as_one_process_does(tmp_path: Path) -> None:
    files = {f"app/api/r{n}/route.ts": ROUTE.replace("from(t)", f"from(t{n}).limit({n})") for n in range(POOL_FROM)}
    files["components/List.tsx"] = "'use client'\nexport const load = () => fetch('/api/r1', { headers })\n"
    sources = read_sources(write_project(tmp_path, files))
    assert parse_many(sources) == [analyze(s.path, s.text) for s in sources]


def test_a_project_where_the_cache_cannot_be_written_is_checked_all_the_same(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": "{}\n", "app/api/orders/route.ts": ROUTE,
                                       ".deploy-check": "a file where the state folder would be\n"})
    _, report = run_json(project, "--only", "CODE006")
    assert report["checks"][0]["status"] == "pass"
    assert (project / ".deploy-check").read_text() == "a file where the state folder would be\n"


# -- the stat index (git's index): unchanged files are neither read nor hashed -----------
DAY_AGO_NS = time.time_ns() - 86_400 * 1_000_000_000  # far outside the racy window
SECRET_IN_CLIENT = "'use client'\nexport const key = process.env.STRIPE_SECRET_KEY\n"


def _age(path: Path) -> int:
    """The file's mtime set a day back (as a checkout leaves old files): not racily clean."""
    os.utime(path, ns=(DAY_AGO_NS, DAY_AGO_NS))
    return path.stat().st_mtime_ns


def test_an_edit_that_keeps_size_and_mtime_is_still_seen_by_its_ctime(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": "{}\n", "lib/keys.ts": SECRET_IN_CLIENT})
    source = project / "lib/keys.ts"
    mtime = _age(source)
    _, first = run_json(project, "--only", "CODE005")
    assert locations(first["checks"][0]) == ["lib/keys.ts:2:20 process.env.STRIPE_SECRET_KEY is a server "
                                             "secret, read in client code (a 'use client' module)"]
    inode = source.stat().st_ino
    # Same size, same inode, mtime set back as `touch -d` or a careful tool would: only the
    # ctime, which no tool can set, says the file changed since the index recorded it. The
    # module stays client code and now reads another variable: the finding must name it.
    source.write_text(SECRET_IN_CLIENT.replace("STRIPE_SECRET_KEY", "STRIPE_OTHER_KEYS"))
    os.utime(source, ns=(mtime, mtime))
    changed = source.stat()
    assert (changed.st_size, changed.st_mtime_ns, changed.st_ino) == (len(SECRET_IN_CLIENT), mtime, inode)
    _, second = run_json(project, "--only", "CODE005")
    assert locations(second["checks"][0]) == ["lib/keys.ts:2:20 process.env.STRIPE_OTHER_KEYS is a server "
                                              "secret, read in client code (a 'use client' module)"]


def _doctored(project: Path, rel: str, old: SourceFile) -> None:
    """The index entry of `rel` given the file's current stat data but its old content
    key, lines and directive: what an index recorded in the same tick as an edit holds."""
    stored = _stored(project)
    info = (project / rel).stat()
    stored["index"][rel] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino,
                            old.key, old.lines, old.said]
    write_state(project, CACHE_FILE, stored)


def test_a_file_changed_within_the_racy_window_is_read_again(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": "{}\n", "lib/keys.ts": SECRET_IN_CLIENT})
    parse_all(read_code(project), project)
    old = read_code(project).by_path["lib/keys.ts"]
    (project / "lib/keys.ts").write_text(SECRET_IN_CLIENT.replace("'use client'", "'use server'"))
    # The entry matches the file's stat data exactly, but the file's mtime is within 2 s of
    # the cache's own write: racily clean, so it is read and hashed again.
    _doctored(project, "lib/keys.ts", old)
    again = read_code(project).by_path["lib/keys.ts"]
    assert again.text is not None and (again.said, again.key) == ("server", content_key_of("lib/keys.ts", again.text))
    # The same doctored entry on a file a day old is trusted as git trusts it: not read, its
    # old directive kept (which is how the fast path saves the reading).
    _age(project / "lib/keys.ts")
    _doctored(project, "lib/keys.ts", old)
    trusted = read_code(project).by_path["lib/keys.ts"]
    assert (trusted.text, trusted.said, trusted.key) == (None, "client", old.key)


def test_an_unchanged_tree_is_not_read_and_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": "{}\n", "app/api/orders/route.ts": ROUTE,
                                       "lib/keys.ts": SECRET_IN_CLIENT})
    for rel in ("app/api/orders/route.ts", "lib/keys.ts"):
        _age(project / rel)
    first = parse_all(read_code(project), project)
    assert all(f.text is not None for f in first.files)  # no cache yet: each file read
    unchanged = parse_all(read_code(project), project)
    assert [(f.path, f.text, f.role, f.lines) for f in unchanged.files] == [
        ("app/api/orders/route.ts", None, Role.ROUTE, 4), ("lib/keys.ts", None, Role.CLIENT, 2)]
    assert unchanged.parsed == first.parsed
    (project / "app/api/orders/route.ts").write_text(ROUTE.replace("from(t)", "from(t).limit(5)") +
                                                     "export const countRows = 0\n")
    changed = parse_all(read_code(project), project)
    route = changed.by_path["app/api/orders/route.ts"]
    assert (route.text is not None, route.lines) == (True, 5)
    assert changed.parsed["app/api/orders/route.ts"].exports == ["GET", "countRows"]
    assert changed.by_path["lib/keys.ts"].text is None


def test_a_fifo_where_an_indexed_file_was_stays_unread(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": "{}\n", "app/api/orders/route.ts": ROUTE,
                                       "app/api/x/route.ts": ROUTE})
    fifo = project / "app/api/x/route.ts"
    _age(fifo)
    parse_all(read_code(project), project)
    fifo.unlink()
    os.mkfifo(fifo)  # a blocking read would hang the run; its lstat is no regular file's
    _age(fifo)
    code = parse_all(read_code(project), project)
    assert [f.path for f in code.files] == ["app/api/orders/route.ts"]
    assert list(_stored(project)["index"]) == ["app/api/orders/route.ts"]


def test_the_pool_never_imports_the_projects_own_python(tmp_path: Path) -> None:
    """A spawned worker is `python -c …` in the run's directory, the project: a committed
    `multiprocessing/` folder there was imported, and run, by `check --only code`."""
    marker = tmp_path / "ran"
    files = {f"app/api/r{n}/route.ts": ROUTE for n in range(POOL_FROM)}
    files["multiprocessing/__init__.py"] = f"open({str(marker)!r}, 'w').write('ran')\n"
    project = write_project(tmp_path / "app", files)
    # Started as a user starts it: the installed script (no -P of its own for the workers
    # to inherit, and the script's folder, not the project, on its own sys.path).
    done = subprocess.run([str(Path(sys.executable).parent / "deploy-check"), "check", "--only", "CODE006", "-f", "json"],
                          cwd=project, env=clean_environ(PYTHONPATH=str(REPO)), capture_output=True, text=True,
                          timeout=300, check=False)
    assert json.loads(done.stdout)["checks"][0]["status"] == "pass", done.stderr
    assert not marker.exists()


@pytest.mark.parametrize("module", ["checks.code.nodes", "checks.code.totals", "checks.code.analysis",
                                    "checks.code.sqltext", "checks.code.scopes", "checks.code.sqlbuilt"])
def test_the_stamp_changes_with_every_module_analyze_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          module: str) -> None:
    # nodes.py and totals.py came out of analysis.py (review: the stamp missed them, and
    # stale facts were served after a change there).
    before = parser_stamp()
    loaded = importlib.import_module(module)
    changed = tmp_path / "changed.py"
    changed.write_bytes(Path(str(loaded.__file__)).read_bytes() + b"\n# changed\n")
    monkeypatch.setattr(loaded, "__file__", str(changed))
    assert parser_stamp() != before
