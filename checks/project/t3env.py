"""t3-env (`@t3-oss/env-nextjs`, `@t3-oss/env-core`): the app's own schema of its variables,
`createEnv({ server: { KEY: z.string() }, client: {…}, shared: {…}, runtimeEnv: {…} })`
(env.t3.gg/docs/nextjs#create-your-schema). createEnv validates them as the app starts and
throws on a missing required one, so what it says is what the app needs: `.optional()`,
`.nullish()`, `.default(…)` and `.catch(…)` accept a missing value, the rest does not.

The one reader of createEnv the families share: the code family asks whether a
`process.env.X` is only a runtimeEnv entry (`in_runtime_env`), discovery reads the schema
(`read_create_env`, called by checks/project/envschema.py for each schema file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checks.project.zodschema import (
    EnvSchema,
    accepts_missing,
    call_arguments,
    declared_objects,
    object_entries,
    pair_key,
    value_shape,
)
from checks.support.lazyre import lazy

if TYPE_CHECKING:
    from ast_grep_py import SgNode

# runtimeEnv lists each variable once for the bundler; a server variable read on the client
# throws instead of leaking (env.t3.gg/docs/nextjs#create-your-schema).
RUNTIME_ENV = {"runtimeEnv", "experimental__runtimeEnv"}
SCHEMA_GROUPS = ("server", "client", "shared")
# A runtimeEnv entry that reads one variable as it is: `process.env.X` or `process.env["X"]`.
PROCESS_ENV_READ = lazy(r"""process\.env(?:\.(?P<dotted>[A-Za-z_]\w*)|\[\s*["'](?P<quoted>[A-Za-z_]\w*)["']\s*\])""")


def is_create_env(call: SgNode | None) -> bool:
    """A `createEnv(…)` call (also `t3.createEnv(…)`)."""
    callee = call.field("function") if call is not None and call.kind() == "call_expression" else None
    return callee is not None and callee.text().split(".")[-1] == "createEnv"


def in_runtime_env(node: SgNode) -> bool:
    """`createEnv({ …, runtimeEnv: { KEY: process.env.KEY } })`: whether `node` is inside the
    value of a runtimeEnv pair of a createEnv call."""
    ancestors = node.ancestors()
    for index, ancestor in enumerate(ancestors[:-2]):
        if ancestor.kind() == "pair" and (ancestor.field("key") or ancestor).text() in RUNTIME_ENV:
            call = ancestors[index + 3] if len(ancestors) > index + 3 else None  # pair < object < arguments < call
            return is_create_env(call)
    return False


def in_server_schema(node: SgNode) -> bool:
    """`createEnv({ server: { KEY: z.string().transform((v) => v || process.env.OTHER) } })`:
    t3-env parses the server group on the server only (@t3-oss/env-core: `isServer ? { ...server,
    ...shared, ...client } : { ...client, ...shared }`), so nothing in it runs in the browser."""
    ancestors = node.ancestors()
    return any(ancestor.kind() == "pair" and (ancestor.field("key") or ancestor).text() == "server"
               and is_create_env(ancestors[index + 3])  # pair < object < arguments < call
               for index, ancestor in enumerate(ancestors[:-3]))


def _schema_of(call: SgNode, declared: dict[str, SgNode] | None = None) -> list[tuple[str, bool | None, SgNode]]:
    arguments = call_arguments(call)
    options = arguments[0] if arguments else None
    if options is None or options.kind() != "object":
        return []
    found: list[tuple[str, bool | None, SgNode]] = []
    for pair in options.named_children():
        if pair.kind() != "pair" or pair_key(pair) not in SCHEMA_GROUPS:
            continue
        group = pair.field("value")
        if group is None or group.kind() != "object":
            continue
        for entry in object_entries(group, declared or {}):
            key, value = pair_key(entry), entry.field("value")
            if key is not None and value is not None:
                found.append((key, accepts_missing(value), value))
    return found


def _runtime_names(call: SgNode, declared: dict[str, SgNode] | None = None) -> dict[str, str | None]:
    """schema key -> the variable its runtimeEnv entry reads (`DATABASE_URL:
    process.env.POSTGRES_URL_NON_POOLING` validates POSTGRES_URL_NON_POOLING under the name
    DATABASE_URL); None where the entry is any other expression (`process.env.A ?? "x"`), whose
    variable is not known here. A key runtimeEnv does not list is read under its own name."""
    arguments = call_arguments(call)
    options = arguments[0] if arguments else None
    names: dict[str, str | None] = {}
    if options is None or options.kind() != "object":
        return names
    for pair in options.named_children():
        if pair.kind() != "pair" or pair_key(pair) not in RUNTIME_ENV:
            continue
        entries = pair.field("value")
        for entry in object_entries(entries, declared or {}) if entries is not None and entries.kind() == "object" else []:
            key, value = pair_key(entry), entry.field("value")
            if key is not None and value is not None:
                read = PROCESS_ENV_READ.fullmatch(value.text().strip())
                names[key] = (read["dotted"] or read["quoted"]) if read else None
    return names


def _skips_validation(call: SgNode) -> bool:
    """`skipValidation: true` as a literal: createEnv then validates nothing, ever."""
    arguments = call_arguments(call)
    options = arguments[0] if arguments else None
    return options is not None and options.kind() == "object" and any(
        pair.kind() == "pair" and pair_key(pair) == "skipValidation"
        and (pair.field("value") or pair).text() == "true" for pair in options.named_children())




def read_create_env(tree: SgNode, file_name: str, schema: EnvSchema) -> bool:
    """Adds what the createEnv calls of one file (`tree`) say to `schema`; whether it has one."""
    calls = [c for c in tree.find_all(kind="call_expression") if is_create_env(c)]
    declared = declared_objects(tree) if calls else {}
    for call in calls:
        if _skips_validation(call):
            continue
        reads = _runtime_names(call, declared)
        for key, optional, value in _schema_of(call, declared):
            variable = reads.get(key, key)
            if variable is None:
                continue  # runtimeEnv computes it: which variable is needed is not known
            if (shape := value_shape(value, file_name)) is not None:
                schema.shapes.setdefault(variable, shape)
            if optional is True:
                schema.optional.setdefault(variable, file_name)
            elif optional is False:
                schema.required.setdefault(variable, file_name)
    return bool(calls)
