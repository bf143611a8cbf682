"""`make bench`: every benchmark script in this directory, one after another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["startup", "schema", "schema_check", "concurrency", "devserver", "code", "browser"]


def main() -> int:
    failed = 0
    scripts = [HERE / f"{name}.py" for name in ORDER if (HERE / f"{name}.py").exists()]
    for script in scripts:
        print(f"\n== bench/{script.stem}", flush=True)
        done = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, timeout=1800, check=False)
        failed |= done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
