"""tsconfig.json's (or jsconfig.json's) `compilerOptions.paths`: how `@/lib/x` names a file of
the project (TypeScript handbook, "Module Resolution": paths are relative to baseUrl). Shared by
the project model (following a database URL helper's import) and the code family."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from checks.project.reading import read_small
from checks.support.lazyre import lazy

# A string or comment left open runs to the end of the text: one scan, not one per later
# `/*` or `"` (a crafted tsconfig of `/*a/*a…` took minutes).
JSONC_NOISE = lazy(r'("(?:\\.|[^"\\])*(?:"|\\?\Z))|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)
TRAILING_COMMA = lazy(r",(\s*[}\]])")


def tsconfig_paths(project: Path) -> list[tuple[str, list[str]]]:
    """tsconfig.json (or jsconfig.json) `compilerOptions.paths`, each target relative to
    the project (tsconfig is JSON with comments and trailing commas)."""
    for name in ("tsconfig.json", "jsconfig.json"):
        raw = read_small(project / name)
        if raw is None:
            continue
        try:
            data = json.loads(TRAILING_COMMA.sub(r"\1", JSONC_NOISE.sub(lambda m: m.group(1) or "", raw)))
        except ValueError:
            return []
        options = data.get("compilerOptions") if isinstance(data, dict) else None
        if not isinstance(options, dict):
            return []
        base = str(options.get("baseUrl") or ".")
        paths = options.get("paths")
        if not isinstance(paths, dict):
            return []
        return [(alias, [os.path.normpath(os.path.join(base, t)).replace(os.sep, "/")
                         for t in targets if isinstance(t, str)])
                for alias, targets in paths.items() if isinstance(targets, list)]
    return []
