"""`make bench`: every benchmark, one after another, then one table of figures, each next to
its anchor measured in the same run, with `met` / `NOT MET` against issue 21's targets.

A benchmark with figures is a module here with `figures() -> list[Figure]`
(bench/figures.py): add it to FIGURES, one line. A script without figures goes in SCRIPTS
and prints what it prints."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from figures import Figure, as_installed, line  # noqa: E402

FIGURES = [
    "startup",
    "migrations",
    "schema",
    "schema_check",
    "devserver",
    "code",
    "browser",
    "masking",
]
SCRIPTS = ["concurrency"]


def main() -> int:
    # Every figure measures deploy-check as a user runs it: its modules already bytecode.
    as_installed(Path(os.environ.get("BENCH_REPO") or HERE.parent))
    failed = 0
    collected: list[tuple[str, list[Figure]]] = []
    for name in FIGURES:
        print(f"\n== bench/{name}", flush=True)
        try:
            found = importlib.import_module(name).figures()
        except Exception:  # one broken bench must not hide the others' figures
            traceback.print_exc()
            failed = 1
            continue
        for figure in found:
            print(line(figure), flush=True)
        collected.append((name, found))
    for name in SCRIPTS:
        print(f"\n== bench/{name}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / f"{name}.py")], cwd=HERE.parent, timeout=1800,
                              check=False)
        failed |= done.returncode != 0
    print("\n== figures (issue 21 targets; each anchor measured in the same run)")
    for name, found in collected:
        print(f" {name}")
        for figure in found:
            print(line(figure))
    missed = [f.name for _, found in collected for f in found if f.met is False]
    print(f"\n{len(missed)} target(s) not met" + (f": {', '.join(missed)}" if missed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
