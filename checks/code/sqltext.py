"""What the text of a SQL string is built from, for CODE004: only constants and placeholders
(`const TABLE = "users"`, `ids.map((_, i) => `$${i + 1}`).join(", ")`, `'?'.repeat(n)`), which is
no injection whatever the values are; something this file does not settle (a lookup in a
constant map, a name imported from another module, a parameter only TypeScript types); or
anything else (request input, a parameter, a call nobody follows).

Names are followed through the file: a function's own declarations and every assignment to them
(`sql += ` AND owner = $${params.length}``), the elements a `.push()` adds to an array, the
callback parameters of `.map()` (its element and its numeric index), `for … of` over a constant
list, the module's constants, enums and a class's fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from checks.code.changes import changed_in, changes_contents, outermost
from checks.code.nodes import FUNCTIONS, enclosing_function
from checks.code.scopes import (
    ARRAY_MADE,
    ARRAY_MAPS,
    ARRAY_SAME,
    ELEMENT_CALLBACKS,
    MAX_DEPTH,
    NUMBER_OPERATORS,
    NUMERIC_CALLS,
    PLACEHOLDER_NAME,
    READS_ONLY,
    STRING_JOINS,
    STRING_PARTS,
    array_valued,
    assigned_anywhere,
    bound_names,
    catch_binds,
    class_field,
    constant_member,
    constant_object,
    declaration,
    declarator_in,
    imported_from,
    is_sequence,
    length_only,
    literal_union,
    loops_assigning,
    parameter_at,
    var_redeclared,
)
from checks.code.sqlbuilt import Built, Imported, unknown

if TYPE_CHECKING:
    from ast_grep_py import SgNode

def sql_text(node: SgNode) -> Built:
    """What the SQL text `node` (a call's first argument) is built from."""
    return _Reader().text(node, 0)


def function_text(function: SgNode) -> Built:
    """What a function returns is built from (its parameters count as unknown)."""
    return _Reader().returns(function, 1)


class _Reader:
    def __init__(self) -> None:
        self.following: set[tuple[int, int, str]] = set()  # (scope start, scope end, name): a cycle

    def text(self, node: SgNode | None, depth: int) -> Built:
        if node is None:
            return Built()
        if depth > MAX_DEPTH:
            return unknown(node)
        kind = node.kind()
        if kind in ("string", "number", "true", "false", "null", "undefined", "regex", "template_literal_type"):
            return Built()
        if kind == "template_string":
            return _all(self, [part.named_children()[0] for part in node.children()
                               if part.kind() == "template_substitution" and part.named_children()], depth)
        if kind in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
                    "type_assertion"):
            inner = node.named_children()
            return self.text(inner[0] if inner else None, depth)
        if kind == "identifier":
            return self.name(node, node.text(), depth, array=False)
        if kind in ("unary_expression", "update_expression"):  # -x, !x, typeof x, i++: numbers, booleans, type names
            return Built()
        if kind == "binary_expression":
            operator = (node.field("operator") or node).text()
            if operator in NUMBER_OPERATORS:
                return Built()
            return self.text(node.field("left"), depth + 1).add(self.text(node.field("right"), depth + 1))
        if kind == "ternary_expression":
            return self.text(node.field("consequence"), depth + 1).add(self.text(node.field("alternative"), depth + 1))
        if kind == "array":
            return self.array(node, depth)
        if kind == "member_expression":
            return self.member(node, depth)
        if kind == "subscript_expression":
            return self.lookup(node, depth)
        if kind == "call_expression":
            return self.call(node, depth)
        return unknown(node)

    def member(self, node: SgNode, depth: int) -> Built:
        holder, prop = node.field("object"), node.field("property")
        if holder is None or prop is None:
            return unknown(node)
        if prop.text() == "length":
            return self.length(holder, depth)
        if holder.kind() == "this":
            value = class_field(node, prop.text())
            return self.text(value, depth + 1) if value is not None else unknown(node)
        if holder.kind() == "identifier":
            where = declaration(node, holder.text())
            if where is not None and where.kind() == "enum_declaration":
                return Built()  # an enum member: a number or the literal it is given
            value = constant_member(where, prop.text())
            if value is not None:
                return self.text(value, depth + 1)
            imported = imported_from(node, holder.text())
            if imported and changed_in(node.get_root().root(), holder.text()):
                return unknown(node)  # `C.LIST.push(body.x)`: the module's constant is changed here
            if imported:
                reason = f"`{node.text()[:40]}` comes from {imported[0]}, not followed"
                follow = [Imported(imported[0], prop.text(), False, reason)] if imported[1] == "*" else []
                return Built(open=[reason], imports=follow)
        return unknown(node)

    def length(self, holder: SgNode, depth: int) -> Built:
        """`X.length` is a number when X is an array or a string; an object from the request can
        carry any `length` (`{"ids": {"length": "1) OR (1=1"}}`)."""
        if is_sequence(holder, depth):
            return Built()
        return Built(open=[f"`{holder.text()[:40]}.length` is a number only when {holder.text()[:40]} is an array "
                                 "or a string"])

    def lookup(self, node: SgNode, depth: int) -> Built:
        """`TABLES["users"]` is that value; `SQL_OPERATORS[op]` (any key) one of the constant's
        values, or a property every object has: could-not-verify, as a lookup."""
        holder, index = node.field("object"), node.field("index")
        where = declaration(node, holder.text()) if holder is not None and holder.kind() == "identifier" else None
        if holder is None or where is None or constant_object(where) is None:
            return unknown(node)
        if index is not None and index.kind() == "string":
            value = constant_member(where, index.text()[1:-1])
            if value is not None:
                return self.text(value, depth + 1)
        return Built(open=[f"a lookup in the constant {holder.text()}"], lookups=[holder.text()])

    def call(self, node: SgNode, depth: int) -> Built:
        callee = node.field("function")
        arguments = node.field("arguments")
        args = arguments.named_children() if arguments is not None else []
        if callee is None:
            return unknown(node)
        if NUMERIC_CALLS.match(callee.text()):
            return Built()
        if callee.text() == "String" and args:
            return self.text(args[0], depth + 1)
        if callee.text() in ("Array.from", "Array.of", "Object.keys", "Object.values", "Object.entries"):
            return self.array_call(node, depth)
        if callee.kind() == "member_expression":
            method = (callee.field("property") or callee).text()
            receiver = callee.field("object")
            if method == "join":
                built = self.array(receiver, depth + 1)
                return built.add(self.text(args[0], depth + 1)) if args else built
            if method in ARRAY_MADE:  # an array in a template: its elements, joined by ","
                return self.array_call(node, depth)
            if method in STRING_PARTS:
                return self.text(receiver, depth + 1)
            if method in STRING_JOINS:
                return self.text(receiver, depth + 1).add(_all(self, args, depth))
        if callee.kind() == "identifier":
            function = declaration(node, callee.text())
            if function is not None and function.kind() in FUNCTIONS:
                return self.returns(function, depth + 1).add(self.reassigned(node, callee.text(), depth))
            origin = imported_from(node, callee.text())
            reason = f"`{callee.text()}()`{f' from {origin[0]}' if origin else ''} is not followed"
            if origin is not None and origin[1] != "*":
                strict = not PLACEHOLDER_NAME.search(callee.text())
                return Built(open=[] if strict else [reason], imports=[Imported(*origin, strict, reason)])
            if PLACEHOLDER_NAME.search(callee.text()):
                return Built(open=[reason])
        return unknown(node)

    def returns(self, function: SgNode, depth: int) -> Built:
        """What a function of this file returns (its parameters count as unknown)."""
        body = function.field("body")
        if body is None:
            return unknown(function)
        if body.kind() != "statement_block":
            return self.text(body, depth)
        built = Built()
        found = [r for r in body.find_all(kind="return_statement") if enclosing_function(r) == function]
        for statement in found:
            value = statement.named_children()
            built.add(self.text(value[0] if value else None, depth))
        return built if found else unknown(function)

    def reassigned(self, use: SgNode, name: str, depth: int) -> Built:
        """What the other functions a function's name is given return (`q = () => body.t`)."""
        built = Built()
        for value in assigned_anywhere(use, name):
            built.add(self.returns(value, depth + 1) if value.kind() in FUNCTIONS else unknown(value))
        return built

    def array(self, node: SgNode | None, depth: int) -> Built:
        """What the elements of an array (joined into the SQL) are made of."""
        if node is None:
            return Built()
        if depth > MAX_DEPTH:
            return unknown(node)
        kind = node.kind()
        if kind in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
            inner = node.named_children()
            return self.array(inner[0] if inner else None, depth)
        if kind in ("array", "arguments"):  # a literal, or what `.push(…)` adds
            built = Built()
            for element in node.named_children():
                spread = element.named_children() if element.kind() == "spread_element" else None
                built.add(self.array(spread[0], depth + 1) if spread else self.text(element, depth + 1))
            return built
        if kind == "identifier":
            return self.name(node, node.text(), depth, array=True)
        if kind == "call_expression":
            return self.array_call(node, depth)
        return self.text(node, depth)  # a string's characters are its text

    def array_call(self, node: SgNode, depth: int) -> Built:
        callee = node.field("function")
        arguments = node.field("arguments")
        args = arguments.named_children() if arguments is not None else []
        name = callee.text() if callee is not None else ""
        if name == "Array.of":
            return _all(self, args, depth)
        if name == "Array.from" and args:
            source = args[0]
            if len(args) > 1:
                return self.callback(args[1], depth + 1)  # its element parameter is resolved by `name`
            return Built() if length_only(source) else self.array(source, depth + 1)
        if name in ("Object.keys", "Object.values", "Object.entries") and args:
            where = declaration(node, args[0].text()) if args[0].kind() == "identifier" else None
            constant = constant_object(where) if where is not None else None
            if constant is None:
                return unknown(node)
            return Built() if name == "Object.keys" else _all(self, [
                pair.field("value") for pair in constant.named_children() if pair.kind() == "pair"], depth)
        if callee is not None and callee.kind() == "identifier":
            return self.call(node, depth)  # a function of this file that returns an array literal
        if callee is None or callee.kind() != "member_expression":
            return unknown(node)
        method = (callee.field("property") or callee).text()
        receiver = callee.field("object")
        if method == "fill" and args:  # Array(n).fill("?"), new Array(n).fill("?")
            return self.text(args[0], depth + 1)
        if method in ARRAY_MAPS and args:
            return self.callback(args[0], depth + 1)
        if method in ARRAY_SAME or method in ("slice", "concat"):
            built = self.array(receiver, depth + 1)
            for arg in args if method == "concat" else ():
                built.add(self.array(arg, depth + 1))
            return built
        if method == "split":
            return self.text(receiver, depth + 1)
        return unknown(node)

    def callback(self, node: SgNode, depth: int) -> Built:
        """What a `.map()` callback returns: its parameters are the element and the index."""
        if node.kind() in ("arrow_function", "function_expression"):
            return self.returns(node, depth)
        if node.kind() == "identifier":
            function = declaration(node, node.text())
            if function is not None and function.kind() in FUNCTIONS:
                return self.returns(function, depth).add(self.reassigned(node, node.text(), depth))
            if PLACEHOLDER_NAME.search(node.text()):
                return Built(open=[f"`{node.text()}` is not followed"])
        return unknown(node)

    def name(self, use: SgNode, name: str, depth: int, *, array: bool) -> Built:
        """A name's text (or, with `array`, its elements): where it is declared, and every
        later assignment (or `.push()`) in the same scope."""
        for ancestor in use.ancestors():
            kind = ancestor.kind()
            if catch_binds(ancestor, name) or var_redeclared(ancestor, name):
                return unknown(use)
            if kind == "for_in_statement" and name in bound_names(ancestor.field("left")):
                if (ancestor.field("operator") or ancestor).text() != "of" or \
                        (ancestor.field("left") or ancestor).text() != name:  # `for (const [k, v] of …)`
                    return unknown(use)
                return self.array(ancestor.field("right"), depth + 1) if not array else unknown(use)
            if kind in FUNCTIONS:
                position = parameter_at(ancestor, name)
                if position is not None:
                    return self.parameter(ancestor, position, use, depth)
                declarator = declarator_in(ancestor, name, use)
                if declarator is not None:
                    return self.declared_value(declarator, ancestor, name, depth, array=array)
            if kind == "program":
                declarator = declarator_in(ancestor, name, use)
                if declarator is not None:
                    return self.declared_value(declarator, ancestor, name, depth, array=array)
                imported = imported_from(use, name)
                if imported and changed_in(ancestor, name):
                    return unknown(use)  # `IDS.push(body.x)`: the module's constant is changed here
                if imported:
                    reason = f"`{name}` is imported from {imported[0]}, not followed"
                    return Built(open=[reason], imports=[Imported(*imported, False, reason)] if imported[1] != "*" else [])
        return unknown(use)

    def declared_value(self, declarator: SgNode, scope: SgNode, name: str, depth: int, *, array: bool) -> Built:
        key = (scope.range().start.index, scope.range().end.index, name)
        if key in self.following:
            return Built()  # `sql = sql + …`: the name's other parts decide
        self.following.add(key)
        try:
            read = self.array if array else self.text
            value = declarator.field("value")
            built = read(value, depth + 1) if value is not None else Built()
            if declarator.kind() != "variable_declarator" or (declarator.field("name") or declarator).kind() != "identifier":
                return built if built.constant else unknown(declarator)  # destructured: not followed
            mutable = array or array_valued(value)  # an array: what is pushed into it counts
            if (declarator.parent() or declarator).text().startswith("const") and not mutable:
                return built
            for assignment in scope.find_all(kind="assignment_expression"):
                left = assignment.field("left") or assignment
                if left.text() == name:
                    built.add(read(assignment.field("right"), depth + 1))
                elif left.kind() in ("array_pattern", "object_pattern") and any(
                        i.text() == name for kind in ("identifier", "shorthand_property_identifier_pattern")
                        for i in left.find_all(kind=kind)):
                    built.add(unknown(assignment))  # `[sql] = …`, `({ sql } = body)`: not followed
            for assignment in scope.find_all(kind="augmented_assignment_expression"):
                if (assignment.field("left") or assignment).text() == name:
                    built.add(self.text(assignment.field("right"), depth + 1))
            for loop, simple in loops_assigning(scope, name):  # `for (t of body.tables)`: each turn
                built.add(self.array(loop.field("right"), depth + 1) if simple and not array else unknown(loop))
            if mutable:
                built.add(self.additions(scope, name, depth))
            return built
        finally:
            self.following.discard(key)

    def additions(self, scope: SgNode, name: str, depth: int) -> Built:
        """What the scope adds to the array `name`: `.push()`/`.unshift()`/`.splice()` and `name[i] =`;
        an array handed to another function may be added to there (`addFilters(clauses, body)`)."""
        built = Built()
        for use in (*scope.find_all(kind="identifier"), *scope.find_all(kind="shorthand_property_identifier")):
            if use.text() != name:
                continue
            node = outermost(use)  # `(ids as string[]).push(…)`
            parent = node.parent()
            grand = parent.parent() if parent is not None else None
            if parent is not None and parent.kind() == "arguments":
                call = grand.field("function") if grand is not None else None
                if call is None or not READS_ONLY.match(call.text()):
                    return unknown(grand or parent)
            elif parent is not None and parent.kind() == "member_expression" and grand is not None \
                    and grand.kind() == "call_expression" and parent.field("object") == node \
                    and (parent.field("property") or parent).text() in ("push", "unshift", "splice"):
                method = (parent.field("property") or parent).text()
                arguments = grand.field("arguments")
                args = arguments.named_children() if arguments is not None else []
                if method in ("push", "unshift"):
                    built.add(self.array(arguments, depth + 1))
                elif method == "splice":
                    built.add(_all(self, args[2:], depth))
            elif parent is not None and parent.kind() == "subscript_expression" and grand is not None and \
                    grand.kind() == "assignment_expression" and grand.field("left") == parent:
                built.add(self.text(grand.field("right"), depth + 1))
            elif changes_contents(use):  # another name for it, a callback given it, `.fill()`
                return unknown(grand or parent or use)
        return built

    def parameter(self, function: SgNode, position: int, use: SgNode, depth: int) -> Built:
        """A callback's element (what the array holds) and index (a number); a string-literal union type is TS's promise only."""
        arguments = function.parent()
        call = arguments.parent() if arguments is not None and arguments.kind() == "arguments" else None
        callee = call.field("function") if call is not None and call.kind() == "call_expression" else None
        if callee is not None:
            method = (callee.field("property") or callee).text() if callee.kind() == "member_expression" else ""
            if callee.text() == "Array.from" and position in (0, 1):
                if position == 1:
                    return Built()
                source = (arguments.named_children() if arguments is not None else [None])[0]
                return Built() if source is not None and length_only(source) else self.array(source, depth + 1)
            if method in ELEMENT_CALLBACKS and method != "reduce":
                if position == 1:  # an index, but FormData/URLSearchParams/Map's forEach passes a key
                    held = callee.field("object")
                    return Built() if method != "forEach" or is_sequence(held) or array_valued(held) else unknown(use)
                return self.array(callee.field("object"), depth + 1) if position == 0 else unknown(use)
        literals = literal_union(function, position)
        if literals:
            return Built(open=[f"`{use.text()}` is typed {literals}, which TypeScript does not check at run time"])
        return unknown(use)

def _all(reader: _Reader, nodes: Sequence[SgNode | None], depth: int) -> Built:
    built = Built()
    for node in nodes:
        built.add(reader.text(node, depth + 1))
    return built
