"""What may change the array or object a name of one source file holds, as CODE004's reading of
SQL text asks before it trusts a constant: another name for it, a member assigned through a
cast, a call handed it, a callback handed the array itself."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from checks.code.nodes import FUNCTIONS

if TYPE_CHECKING:
    from ast_grep_py import SgNode


WRAPPERS = ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion")
# Methods that change the array or object they are called on (the reader follows only the
# elements `.push()`, `.unshift()` and `.splice()` add), and calls that only read what they get.
MUTATORS = {"push", "unshift", "splice", "fill", "copyWithin", "set", "add", "delete", "clear"}
CALLBACKS = {"forEach": 3, "map": 3, "flatMap": 3, "filter": 3, "some": 3, "every": 3, "find": 3, "findIndex": 3,
             "findLast": 3, "findLastIndex": 3, "reduce": 4, "reduceRight": 4}
READ_CALLS = re.compile(r"^(?:console\.\w+|JSON\.stringify|Array\.isArray|Array\.from|Array\.of|String|Number|Boolean"
                        r"|Object\.(?:keys|values|entries|freeze|isFrozen))$")
ALIASING = {"pair", "array", "return_statement", "arrow_function", "ternary_expression", "yield_expression",
            "assignment_expression", "augmented_assignment_expression", "shorthand_property_identifier",
            "class_heritage", "new_expression"}


def outermost(node: SgNode) -> SgNode:
    """`node` with the parentheses and type assertions around it: `(T as any)` is T."""
    while (parent := node.parent()) is not None and parent.kind() in WRAPPERS:
        node = parent
    return node


def changes_contents(use: SgNode) -> bool:
    """Whether the array or object a name holds may change through this use of the name, as far
    as the reader cannot follow: a member assigned (`T.x = `, `(T as any).x = `, `delete T.x`), a
    changing method (`.fill()`), a callback handed the array itself (`forEach((c, i, all) => …)`),
    the value handed to a call (`Object.assign(T, body)`) or given another name (`const a = T`)."""
    if use.kind() == "shorthand_property_identifier":  # `{ T }`: an object holding it
        return True
    node = outermost(use)
    parent = node.parent()
    if parent is None:
        return False
    kind = parent.kind()
    if kind in ("member_expression", "subscript_expression") and parent.field("object") == node:
        top = outermost(parent)
        while (above := top.parent()) is not None and above.kind() in ("member_expression", "subscript_expression") \
                and above.field("object") == top:
            top = outermost(above)
        holder = top.parent()
        if holder is None:
            return False
        if holder.kind() in ("assignment_expression", "augmented_assignment_expression") and holder.field("left") == top:
            return True
        if holder.kind() == "update_expression" or (holder.kind() == "unary_expression"
                                                    and holder.text().startswith("delete")):
            return True
        if holder.kind() == "call_expression" and holder.field("function") == top and top.kind() == "member_expression":
            method = (top.field("property") or top).text()
            arguments = holder.field("arguments")
            given = arguments.named_children() if arguments is not None else []
            callback = given[0] if given else None
            return method in MUTATORS or (method in CALLBACKS and callback is not None and _arity(callback)
                                          >= CALLBACKS[method])
        return False
    if kind == "arguments":
        call = parent.parent()
        callee = call.field("function") if call is not None else None
        return callee is None or not READ_CALLS.match(callee.text())
    if kind == "variable_declarator":
        return parent.field("value") == node
    if kind == "binary_expression":
        return (parent.field("operator") or parent).text() in ("||", "&&", "??")
    return kind in ALIASING


def _arity(function: SgNode) -> int:
    if function.kind() not in FUNCTIONS:
        return 99  # a function declared elsewhere: it may take every argument
    if function.field("parameter") is not None:
        return 1
    parameters = function.field("parameters")
    return len(parameters.named_children()) if parameters is not None else 0


def changed_in(scope: SgNode, name: str) -> bool:
    """Whether any use of `name` in `scope` may change what it holds (changes_contents)."""
    return any(use.text() == name and changes_contents(use)
               for kind in ("identifier", "shorthand_property_identifier") for use in scope.find_all(kind=kind))
