"""Where a name of one source file is declared, as CODE004's reading of SQL text asks it: a
function's own declarations, its parameters (and their TypeScript types), the module's constants
(objects, enums), a class's fields, and the module a name is imported from."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from checks.code.changes import changed_in, outermost
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
# What calls and operators make of a SQL text's parts (checks/code/sqltext.py).
NUMERIC_CALLS = re.compile(r"^(?:Number|parseInt|parseFloat|Number\.\w+|Math\.\w+)$")
# String methods whose result is made of the receiver's text (their arguments are numbers), and
# those whose arguments' text joins it.
STRING_PARTS = {"repeat", "slice", "substring", "substr", "trim", "trimStart", "trimEnd", "toUpperCase",
                "toLowerCase", "toString", "at"}
STRING_JOINS = {"padStart", "padEnd", "concat", "replace", "replaceAll"}
# Array methods whose result holds only the receiver's elements (slice and concat, which strings
# have too, are read as the receiver's text, which is an array's elements when it is one).
ARRAY_SAME = {"filter", "sort", "reverse", "toSorted", "toReversed", "flat"}
ARRAY_MAPS = {"map", "flatMap"}
ELEMENT_CALLBACKS = ARRAY_MAPS | {"forEach", "filter", "some", "every", "find", "findIndex", "reduce"}
# Calls that read an array handed to them and never add to it.
READS_ONLY = re.compile(r"^(?:console\.\w+|JSON\.stringify|Array\.isArray|Array\.from)$")
PLACEHOLDER_NAME = re.compile(r"placeholder", re.IGNORECASE)
NUMBER_OPERATORS = {"-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>", ">>>", "<", ">", "<=", ">=", "==",
                    "===", "!=", "!==", "instanceof", "in"}
MAX_DEPTH = 12  # names followed through names: a real placeholder list is three or four deep
SEQUENCE_TYPE = re.compile(r"^(?:string|(?:readonly\s+)?[\w.]+\[\]|(?:Readonly)?Array<.*>)$")


def declaration(use: SgNode, name: str) -> SgNode | None:
    """The declaration of `name` that `use` sees: a function, an enum, or a declarator; None
    also where a catch clause binds it or a `var` declares it twice (not settled here)."""
    for ancestor in use.ancestors():
        if catch_binds(ancestor, name) or (ancestor.kind() == "for_in_statement"
                                           and name in bound_names(ancestor.field("left"))):
            return None  # what was thrown, what the loop reads
        if ancestor.kind() in FUNCTIONS or ancestor.kind() == "program":
            if ancestor.kind() in FUNCTIONS and parameter_at(ancestor, name) is not None:
                return None
            if var_redeclared(ancestor, name):
                return None
            declarator = declarator_in(ancestor, name, use)
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


def declarator_in(scope: SgNode, name: str, use: SgNode | None = None) -> SgNode | None:
    """The declarator, function declaration or enum of `name` that belongs to `scope` itself
    (a function, or the module for its top level); with `use`, the one `use` sees: a block's own
    `const` shadows the function's (`const t = "users"; if (x) { const t = body.t; … }`)."""
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
    declarators = [d for d in scope.find_all(kind="variable_declarator")
                   if _declares(d, name) and enclosing_function(d) == scope]
    if use is not None:
        seen = use.ancestors()
        visible = [(depth, d) for d in declarators if (depth := _block_depth(d, seen)) is not None]
        declarators = [max(visible, key=lambda pair: pair[0])[1]] if visible else []
    if declarators:
        return declarators[0]
    for function in scope.find_all(kind="function_declaration"):
        if (function.field("name") or function).text() == name and \
                enclosing_function(function.parent() or function) == scope:
            return function
    return None


def _declares(declarator: SgNode, name: str) -> bool:
    target = declarator.field("name")
    return target is not None and name in bound_names(target)


def bound_names(pattern: SgNode | None) -> set[str]:
    """The names a binding pattern declares: `v`, `{ x: v, w = 1, ...rest }`, `[v, [w], z = 2]`
    (not the names its default values read)."""
    if pattern is None:
        return set()
    kind = pattern.kind()
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        return {pattern.text()}
    if kind == "pair_pattern":
        return bound_names(pattern.field("value"))
    if kind in ("object_assignment_pattern", "assignment_pattern"):
        children = pattern.named_children()
        return bound_names(pattern.field("left") or (children[0] if children else None))
    if kind in ("object_pattern", "array_pattern", "rest_pattern"):
        return {name for child in pattern.named_children() for name in bound_names(child)}
    return set()


# What a `let`/`const` is scoped to (a `var`, to its function).
BLOCKS = ("statement_block", "for_statement", "for_in_statement", "switch_body", "class_body", "program",
          *FUNCTIONS)


def _block_depth(declarator: SgNode, seen: list[SgNode]) -> int | None:
    """How deep the block of `declarator` is among the ancestors `seen` of a use (0 the outermost),
    or None when the use is outside it. A `var` is the function's: visible everywhere in it."""
    statement = declarator.parent()
    if statement is not None and statement.kind() == "variable_declaration":
        return 0
    block = next((a for a in declarator.ancestors() if a.kind() in BLOCKS), None)
    for depth, ancestor in enumerate(reversed(seen)):
        if ancestor == block:
            return depth
    return None


def loops_assigning(scope: SgNode, name: str) -> list[tuple[SgNode, bool]]:
    """The `for (name of …)`/`for (name in …)` loops of `scope` that assign the name declared
    elsewhere (no `let`/`const` of their own), each with whether it is the plain `for (name of xs)`."""
    return [(loop, (loop.field("left") or loop).text() == name and (loop.field("operator") or loop).text() == "of")
            for loop in scope.find_all(kind="for_in_statement")
            if loop.field("kind") is None and name in bound_names(loop.field("left"))]


def assigned_anywhere(use: SgNode, name: str) -> list[SgNode]:
    """The values `name = …` gives the name anywhere in the file (a function's name given another)."""
    return [value for a in use.get_root().root().find_all(kind="assignment_expression")
            if (a.field("left") or a).text() == name and (value := a.field("right")) is not None]


def length_only(node: SgNode) -> bool:
    """`{ length: n }`: an array-like with no elements (`{ 0: body.id, length: 1 }` has one)."""
    return node.kind() == "object" and all(
        pair.kind() == "pair" and (pair.field("key") or pair).text().strip("'\"") == "length"
        for pair in node.named_children() if pair.kind() != "comment")


def catch_binds(node: SgNode, name: str) -> bool:
    """`catch (name) { … }`: inside it, `name` is whatever was thrown."""
    return node.kind() == "catch_clause" and name in bound_names(node.field("parameter"))


def var_redeclared(scope: SgNode, name: str) -> bool:
    """`var t = "users"; … var t = body.t;`: one variable with two declared values (`scope` a
    function or the module; False for any other node)."""
    if scope.kind() not in FUNCTIONS and scope.kind() != "program":
        return False
    declared = [d for d in scope.find_all(kind="variable_declarator") if _declares(d, name)
                and (d.parent() or d).kind() == "variable_declaration"
                and (enclosing_function(d) == scope or (scope.kind() == "program" and enclosing_function(d) is None))]
    return len(declared) > 1


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
    """The object literal a `const` holds (`as const`/`satisfies` too), else None: a module's
    or a function's own (lobe-chat's `const sortableFields = {…}` inside its buildOrderBy)."""
    if where is None or where.kind() != "variable_declarator":
        return None
    parent = where.parent()
    if parent is None or not parent.text().startswith("const"):
        return None
    value = where.field("value")
    while value is not None and value.kind() in ("as_expression", "satisfies_expression"):
        value = value.named_children()[0] if value.named_children() else None
    if value is None or value.kind() != "object" or any(c.kind() == "spread_element" for c in value.named_children()):
        return None  # `{ name: "users", ...overrides }`: the spread may replace any key
    if changed_in(_scope_of(where), (where.field("name") or where).text()):
        return None  # a map its scope changes (`T.x = `, `Object.assign(T, body)`) is no constant
    return value


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
    it again. `this` is the instance only in a method of the class itself (arrows keep it): in an
    object's method or a `function` callback it is that object, or the callback's thisArg."""
    owner = next((a for a in use.ancestors() if a.kind() in FUNCTIONS and a.kind() != "arrow_function"), None)
    body = owner.parent() if owner is not None and owner.kind() == "method_definition" else None
    if body is None or body.kind() != "class_body":
        return None
    for member in body.named_children():
        if member.kind() == "public_field_definition" and (member.field("name") or member).text() == name:
            return None if _field_changed(body, member, name) else member.field("value")
    return None


def _field_changed(body: SgNode, member: SgNode, name: str) -> bool:
    """Whether the field may hold another value than its initializer: assigned in the class
    (`this.x = `, `this["x"] = `, `Object.assign(this, options)`), or, unless it is `#private` or
    `private`/`readonly` (TypeScript refuses those from outside), assigned on an instance
    anywhere in the file (`repo.x = body.x`), redeclared by a subclass, or open to every
    module that imports the class."""
    if any(call.text().replace(" ", "").startswith("Object.assign(this")
           for call in body.find_all(kind="call_expression")):
        return True
    key = re.compile(rf"^(?:this\.{re.escape(name)}|this\[['\"`]{re.escape(name)}['\"`]\])$")
    if any(key.match(outermost(a.field("left") or a).text()) for kind in ("assignment_expression",
           "augmented_assignment_expression") for a in body.find_all(kind=kind)):
        return True
    if name.startswith("#") or any(m.kind() == "accessibility_modifier" and m.text() == "private"
                                   for m in member.named_children()) or \
            re.search(r"\breadonly\s", member.text().split(name, 1)[0]):
        return False
    root = body.get_root().root()
    member_key = re.compile(rf"(?:\.{re.escape(name)}|\[['\"`]{re.escape(name)}['\"`]\])$")
    if any(member_key.search(outermost(a.field("left") or a).text()) for kind in ("assignment_expression",
           "augmented_assignment_expression") for a in root.find_all(kind=kind)):
        return True
    fields = [f for f in root.find_all(kind="public_field_definition") if (f.field("name") or f).text() == name]
    declared = body.parent()
    exported = declared is not None and (declared.parent() or declared).kind() == "export_statement"
    return len(fields) > 1 or exported


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

