"""A plain zod object the app parses its environment with, the many apps' alternative to
t3-env: `const envSchema = z.object({ DATABASE_URL: z.string().url(), NEXTAUTH_URL:
z.string().url().optional() })` then `export const env = envSchema.parse(process.env)`
(Meowi02/venlynos src/lib/env.ts), `.safeParse(process.env)` with a throw on failure
(filipeoliveira93/in.orbit server/src/env.ts), a parse of the reads one by one,
`envSchema.parse({ AUTH_SECRET: process.env.AUTH_SECRET })` (rjunioramorim/app_cobrancas
src/env.ts), a schema grown from another, `ServerOnly.extend(Client.shape)`, or one passed whole
through the app's own rule, `const serverConfigSchema = allEnv.transform((val, ctx) => …)` then
`serverConfigSchema.parse(process.env)` (karakeep packages/shared/config.ts: a key the object
lets be missing is then only loosely optional, the rule may still demand it). Like createEnv
it throws at start-up on a missing required key (`.parse`) or hands the app a failure it
throws on (`.safeParse`), so what it says is what the app needs; a schema the app does not
parse process.env with says nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from checks.project.t3env import PROCESS_ENV_READ
from checks.project.zodschema import (
    REFINING_METHODS,
    SPREAD_DEPTH,
    ZOD,
    EnvSchema,
    accepts_missing,
    call_arguments,
    declared_objects,
    object_entries,
    pair_key,
    value_shape,
)

if TYPE_CHECKING:
    from ast_grep_py import SgNode

# zod's parsers of a value (zod docs "Basic usage": `.parse`, `.safeParse` and their async forms).
PARSE_METHODS = {"parse", "safeParse", "parseAsync", "safeParseAsync"}
# zod's object schemas (zod 4 adds `z.strictObject`, `z.looseObject`).
OBJECT_FUNCTIONS = {"object", "strictObject", "looseObject"}
# Methods of an object schema that keep which keys it takes and which it requires.
KEEPING_METHODS = {"strict", "passthrough", "strip", "readonly", "describe", "brand", "catchall"}
# The text of a read of the whole environment.
WHOLE_ENV = {"process.env", "import.meta.env"}



class KeySchema(NamedTuple):
    optional: bool | None  # whether its schema takes a missing value (None: not known)
    schema: SgNode
    # optional by its own schema, but a transform or refinement of the whole object may still
    # demand it (karakeep: `allEnv.transform((val, ctx) => …)` throws without NEXTAUTH_SECRET)
    loose: bool = False


Keys = dict[str, KeySchema]


def _declared_values(tree: SgNode) -> dict[str, SgNode]:
    """`const name = <expression>` of the file, by name (the first of a name)."""
    found: dict[str, SgNode] = {}
    for declarator in tree.find_all(kind="variable_declarator"):
        name, value = declarator.field("name"), declarator.field("value")
        if name is not None and value is not None and name.kind() == "identifier":
            found.setdefault(name.text(), value)
    return found


def _object_keys(node: SgNode, values: dict[str, SgNode], objects: dict[str, SgNode], depth: int = 0) -> Keys | None:
    """The keys of the zod object schema `node` is, followed through the file's consts; None
    when it is not one deploy-check can read (a schema imported from elsewhere, a helper)."""
    while node.kind() in ("parenthesized_expression", "as_expression", "satisfies_expression") \
            and node.named_children():
        node = node.named_children()[0]
    if depth > SPREAD_DEPTH:
        return None
    if node.kind() == "identifier":
        value = values.get(node.text())
        return _object_keys(value, values, objects, depth + 1) if value is not None else None
    if node.kind() == "member_expression" and (node.field("property") or node).text() == "shape":
        owner = node.field("object")  # `Client.shape`: the keys of Client, as extend takes them
        return _object_keys(owner, values, objects, depth + 1) if owner is not None else None
    if node.kind() == "object":  # `.extend({ … })`'s argument
        return _literal_keys(node, objects)
    callee = node.field("function") if node.kind() == "call_expression" else None
    if callee is None or callee.kind() != "member_expression":
        return None
    name, owner = (callee.field("property") or callee).text(), callee.field("object")
    arguments = call_arguments(node)
    if owner is None:
        return None
    if name in OBJECT_FUNCTIONS and owner.text() in ZOD:
        return _literal_keys(arguments[0], objects) if arguments and arguments[0].kind() == "object" else None
    base = _object_keys(owner, values, objects, depth + 1)
    if base is None:
        return None
    if name in ("extend", "merge", "safeExtend"):
        more = _object_keys(arguments[0], values, objects, depth + 1) if arguments else None
        return {**base, **more} if more is not None else None
    if name in KEEPING_METHODS:
        return base
    if name == "partial" and not arguments:  # every key may be missing
        return {key: KeySchema(True, entry.schema) for key, entry in base.items()}
    if name in REFINING_METHODS:
        # A refinement of the whole object runs on what its keys let through, missing ones too,
        # and may refuse them: a key's own `.optional()` proves nothing after it, but says the
        # object itself lets it be missing.
        return {key: KeySchema(None, entry.schema, True) if entry.optional or entry.loose else entry
                for key, entry in base.items()}
    return None


def _literal_keys(literal: SgNode, objects: dict[str, SgNode]) -> Keys:
    keys: Keys = {}
    for entry in object_entries(literal, objects):
        key, value = pair_key(entry), entry.field("value")
        if key is not None and value is not None:
            keys[key] = KeySchema(accepts_missing(value), value)
    return keys


def _variables(argument: SgNode) -> dict[str, str | None] | None:
    """What a parse is handed: {"...": None} for the whole environment (each key read under its
    own name, as after a `...process.env` spread);
    for `{ KEY: process.env.OTHER }`, key -> the variable it reads (None: computed, `?? "x"`),
    a key the literal does not list being undefined whatever is set; None for anything else."""
    if argument.text().strip() in WHOLE_ENV:
        return {"...": None}
    if argument.kind() != "object":
        return None
    names: dict[str, str | None] = {}
    for entry in argument.named_children():
        if entry.kind() == "spread_element" and entry.named_children() \
                and entry.named_children()[0].text().strip() in WHOLE_ENV:
            names["..."] = None  # `{ ...process.env, … }`: the rest under their own names
        elif entry.kind() == "pair" and (key := pair_key(entry)) is not None:
            value = entry.field("value")
            read = PROCESS_ENV_READ.fullmatch(value.text().strip()) if value is not None else None
            names[key] = (read["dotted"] or read["quoted"]) if read else None
        elif entry.kind() == "shorthand_property_identifier":
            names[entry.text()] = None  # a local const: what it holds is not known here
    return names


def read_zod_env(tree: SgNode, file_name: str, schema: EnvSchema) -> bool:
    """Adds to `schema` what the zod objects one file (`tree`) parses the environment with say;
    whether it has one."""
    values, objects = _declared_values(tree), declared_objects(tree)
    found = False
    for call in tree.find_all(kind="call_expression"):
        callee = call.field("function")
        arguments = call_arguments(call)
        if callee is None or callee.kind() != "member_expression" or not arguments \
                or (callee.field("property") or callee).text() not in PARSE_METHODS:
            continue
        given = _variables(arguments[0])
        owner = callee.field("object")
        keys = _object_keys(owner, values, objects) if given is not None and owner is not None else None
        if keys is None or given is None:
            continue
        found = True
        whole = "..." in given
        for key, (optional, value, loose) in keys.items():
            # A key the literal does not hand over is undefined, whatever is set.
            variable = given.get(key, key if whole else None)
            if variable is None:
                continue
            if (shape := value_shape(value, file_name)) is not None:
                schema.shapes.setdefault(variable, shape)
            if loose:
                schema.loose.setdefault(variable, file_name)
            elif optional is True:
                schema.optional.setdefault(variable, file_name)
            elif optional is False:
                schema.required.setdefault(variable, file_name)
    return found
