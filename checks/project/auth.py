"""Which auth provider the app uses: the SDK in its package.json (or in the workspace
packages it depends on), else the SDK its own auth files import, else a provider's own env
keys. A generic variable (AUTH_SECRET) never names a provider: an app that signs its own
sessions (jose, jsonwebtoken, iron-session) is custom auth, with no provider to check."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from checks.project import detectors as d
from checks.project.reading import dependencies, package_json, read_small, relative

if TYPE_CHECKING:
    from checks.project.config import Config


def _sdk(package_name: str) -> str | None:
    for provider, packages in d.AUTH_SDKS:
        if package_name in packages:
            return provider
    return None


def _imports(root: Path, homes: list[Path]) -> list[tuple[str, str]]:
    """(file relative to the project, imported package) of the app's auth files."""
    found = []
    for home in homes:
        for name in d.AUTH_FILES:
            text = read_small(home / name)
            for match in d.IMPORT_FROM.finditer(text or ""):
                found.append((relative(root, home / name), match.group("package")))
    return found


def auth_provider(root: Path, config: Config, homes: list[Path], package: Mapping[str, object] | None,
                  keys: Mapping[str, str]) -> tuple[str | None, str]:
    if config.auth_provider != "auto":
        return config.auth_provider, "deploy-check.toml: [auth] provider"
    for home in homes:
        deps = dependencies(package if home == root else package_json(home))
        for provider, packages in d.AUTH_SDKS:
            for package_name in packages:
                if package_name in deps:
                    where = "package.json" if home == root else relative(root, home / "package.json")
                    return provider, f"{where} depends on {package_name}"
    imports = _imports(root, homes)
    for file_name, imported in imports:
        sdk = _sdk(imported)
        if sdk:
            return sdk, f"{file_name} imports {imported}"
    own = [(file_name, imported) for file_name, imported in imports if imported in d.CUSTOM_AUTH_LIBS]
    direct = sorted(dependencies(package).intersection(d.CUSTOM_AUTH_LIBS))
    if own or direct:
        said = (f"{own[0][0]} signs its own sessions with {own[0][1]}" if own
                else f"package.json depends on {direct[0]}")
        return None, f"custom auth: {said}, no auth provider's SDK (nothing to check against a provider)"
    for provider, names in d.AUTH_KEYS:
        for name in names:
            if name in keys:
                return provider, f"{name} in {keys[name]}"
    if config.auth_issuer:
        return "oidc", "deploy-check.toml: [auth] issuer"
    return None, "no auth SDK in package.json or the app's auth files, and no auth provider's keys in the env files"
