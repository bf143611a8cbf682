"""Issue 21 (`figures()`, in `make bench`): DB006 and a no-op `provision schema` over 5,000
drizzle migrations, each within 1.2x an env-only run, and the cost per migration next to
drizzle-orm's own migrator doing nothing on the same history (the anchor; left out where
node or the npm registry is missing). Interleaved medians.

`main()`: a migrations folder far beyond any real app's (issue 20 §5: 100,000 files took 57 s /
312 MB to check and 72 s / 376 MB to provision). deploy-check reads at most
MAX_MIGRATION_FILES (checks/support/files.py) and refuses a larger folder at once, naming
it, exit 2. This times whole processes (`check --only schema`, `provision schema
--dry-run`) on a generated Supabase-shaped folder of N files, with their peak memory.
Goals: the refusal at 100,000 files <= 3 s and <= 128 MiB (measured on a loaded 2-core
machine: 2.4 s / 99 MiB check, 3.3 s / 68 MiB provision; 1.1 s alone); at the limit, the
files are still read (12-19 s, 75 MiB; the database here is unreachable on purpose).

    python bench/migrations.py [--sizes 1000,10000,100000] [--repo PATH]

`--repo` times another checkout's code with this one's interpreter (before/after figures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from figures import Figure, as_installed, interleaved_medians, npm_packages  # noqa: E402


def make_project(root: Path, files: int) -> Path:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text('project_id = "bench"\n')
    (root / ".env.local").write_text("DATABASE_URL=postgresql://bench:bench@127.0.0.1:9/bench\n")
    for index in range(files):
        (folder / f"{20240101000000 + index}_t{index}.sql").write_text(f"create table t{index} (id int);\n")
    return root


def timed(repo: Path, *args: str) -> tuple[float, float, int, str]:
    """(seconds, peak MiB of the child, exit code, last stderr line)."""
    script = ("import resource, subprocess, sys, time; began = time.perf_counter(); "
              "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "took = time.perf_counter() - began; "
              "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
              "print(took, peak, done.returncode, (done.stderr.strip().splitlines() or [''])[-1][:140], sep='\\t')")
    env = {**os.environ, "PYTHONPATH": str(repo)}
    out = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "checks", *args],
                         env=env, capture_output=True, text=True, timeout=900, check=True).stdout
    took, peak, code, said = out.rstrip("\n").split("\t", 3)
    return float(took), float(peak), int(code), said


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repo", type=Path, default=HERE.parent)
    options = parser.parse_args()
    for size in (int(s) for s in options.sizes.split(",")):
        with tempfile.TemporaryDirectory() as temp:
            project = make_project(Path(temp) / "app", size)
            for label, args in (("check --only schema", ("check", "--only", "schema", "-f", "json")),
                                ("provision schema --dry-run", ("provision", "schema", "--dry-run"))):
                took, peak, code, said = timed(options.repo, *args, "--project", str(project))
                print(f"{size:>7,} files  {label:<27} {took:6.2f} s  {peak:6.0f} MiB  exit {code}  {said}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --- issue 21: the cost per migration ------------------------------------------------
MIGRATIONS = int(os.environ.get("BENCH_MIGRATIONS", "5000"))
RUNS = int(os.environ.get("BENCH_RUNS", "11"))  # per-µs figures: 7 runs left a 4 µs spread
# drizzle-orm's migrator (node-postgres), as an app's migrate script runs it; the cache
# holds tests/node/migrators' lockfile (drizzle-orm 0.45.4, pg 8.23.1).
DRIZZLE_NOOP = """
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try { await migrate(drizzle(client), { migrationsFolder: process.argv[2] }); } finally { await client.end(); }
"""


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
    (project / "drizzle.config.ts").write_text(
        'import { defineConfig } from "drizzle-kit";\nexport default defineConfig({ dialect: "postgresql", '
        'schema: "./src/db/schema.ts", out: "./drizzle", dbCredentials: { url: process.env.DATABASE_URL! } });\n')
    (project / "package.json").write_text('{"name": "bench", "dependencies": {"drizzle-orm": "0.45.4"}}\n')


def figures() -> list[Figure]:
    sys.path.insert(0, str(HERE.parent))
    from checks.support.pgembed import EmbeddedPostgres

    repo = Path(os.environ.get("BENCH_REPO") or HERE.parent)
    as_installed(repo)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PG"))},
           "PYTHONPATH": str(repo)}
    cli = [sys.executable, "-m", "checks"]
    node_dir = npm_packages("migrators", [], lockfile_dir=HERE.parent / "tests" / "node" / "migrators")
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        server = EmbeddedPostgres(root / "pg", password="bench-password", durable=False, timeout=120,
                                  settings={"max_locks_per_transaction": "1024"})
        server.start()
        try:
            commands: dict[str, list[str]] = {}
            for count in (1, MIGRATIONS):
                project = root / f"app{count}"
                drizzle_history(project, count)
                database = f"history_{count}"
                server.create_database(database)
                # drizzle-kit reads .env itself (its config loads no env file): the app's file.
                (project / ".env").write_text(f"DATABASE_URL={server.url(database)}\n")
                (project / ".env.example").write_text("DATABASE_URL=\n")
                subprocess.run([*cli, "provision", "schema", "--project", str(project)], env=env, cwd=repo,
                               capture_output=True, timeout=900, check=True)
                commands[f"db006 {count}"] = [*cli, "check", "--only", "DB006", "-f", "json", "--project",
                                              str(project)]
                commands[f"noop {count}"] = [*cli, "provision", "schema", "--project", str(project)]
                if node_dir is not None:
                    script = node_dir / "drizzle-noop.mjs"
                    script.write_text(DRIZZLE_NOOP)
                    commands[f"drizzle {count}"] = ["env", f"DATABASE_URL={server.url(database)}", "node",
                                                    str(script), str(project / "drizzle")]
            commands["env"] = [*cli, "check", "--only", "env", "-f", "json", "--project", str(root / "app1")]
            # The floor of any run that reads a database: importing the driver, nothing else.
            commands["psycopg"] = [sys.executable, "-c", "import psycopg"]
            took = interleaved_medians(commands, RUNS, env=env, cwd=str(repo))
        finally:
            server.stop()
    env_only, per = took["env"], MIGRATIONS - 1
    found = []
    for label, key in (("DB006", "db006"), ("provision schema no-op", "noop")):
        whole = took[f"{key} {MIGRATIONS}"]
        found.append(Figure(f"{label}, {MIGRATIONS:,} drizzle migrations", whole * 1000, "ms", "env-only run",
                            env_only * 1000, "≤ 1.2x anchor", whole <= 1.2 * env_only,
                            note=f"{whole / env_only:.2f}x"))
    drizzle_each = ((took[f"drizzle {MIGRATIONS}"] - took["drizzle 1"]) / per * 1e6
                    if node_dir is not None else None)
    for label, key in (("DB006", "db006"), ("provision schema no-op", "noop")):
        each = (took[f"{key} {MIGRATIONS}"] - took[f"{key} 1"]) / per * 1e6
        found.append(Figure(f"{label}: cost per migration", each, "µs", "drizzle-orm migrator no-op",
                            drizzle_each, "≤ anchor", None if drizzle_each is None else each <= max(drizzle_each, 0),
                            note="" if drizzle_each is not None else "node/npm or the npm registry unavailable"))
    found.append(Figure("floor: python -c 'import psycopg'", took["psycopg"] * 1000, "ms", "env-only run",
                        env_only * 1000, note=f"{took['psycopg'] / env_only:.2f}x: a database run's least"))
    if node_dir is not None:
        found.append(Figure(f"drizzle-orm migrator no-op, {MIGRATIONS:,} migrations",
                            took[f"drizzle {MIGRATIONS}"] * 1000, "ms"))
    return found
