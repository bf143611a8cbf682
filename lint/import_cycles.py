"""Fails when our modules import each other in a circle, also through imports inside
functions (import-linter's layers see circles between layers; this sees those within one).

Run by `make lint`: python lint/import_cycles.py
"""

from __future__ import annotations

import sys

import grimp

ROOTS = ("checks", "provision")


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's, iterative)."""
    modules = sorted(m for m in graph.modules if m.split(".")[0] in ROOTS)
    # A package's __init__ is its own module; `checks.x` importing `checks.x.y` is a real edge.
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & set(modules)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main() -> int:
    graph = grimp.build_graph(*ROOTS, cache_dir=None)
    found = cycles(graph)
    for component in found:
        print("import circle: " + " <-> ".join(component), file=sys.stderr)
    if not found:
        print(f"no import circle among {sum(1 for m in graph.modules if m.split('.')[0] in ROOTS)} modules")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
