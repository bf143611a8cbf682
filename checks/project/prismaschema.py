"""Where the Prisma CLI finds the app's schema: the `--schema` the package's own scripts pass to
`prisma migrate` (the flag wins over every setting: Prisma CLI reference "--schema"), then
prisma.config.ts's `schema`, package.json's `prisma.schema` and Prisma's default places; a
`--schema` only other prisma commands pass (`db push` to a preview database) comes last."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from checks.project import detectors as d
from checks.project.reading import read_small


class PrismaSchema(NamedTuple):
    files: list[Path]  # the schema file, or the .prisma files of a schema folder; [] when none
    script: str | None  # the package.json script whose `--schema` names it, else None


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


def _speaks_postgres(path: Path) -> bool:
    """Whether the schema at `path` (a file, or a folder's first file with a datasource) names
    a PostgreSQL provider: typebot.io passes a MySQL twin (mysql/schema.prisma) to one script."""
    files = [path] if path.is_file() else sorted(path.glob("*.prisma")) if path.is_dir() else []
    for file in files:
        for block in d.PRISMA_DATASOURCE.finditer(read_small(file) or ""):
            found = d.PRISMA_PROVIDER.search(block.group("body"))
            if found:
                return d.PRISMA_KINDS.get(found.group("provider")) == "postgresql"
    return False


def _script_schemas(root: Path, package: Mapping[str, Any] | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """([(path, script)] that `prisma migrate …` scripts pass, [(path, script)] other prisma
    commands pass), each with the PostgreSQL schemas first; paths relative to `root`."""
    scripts = (package or {}).get("scripts")
    migrate: list[tuple[str, str]] = []
    other: list[tuple[str, str]] = []
    for name, command in (scripts.items() if isinstance(scripts, dict) else ()):
        for call in d.PRISMA_CALL.finditer(command if isinstance(command, str) else ""):
            flag = d.PRISMA_SCHEMA_FLAG.search(call.group("args"))
            if flag is None or "$" in flag.group("value"):
                continue
            found = (flag.group("value").removeprefix("./"), str(name))
            kept = migrate if call.group("command") == "migrate" else other
            if found[0] not in [path for path, _script in kept]:
                kept.append(found)
    return (sorted(migrate, key=lambda found: not _speaks_postgres(root / found[0])),
            sorted(other, key=lambda found: not _speaks_postgres(root / found[0])))


def prisma_schema(root: Path, package: Mapping[str, Any] | None) -> PrismaSchema:
    """The Prisma schema of the package at `root` (whose package.json is `package`)."""
    migrate, other = _script_schemas(root, package)
    names: list[tuple[str, str | None]] = list(migrate)
    config = prisma_config(root)
    if config is not None and config[1]:
        names.append((config[1], None))
    configured = (package or {}).get("prisma")
    if isinstance(configured, dict) and isinstance(configured.get("schema"), str):
        names.append((configured["schema"], None))
    names += [(name, None) for name in d.PRISMA_SCHEMAS]
    names += other
    for name, script in names:
        path = root / name
        if path.is_file():
            return PrismaSchema([path], script)
        if path.is_dir():  # prismaSchemaFolder: the datasource is in one of the files
            return PrismaSchema(sorted(path.glob("*.prisma")), script)
    return PrismaSchema([], None)


def prisma_schema_files(root: Path, package: Mapping[str, Any] | None) -> list[Path]:
    return prisma_schema(root, package).files
