"""The parsed facts are cached by file content under .deploy-check/ and a large cold tree
is parsed across a process pool; both give exactly what one process parsing gives."""

from __future__ import annotations

import json
from pathlib import Path

from checks.code.analysis import analyze
from checks.code.cache import CACHE_FILE, POOL_FROM, content_key, parse_many
from checks.code.files import read_sources

from helpers import locations, run_json, write_project

ROUTE = "export async function GET() {\n  const rows = await db.select().from(t)\n  return Response.json(rows)\n}\n"


def test_an_unchanged_file_is_read_from_the_cache_and_a_changed_one_parsed_again(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": "{}\n", "app/api/orders/route.ts": ROUTE})
    _, first = run_json(project, "--only", "CODE006")
    assert first["checks"][0]["status"] == "pass"
    cache = project / CACHE_FILE
    assert (cache.parent / ".gitignore").read_text().endswith("*\n")
    # The cache is what the next run reads: an entry edited by hand is what it reports.
    stored = json.loads(cache.read_text())
    source = read_sources(project)[0]
    stored["files"][content_key(source)]["limited_totals"] = [
        {"total": "totalOrders", "rows": "rows", "site": {"line": 2, "column": 9}}]
    cache.write_text(json.dumps(stored))
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
    assert list(json.loads(cache.read_text())["files"]) == [content_key(read_sources(project)[0])]


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
