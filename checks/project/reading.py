"""Reading the app's own small files without trusting them: a size cap (a FIFO or a
multi-gigabyte file must not hang the run), package.json and its dependencies, paths as
messages name them."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.project import detectors as d
from checks.support.files import read_text

if TYPE_CHECKING:
    pass


# Config files, package.json and the like are small; a larger one is not read (a FIFO or
# a multi-gigabyte file must not hang or exhaust the run).
MAX_CONFIG_BYTES = 1 << 20



def read_small(path: Path, limit: int = MAX_CONFIG_BYTES) -> str | None:
    """The text of a regular file of at most `limit` bytes; None otherwise (missing, a
    directory, a FIFO or device, too large, unreadable, not UTF-8)."""

    try:
        return read_text(path, limit, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None



def relative(root: Path, path: Path) -> str:
    """`path` relative to `root`, with `..` for a parent (a workspace root)."""
    return Path(os.path.relpath(path, root)).as_posix()



def package_json(directory: Path) -> dict[str, Any] | None:
    text = read_small(directory / "package.json")
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None



def dependencies(package: Mapping[str, Any] | None) -> set[str]:
    names: set[str] = set()
    for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        block = (package or {}).get(section)
        if isinstance(block, dict):
            names |= {name for name in block if isinstance(name, str)}
    return names



def env_references(text: str) -> list[str]:
    return [next(g for g in match.groups() if g) for match in d.ENV_REFERENCE.finditer(text)]
