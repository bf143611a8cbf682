"""Before the dev server starts: can its command work as things stand? Its package manager
on PATH, the app's dependencies installed; otherwise the problem and a fix that works
when pasted (or the problem says what the fix will need)."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from checks.core.context import Context
from checks.project.reading import dependencies, package_json

# What installs a manager's dependencies from its lockfile (each tool's docs).
INSTALL = {"npm": "npm ci", "pnpm": "pnpm install --frozen-lockfile",
           "yarn": "yarn install --immutable", "bun": "bun install --frozen-lockfile"}


def preflight(ctx: Context, command: str) -> tuple[str, str] | None:
    """(problem, fix) when the dev command cannot work as things stand: its package
    manager is not installed, or the app's dependencies were never installed. The fix is
    one that works when pasted, or the problem says what it will need."""
    words = shlex.split(command) if command else []
    manager = words[0] if words and words[0] in INSTALL else None
    root = ctx.project / (ctx.model.workspace_root or ".")
    if manager and shutil.which(manager) is None:
        problem = f"`{command}` needs {manager}, which is not installed (not on PATH)"
        if manager == "npm":
            return f"{problem}: install Node.js, which ships npm (https://nodejs.org)", ""
        if manager == "bun":
            # bun.sh/docs/installation lists `npm install -g bun` beside its install script.
            if shutil.which("npm") is not None:
                return problem, f"npm install --global {_declared_manager(ctx, root, manager)}"
            return f"{problem}: install it as https://bun.sh/docs/installation says", ""
        wanted = _declared_manager(ctx, root, manager)
        if shutil.which("corepack") is None:
            # Node 25 no longer ships corepack: `corepack enable` would be "command not found".
            return f"{problem}, nor is corepack", f"npm install --global {wanted}"
        # https://github.com/nodejs/corepack#readme: the shims download the manager from
        # the npm registry on first use (COREPACK_NPM_REGISTRY names a mirror).
        return (f"{problem}; after `corepack enable`, the first `{manager}` downloads {wanted} "
                "from the npm registry (it needs network access, or COREPACK_NPM_REGISTRY for "
                f"a mirror; offline, `npm install --global {wanted}` from a cache)"), "corepack enable"
    if ctx.config.dev_command or not dependencies(package_json(ctx.project)):
        return None
    directory = ctx.project
    while True:
        # node_modules, or Yarn Plug'n'Play's loader (Yarn Berry installs without node_modules).
        if (directory / "node_modules").is_dir() or any(
                (directory / pnp).is_file() for pnp in (".pnp.cjs", ".pnp.js")):
            return None
        if directory == root.resolve() or directory.parent == directory:
            break
        directory = directory.parent
    where = ctx.model.workspace_root or "."
    install = INSTALL.get(ctx.model.package_manager or "npm", "npm ci")
    if ctx.model.package_manager in (None, "npm") and not (root / "package-lock.json").is_file():
        install = "npm install"
    if install.startswith("npm ") and _npmrc_says(root, ctx.project, "legacy-peer-deps", "true"):
        # The lockfile was resolved without peer checks: say so on the command line too,
        # so the fix works wherever it is pasted from (docs.npmjs.com/cli/v10/using-npm/config).
        install += " --legacy-peer-deps"
    fix = install if where == "." else f"cd {shlex.quote(where)} && {install}"
    return (f"the app's dependencies are not installed: no node_modules in "
            f"{'the project' if where == '.' else where}"), fix


def _declared_manager(ctx: Context, root: Path, manager: str) -> str:
    """`pnpm@9.12.0` as package.json's packageManager pins it, else the bare name."""
    for directory in (ctx.project, root):
        declared = (package_json(directory) or {}).get("packageManager")
        if isinstance(declared, str) and declared.startswith(f"{manager}@"):
            return declared.split("+", 1)[0]  # without the "+sha512.…" integrity suffix
    return manager


def _npmrc_says(root: Path, project: Path, key: str, value: str) -> bool:
    for directory in dict.fromkeys((project, root)):
        npmrc = directory / ".npmrc"
        if npmrc.is_file():
            for line in npmrc.read_text(encoding="utf-8", errors="replace").splitlines():
                name, _, setting = line.partition("=")
                if name.strip() == key and setting.split("#", 1)[0].strip().lower() == value:
                    return True
    return False
