"""The PostgreSQL services of the app's docker compose file, so a refused local database
gets a fix that works when pasted (`docker compose -f <file> up -d <service>`).

Read line by line, without a YAML library: only `services:`, each service's `image:` and
its published `ports:` (short syntax "5433:5432", "127.0.0.1:5433:5432/tcp", long syntax
`published: 5433`) matter here (Compose Specification, "services", "ports")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from checks.project.reading import read_small
from checks.support.lazyre import lazy

# The file names `docker compose` looks for, in its order (Compose Specification,
# "Compose file": compose.yaml preferred, docker-compose.yaml for compatibility).
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# Images that run PostgreSQL: the official one and those built on it.
POSTGRES_IMAGE = lazy(r"postgres|pgvector|postgis|timescale", re.IGNORECASE)
_KEY = lazy(r"^(?P<indent>\s*)(?:-\s+)?(?P<key>[\w.-]+)\s*:\s*(?P<value>.*?)\s*(?:#.*)?$")
# `key: value` or `key:` at the end of the line: a space after the colon, unlike "5433:5432".
_MAPPING = lazy(r"^\s*[\w.-]+\s*:(\s|$)")
_LONG_PORT_KEYS = ("target", "published", "protocol", "host_ip", "mode", "name", "app_protocol")
_ITEM = lazy(r"^(?P<indent>\s*)-\s+(?P<value>.*?)\s*(?:#.*)?$")


@dataclass
class ComposeService:
    file: Path
    name: str
    image: str
    published: list[int] = field(default_factory=list)


def _host_port(item: str) -> int | None:
    """The host port of a short-syntax port ("5433:5432", "127.0.0.1:5433:5432/tcp");
    None when only the container port is given (compose then picks a random host port)."""
    parts = item.strip("\"' ").split("/")[0].split(":")
    if len(parts) < 2 or not parts[-2].isdigit():
        return None
    return int(parts[-2])


def postgres_services(root: Path) -> list[ComposeService]:
    """The services of the first compose file in `root` whose image runs PostgreSQL."""
    for name in COMPOSE_FILES:
        text = read_small(root / name)
        if text is not None:
            return [s for s in _services(root / name, text) if POSTGRES_IMAGE.search(s.image)]
    return []


def _services(path: Path, text: str) -> list[ComposeService]:
    services: list[ComposeService] = []
    in_services = False
    service_indent: int | None = None
    in_ports = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_services = line.rstrip().startswith("services:")
            service_indent, in_ports = None, False
            continue
        if not in_services:
            continue
        item = _ITEM.match(line)
        key = _KEY.match(item.group("value") if item else line)
        if not _MAPPING.match(item.group("value") if item else line.strip()):
            key = None  # "5433:5432" is a port, not a key
        if service_indent is None or indent <= service_indent:
            if key and not item:
                service_indent = indent
                services.append(ComposeService(path, key.group("key"), ""))
                in_ports = False
            continue
        current = services[-1]
        if in_ports and item and key is None:
            port = _host_port(item.group("value"))
            if port is not None:
                current.published.append(port)
        elif in_ports and key and key.group("key") == "published":
            value = key.group("value").strip("\"'")
            if value.isdigit():
                current.published.append(int(value))
        elif key and not item and key.group("key") not in _LONG_PORT_KEYS:
            in_ports = key.group("key") == "ports"
            if key.group("key") == "image":
                current.image = key.group("value").strip("\"'")
    return services
