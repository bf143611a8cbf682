"""t3-env (`@t3-oss/env-nextjs`, `@t3-oss/env-core`): the app's own schema of its variables,
`createEnv({ server: { KEY: z.string() }, client: {…}, shared: {…}, runtimeEnv: {…} })`
(env.t3.gg/docs/nextjs#create-your-schema). createEnv validates them as the app starts and
throws on a missing required one, so what it says is what the app needs: `.optional()`,
`.nullish()`, `.default(…)` and `.catch(…)` accept a missing value, the rest does not.

The one reader of createEnv the families share: the code family asks whether a
`process.env.X` is only a runtimeEnv entry (`in_runtime_env`), discovery reads the schema
(`env_schema`). The parser is ast-grep's, imported only when a file holds a createEnv call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from checks.project.model import ValueShape
from checks.project.reading import read_small, relative
from checks.support.lazyre import lazy

if TYPE_CHECKING:
    from ast_grep_py import SgNode

# runtimeEnv lists each variable once for the bundler; a server variable read on the client
# throws instead of leaking (env.t3.gg/docs/nextjs#create-your-schema).
RUNTIME_ENV = {"runtimeEnv", "experimental__runtimeEnv"}
SCHEMA_GROUPS = ("server", "client", "shared")
# A runtimeEnv entry that reads one variable as it is: `process.env.X` or `process.env["X"]`.
PROCESS_ENV_READ = lazy(r"""process\.env(?:\.(?P<dotted>[A-Za-z_]\w*)|\[\s*["'](?P<quoted>[A-Za-z_]\w*)["']\s*\])""")
# Where apps keep it: create-t3-app `src/env.js` (`src/env.mjs` before 7.24), the t3-env docs
# `src/env.ts` or `src/env/{server,client}.ts`, create-t3-turbo `apps/nextjs/src/env.ts` and a
# package's own `env.ts` (packages/auth/env.ts).
SCHEMA_FILES = ("src/env.js", "src/env.mjs", "src/env.ts", "src/env/index.ts", "src/env/server.ts",
                "src/env/client.ts", "src/env/server.mjs", "src/env/client.mjs", "env.ts", "env.js",
                "env.mjs", "env/server.ts", "env/client.ts", "src/lib/env.ts", "lib/env.ts",
                "src/config/env.ts", "src/server/env.ts",
                # a workspace package that is only the env schema: typebot.io packages/env/src/index.ts
                "src/index.ts")
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
    """What the app's createEnv calls say of its variables (files relative to the project)."""

    files: list[str] = field(default_factory=list)
    optional: dict[str, str] = field(default_factory=dict)  # key -> the file that declares it
    required: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, ValueShape] = field(default_factory=dict)


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


def _key(pair: SgNode) -> str | None:
    key = pair.field("key")
    if key is None:
        return None
    text = key.text()
    if key.kind() == "string":
        text = text[1:-1]
    return text if text.replace("_", "a").isalnum() else None


def _arguments(call: SgNode) -> list[SgNode]:
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
                                              and obj.text() not in ("z", "v")):
                return None if refined else True
            if name in WRAPPING_FUNCTIONS:
                wrapped = _arguments(node)
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
        arguments = _arguments(node)
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
        if name in WRAPPING_FUNCTIONS and root == "z" and len(arguments) > WRAPPING_FUNCTIONS[name]:
            node = arguments[WRAPPING_FUNCTIONS[name]]  # z.preprocess(fn, z.string().url())
            continue
        if root == "z" and name in FORMATS:
            rules.setdefault("format", name)
        elif root not in ("z", "z.coerce") or name != "string":
            return None
        break
    if node.kind() != "call_expression" or not rules:
        return None
    length, low, high, form = (rules.get(k) for k in ("length", "min", "max", "format"))
    return ValueShape(file_name, length if isinstance(length, int) else None, low if isinstance(low, int) else None,
                      high if isinstance(high, int) else None, form if isinstance(form, str) else None)


def _entries(group: SgNode, declared: dict[str, SgNode], depth: int = 0) -> list[SgNode]:
    """The pairs of an object, `...baseEnv.server` and `...sharedEnv` spreads of an object the
    file declares (`const baseEnv = { server: {…} }`: typebot.io packages/env) followed in."""
    found: list[SgNode] = []
    for entry in group.named_children():
        if entry.kind() == "pair":
            found.append(entry)
        elif entry.kind() == "spread_element" and entry.named_children() and depth < SPREAD_DEPTH:
            spread = _resolve(entry.named_children()[0], declared)
            if spread is not None:
                found += _entries(spread, declared, depth + 1)
    return found


def _resolve(node: SgNode, declared: dict[str, SgNode]) -> SgNode | None:
    """The object literal an identifier or `name.member` names, within the file; else None."""
    if node.kind() == "identifier":
        return declared.get(node.text())
    if node.kind() == "member_expression":
        parent = node.field("object")
        owner = _resolve(parent, declared) if parent is not None else None
        member = (node.field("property") or node).text()
        for pair in owner.named_children() if owner is not None else []:
            value = pair.field("value") if pair.kind() == "pair" else None
            if _key(pair) == member and value is not None:
                return value if value.kind() == "object" else _resolve(value, declared)
    return None


def _declared_objects(tree: SgNode) -> dict[str, SgNode]:
    """`const name = { … }` of the file, by name (the first of a name)."""
    found: dict[str, SgNode] = {}
    for declarator in tree.find_all(kind="variable_declarator"):
        name, value = declarator.field("name"), declarator.field("value")
        if name is not None and value is not None and value.kind() == "object":
            found.setdefault(name.text(), value)
    return found


def _schema_of(call: SgNode, declared: dict[str, SgNode] | None = None) -> list[tuple[str, bool | None, SgNode]]:
    arguments = _arguments(call)
    options = arguments[0] if arguments else None
    if options is None or options.kind() != "object":
        return []
    found: list[tuple[str, bool | None, SgNode]] = []
    for pair in options.named_children():
        if pair.kind() != "pair" or _key(pair) not in SCHEMA_GROUPS:
            continue
        group = pair.field("value")
        if group is None or group.kind() != "object":
            continue
        for entry in _entries(group, declared or {}):
            key, value = _key(entry), entry.field("value")
            if key is not None and value is not None:
                found.append((key, accepts_missing(value), value))
    return found


def _runtime_names(call: SgNode, declared: dict[str, SgNode] | None = None) -> dict[str, str | None]:
    """schema key -> the variable its runtimeEnv entry reads (`DATABASE_URL:
    process.env.POSTGRES_URL_NON_POOLING` validates POSTGRES_URL_NON_POOLING under the name
    DATABASE_URL); None where the entry is any other expression (`process.env.A ?? "x"`), whose
    variable is not known here. A key runtimeEnv does not list is read under its own name."""
    arguments = _arguments(call)
    options = arguments[0] if arguments else None
    names: dict[str, str | None] = {}
    if options is None or options.kind() != "object":
        return names
    for pair in options.named_children():
        if pair.kind() != "pair" or _key(pair) not in RUNTIME_ENV:
            continue
        entries = pair.field("value")
        for entry in _entries(entries, declared or {}) if entries is not None and entries.kind() == "object" else []:
            key, value = _key(entry), entry.field("value")
            if key is not None and value is not None:
                read = PROCESS_ENV_READ.fullmatch(value.text().strip())
                names[key] = (read["dotted"] or read["quoted"]) if read else None
    return names


def _skips_validation(call: SgNode) -> bool:
    """`skipValidation: true` as a literal: createEnv then validates nothing, ever."""
    arguments = _arguments(call)
    options = arguments[0] if arguments else None
    return options is not None and options.kind() == "object" and any(
        pair.kind() == "pair" and _key(pair) == "skipValidation"
        and (pair.field("value") or pair).text() == "true" for pair in options.named_children())


def env_schema(root: Path, homes: list[Path]) -> EnvSchema | None:
    """The createEnv schema of the app at `root` and the workspace packages it depends on
    (`homes`, root first); None when no createEnv file is found."""
    schema = EnvSchema()
    for home in homes:
        for name in SCHEMA_FILES:
            path = home / name
            text = read_small(path)
            if not text or "createEnv" not in text:
                continue
            # start-up: only an app with a createEnv file loads the parser
            from ast_grep_py import SgRoot

            file_name = relative(root, path)
            tree = SgRoot(text, "typescript" if name.endswith(".ts") else "tsx").root()
            calls = [c for c in tree.find_all(kind="call_expression") if is_create_env(c)]
            if not calls:
                continue
            schema.files.append(file_name)
            declared = _declared_objects(tree)
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
    return schema if schema.files else None
