"""A Supabase app reaches its data through the project's API (supabase-js, @supabase/ssr →
PostgREST), not through a connection string. When its code reads no database variable, a
DATABASE_URL in its env files (`provision local-db` writes one) is not its database: the
database checks judge the Supabase project's own (checks/core/readings.py), and discovery
says so. A variable the code does read keeps the usual path."""

from __future__ import annotations

import contextlib
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from checks.project import detectors as d
from checks.project.logins import COMMENT, MAX_SOURCE_BYTES, source_files
from checks.project.reading import dependencies, package_json, read_small, relative
from checks.support.files import read_text


@dataclass(frozen=True)
class SupabaseData:
    reads: str | None  # a database variable the app's code does read: the usual path
    why: str
    db_port: int = d.SUPABASE_DB_PORT
    db_port_why: str = ""
    start_command: str = "supabase start"  # as pasted in the project: the CLI's runner, its folder


def _scripts(home: Path) -> str:
    scripts = (package_json(home) or {}).get("scripts")
    return "\n".join(v for v in scripts.values() if isinstance(v, str)) if isinstance(scripts, dict) else ""


def code_names(root: Path, homes: Iterable[Path], names: list[str]) -> dict[str, str] | None:
    """variable -> the first file (relative to the project) of the app's code, its workspace
    packages' code or their package.json scripts that names it (a t3-env schema key counts: it
    is read through `runtimeEnv`); None when the code is too large to read all of it."""
    if not names:
        return {}
    pattern = re.compile(rf"(?<![\w$])({'|'.join(map(re.escape, names))})(?![\w$])")
    found: dict[str, str] = {}
    for home in homes:
        for match in pattern.finditer(_scripts(home)):
            found.setdefault(match[1], relative(root, home / "package.json"))
        files, complete = source_files(home)
        if not complete:
            return None
        for path in files:
            for match in pattern.finditer(COMMENT.sub("", read_small(path, MAX_SOURCE_BYTES) or "")):
                found.setdefault(match[1], relative(root, path))
    return found


def config_file(root: Path, homes: Iterable[Path], workspace: Path | None) -> Path | None:
    """The supabase/config.toml the app's CLI runs with: in the app, a workspace package it
    depends on, the workspace's root, or a folder above the app inside its repository (the one
    reader of where it is: DB002's start command and port, `provision env`'s local keys)."""
    bounds = [folder.resolve() for folder in (_repository(root), workspace, root) if folder is not None]
    return next((path for home in [*homes, *([workspace] if workspace else [])]
                 if (path := home / d.SUPABASE_CONFIG).is_file() and _within(path, bounds)), None) \
        or _config_above(root)


def _repository(root: Path) -> Path | None:
    """The git work tree holding the app, None outside one."""
    return next((folder for folder in [root, *root.parents] if (folder / ".git").exists()), None)


def _within(path: Path, bounds: list[Path]) -> bool:
    """Whether `path` resolves inside one of `bounds`: a supabase/ that links out of the app's
    repository (or workspace) is no project of the app's, never read as one."""
    found = path.resolve()
    return any(found.is_relative_to(bound) for bound in bounds)


def _config_above(root: Path) -> Path | None:
    """supabase/config.toml in the nearest folder above the app, up to its repository's root:
    the Supabase CLI run in the app's folder walks up to it (supabase/cli internal/utils/misc.go
    getProjectRoot). Razikus/supabase-nextjs-template keeps the app in nextjs/ and its project in
    the repository's supabase/. Outside a repository nothing above the app is taken as its own."""
    folders = [root, *root.parents]
    top = _repository(root)
    if top is None or top == root:
        return None
    for folder in folders[1:folders.index(top) + 1]:
        # A supabase/ that links out of the repository is no folder of the app's.
        if (folder / d.SUPABASE_CONFIG).is_file() and (folder / d.SUPABASE_CONFIG).resolve().is_relative_to(
                top.resolve()):
            return folder / d.SUPABASE_CONFIG
    return None


def start_command(root: Path, homes: list[Path], workspace: Path | None) -> str:
    """`supabase start` as the app runs its CLI: through npx where package.json depends on
    the CLI's package (there is no global command then), in the folder holding
    supabase/config.toml when that is not the project (a workspace's root)."""
    folders = [*homes, *([workspace] if workspace else [])]
    runner = "npx supabase" if any(d.SUPABASE_CLI_PACKAGE in dependencies(package_json(home))
                                   for home in folders) else "supabase"
    config = config_file(root, homes, workspace)
    where = relative(root, config.parent.parent if config is not None else root)
    return f"{runner} start" if where in ("", ".") else f"cd {shlex.quote(where)} && {runner} start"


def _db_port(root: Path, homes: Iterable[Path], workspace: Path | None) -> tuple[int, str]:
    import tomllib  # start-up: only a Supabase app whose code reads no database URL parses it

    path = config_file(root, homes, workspace)
    if path is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, TypeError, ValueError):
            port = tomllib.loads(read_text(path, 1 << 20)).get("db", {}).get("port")
            if port is not None:
                return int(port), f"{relative(root, path)}: [db] port = {int(port)}"
        return d.SUPABASE_DB_PORT, f"{relative(root, path)} sets no [db] port: the Supabase CLI's {d.SUPABASE_DB_PORT}"
    return d.SUPABASE_DB_PORT, f"no {d.SUPABASE_CONFIG}: the Supabase CLI's default port {d.SUPABASE_DB_PORT}"


def supabase_data(root: Path, homes: list[Path], workspace: Path | None,
                  candidates: list[tuple[str, str]]) -> SupabaseData | None:
    """None when the app has no Supabase client. `candidates`: the database variables its env
    files or the process environment hold, each with where (DATABASE_URL, .env.local), in
    discovery's order. SupabaseData.reads names the first one its code reads, if any."""
    clients = [name for home in homes for name in d.SUPABASE_CLIENTS
               if name in dependencies(package_json(home))]
    if not clients:
        return None
    read = code_names(root, homes, [name for name, _ in candidates])
    if read is None:
        return None  # too much code to be sure it reads none: the usual path
    for name, where in candidates:
        if name in read:
            return SupabaseData(name, f"{name} in {where}; the app's code reads it ({read[name]})")
    ignored = "".join(f"; {name} in {where} is not read by the app's code, and not checked"
                      for name, where in candidates)
    port, port_why = _db_port(root, homes, workspace)
    return SupabaseData(None, f"the app reaches its data through the Supabase API (package.json depends on "
                              f"{clients[0]}) and its code reads no database URL{ignored}", port, port_why,
                        start_command(root, list(homes), workspace))
