"""Where a name of one source file is declared, as CODE004's reading of SQL text asks it: a
function's own declarations, its parameters (and their TypeScript types), the module's constants
(objects, enums), a class's fields, and the module a name is imported from."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from checks.code.nodes import FUNCTIONS, enclosing_function

if TYPE_CHECKING:
    from ast_grep_py import SgNode

# What makes an array or a string, the methods whose result is one, and the TypeScript types
# that say a parameter is one.
SEQUENCE_MAKERS = {"Object.keys", "Object.values", "Object.entries", "Array.from", "Array.of", "Array", "String"}
SEQUENCE_METHODS = {"map", "flatMap", "filter", "slice", "sort", "reverse", "concat", "toSorted", "toReversed", "flat",
                    "split", "join", "fill", "repeat", "substring", "substr", "trim", "trimStart", "trimEnd",
                    "toUpperCase", "toLowerCase", "padStart", "padEnd", "replace", "replaceAll"}
# Methods whose result is an array (slice and concat are when their receiver is one).
ARRAY_MADE = {"map", "flatMap", "filter", "sort", "reverse", "toSorted", "toReversed", "flat", "fill", "split"}
MAX_DEPTH = 12  # names followed through names: a real placeholder list is three or four deep
SEQUENCE_TYPE = re.compile(r"^(?:string|(?:readonly\s+)?[\w.]+\[\]|(?:Readonly)?Array<.*>)$")


def declaration(use: SgNode, name: str) -> SgNode | None:
    """The declaration of `name` that `use` sees: a function, an enum, or a declarator."""
    for ancestor in use.ancestors():
        if ancestor.kind() in FUNCTIONS or ancestor.kind() == "program":
            if ancestor.kind() in FUNCTIONS and parameter_at(ancestor, name) is not None:
                return None
            declarator = declarator_in(ancestor, name)
            if declarator is not None:
                value = declarator.field("value")
                if value is not None and value.kind() in FUNCTIONS:
                    return value
                return declarator
    return None


def is_sequence(node: SgNode | None, depth: int = 0) -> bool:
    """Whether `node` is known to be an array or a string (not any object with a `length`)."""
    if node is None or depth > MAX_DEPTH:
        return False
    kind = node.kind()
    if kind in ("array", "string", "template_string"):
        return True
    if kind in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
        return is_sequence(node.named_children()[0] if node.named_children() else None, depth)
    if kind in ("call_expression", "new_expression"):
        callee = node.field("function") or node.field("constructor")
        method = (callee.field("property") or callee).text() if callee is not None and \
            callee.kind() == "member_expression" else ""
        return (callee is not None and callee.text() in SEQUENCE_MAKERS) or method in SEQUENCE_METHODS
    if kind != "identifier":
        return False
    typed = parameter_type(node, node.text())
    if typed is not None:
        return bool(SEQUENCE_TYPE.match(typed))
    where = declaration(node, node.text())
    return where is not None and where.kind() == "variable_declarator" and \
        is_sequence(where.field("value"), depth + 1)


def array_valued(value: SgNode | None) -> bool:
    """Whether a declaration's value is an array (which `.push()` and others can change), as far
    as its own expression says."""
    while value is not None and value.kind() in ("parenthesized_expression", "as_expression", "satisfies_expression",
                                                  "non_null_expression", "await_expression"):
        value = value.named_children()[0] if value.named_children() else None
    if value is None or value.kind() in ("array", "new_expression"):
        return value is not None
    callee = value.field("function") if value.kind() == "call_expression" else None
    if callee is None:
        return False
    if callee.kind() != "member_expression":
        return callee.text() in ("Array", "Array.from", "Array.of", "Object.keys", "Object.values", "Object.entries")
    method = (callee.field("property") or callee).text()
    return method in ARRAY_MADE or (method in ("slice", "concat") and array_valued(callee.field("object")))


def declarator_in(scope: SgNode, name: str) -> SgNode | None:
    """The declarator, function declaration or enum of `name` that belongs to `scope` itself
    (a function, or the module for its top level)."""
    if scope.kind() == "program":
        for statement in scope.named_children():
            if statement.kind() == "export_statement":
                statement = next((c for c in statement.named_children() if c.kind() != "comment"), statement)
            if statement.kind() in ("function_declaration", "enum_declaration", "class_declaration") \
                    and (statement.field("name") or statement).text() == name:
                return statement
            if statement.kind() in ("lexical_declaration", "variable_declaration"):
                for declarator in statement.named_children():
                    if declarator.kind() == "variable_declarator" and _declares(declarator, name):
                        return declarator
        return None
    for declarator in scope.find_all(kind="variable_declarator"):
        if _declares(declarator, name) and enclosing_function(declarator) == scope:
            return declarator
    for function in scope.find_all(kind="function_declaration"):
        if (function.field("name") or function).text() == name and \
                enclosing_function(function.parent() or function) == scope:
            return function
    return None


def _declares(declarator: SgNode, name: str) -> bool:
    target = declarator.field("name")
    return target is not None and (target.text() == name or any(
        p.text() == name for p in target.find_all(kind="shorthand_property_identifier_pattern")))


def parameter_at(function: SgNode, name: str) -> int | None:
    """The position of the parameter `name` of `function` (-1 when destructured from one), else None."""
    single = function.field("parameter")  # `c => …`
    if single is not None:
        return 0 if single.text() == name else None
    parameters = function.field("parameters")
    for position, parameter in enumerate(parameters.named_children() if parameters is not None else []):
        pattern = parameter.field("pattern") or parameter
        if pattern.text() == name or any(i.text() == name for i in pattern.find_all(kind="identifier")) or any(
                i.text() == name for i in pattern.find_all(kind="shorthand_property_identifier_pattern")):
            return position if pattern.text() == name else -1
    return None


def parameter_type(use: SgNode, name: str) -> str | None:
    """The type annotation of the parameter `name` that `use` sees ("" when it has none), or
    None when `name` is no parameter there."""
    for function in (a for a in use.ancestors() if a.kind() in FUNCTIONS):
        position = parameter_at(function, name)
        if position is not None:
            parameters = function.field("parameters")
            named = parameters.named_children() if parameters is not None else []
            annotation = named[position].field("type") if 0 <= position < len(named) else None
            return annotation.text().lstrip(":").strip() if annotation is not None else ""
        if declarator_in(function, name) is not None:
            return None
    return None


def literal_union(function: SgNode, position: int) -> str | None:
    """`'users' | 'teams'` (or `Kind ('users' | 'teams')` through a type alias of this file) when
    the parameter is typed by literals only, else None."""
    parameters = function.field("parameters")
    named = parameters.named_children() if parameters is not None else []
    annotation = named[position].field("type") if 0 <= position < len(named) else None
    typed = annotation.named_children()[0] if annotation is not None and annotation.named_children() else None
    said = typed.text() if typed is not None else ""
    if typed is not None and typed.kind() == "type_identifier":
        alias = next((s for s in function.get_root().root().find_all(kind="type_alias_declaration")
                      if (s.field("name") or s).text() == typed.text()), None)
        typed = alias.field("value") if alias is not None else None
        said += f" ({typed.text()[:60]})" if typed is not None else ""
    members: list[SgNode] = []
    todo = [typed] if typed is not None else []
    while todo:  # `'a' | 'b' | 'c'` nests: (('a' | 'b') | 'c')
        member = todo.pop()
        if member.kind() == "union_type":
            todo += member.named_children()
        else:
            members.append(member)
    if not members or any(member.kind() != "literal_type" for member in members):
        return None  # `string | 'a'` is any string
    return said[:80]


def constant_object(where: SgNode | None) -> SgNode | None:
    """The object literal a module constant holds (`as const`/`satisfies` too), else None."""
    if where is None or where.kind() != "variable_declarator" or where.get_root().root() != _scope_of(where):
        return None
    parent = where.parent()
    if parent is None or not parent.text().startswith("const"):
        return None
    value = where.field("value")
    while value is not None and value.kind() in ("as_expression", "satisfies_expression"):
        value = value.named_children()[0] if value.named_children() else None
    name = (where.field("name") or where).text()
    if any((a.field("left") or a).text().startswith((f"{name}.", f"{name}["))
           for a in where.get_root().root().find_all(kind="assignment_expression")):
        return None  # a map the module changes is no constant
    return value if value is not None and value.kind() == "object" else None


def _scope_of(declarator: SgNode) -> SgNode:
    return enclosing_function(declarator) or declarator.get_root().root()


def constant_member(where: SgNode | None, key: str) -> SgNode | None:
    constant = constant_object(where)
    for pair in constant.named_children() if constant is not None else []:
        name = pair.field("key") if pair.kind() == "pair" else None
        if name is not None and name.text().strip("'\"") == key:
            return pair.field("value")
    return None


def class_field(use: SgNode, name: str) -> SgNode | None:
    """The initial value of the enclosing class's field `name`, when nothing in the class assigns
    it again."""
    body = next((a for a in use.ancestors() if a.kind() == "class_body"), None)
    if body is None:
        return None
    for member in body.named_children():
        if member.kind() == "public_field_definition" and (member.field("name") or member).text() == name:
            reassigned = any((a.field("left") or a).text() == f"this.{name}"
                             for a in body.find_all(kind="assignment_expression"))
            return None if reassigned else member.field("value")
    return None


def imported_from(use: SgNode, name: str) -> tuple[str, str] | None:
    """(module, the name it exports) when `name` is imported in this file (`default` for a
    default import, `*` for a namespace), else None."""
    for statement in use.get_root().root().find_all(kind="import_statement"):
        source = statement.field("source")
        if source is None:
            continue
        for clause in statement.find_all(kind="import_clause"):
            for identifier in clause.find_all(kind="identifier"):
                specifier = identifier.parent()
                if identifier.text() != name or specifier is None:
                    continue
                if specifier.kind() == "import_specifier":
                    exported, local = specifier.field("name"), specifier.field("alias") or specifier.field("name")
                    if local == identifier and exported is not None:
                        return source.text()[1:-1], exported.text()
                elif specifier.kind() == "namespace_import":
                    return source.text()[1:-1], "*"
                elif specifier.kind() == "import_clause":
                    return source.text()[1:-1], "default"
    return None
