"""Reading zod (and valibot) schemas of env variables from an app's source, the part t3-env's
`createEnv({ server: { KEY: z.string() } })` (checks/project/t3env.py) and a plain
`z.object({ KEY: z.string() }).parse(process.env)` (checks/project/zodenv.py) share: whether a
key's schema accepts a missing value, what a set value must look like, and the object literals
and spreads a schema's keys are written in. Nodes are ast-grep's (`ast_grep_py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from checks.project.model import ValueShape

if TYPE_CHECKING:
    from ast_grep_py import SgNode

# The names apps import zod under (`import { z } from "zod"`, `import zod from "zod"`:
# matesi/teste_tecnico server/src/env.ts) and valibot's (`import * as v from "valibot"`).
SCHEMA_NAMESPACES = ("z", "zod", "v")
ZOD = ("z", "zod")
# zod (`.optional()`, `.nullish()`, `.default(v)`, `.catch(v)`, zod 4's `.prefault(v)`, or
# `z.optional(schema)`) and valibot (`v.optional(schema)`, `v.nullish(schema)`): schemas that
# accept `undefined` (zod src/v4/classic/tests/prefault.test.ts: `parse(undefined)` gives the
# prefault; formbricks apps/web/lib/env.ts: `ENVIRONMENT: z.enum([…]).prefault("production")`).
OPTIONAL_METHODS = {"optional", "nullish", "default", "catch", "prefault"}
OPTIONAL_FUNCTIONS = {"optional", "nullish", "exactOptional"}
# Methods that run on the value an earlier `.optional()` / `.default()` let through, the
# missing one too, and may refuse it (zod: `.optional().refine((v) => !!v)` throws on a
# missing key): after one of them the chain's optional marker proves nothing.
REFINING_METHODS = {"refine", "superRefine", "pipe", "transform", "check"}
# zod's `z.preprocess(fn, schema)` and `z.pipe(a, b)` judge by the schema they wrap.
WRAPPING_FUNCTIONS = {"preprocess": 1}
# zod string checks on a value's length (zod docs "Strings": `.length(5)`, `.min(5)`, `.max(5)`,
# `.nonempty()` = `.min(1)`), and string formats no random token meets (`.url()`, `.email()`…;
# zod 4 also as roots: `z.url()`, `z.email()`).
LENGTH_METHODS = {"length", "min", "max"}
FORMATS = {"url", "email", "uuid", "guid", "cuid", "cuid2", "ulid", "nanoid", "emoji", "ip", "ipv4", "ipv6",
           "cidrv4", "cidrv6", "datetime", "date", "time", "duration", "jwt", "e164", "hostname"}
# How deep `...baseEnv.server` spreads are followed to the object they name.
SPREAD_DEPTH = 4


@dataclass
class EnvSchema:
    """What the app's env schema says of its variables (files relative to the project): its
    createEnv calls and the zod objects it parses process.env with."""

    files: list[str] = field(default_factory=list)
    optional: dict[str, str] = field(default_factory=dict)  # key -> the file that declares it
    required: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, ValueShape] = field(default_factory=dict)
    # Keys a zod object lets be missing while a transform or refinement of the whole object
    # may still demand them (karakeep packages/shared/config.ts): neither optional nor required.
    loose: dict[str, str] = field(default_factory=dict)


def pair_key(pair: SgNode) -> str | None:
    key = pair.field("key")
    if key is None:
        return None
    text = key.text()
    if key.kind() == "string":
        text = text[1:-1]
    return text if text.replace("_", "a").isalnum() else None


def call_arguments(call: SgNode) -> list[SgNode]:
    arguments = call.field("arguments")
    return [a for a in arguments.named_children() if a.kind() != "comment"] if arguments is not None else []


def accepts_missing(schema: SgNode) -> bool | None:
    """True: the schema takes a missing value; False: it throws on one; None: not known here
    (a schema kept in a variable, a helper of the app's, a ternary whose branches differ — a
    production-only requirement such as create-t3-app's
    `NODE_ENV === "production" ? z.string() : z.string().optional()` is not dropped)."""
    node = schema
    while node.kind() == "parenthesized_expression" and node.named_children():
        node = node.named_children()[0]
    if node.kind() == "ternary_expression":
        branches = [accepts_missing(b) for b in (node.field("consequence"), node.field("alternative"))
                    if b is not None]
        return branches[0] if len(branches) == 2 and branches[0] == branches[1] else None
    rooted = refined = False
    while node.kind() == "call_expression":
        callee = node.field("function")
        if callee is None:
            return None
        if callee.kind() == "member_expression":
            name = (callee.field("property") or callee).text()
            obj = callee.field("object")
            if obj is not None and obj.kind() == "call_expression":  # a chain: z.string().url().optional()
                if name in OPTIONAL_METHODS:
                    return None if refined else True
                refined = refined or name in REFINING_METHODS
                node = obj
                continue
            # The chain's root: z.string(), z.coerce.number(), v.optional(v.string()), z.preprocess(…),
            # or a method on a schema the app keeps in a variable (inbox-zero's env.ts
            # `booleanString.default(false)`): `.default(…)` takes a missing value whatever it wraps.
            if name in OPTIONAL_FUNCTIONS or (name in OPTIONAL_METHODS and obj is not None
                                              and obj.kind() in ("identifier", "member_expression")
                                              and obj.text() not in SCHEMA_NAMESPACES):
                return None if refined else True
            if name in WRAPPING_FUNCTIONS:
                wrapped = call_arguments(node)
                index = WRAPPING_FUNCTIONS[name]
                inner = accepts_missing(wrapped[index]) if len(wrapped) > index else None
                return None if refined and inner else inner
            rooted = True
        break
    return False if rooted else None


def value_shape(schema: SgNode, file_name: str) -> ValueShape | None:
    """What a string schema asks of a set value: `z.string().min(1).length(32).optional()`
    gives length 32, min 1; `z.string().url()` the format url. None for a schema that is not
    a zod string (an enum, a number, one the app keeps in a variable) or asks nothing."""
    node = schema
    while node.kind() == "parenthesized_expression" and node.named_children():
        node = node.named_children()[0]
    rules: dict[str, int | str] = {}
    while node.kind() == "call_expression":
        callee = node.field("function")
        if callee is None or callee.kind() != "member_expression":
            return None
        name, obj = (callee.field("property") or callee).text(), callee.field("object")
        arguments = call_arguments(node)
        if obj is not None and obj.kind() == "call_expression":  # a method of the chain
            number = arguments[0].text() if arguments and arguments[0].kind() == "number" else None
            if name in LENGTH_METHODS and number is not None and number.isdigit():
                rules.setdefault(name, int(number))  # the last call of a kind is zod's: read right to left
            elif name == "nonempty":
                rules.setdefault("min", 1)
            elif name in FORMATS:
                rules.setdefault("format", name)
            node = obj
            continue
        root = obj.text() if obj is not None else ""
        if name in WRAPPING_FUNCTIONS and root in ZOD and len(arguments) > WRAPPING_FUNCTIONS[name]:
            node = arguments[WRAPPING_FUNCTIONS[name]]  # z.preprocess(fn, z.string().url())
            continue
        if root in ZOD and name in FORMATS:
            rules.setdefault("format", name)
        elif root not in (*ZOD, *(f"{n}.coerce" for n in ZOD)) or name != "string":
            return None
        break
    if node.kind() != "call_expression" or not rules:
        return None
    length, low, high, form = (rules.get(k) for k in ("length", "min", "max", "format"))
    return ValueShape(file_name, length if isinstance(length, int) else None, low if isinstance(low, int) else None,
                      high if isinstance(high, int) else None, form if isinstance(form, str) else None)


def object_entries(group: SgNode, declared: dict[str, SgNode], depth: int = 0) -> list[SgNode]:
    """The pairs of an object, `...baseEnv.server` and `...sharedEnv` spreads of an object the
    file declares (`const baseEnv = { server: {…} }`: typebot.io packages/env) followed in."""
    found: list[SgNode] = []
    for entry in group.named_children():
        if entry.kind() == "pair":
            found.append(entry)
        elif entry.kind() == "spread_element" and entry.named_children() and depth < SPREAD_DEPTH:
            spread = resolve_object(entry.named_children()[0], declared)
            if spread is not None:
                found += object_entries(spread, declared, depth + 1)
    return found


def resolve_object(node: SgNode, declared: dict[str, SgNode]) -> SgNode | None:
    """The object literal an identifier or `name.member` names, within the file; else None."""
    if node.kind() == "identifier":
        return declared.get(node.text())
    if node.kind() == "member_expression":
        parent = node.field("object")
        owner = resolve_object(parent, declared) if parent is not None else None
        member = (node.field("property") or node).text()
        for pair in owner.named_children() if owner is not None else []:
            value = pair.field("value") if pair.kind() == "pair" else None
            if pair_key(pair) == member and value is not None:
                return value if value.kind() == "object" else resolve_object(value, declared)
    return None


def declared_objects(tree: SgNode) -> dict[str, SgNode]:
    """`const name = { … }` of the file, by name (the first of a name)."""
    found: dict[str, SgNode] = {}
    for declarator in tree.find_all(kind="variable_declarator"):
        name, value = declarator.field("name"), declarator.field("value")
        if name is not None and value is not None and value.kind() == "object":
            found.setdefault(name.text(), value)
    return found


