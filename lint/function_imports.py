"""Fails on an import inside a function that does not say why it is there.

An import belongs at the top of its module; one inside a function is only for start-up
time (an env-only run must not load psycopg, pglast, httpx or rich) and says so in a
comment on its line or the line above it that starts with `start-up:`. An import inside a
function to dodge a circle is what import-linter and lint/import_cycles.py exist to stop.

Run by `make lint`: python lint/function_imports.py checks provision
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MARK = "start-up:"


def type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def unexplained(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found: list[str] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if type_checking_block(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom) and in_function:
                said = lines[child.lineno - 1: child.end_lineno or child.lineno]
                above = lines[child.lineno - 2] if child.lineno >= 2 else ""
                if not any(MARK in line for line in [*said, above]):
                    found.append(f"{path}:{child.lineno}: {lines[child.lineno - 1].strip()}")
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(text), False)
    return found


def main(roots: list[str]) -> int:
    problems = [problem for root in roots for path in sorted(Path(root).rglob("*.py"))
                for problem in unexplained(path)]
    for problem in problems:
        print(f"{problem}  <- an import inside a function needs a `# {MARK} …` comment", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["checks", "provision"]))
