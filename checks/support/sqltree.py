"""Walking pglast's parse trees, and the one question the flow's `sql` read-back asks of
its query: is it a single SELECT that cannot write?"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def children(node: Any) -> Iterable[Any]:
    from pglast import ast  # start-up: only runs that read SQL load pglast

    for name in type(node).__slots__:
        value = getattr(node, name, None)
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, tuple):
            stack = list(value)
            while stack:
                item = stack.pop(0)
                if isinstance(item, ast.Node):
                    yield item
                elif isinstance(item, tuple):
                    stack[:0] = list(item)


def read_only_select(query: str) -> str | None:
    """Why `query` is not one plain SELECT (None when it is): the read-back may not write,
    also not through a data-modifying CTE, SELECT … INTO or a second statement."""
    from pglast import ast, parse_sql  # start-up: only runs that read SQL load pglast
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

    try:
        statements = parse_sql(query)
    except ParseError as exc:
        return f"it does not parse: {exc}"
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        return "it must be exactly one SELECT"

    writes = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt, ast.IntoClause,
              ast.LockingClause)
    stack: list[Any] = [statements[0].stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, writes):
            return "it writes or locks (a data-modifying WITH, SELECT … INTO, FOR UPDATE)"
        stack.extend(children(node))
    return None
