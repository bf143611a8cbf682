"""Which database the app uses: deploy-check checks PostgreSQL only, so an app on SQLite,
libSQL (Turso) or MySQL is named as such and its database clauses are unverified, never
failed as "not a postgres:// URL". Read, first found: the dialect its drizzle.config or
Prisma datasource names, the scheme of its database URL, the driver in its package.json."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checks.project import detectors as d
from checks.project.prismaschema import prisma_schema_files
from checks.project.reading import dependencies, package_json, read_small, relative


def _drizzle_kind(drizzle: tuple[str, str] | None) -> tuple[str, str] | None:
    if drizzle is None:
        return None
    name, text = drizzle
    named = [m.group("dialect") for m in d.DRIZZLE_DIALECT.finditer(text)]
    kinds = [(value, d.DRIZZLE_KINDS[value]) for value in named if value in d.DRIZZLE_KINDS]
    # `dialect: "sqlite", driver: "turso"` is libSQL: the more specific word wins.
    for value, kind in sorted(kinds, key=lambda found: found[1] != "libsql"):
        return kind, f'{name}: dialect "{value}"'
    return None


def _prisma_kind(homes: list[Path], root: Path, package: Mapping[str, Any] | None) -> tuple[str, str] | None:
    for home in homes:
        for path in prisma_schema_files(home, package if home == root else package_json(home)):
            for block in d.PRISMA_DATASOURCE.finditer(read_small(path) or ""):
                found = d.PRISMA_PROVIDER.search(block.group("body"))
                if found and found.group("provider") in d.PRISMA_KINDS:
                    provider = found.group("provider")
                    return d.PRISMA_KINDS[provider], f'{relative(root, path)}: provider = "{provider}"'
    return None


def database_kind(root: Path, homes: list[Path], package: Mapping[str, Any] | None,
                  drizzle: tuple[str, str] | None, database_var: str | None,
                  settings: Mapping[str, str]) -> tuple[str | None, str]:
    """(kind, why): "postgresql", "sqlite", "libsql", "mysql", … (detectors.DATABASE_NAMES);
    None when nothing names it (deploy-check then takes it for PostgreSQL)."""
    found = _drizzle_kind(drizzle) or _prisma_kind(homes, root, package)
    if found:
        return found
    deps = set().union(*(dependencies(package if home == root else package_json(home)) for home in homes))
    drivers = [driver for driver in d.POSTGRES_DRIVERS if driver in deps]
    if drivers:
        # PostgreSQL evidence outweighs the URL: a mysql:// URL here is a wrong one (DB001).
        return "postgresql", f"package.json depends on {drivers[0]}"
    url = settings.get(database_var, "").strip() if database_var else ""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in d.URL_KINDS:
        return d.URL_KINDS[scheme], f"{database_var} is a {scheme}: URL"
    for driver, kind in d.OTHER_DRIVERS:
        if driver in deps:
            return kind, f"package.json depends on {driver}"
    return None, "nothing names another database than PostgreSQL"

