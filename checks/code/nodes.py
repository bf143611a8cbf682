"""What every reader of the parse tree asks of a node: where it is, a string's value,
a call's first argument, the function around it, what a name was assigned in it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from checks.code.facts import Site

if TYPE_CHECKING:
    from ast_grep_py import SgNode

FUNCTIONS = ("function_declaration", "function_expression", "arrow_function",
             "method_definition", "generator_function_declaration")


def site(node: SgNode) -> Site:
    start = node.range().start
    return Site(start.line + 1, start.column + 1)


def string_value(node: SgNode | None) -> str | None:
    """A string literal's value; a template's text with each `${…}` as `*`."""
    if node is None:
        return None
    if node.kind() == "string":
        return node.text()[1:-1]
    if node.kind() == "template_string":
        text = node.text()[1:-1]
        for part in node.find_all(kind="template_substitution"):
            text = text.replace(part.text(), "*", 1)
        return text
    return None


def first_argument(call: SgNode) -> SgNode | None:
    arguments = call.field("arguments")
    if arguments is None or arguments.kind() != "arguments":
        return None
    named = arguments.named_children()
    return named[0] if named else None


def enclosing_function(node: SgNode) -> SgNode | None:
    return next((a for a in node.ancestors() if a.kind() in FUNCTIONS), None)


def assigned_in_function(node: SgNode, name: str) -> SgNode | None:
    scope = enclosing_function(node) or node.get_root().root()
    for declarator in scope.find_all(kind="variable_declarator"):
        target, value = declarator.field("name"), declarator.field("value")
        if target is None or value is None:
            continue
        if target.text() == name or any(p.text() == name for p in target.find_all(
                kind="shorthand_property_identifier_pattern")):
            return value
    return None
