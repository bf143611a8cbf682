"""Fails on a module over MAX_LINES lines: a module should fit in a head. Split it by
responsibility (docs/architecture.md), not by line count.

Run by `make lint`: python lint/module_size.py checks provision
"""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LINES = 400


def main(roots: list[str]) -> int:
    over = [(path, count) for root in roots for path in sorted(Path(root).rglob("*.py"))
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    for path, count in over:
        print(f"{path}: {count} lines (at most {MAX_LINES})", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["checks", "provision"]))
