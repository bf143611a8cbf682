"""A migrations folder far beyond any real app's (issue 20 §5: 100,000 files took 57 s /
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
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


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
