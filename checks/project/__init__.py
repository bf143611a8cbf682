"""The project model: what the app really uses, found once per run from its own files
(DESIGN.md "Discovery"). Every family reads it through `ctx.model`; `deploy-check
detect` prints it; the JSON report carries it.

Each fact carries `why`: the file (relative to the project) and what in it named the
fact, so "why did it check that?" has an answer. A fact that was not found is `None`
with `why` saying what was looked for — never a silent default.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from checks.project import detectors as d
from checks.support.files import read_text

if TYPE_CHECKING:
    from checks.project.config import Config

SchemaKind = Literal["sql", "drizzle", "drizzle-v1", "prisma", "supabase", "dbmate", "golang-migrate", "plain"]
# Config files, package.json and the like are small; a larger one is not read (a FIFO or
# a multi-gigabyte file must not hang or exhaust the run).
MAX_CONFIG_BYTES = 1 << 20


@dataclass(frozen=True)
class EnvFileFact:
    path: str  # relative to the project
    keys: int


@dataclass(frozen=True)
class SchemaFact:
    kind: SchemaKind
    path: str  # relative to the project: the file, or the migrations directory
    why: str
    # (schema, table) of the migrator's history where the app's config renames it
    # (drizzle.config `migrations: { schema, table }`); None: the tool's default.
    history_table: tuple[str, str] | None = None


@dataclass
class ProjectModel:
    root: Path
    # Env files the app loads, highest priority first (Next.js `next dev` order).
    env_files: list[EnvFileFact] = field(default_factory=list)
    example_file: str | None = None
    database_var: str | None = None
    database_var_why: str = ""
    schema: SchemaFact | None = None
    schema_why: str = ""  # when `schema` is None: what was looked for
    auth_provider: str | None = None  # neon-auth, stack, supabase, clerk, authjs, better-auth, kinde, oidc, none
    auth_why: str = ""
    sentry_required: bool = False
    sentry_why: str = ""
    package_manager: str | None = None
    workspace_root: str | None = None  # relative to the project, "." when it is the root
    dev_command: str | None = None
    dev_why: str = ""
    looks_like_app: bool = True
    looks_like_app_why: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["root"] = str(self.root)
        return data


def read_small(path: Path, limit: int = MAX_CONFIG_BYTES) -> str | None:
    """The text of a regular file of at most `limit` bytes; None otherwise (missing, a
    directory, a FIFO or device, too large, unreadable, not UTF-8)."""

    try:
        return read_text(path, limit, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def relative(root: Path, path: Path) -> str:
    """`path` relative to `root`, with `..` for a parent (a workspace root)."""
    return Path(os.path.relpath(path, root)).as_posix()


def package_json(directory: Path) -> dict[str, Any] | None:
    text = read_small(directory / "package.json")
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def dependencies(package: Mapping[str, Any] | None) -> set[str]:
    names: set[str] = set()
    for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        block = (package or {}).get(section)
        if isinstance(block, dict):
            names |= {name for name in block if isinstance(name, str)}
    return names


def _env_references(text: str) -> list[str]:
    return [next(g for g in match.groups() if g) for match in d.ENV_REFERENCE.finditer(text)]


# -- the database variable ----------------------------------------------------------


def prisma_config(root: Path) -> tuple[str, str | None, str | None] | None:
    """(file name, schema path, migrations path) of prisma.config.ts, the paths relative to
    the project (None where the config leaves Prisma's default)."""
    for name in d.PRISMA_CONFIGS:
        text = read_small(root / name)
        if text is None:
            continue
        schema = d.PRISMA_CONFIG_SCHEMA.search(text)
        block = d.PRISMA_CONFIG_MIGRATIONS.search(text)
        migrations = d.PRISMA_CONFIG_MIGRATIONS_PATH.search(block.group("body")) if block else None
        return (name, _config_path(schema.group("expr")) if schema else None,
                _config_path(migrations.group("expr")) if migrations else None)
    return None


def _config_path(expr: str) -> str | None:
    """A path a config file spells as a string or path.join/resolve("a", "b") (a non-string
    part such as __dirname is the project itself)."""
    parts = d.QUOTED.findall(expr)
    if not parts or "${" in expr:
        return None
    return "/".join(part.strip("/") if i else part.rstrip("/") for i, part in enumerate(parts)).removeprefix("./")


def _prisma_schema_files(root: Path, package: Mapping[str, Any] | None) -> list[Path]:
    configured = (package or {}).get("prisma")
    names = list(d.PRISMA_SCHEMAS)
    if isinstance(configured, dict) and isinstance(configured.get("schema"), str):
        names.insert(0, configured["schema"])
    config = prisma_config(root)
    if config is not None and config[1]:
        names.insert(0, config[1])
    for name in names:
        path = root / name
        if path.is_file():
            return [path]
        if path.is_dir():  # prismaSchemaFolder: the datasource is in one of the files
            return sorted(path.glob("*.prisma"))
    return []


def prisma_datasource(home: Path, package: Mapping[str, Any] | None,
                      root: Path | None = None) -> tuple[str | None, str] | None:
    """(variable, why) from `datasource … { url = env("X") }` or prisma.config.ts in `home`
    (the project, or a workspace package of it), named relative to the project `root`."""
    root = root or home
    for path in _prisma_schema_files(home, package):
        schema_text = read_small(path) or ""
        for block in d.PRISMA_DATASOURCE.finditer(schema_text):
            found = d.PRISMA_URL_ENV.search(block.group("body"))
            if found:
                return found.group("var"), f'{relative(root, path)}: url = env("{found.group("var")}")'
    for config_name in d.PRISMA_CONFIGS:
        text = read_small(home / config_name)
        if text and "datasource" in text:
            after = text[text.index("datasource"):]
            names = _env_references(after[:400])
            if names:
                return names[0], f"{relative(root, home / config_name)}: datasource url reads {names[0]}"
    return None


def drizzle_config(home: Path, root: Path | None = None) -> tuple[str, str] | None:
    """(path relative to the project `root`, text) of the drizzle-kit config in `home` (the
    project itself, or a workspace package it depends on)."""
    for name in d.DRIZZLE_CONFIGS:
        text = read_small(home / name)
        if text is not None:
            return relative(root or home, home / name), text
    return None


def drizzle_history_table(text: str) -> tuple[str, str] | None:
    """drizzle.config's `migrations: { table, schema }` (drizzle-kit docs "migrations"):
    where drizzle-kit migrate keeps its history when the app renames it."""
    block = d.DRIZZLE_MIGRATIONS.search(text)
    if block is None:
        return None
    table = d.drizzle_migrations_key("table").search(block.group("body"))
    schema = d.drizzle_migrations_key("schema").search(block.group("body"))
    if table is None and schema is None:
        return None
    return (schema.group("value") if schema else "drizzle",
            table.group("value") if table else "__drizzle_migrations")


def drizzle_url_var(config: tuple[str, str] | None) -> tuple[str | None, str] | None:
    """(variable, why) from drizzle.config's `dbCredentials: { url: process.env.X }`;
    (None, why) when the URL is composed of several variables (no one variable to check)."""
    if config is None:
        return None
    name, text = config
    start = d.DRIZZLE_CREDENTIALS.search(text)
    if start is None:
        return None
    block = text[start.end(): start.end() + 600]
    url = d.DRIZZLE_URL_KEY.search(block)
    block = block[: block.find("\n}") if "\n}" in block else len(block)]
    expression = url.group("expr") if url else block
    names = _env_references(expression)
    if len(names) == 1 and "${" not in expression:
        return names[0], f"{name}: dbCredentials reads {names[0]}"
    if names:
        return None, (f"{name} builds the database URL from {', '.join(dict.fromkeys(names))}: "
                      "there is no one variable to check")
    return None


def _database_var(root: Path, config: Config, package: Mapping[str, Any] | None,
                  drizzle: tuple[str, str] | None, file_keys: Iterable[tuple[str, str]],
                  environ: Mapping[str, str], homes: list[Path] | None = None) -> tuple[str | None, str]:
    if config.database_url_var:
        return config.database_url_var, "deploy-check.toml: [database] url_var"
    composed: str | None = None
    prisma = next((found for home in homes or [root]
                   if (found := prisma_datasource(home, package if home == root else package_json(home), root))),
                  None)
    for found in (prisma, drizzle_url_var(drizzle)):
        if found and found[0] is not None:
            return found
        if found:
            composed = found[1]
    keys_by_file: dict[str, str] = {}
    for file_name, key in file_keys:
        keys_by_file.setdefault(key, file_name)
    for name in d.DATABASE_VARS:
        if name in keys_by_file:
            return name, f"{name} in {keys_by_file[name]}"
    for name in d.DATABASE_VARS:
        if name in environ:
            return name, f"{name} in the process environment"
    if composed:
        return None, composed
    return None, ("nothing names the app's database: no prisma datasource, no drizzle.config "
                  f"dbCredentials, none of {', '.join(d.DATABASE_VARS[:4])}… in the env files")


# -- the schema source ----------------------------------------------------------------


def directory_kind(path: Path) -> SchemaKind | None:
    """Which migration tool wrote `path`, from its files; None when it holds no SQL."""
    if (path / "meta" / "_journal.json").is_file():
        return "drizzle"  # drizzle-kit writes <out>/meta/_journal.json
    if not (path / "migration_lock.toml").is_file() and any(path.glob("*/snapshot.json")):
        # drizzle-kit 1.0: <14-digit timestamp>_<name>/migration.sql + snapshot.json per folder,
        # no journal (drizzle-orm v1 migrator.utils.ts); not Prisma's, which has no snapshots.
        return "drizzle-v1"
    if (path / "migration_lock.toml").is_file() or any(path.glob("*/migration.sql")):
        return "prisma"  # prisma migrate: <ts>_<name>/migration.sql + migration_lock.toml
    files = sorted(path.glob("*.sql"))
    if not files:
        return None
    if path.as_posix().endswith("supabase/migrations"):
        return "supabase"
    if any(f.name.endswith(".up.sql") for f in files):
        return "golang-migrate"
    if any("-- migrate:up" in (read_small(f, 64 * 1024) or "") for f in files[:5]):
        return "dbmate"
    return "plain"


def dbmate_settings(root: Path, workspace: Path | None,
                    settings: Mapping[str, str]) -> tuple[str, str, tuple[str, str] | None] | None:
    """(migrations folder relative to the project, why, (schema, table) of its history or
    None) where the app configures dbmate: DBMATE_MIGRATIONS_DIR/_TABLE in its env, or the
    flags of a `dbmate` call in its own or its workspace's package.json scripts (a script's
    paths are relative to the package.json it is in)."""
    folder: Path | None = None
    why = "dbmate's default db/migrations"
    if settings.get("DBMATE_MIGRATIONS_DIR"):
        folder, why = root / settings["DBMATE_MIGRATIONS_DIR"].split(",")[0], "DBMATE_MIGRATIONS_DIR in the app's env"
    table = settings.get("DBMATE_MIGRATIONS_TABLE", "")
    for base in (root, workspace) if workspace is not None else (root,):
        scripts = (package_json(base) or {}).get("scripts")
        for name, command in (scripts.items() if isinstance(scripts, dict) else ()):
            for call in d.DBMATE_CALL.finditer(command if isinstance(command, str) else ""):
                found = d.DBMATE_DIR.search(call.group("args"))
                if found and folder is None:
                    folder = base / found.group("value")
                    why = f"{relative(root, base / 'package.json')}: scripts.{name} runs dbmate --migrations-dir"
                named = d.DBMATE_TABLE.search(call.group("args"))
                table = table or (named.group("value") if named else "")
    if folder is None and not table:
        return None
    schema, _, name = table.rpartition(".")
    return relative(root, folder or root / "db" / "migrations"), why, ((schema, name) if table else None)


def _schema(root: Path, config: Config, drizzle: tuple[str, str] | None,
            package: Mapping[str, Any] | None, workspace: Path | None = None,
            settings: Mapping[str, str] | None = None,
            homes: list[Path] | None = None) -> tuple[SchemaFact | None, str]:
    if config.schema:
        path = root / config.schema
        kind: SchemaKind = (directory_kind(path) or "plain") if path.is_dir() else "sql"
        return SchemaFact(kind, config.schema, "deploy-check.toml: [project] schema"), ""
    candidates: list[tuple[str, str]] = []
    history = None
    if drizzle is not None:
        name, text = drizzle
        out = d.DRIZZLE_OUT.search(text)
        folder = out.group("out").strip().removeprefix("./").rstrip("/") if out else "drizzle"
        # drizzle-kit resolves `out` against the config's own folder.
        where = relative(root, (root / name).parent / folder)
        candidates.append((where, f"{name}: out = {folder!r}" if out else f"{name} (default out: drizzle)"))
        history = drizzle_history_table(text)
    for home in homes or [root]:
        prisma_files = _prisma_schema_files(home, package_json(home) if home != root else package)
        configured = prisma_config(home)
        if configured is not None and configured[2]:
            candidates.append((relative(root, home / configured[2]),
                               f"{relative(root, home / configured[0])}: migrations.path = {configured[2]!r}"))
        elif prisma_files:
            # Prisma keeps migrations/ beside the schema file that holds the datasource.
            candidates.append((relative(root, prisma_files[0].parent / "migrations"),
                               f"{relative(root, prisma_files[0])} (prisma migrate)"))
    dbmate = dbmate_settings(root, workspace, settings or {})
    if dbmate is not None:
        candidates.append((dbmate[0], dbmate[1]))
    for home in homes or [root]:
        for folder in ("drizzle", "prisma/migrations", "supabase/migrations", "db/migrations",
                       "migrations", "src/db/migrations", "src/migrations", "database/migrations"):
            where = relative(root, home / folder)
            candidates.append((where, f"{where}/ exists"))
    looked: list[str] = []
    for folder, why in candidates:
        path = root / folder
        if folder in looked:
            continue
        looked.append(folder)
        found = directory_kind(path) if path.is_dir() else None
        if found is not None:
            if dbmate is not None and folder == dbmate[0] and found in ("plain", "dbmate"):
                # The app runs dbmate on it: its files are dbmate's, its history dbmate's table.
                return SchemaFact("dbmate", folder, why, dbmate[2]), ""
            return SchemaFact(found, folder, why, history if found in ("drizzle", "drizzle-v1") else None), ""
    for name in ("schema.sql", "db/schema.sql", "sql/schema.sql", "database/schema.sql"):
        if (root / name).is_file():
            return SchemaFact("sql", name, f"{name} exists"), ""
    return None, (f"no schema source: looked for {', '.join(f + '/' for f in looked)} and "
                  "schema.sql")


# -- auth, Sentry, package manager -----------------------------------------------------


def _auth(config: Config, deps: set[str], keys: Mapping[str, str]) -> tuple[str | None, str]:
    if config.auth_provider != "auto":
        return config.auth_provider, "deploy-check.toml: [auth] provider"
    for provider, packages in d.AUTH_SDKS:
        for package_name in packages:
            if package_name in deps:
                return provider, f"package.json depends on {package_name}"
    for provider, names in d.AUTH_KEYS:
        for name in names:
            if name in keys:
                return provider, f"{name} in {keys[name]}"
    if config.auth_issuer:
        return "oidc", "deploy-check.toml: [auth] issuer"
    return None, "no auth SDK in package.json and no auth provider's keys in the env files"


def _sentry(root: Path, config: Config, deps: set[str],
            file_keys: Iterable[tuple[str, str]]) -> tuple[bool, str]:
    if config.sentry_required is not None:
        return config.sentry_required, f"deploy-check.toml: [sentry] required = {str(config.sentry_required).lower()}"
    sdk = sorted(name for name in deps if name.startswith(d.SENTRY_PACKAGE_PREFIX))
    if sdk:
        return True, f"package.json depends on {sdk[0]}"
    for name in d.SENTRY_FILES:
        if (root / name).is_file():
            return True, f"{name} exists"
    for name, marker in d.SENTRY_CALLERS:
        text = read_small(root / name)
        if text and marker in text:
            return True, f"{name} calls {marker}"
    for name in d.NEXT_CONFIGS:
        text = read_small(root / name)
        if text and "withSentryConfig" in text:
            return True, f"{name} wraps the config in withSentryConfig"
    if (root / ".env.sentry-build-plugin").is_file():
        return True, ".env.sentry-build-plugin exists"
    for file_name, key in file_keys:
        if d.SENTRY_KEY.search(key):
            return True, f"{key} in {file_name}"
    return False, ("the app does not use Sentry: no @sentry/* package, sentry.*.config.*, "
                   "withSentryConfig or SENTRY_* key in the env files or example")


MAX_WORKSPACE_GLOBS, MAX_WORKSPACE_FOLDERS = 50, 500  # a workspace's globs and each one's folders


def workspace_packages(root: Path, workspace: Path | None, package: Mapping[str, Any] | None) -> list[Path]:
    """The folders of the workspace packages the app depends on (`"@acme/db": "workspace:*"`),
    where a monorepo keeps its database: the workspace's globs from package.json `workspaces`
    or pnpm-workspace.yaml `packages`, each package matched by its package.json name."""
    if workspace is None:
        return []
    wanted = dependencies(package)
    declared = (package_json(workspace) or {}).get("workspaces")
    if isinstance(declared, dict):
        declared = declared.get("packages")
    globs = [g for g in declared if isinstance(g, str)] if isinstance(declared, list) else []
    pnpm = d.PNPM_WORKSPACE_PACKAGES.search(read_small(workspace / "pnpm-workspace.yaml") or "")
    globs += d.PNPM_WORKSPACE_GLOB.findall(pnpm.group("items")) if pnpm else []
    found: list[Path] = []
    for pattern in globs[:MAX_WORKSPACE_GLOBS]:
        if pattern.startswith("!") or ".." in pattern:
            continue
        # `packages/**` is read one level deep: a recursive glob would walk node_modules.
        matches = itertools.islice(workspace.glob(pattern.rstrip("/").replace("**", "*")), MAX_WORKSPACE_FOLDERS)
        for folder in sorted(matches):
            name = (package_json(folder) or {}).get("name") if folder.is_dir() else None
            if isinstance(name, str) and name in wanted and folder.resolve() != root and folder not in found:
                found.append(folder)
    return found


def _package_manager(root: Path) -> tuple[str | None, str | None, str]:
    """(manager, workspace root relative to the project, why), walking up to the
    repository root: a pnpm/yarn/turbo workspace keeps one lockfile at its top."""
    directory = root
    while True:
        package = package_json(directory)
        declared = (package or {}).get("packageManager")
        if isinstance(declared, str) and "@" in declared:
            name = declared.split("@", 1)[0]
            return name, relative(root, directory) if directory != root else ".", (
                f"packageManager {declared!r} in {relative(root, directory / 'package.json')}")
        for lock, manager in d.LOCKFILES:
            if (directory / lock).is_file():
                where = relative(root, directory) if directory != root else "."
                return manager, where, f"{lock} in {where}"
        if (directory / ".git").exists() or directory.parent == directory:
            return None, None, "no lockfile or packageManager up to the repository root"
        directory = directory.parent


def _dev_command(config: Config, package: Mapping[str, Any] | None,
                 manager: str | None) -> tuple[str | None, str]:
    if config.dev_command:
        return config.dev_command, "deploy-check.toml: [dev_server] command"
    if package is None:
        return None, "no package.json and no [dev_server] command in deploy-check.toml"
    scripts = package.get("scripts")
    if not isinstance(scripts, dict) or "dev" not in scripts:
        return None, "package.json has no `dev` script and deploy-check.toml no [dev_server] command"
    return f"{manager or 'npm'} run dev", "package.json scripts.dev"


# -- the model ----------------------------------------------------------------------


def discover(root: Path, config: Config, *, env_files: Iterable[tuple[str, Iterable[str]]] = (),
             example: tuple[str, Iterable[str]] | None = None,
             environ: Mapping[str, str] | None = None,
             settings: Mapping[str, str] | None = None) -> ProjectModel:
    """The project model of the app at `root` (already resolved). `env_files` are the
    loaded env files (relative name, keys) highest priority first; `example` the example
    file in use (relative name, keys) when there is one; `settings` the values of the few
    tool settings discovery reads from the app's env (detectors.DBMATE_ENV)."""
    environ = dict(os.environ) if environ is None else environ
    model = ProjectModel(root=root)
    loaded = [(name, list(keys)) for name, keys in env_files]
    model.env_files = [EnvFileFact(name, len(keys)) for name, keys in loaded]
    example_keys = list(example[1]) if example else []
    model.example_file = example[0] if example else None

    package = package_json(root)
    deps = dependencies(package)
    model.package_manager, model.workspace_root, manager_why = _package_manager(root)
    workspace = (root / model.workspace_root).resolve() if model.workspace_root not in (None, ".") else None
    # A monorepo app keeps its database in a workspace package it depends on (packages/db).
    homes = [root, *workspace_packages(root, workspace, package)]
    drizzle = next((found for home in homes if (found := drizzle_config(home, root)) is not None), None)
    # Keys the app's own files name, with the file that names them (example last).
    file_keys = [(name, key) for name, keys in loaded for key in keys]
    if example:
        file_keys += [(example[0], key) for key in example_keys]
    model.database_var, model.database_var_why = _database_var(
        root, config, package, drizzle, file_keys, environ, homes)
    model.schema, model.schema_why = _schema(root, config, drizzle, package, workspace, settings or {}, homes)
    keys: dict[str, str] = {}
    for name, key in file_keys:
        keys.setdefault(key, name)
    for key in environ:
        keys.setdefault(key, "the process environment")
    model.auth_provider, model.auth_why = _auth(config, deps, keys)
    model.sentry_required, model.sentry_why = _sentry(root, config, deps, file_keys)
    model.dev_command, model.dev_why = _dev_command(config, package, model.package_manager)
    if model.dev_command and not config.dev_command:
        model.dev_why += f" with {model.package_manager or 'npm'} ({manager_why})"

    signs = [name for name, present in (
        ("package.json", package is not None),
        ("an env example", example is not None),
        ("env files", bool(loaded)),
        ("a schema source", model.schema is not None),
        ("deploy-check.toml", config.path is not None),
    ) if present]
    model.looks_like_app = bool(signs)
    model.looks_like_app_why = (f"found {', '.join(signs)}" if signs else
                                "no package.json, env file or example, schema or migrations, "
                                "or deploy-check.toml: this folder does not look like an app")
    return model
