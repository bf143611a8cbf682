"""A PostgreSQL the app starts itself from a package.json script, so a refused local
database is told what starts it: ixartz/Next-js-Boilerplate's `"db-server:file":
"pglite-server … --db=local.db"`, which its `"dev": "run-p db-server:file dev:*"` runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.project.reading import package_json
from checks.support.lazyre import lazy

# @electric-sql/pglite-socket's server CLI: `pglite-server [--db=PATH] [--port=N] [--run CMD]`,
# listening on 5432 unless --port (or -p) says otherwise (its README, "CLI usage").
_PGLITE = lazy(r"\bpglite-server\b")
_PORT = lazy(r"(?:--port[= ]|(?<!\S)-p[= ]?)(\d{2,5})\b")
PGLITE_PORT = 5432


@dataclass(frozen=True)
class ScriptServer:
    script: str  # the package.json script that starts it
    port: int
    dev_runs_it: bool  # the `dev` script runs that script too (run-p, npm run, concurrently)


def script_servers(root: Path) -> list[ScriptServer]:
    scripts = (package_json(root) or {}).get("scripts")
    if not isinstance(scripts, dict):
        return []
    dev = str(scripts.get("dev") or "")
    found = []
    for name, command in scripts.items():
        text = str(command)
        server = _PGLITE.search(text)
        if server is None:
            continue
        port = _PORT.search(text, server.end())
        found.append(ScriptServer(str(name), int(port.group(1)) if port else PGLITE_PORT, _runs(dev, str(name))))
    return found


def _runs(dev: str, script: str) -> bool:
    """Whether the dev command names `script`, itself or through an npm-run-all glob (`db-server:*`)."""
    for word in re.split(r"[\s'\"&;|]+", dev):
        if word == script or (word.endswith("*") and script.startswith(word[:-1])):
            return True
    return False
