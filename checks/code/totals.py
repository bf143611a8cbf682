"""CODE006's facts: a total summed or counted from the rows of a query with a limit."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from checks.code.facts import LimitedTotal, Site
from checks.code.nodes import FUNCTIONS, site

if TYPE_CHECKING:
    from ast_grep_py import SgNode

LIMITED = re.compile(r"\.limit\(|\bLIMIT\b|\btake\s*:|\bfirst\s*:")
TOTAL_NAME = re.compile(r"^(?:total|sum|count)", re.IGNORECASE)
TOTAL_WORD = re.compile(r"\b(?:total|sum|count)", re.IGNORECASE)


def limited_totals(root: SgNode) -> list[LimitedTotal]:
    found: dict[Site, LimitedTotal] = {}
    # Only functions that hold a limited query can hold a finding; the outermost one sees
    # every declarator its nested functions see, in the same order.
    outermost: dict[tuple[int, int], SgNode] = {}
    for declarator in root.find_all(kind="variable_declarator"):
        value = declarator.field("value")
        if value is None or not LIMITED.search(value.text()):
            continue
        functions = [a for a in declarator.ancestors() if a.kind() in FUNCTIONS]
        if functions:
            start = functions[-1].range().start
            outermost.setdefault((start.line, start.column), functions[-1])
    for function in outermost.values():
        limited: set[str] = set()
        for declarator in function.find_all(kind="variable_declarator"):
            target, value = declarator.field("name"), declarator.field("value")
            if target is None or value is None:
                continue
            if LIMITED.search(value.text()):
                limited |= {i.text() for i in ([target] if target.kind() == "identifier"
                                                else target.find_all(kind="shorthand_property_identifier_pattern"))}
            elif target.kind() == "identifier" and TOTAL_NAME.match(target.text()):
                used = _reads_rows(value.text(), limited)
                if used:
                    found[site(declarator)] = LimitedTotal(target.text(), used, site(declarator))
        for loop in function.find_all(kind="for_in_statement"):
            right = loop.field("right")
            rows = right.text().split(".")[0] if right is not None else ""
            if rows in limited:
                for update in loop.find_all(kind="augmented_assignment_expression"):
                    left = update.field("left")
                    if left is not None and TOTAL_NAME.match(left.text()):
                        found[site(update)] = LimitedTotal(left.text(), rows, site(update))
    return list(found.values())


def _reads_rows(expression: str, limited: set[str]) -> str | None:
    for rows in limited:
        if re.search(rf"\b{re.escape(rows)}(?:\.\w+)*\.(?:reduce\(|length\b)", expression):
            return rows
    return None
