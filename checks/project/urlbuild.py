"""Where the app builds its database URL in code instead of reading one variable: a template
in drizzle.config itself, or a function it calls (`url: getDatabaseUri()`), also from its
runtime module (`drizzle({ connection: getDatabaseUri() })`). sebnun/langturbo's
nextjs/lib/utils.ts composes `postgresql://postgres:${process.env.POSTGRES_PASSWORD!}@…` in
`getDatabaseUri()`, which both its drizzle.config.ts and db/index.ts call.

A call is followed one import deep: the function defined in the calling file, or in the
module it imports it from (`./lib/utils`, `@/lib/utils` through tsconfig `paths`). The env
variables its body reads are collected; a call that cannot be followed (a package's function,
a re-export) is said so, never guessed as DATABASE_URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.project import detectors as d
from checks.project.reading import bracketed, env_references, read_small, relative
from checks.project.tsconfig import tsconfig_paths
from checks.support.lazyre import lazy

# Calls that convert or read, not build: `String(x)`, t3-env's `env("X")` (an env read).
NOT_BUILDERS = frozenset({"String", "Number", "Boolean", "parseInt", "require", "env", "new", "URL",
                          "encodeURIComponent", "decodeURIComponent"})
CALLED = lazy(r"^\s*(?:await\s+)?(?P<name>[A-Za-z_$][\w$]*)\s*\(")
ARGUMENT_CALL = lazy(r"(?<![\w$.])(?P<name>[A-Za-z_$][\w$]*)\s*\(")
SUFFIXES = (".ts", ".tsx", ".js", ".mjs", ".cjs", ".mts", ".cts", ".jsx")
# A read with a fallback (`process.env.PGHOST ?? "localhost"`) is no missing variable.
DEFAULTED = r"\s*[!]?\s*(?:\?\?|\|\|)"


@dataclass(frozen=True)
class BuiltUrl:
    """A database URL the app composes in code."""

    caller: str  # the file whose URL this is (drizzle.config.ts, db/index.ts), relative to the project
    function: str | None  # "getDatabaseUri" when built by a call; None for a template in `caller`
    file: str | None  # where the building code is, relative to the project; None: not followed
    reads: tuple[str, ...] = ()  # the env variables it reads, first read first
    defaulted: tuple[str, ...] = ()  # those it reads with a fallback
    why_not: str = ""  # when not followed: why
    single: bool = False  # it reads exactly one variable and returns it as the URL

    @property
    def builder(self) -> str:
        """"getDatabaseUri() (lib/utils.ts)", or the file whose template builds the URL."""
        if self.function is None:
            return str(self.caller)
        return f"{self.function}() ({self.file})" if self.file else f"{self.function}()"

    @property
    def known(self) -> bool:
        return self.file is not None and bool(self.reads)

    def why(self, subject: str) -> str:
        """What discovery says of it, `subject` being what calls it ("drizzle.config.ts: dbCredentials.url")."""
        names = ", ".join(self.reads)
        if self.single:
            return f"{subject} calls {self.builder}, which reads {self.reads[0]}"
        if not self.known:
            what = self.why_not or f"{self.file} reads no env variable in it"
            return (f"{subject} calls {self.builder} for the database URL ({what}): deploy-check "
                    "cannot tell which variables the app reads")
        if self.function is None:
            return f"{self.caller} builds the database URL from {names}: there is no one variable to check"
        return (f"{subject} builds the database URL in {self.builder} from {names}: there is no one "
                "variable to check")


def called_function(expression: str) -> str | None:
    """The function an expression calls for the URL (`getDatabaseUri().replace(…)`), when it
    reads no env variable itself; None for anything else."""
    found = CALLED.match(expression)
    if found is None or found["name"] in NOT_BUILDERS or env_references(expression):
        return None
    return found["name"]


def argument_builder(arguments: str) -> str | None:
    """The local function a runtime client's arguments call for the URL
    (`{ connection: getDatabaseUri(), casing: … }`): the first call that is not the client
    itself, when the arguments read no env variable."""
    if env_references(arguments):
        return None
    for found in ARGUMENT_CALL.finditer(arguments):
        if found["name"] not in NOT_BUILDERS and not d.RUNTIME_DB_CALL.match(found.group(0)):
            return found["name"]
    return None


def follow(root: Path, caller: Path, text: str, name: str, *, strict: bool = True) -> BuiltUrl | None:
    """`name`'s URL as the file `caller` (with `text`) calls it. None, where not `strict`, when
    `name` is neither defined nor imported there (a runtime module's other calls)."""
    where = relative(root, caller)
    body = definition(text, name)
    if body is not None:
        return _read(where, name, where, body)
    imported = _import_source(text, name)
    if imported is None:
        if not strict:
            return None
        return BuiltUrl(where, name, None, why_not=f"{where} neither defines nor imports it")
    spec, original = imported
    target = _resolve(root, caller, spec)
    if target is None:
        return BuiltUrl(where, name, None, why_not=f"imported from {spec!r}, which deploy-check does not read")
    shown = relative(root, target)
    body = definition(read_small(target) or "", original)
    if body is None:
        return BuiltUrl(where, name, None, why_not=f"{shown} does not define it (deploy-check follows one import)")
    return _read(where, name, shown, body)


def builder_defaults(code: str, reads: tuple[str, ...]) -> tuple[str, ...]:
    """The variables of `reads` that `code` reads with a fallback (`?? "localhost"`)."""
    return tuple(name for name in reads if re.search(rf"\b{re.escape(name)}\b[\]'\"`]?{DEFAULTED}", code))


def _read(caller: str, name: str, file: str, body: str) -> BuiltUrl:
    reads = tuple(dict.fromkeys(env_references(body)))
    defaulted = builder_defaults(body, reads)
    # `return process.env.DATABASE_URL!` (a guard aside): the variable is the URL itself.
    single = len(reads) == 1 and "${" not in body and not re.search(r"[\"'`]\s*\+|\+\s*[\"'`]", body)
    return BuiltUrl(caller, name, file, reads, defaulted, single=single)


def definition(text: str, name: str) -> str | None:
    """The body of function `name` defined in `text`: `function name(…) {…}`, or
    `const name = (…) => …` / `= function (…) {…}`; None when `text` does not define it."""
    escaped = re.escape(name)
    declared = re.search(rf"\bfunction\s*\*?\s*{escaped}\s*\(", text)
    if declared is None:
        declared = re.search(rf"\b(?:const|let|var)\s+{escaped}\b[^=]*=\s*(?:async\s+)?(?:function\b[^(]*)?\(",
                             text)
    if declared is None:
        return None
    after = declared.end() + len(bracketed(text, declared.end())) + 1  # past the parameters
    rest = text[after:]
    arrow = re.match(r"\s*(?::[^={]*)?(?:=>)?\s*", rest)
    start = after + (arrow.end() if arrow else 0)
    if text[start:start + 1] == "{":
        return bracketed(text, start + 1)
    end = text.find(";", start)
    return text[start: end if end != -1 else start + 600]


def _import_source(text: str, name: str) -> tuple[str, str] | None:
    """(module specifier, name exported there) of `import { name } from "spec"` or
    `import { original as name } from "spec"` in `text`."""
    for found in re.finditer(r"""\bimport\s*(?:type\s+)?\{(?P<names>[^}]*)\}\s*from\s*["'](?P<spec>[^"']+)["']""", text):
        for part in found["names"].split(","):
            pieces = part.split()
            if pieces and pieces[-1] == name and pieces[0] != "type":
                return found["spec"], pieces[0] if len(pieces) == 3 and pieces[1] == "as" else name
    return None


def _resolve(root: Path, caller: Path, spec: str) -> Path | None:
    """The project file a relative or tsconfig-`paths` specifier names; None for a package."""
    stems: list[Path] = []
    if spec.startswith("."):
        stems.append(caller.parent / spec)
    home = next((folder for folder in (caller.parent, *caller.parent.parents)
                 if (folder / "tsconfig.json").is_file() or (folder / "jsconfig.json").is_file()), root)
    for alias, targets in tsconfig_paths(home):
        prefix = alias.removesuffix("*")
        if alias.endswith("*") and spec.startswith(prefix):
            stems += [home / target.replace("*", spec[len(prefix):], 1) for target in targets]
        elif spec == alias:
            stems += [home / target for target in targets]
    for stem in stems:
        base = stem.with_suffix("") if stem.suffix in (".js", ".mjs") else stem  # import "./x.js" means x.ts
        for option in (stem, *(base.with_name(base.name + s) for s in SUFFIXES), *(stem / f"index{s}" for s in SUFFIXES)):
            if option.is_file():
                return option
    return None


def runtime_builder(root: Path, homes: list[Path]) -> BuiltUrl | None:
    """The URL the app's runtime client (detectors.RUNTIME_DB_FILES) gets from a local function
    it calls in the client's arguments, followed one import deep; None when it calls none."""
    for home in homes:
        for name in d.RUNTIME_DB_FILES:
            path = home / name
            text = read_small(path)
            if text:
                found = builder_in(root, path, text)
                if found is not None:
                    return found
    return None


def builder_in(root: Path, path: Path, text: str) -> BuiltUrl | None:
    for call in d.RUNTIME_DB_CALL.finditer(text):
        name = argument_builder(bracketed(text, call.end()))
        found = follow(root, path, text, name, strict=False) if name else None
        if found is not None:
            return found
    return None


def drizzle_builder(config: tuple[str, str] | None, root: Path | None) -> BuiltUrl | None:
    """The code that builds drizzle.config's URL: its own template of several variables, or
    the function `url:` calls, followed; None for one variable read as is."""
    found = drizzle_expression(config)
    if found is None or config is None:
        return None
    expression, names = found
    if names:
        if len(names) == 1 and "${" not in expression:
            return None
        reads = tuple(dict.fromkeys(names))
        return BuiltUrl(config[0], None, config[0], reads, builder_defaults(expression, reads))
    function = called_function(expression)
    if function is None or root is None:
        return None
    return follow(root, root / config[0], config[1], function)


def drizzle_expression(config: tuple[str, str] | None) -> tuple[str, list[str]] | None:
    """drizzle.config's `dbCredentials.url` expression (a local variable's initializer where it
    is one), and the env variables it reads."""
    if config is None:
        return None
    _name, text = config
    start = d.DRIZZLE_CREDENTIALS.search(text)
    if start is None:
        return None
    block = text[start.end(): start.end() + 600]
    url = d.DRIZZLE_URL_KEY.search(block)
    block = block[: block.find("\n}") if "\n}" in block else len(block)]
    expression = url.group("expr") if url else block
    names = env_references(expression)
    held = held_in(text, expression) if url and not names else None
    if held is not None:  # lobe-chat: `let connectionString = process.env.DATABASE_URL!` … `url: connectionString`
        expression, names = held, env_references(held)
    return expression, names


def held_in(text: str, expression: str) -> str | None:
    """What a config's local variable is set to, where `expression` is that variable alone
    (`connectionString`, `connectionString!`, `url as string`): its one `const`/`let`/`var`
    initializer in the file; None for anything else, or a variable set twice."""
    bare = re.fullmatch(r"\s*([A-Za-z_$][\w$]*)\s*(?:!|\s+as\s+string)?\s*,?\s*", expression)
    if bare is None:
        return None
    found = re.findall(rf"\b(?:const|let|var)\s+{re.escape(bare[1])}\b[^=;\n]*=\s*([^;\n]+)", text)
    assigned = re.findall(rf"(?<![\w$.]){re.escape(bare[1])}\s*=(?!=)", text)
    return found[0] if len(found) == 1 and len(assigned) <= 1 else None
