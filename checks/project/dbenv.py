"""Where the schema's tool reads the database variable when it runs in a workspace package
outside the app: next-forge keeps Prisma in `packages/database`, runs it there
(`cd packages/database && bunx prisma migrate dev`, its root package.json) and documents
`packages/database/.env` for DATABASE_URL (its docs, setup/env.mdx), while the app's Next.js
runtime reads the app's own env files. Which files the tool reads follows Prisma's own rule,
the config's dotenv, or Bun's (checks/project/detectors.py PRISMA_ENV_FILE, BUN_ENV_FILES).
drizzle-kit in the app itself reads `.env` (its own dotenv, or the config's), never the
`.env.local` that Next.js reads first (leerob/next-saas-starter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from checks.project import detectors as d
from checks.project.database import drizzle_config, drizzle_url_var, prisma_datasource
from checks.project.examples import tool_script_env_files, tools_env_file
from checks.project.prismaschema import prisma_schema_files
from checks.project.reading import package_json, read_small, relative
from checks.project.workspace import nx_env_files


@dataclass(frozen=True)
class ToolEnv:
    files: list[str] = field(default_factory=list)  # highest priority first, relative to the project
    write_to: str | None = None  # the one `provision local-db` writes when none holds the variable
    why: str = ""


def _config_loads(root: Path, home: Path, config: Path, text: str) -> ToolEnv | None:
    """The files a config's own dotenv loads in `home`, where the tool runs (dotenv reads
    paths against the working directory; the first file loaded wins, nothing overrides)."""
    named = [match["path"] for match in d.DOTENV_CONFIG_PATH.finditer(text)]
    if named:
        files = [relative(root, home / name) for name in dict.fromkeys(named)]
        return ToolEnv(files, files[0], f"{relative(root, config)} loads {', '.join(named)} through dotenv")
    loaded = [match["path"] or match["joined"] or d.PRISMA_ENV_FILE for match in d.NODE_LOAD_ENV_FILE.finditer(text)]
    if loaded:
        # Each loadEnvFile leaves a key another file set before alone: the first file wins.
        files = [relative(root, home / name) for name in dict.fromkeys(loaded)]
        return ToolEnv(files, files[0], f"{relative(root, config)} loads {', '.join(files)} with process.loadEnvFile")
    if d.DOTENV_LOADS_DOTENV.search(text):
        where = relative(root, home / d.PRISMA_ENV_FILE)
        return ToolEnv([where], where, f"{relative(root, config)} loads .env through dotenv where it runs")
    return None


def _prisma(root: Path, home: Path, manager: str | None) -> ToolEnv:
    runs = f"prisma runs in {relative(root, home)}"
    config = next((home / name for name in d.PRISMA_CONFIGS if (home / name).is_file()), None)
    if config is None:
        # Prisma's getEnvPaths: `.env` beside the nearest package.json, and beside the schema.
        schema = prisma_schema_files(home, package_json(home))
        folders = dict.fromkeys([home, *[file.parent for file in schema[:1]]])
        files = [relative(root, folder / d.PRISMA_ENV_FILE) for folder in folders]
        why = f"{runs} and loads {' and '.join(files)} (Prisma's .env files beside its package.json and its schema)"
        loader = tool_script_env_files(root, home, "prisma")
        if loader is not None:
            # A value the script's loader put into the process environment wins over Prisma's
            # .env (Prisma never overrides a variable already set): that file is the one to fill.
            first = [name for name in loader[0] if name not in files]
            return ToolEnv([*first, *files], loader[0][0], f"{runs}; {loader[1]}; then {why.split(' and ', 1)[1]}")
        return ToolEnv(files, files[0], why)
    loads = _config_loads(root, home, config, read_small(config) or "")
    if loads is not None:
        return ToolEnv(loads.files, loads.write_to, f"{runs}; {loads.why}")
    if manager == "bun":
        files = [relative(root, home / name) for name in d.BUN_ENV_FILES]
        return ToolEnv(files, relative(root, home / d.PRISMA_ENV_FILE),
                       f"{runs}, where Bun (the workspace's package manager) loads its .env files")
    return ToolEnv()  # the config loads nothing we can see: the app's own files, as before


def tool_env(root: Path, homes: list[Path], manager: str | None) -> ToolEnv:
    """The env files the schema's tool reads when it lives in a workspace package of the app
    (`homes[1:]`), not in the app itself; ToolEnv() when it is the app's own (Next.js's files)
    or when how it loads its env is not known."""
    for home in homes:
        if prisma_datasource(home, package_json(home), root) is not None:
            if home != root:
                return _under_nx(root, _prisma(root, home, manager))
            # Prisma 7 in the app itself: with a prisma.config.ts the CLI loads no env file, the
            # config's own dotenv does (`import "dotenv/config"`: `.env` only, never the
            # `.env.local` Next.js reads first). Without one, Prisma's own `.env` (core/readings.py).
            config = next((root / name for name in d.PRISMA_CONFIGS if (root / name).is_file()), None)
            loads = _config_loads(root, root, config, read_small(config) or "") if config else None
            return loads or ToolEnv()
    for home in homes:
        found = drizzle_config(home, root)
        if found is None or drizzle_url_var(found, root) is None:
            continue
        if home == root:
            # What the config's own dotenv loads is what drizzle-kit sees, whatever the README
            # says of `.env.local` (that names the file hints point at, not what is loaded).
            loads = None if "loadEnvConfig" in found[1] else _config_loads(root, root, root / Path(found[0]).name,
                                                                             found[1])
            if loads is not None:
                return loads
            # A config that loads nothing: drizzle-kit's own dotenv reads `.env`
            # (checks/project/examples.py tools_env_file), unless Bun runs the app's scripts: it
            # loads the app's .env files (.env.local included) into their environment.
            if manager == "bun":
                return ToolEnv()
            own = tools_env_file(root)
            return ToolEnv([own[0]], own[0], own[1]) if own is not None else ToolEnv()
        return _under_nx(root, _config_loads(root, home, home / Path(found[0]).name, found[1]) or ToolEnv())
    return ToolEnv()


def _under_nx(root: Path, package: ToolEnv) -> ToolEnv:
    """What a workspace package's tool reads when Nx runs it (the app's dev target depends on
    it, typebot.io's `^db:push`): the root env files Nx loads into every task come first, and
    a variable the app and the tool share is best written there. `package` unchanged outside Nx,
    or when how the tool loads its env is not known."""
    nx = nx_env_files(root)
    if nx is None or not package.files:
        return package
    files, why = nx
    return ToolEnv([*files, *(name for name in package.files if name not in files)], files[0],
                   f"{why}; {package.why}")
