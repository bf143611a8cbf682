"""Which npm packages the app's own source imports (not merely lists in package.json): a
peer dependency such as next-auth's `nodemailer` is declared by apps that never use it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from checks.project.logins import COMMENT, MAX_SOURCE_BYTES, _sources
from checks.project.reading import read_small, relative
from checks.support.lazyre import lazy

# `import type … from "p"` is erased by the compiler: it never loads the package.
TYPE_ONLY_IMPORT = lazy(r"""\bimport\s+type\b[^;'"]*?\bfrom\s*["'][^"']*["']""")


def importers(root: Path, packages: Iterable[str], *, subpaths: bool = True) -> dict[str, str]:
    """package -> the first source file (relative to `root`) that imports it or (unless
    `subpaths` is False) a subpath of it (`import … from "p"`, `import "p"`, `require("p")`,
    `import("p")`); type-only imports do not count."""
    wanted = list(dict.fromkeys(packages))
    if not wanted:
        return {}
    names = "|".join(re.escape(package) for package in wanted)
    subpath = r"(?:/[^\"']*)?" if subpaths else ""
    pattern = re.compile(
        rf"""(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)["'](?P<package>{names}){subpath}["']""")
    found: dict[str, str] = {}
    for path in _sources(root):
        text = read_small(path, MAX_SOURCE_BYTES)
        if not text:
            continue
        for match in pattern.finditer(TYPE_ONLY_IMPORT.sub("", COMMENT.sub("", text))):
            found.setdefault(match["package"], relative(root, path))
        if len(found) == len(wanted):
            break
    return found
