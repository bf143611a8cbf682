"""Monorepos: the workspace root above the app, the workspace packages the app depends on
(pnpm-workspace.yaml or package.json `workspaces` globs, matched by package name), and the
package manager their lockfile names."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.project import detectors as d
from checks.project.reading import (
    dependencies,
    package_json,
    read_small,
    relative,
)
from checks.support.lazyre import lazy

if TYPE_CHECKING:
    pass

MAX_WORKSPACE_GLOBS, MAX_WORKSPACE_FOLDERS = 50, 500  # a workspace's globs and each one's folders


def workspace_packages(root: Path, workspace: Path | None, package: Mapping[str, Any] | None) -> list[Path]:
    """The folders of the workspace packages the app depends on (`"@acme/db": "workspace:*"`),
    where a monorepo keeps its database: the workspace's globs from package.json `workspaces`
    or pnpm-workspace.yaml `packages`, each package matched by its package.json name."""
    if workspace is None:
        return []
    wanted = dependencies(package)
    found: list[Path] = []
    for folder, member in _members(workspace):
        name = member.get("name")
        if isinstance(name, str) and name in wanted and folder.resolve() != root and folder not in found:
            found.append(folder)
    return found


def workspace_apps(root: Path) -> list[str]:
    """The Next.js apps of the workspace whose root is `root` (its members that depend on
    `next`), relative to it: what a run on the root should have been pointed at. The app the
    root's `dev` script starts comes first (rallly's `turbo dev --filter=@rallly/web` starts
    apps/web, not apps/landing), the others in name order."""
    apps = {relative(root, folder): member for folder, member in _members(root) if "next" in dependencies(member)}
    scripts = (package_json(root) or {}).get("scripts")
    dev = scripts.get("dev") if isinstance(scripts, dict) else None
    named = {m[1] or m[2] for m in DEV_TARGET.finditer(dev)} if isinstance(dev, str) else set()

    def started(path: str) -> bool:
        name = apps[path].get("name")
        return bool(named & {path, f"./{path}", path.rsplit("/", 1)[-1], *([name] if isinstance(name, str) else [])})

    return sorted(apps, key=lambda path: (not started(path), path))


# What a root `dev` script runs: `turbo dev --filter=@acme/web`, `pnpm --filter web dev`,
# `npm run dev -w apps/web` / `--workspace=apps/web`, `yarn workspace @acme/web dev`.
DEV_TARGET = lazy(r"(?:--filter|-F|--workspace|-w)(?:=|\s+)['\"]?([@\w./-]+?)(?:\.\.\.)?['\"]?(?=\s|$)"
                         r"|\byarn\s+workspace\s+([@\w./-]+)")


def _members(workspace: Path) -> list[tuple[Path, Mapping[str, Any]]]:
    """Each workspace member folder with its package.json: the globs of package.json
    `workspaces` or pnpm-workspace.yaml `packages`."""
    declared = (package_json(workspace) or {}).get("workspaces")
    if isinstance(declared, dict):
        declared = declared.get("packages")
    globs = [g for g in declared if isinstance(g, str)] if isinstance(declared, list) else []
    pnpm = d.PNPM_WORKSPACE_PACKAGES.search(read_small(workspace / "pnpm-workspace.yaml") or "")
    globs += d.PNPM_WORKSPACE_GLOB.findall(pnpm.group("items")) if pnpm else []
    members: list[tuple[Path, Mapping[str, Any]]] = []
    seen: set[Path] = set()
    for pattern in globs[:MAX_WORKSPACE_GLOBS]:
        if pattern.startswith(("!", "/")) or ".." in pattern:
            continue  # an exclusion, or a folder outside the workspace (Path.glob refuses "/…")
        for bounded in _bounded_globs(pattern.rstrip("/")):
            for folder in sorted(itertools.islice(workspace.glob(bounded), MAX_WORKSPACE_FOLDERS)):
                member = package_json(folder) if folder.is_dir() and folder not in seen else None
                if member is not None:
                    seen.add(folder)
                    members.append((folder, member))
    return members


def _bounded_globs(pattern: str) -> list[str]:
    """`**` matches zero or more folders (pnpm's and npm's globs: openstatus's `packages/**/*`
    holds packages/db and packages/notifications/slack); read here as zero or one folder, since a
    recursive glob would walk node_modules."""
    expanded = [""]
    for part in pattern.split("/"):
        if part == "**":
            expanded = [*expanded, *(f"{prefix}*/" for prefix in expanded)]
        else:
            expanded = [f"{prefix}{part.replace('**', '*')}/" for prefix in expanded]
    return list(dict.fromkeys(glob.rstrip("/") for glob in expanded if glob.rstrip("/")))



def package_manager(root: Path) -> tuple[str | None, str | None, str]:
    """(manager, workspace root relative to the project, why), walking up to the
    repository root: a pnpm/yarn/turbo workspace keeps one lockfile at its top."""
    directory = root
    while True:
        package = package_json(directory)
        declared = (package or {}).get("packageManager")
        if isinstance(declared, str) and "@" in declared:
            name = declared.split("@", 1)[0]
            # A member may repeat the root's field (formbricks apps/web/package.json:
            # "packageManager": "pnpm@…", its lockfile and pnpm-workspace.yaml two folders up):
            # the workspace whose lockfile sits above is still the app's workspace root.
            above = None if _lockfile_in(directory) else _workspace_above(directory)
            home = above or directory
            return name, relative(root, home) if home != root else ".", (
                f"packageManager {declared!r} in {relative(root, directory / 'package.json')}")
        for lock, manager in d.LOCKFILES:
            if (directory / lock).is_file():
                where = relative(root, directory) if directory != root else "."
                return manager, where, f"{lock} in {where}"
        if (directory / ".git").exists() or directory.parent == directory:
            return None, None, "no lockfile or packageManager up to the repository root"
        directory = directory.parent


def nx_env_files(root: Path) -> tuple[list[str], str] | None:
    """(files, why): the workspace root's env files Nx loads into the tasks it runs, relative
    to the app, highest priority first, where the app lives in an Nx workspace and its dev
    server starts through Nx (its own `dev` script, or the root's, runs the Nx CLI); None
    otherwise. The files present are named, and `.env`, the one to create, always."""
    _manager, where, _why = package_manager(root)
    if where in (None, "."):
        return None  # the app is the workspace root: its files are Next.js's own
    workspace = (root / where).resolve()
    if not (workspace / d.NX_WORKSPACE_FILE).is_file():
        return None
    runner = None
    for folder in (root, workspace):
        dev = _dev_script(folder)
        if dev is not None and d.NX_COMMAND.search(dev):
            runner = relative(root, folder / "package.json")  # never its text: it may set a secret inline
            break
    if runner is None:
        return None
    present = [name for name in d.NX_ROOT_ENV_FILES if (workspace / name).is_file()]
    files = [relative(root, workspace / name) for name in dict.fromkeys([*present, d.NX_ROOT_ENV_FILES[-1]])]
    return files, (f"Nx ({relative(root, workspace / d.NX_WORKSPACE_FILE)}) loads {', '.join(files)} into the "
                   f"tasks it runs, and {runner}'s dev script runs it")


def _dev_script(folder: Path) -> str | None:
    scripts = (package_json(folder) or {}).get("scripts")
    dev = scripts.get("dev") if isinstance(scripts, dict) else None
    return dev if isinstance(dev, str) else None


def _lockfile_in(directory: Path) -> bool:
    return any((directory / lock).is_file() for lock, _manager in d.LOCKFILES)


def _workspace_above(directory: Path) -> Path | None:
    """The nearest folder above `directory`, up to the repository root, that keeps a lockfile
    and declares a workspace (pnpm-workspace.yaml or package.json `workspaces`); None when
    `directory` belongs to no such workspace."""
    current = directory
    while (current / ".git").exists() is False and current.parent != current:
        current = current.parent
        declares = (current / "pnpm-workspace.yaml").is_file() or "workspaces" in (package_json(current) or {})
        if declares and _lockfile_in(current):
            return current
    return None
