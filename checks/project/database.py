"""Where the app's database and its schema are found: the variable its Prisma datasource or
drizzle.config reads (else the usual names), and its schema source (drizzle's `out`, Prisma's
migrations, Supabase's, dbmate's or golang-migrate's folder, else schema.sql)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.project import detectors as d
from checks.project.model import SchemaFact, SchemaKind
from checks.project.prismaschema import prisma_config, prisma_schema, prisma_schema_files
from checks.project.reading import (
    env_reference,
    env_references,
    package_json,
    read_small,
    relative,
)
from checks.project.urlbuild import (
    BuiltUrl,
    builder_in,
    drizzle_builder,
    drizzle_expression,
    runtime_builder,
)
from checks.support.files import MAX_MIGRATION_FILES

if TYPE_CHECKING:
    from checks.project.config import Config


def prisma_datasource(home: Path, package: Mapping[str, Any] | None,
                      root: Path | None = None) -> tuple[str | None, str] | None:
    """(variable, why) from `datasource … { url = env("X") }` or prisma.config.ts in `home`
    (the project, or a workspace package of it), named relative to the project `root`."""
    root = root or home
    for path in prisma_schema_files(home, package):
        schema_text = read_small(path) or ""
        for block in d.PRISMA_DATASOURCE.finditer(schema_text):
            found = d.PRISMA_URL_ENV.search(block.group("body"))
            if found:
                return found.group("var"), f'{relative(root, path)}: url = env("{found.group("var")}")'
    for config_name in d.PRISMA_CONFIGS:
        text = read_small(home / config_name)
        if text and "datasource" in text:
            after = text[text.index("datasource"):]
            names = env_references(after[:400])
            if names:
                return names[0], f"{relative(root, home / config_name)}: datasource url reads {names[0]}"
    return None


def prisma_url_fallbacks(home: Path) -> list[str]:
    """The variables prisma.config.ts's datasource `url` falls back through, first tried first
    (`process.env.DIRECT_DATABASE_URL || process.env.DATABASE_URL`, rallly's
    packages/database/prisma.config.ts); [] when the url is not such a chain."""
    for config_name in d.PRISMA_CONFIGS:
        text = read_small(home / config_name)
        if not text or "datasource" not in text:
            continue
        url = d.PRISMA_CONFIG_URL.search(text[text.index("datasource"):])
        if url is None:
            return []
        parts = [env_reference(part) for part in re.split(r"\|\||\?\?", url.group("expr"))]
        names = [name for name in parts if name is not None]
        # A literal fallback (`?? ""`) is no variable: the chain is the variables before it.
        return names if len(names) > 1 and all(parts[:len(names)]) else []
    return []


def prisma_direct_url(homes: list[Path], root: Path, package: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(variable, why) of the Prisma datasource's `directUrl = env("X")`: the URL prisma
    migrate uses, where the client's `url` goes through a pooler."""
    for home in homes:
        for path in prisma_schema_files(home, package if home == root else package_json(home)):
            for block in d.PRISMA_DATASOURCE.finditer(read_small(path) or ""):
                found = d.PRISMA_DIRECT_URL_ENV.search(block.group("body"))
                if found:
                    name = found.group("var")
                    return name, f'{relative(root, path)}: directUrl = env("{name}") (prisma migrate)'
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


def drizzle_url_var(config: tuple[str, str] | None, root: Path | None = None) -> tuple[str | None, str] | None:
    """(variable, why) from drizzle.config's `dbCredentials: { url: process.env.X }`, or from the
    function it calls for the URL when that reads one variable (followed from `root`, the
    project); (None, why) when the URL is composed of several variables, or built by a function
    deploy-check cannot follow (no one variable to check)."""
    found = drizzle_expression(config)
    if found is None or config is None:
        return None
    expression, names = found
    if len(names) == 1 and "${" not in expression:
        return names[0], f"{config[0]}: dbCredentials reads {names[0]}"
    built = drizzle_builder(config, root)
    if built is None:
        return None
    return (built.reads[0] if built.single else None), built.why(f"{config[0]}: dbCredentials.url")


def configured_database(root: Path, package: Mapping[str, Any] | None, drizzle: tuple[str, str] | None,
                        homes: list[Path]) -> bool:
    """Whether a Prisma datasource or drizzle.config's dbCredentials names the database."""
    return drizzle_url_var(drizzle, root) is not None or any(
        prisma_datasource(home, package if home == root else package_json(home), root) for home in homes)


def database_var(root: Path, config: Config, package: Mapping[str, Any] | None,
                  drizzle: tuple[str, str] | None, file_keys: Iterable[tuple[str, str]],
                  environ: Mapping[str, str], homes: list[Path] | None = None,
                  settings: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    if config.database_url_var:
        return config.database_url_var, "deploy-check.toml: [database] url_var"
    composed: str | None = None
    prisma = next((found for home in homes or [root]
                   if (found := prisma_datasource(home, package if home == root else package_json(home), root))),
                  None)
    direct = prisma_direct_url(homes or [root], root, package) if prisma else None
    if direct and prisma and direct[0] != prisma[0]:
        # prisma migrate reads directUrl: the schema checks use it, DB001/DB002 check both.
        return direct
    keys_by_file: dict[str, str] = {}
    for file_name, key in file_keys:
        keys_by_file.setdefault(key, file_name)
    fallbacks = next((chain for home in homes or [root] if (chain := prisma_url_fallbacks(home))), []) \
        if prisma else []
    if prisma and prisma[0] in fallbacks:
        # `A || B`: the app reads the first that is set, so that is the one to judge (and the
        # first the files name, not the unset head of the chain, when none is set).
        chosen = next((name for name in fallbacks if environ.get(name) or (settings or {}).get(name)), None) or next(
            (name for name in fallbacks if name in keys_by_file), prisma[0])
        reads = prisma[1].replace(f"reads {prisma[0]}", "reads " + " || ".join(fallbacks))
        return chosen, f"{reads}: {prisma[0]} is unset, so {chosen}" if chosen != prisma[0] else \
            f"{reads}: {chosen} is set"
    for found in (prisma, drizzle_url_var(drizzle, root)):
        if found and found[0] is not None:
            return found
        if found:
            composed = found[1]
    if composed:
        # drizzle.config builds its URL in code: a DATABASE_URL that only sits in an env file is
        # not the app's, unless its runtime client reads one variable (then that is the app's).
        return _runtime_client_var(root, homes or [root]) or (None, composed)
    built = runtime_builder(root, homes or [root])
    if built is not None:
        caller = f"{built.caller}: the app's runtime client"
        return (built.reads[0] if built.single else None), built.why(caller)
    for name in d.DATABASE_VARS:
        if name in keys_by_file:
            return name, f"{name} in {keys_by_file[name]}"
    for name in d.DATABASE_VARS:
        if name in environ:
            return name, f"{name} in the process environment"
    return None, ("nothing names the app's database: no prisma datasource, no drizzle.config "
                  f"dbCredentials, none of {', '.join(d.DATABASE_VARS[:4])}… in the env files")


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
    # By name, and no more than deploy-check reads: sorting 100,000 Paths took 6 s, and the
    # folder is refused past the limit anyway (checks/core/sources.py).
    files = sorted(itertools.islice(path.glob("*.sql"), MAX_MIGRATION_FILES + 1), key=lambda f: f.name)
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


def _locked_prisma_folders(root: Path, home: Path,
                           configured: tuple[str, str | None, str | None] | None) -> list[tuple[str, str]]:
    """Folders of `home` that hold Prisma's `migration_lock.toml` (prisma migrate writes it in
    every migrations folder), whatever their name: formbricks keeps its history in
    packages/database/migration, and its prisma.config.ts names `.prisma-migrations`, a
    git-ignored folder its own runner fills from that one before `prisma migrate deploy`."""
    missing = (f"; {relative(root, home / configured[0])} names {configured[2]!r}, which does not exist"
               if configured is not None and configured[2] and not (home / configured[2]).is_dir() else "")
    locks = sorted(itertools.islice(home.glob("*/migration_lock.toml"), 10))
    return [(relative(root, lock.parent), f"{relative(root, lock)} (prisma migrate's folder{missing})")
            for lock in locks]


def schema_source(root: Path, config: Config, drizzle: tuple[str, str] | None,
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
        prisma_files, script = prisma_schema(home, package_json(home) if home != root else package)
        configured = prisma_config(home)
        if configured is not None and configured[2]:
            candidates.append((relative(root, home / configured[2]),
                               f"{relative(root, home / configured[0])}: migrations.path = {configured[2]!r}"))
        elif prisma_files:
            # Prisma keeps migrations/ beside the schema file that holds the datasource.
            named = f", named by {relative(root, home / 'package.json')}'s scripts.{script}" if script else ""
            candidates.append((relative(root, prisma_files[0].parent / "migrations"),
                               f"{relative(root, prisma_files[0])} (prisma migrate{named})"))
        if prisma_files:
            candidates += _locked_prisma_folders(root, home, configured)
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


def _runtime_client_var(root: Path, homes: list[Path]) -> tuple[str, str] | None:
    """(variable, why) the app's runtime database client reads (src/db/index.ts, lib/db.ts…)."""
    for home in homes:
        for name in d.RUNTIME_DB_FILES:
            text = read_small(home / name)
            if not text:
                continue
            calls = [env_references(text[m.end(): m.end() + 300].split(")")[0] + ")")
                     for m in d.RUNTIME_DB_CALL.finditer(text)]
            named = [found[0] for found in calls if found]
            # `const connectionString = process.env.X; postgres(connectionString)`.
            named += [ref for ref in env_references(text) if d.DATABASE_LIKE.search(ref)]
            if named:
                return named[0], f"{relative(root, home / name)}: the app's runtime client reads {named[0]}"
            built = builder_in(root, home / name, text)
            if built is not None and built.single:
                return built.reads[0], built.why(f"{relative(root, home / name)}: the app's runtime client")
    return None


def url_builder(root: Path, drizzle: tuple[str, str] | None, homes: list[Path]) -> BuiltUrl | None:
    """The code that builds the app's database URL where no one variable holds it: drizzle.config's,
    else the runtime client's; None when a variable holds it."""
    built = drizzle_builder(drizzle, root) or runtime_builder(root, homes)
    return None if built is None or built.single else built


def second_database_var(root: Path, homes: list[Path], database_var: str | None, why: str,
                        package: Mapping[str, Any] | None = None) -> tuple[str | None, str]:
    """The other variable the app reads its database from, when its runtime client reads
    another one than the migration tool (drizzle.config's, Prisma's `directUrl`): both are
    checked (DB001/DB002); the schema checks use the migration tool's."""
    if database_var is None:
        return None, ""
    if "directUrl" in why:
        prisma = next((found for home in homes
                       if (found := prisma_datasource(home, package if home == root else package_json(home), root))),
                      None)
        if prisma and prisma[0] is not None and prisma[0] != database_var:
            return prisma[0], f"{prisma[1]} (the app's runtime client)"
        return None, ""
    if "drizzle.config" not in why and " || " not in why:  # a prisma.config fallback chain
        return None, ""
    runtime = _runtime_client_var(root, homes)
    if runtime and runtime[0] != database_var:
        return runtime
    return None, ""
