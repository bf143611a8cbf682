"""DEV005's routes found with no configuration: the App Router's record handlers,
`app/api/**/[param]/route.ts` (and `src/app/…`, `.js`, `.tsx`, …) that export GET, read
from the app's own files. The code family knows route handlers too, but a collector may not
import a family (docs/architecture.md), and a regex over the exports is all this needs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from checks.project.reading import read_small

# Where the App Router lives and what a route handler is called
# (nextjs.org/docs/app/api-reference/file-conventions/route).
ROUTER_ROOTS = ("app", "src/app")
HANDLER_NAMES = frozenset(f"route{suffix}" for suffix in (".ts", ".tsx", ".js", ".jsx", ".mjs"))
SKIPPED_DIRS = frozenset({"node_modules", ".next", ".git"})
MAX_HANDLER_BYTES = 200_000
MAX_HANDLERS = 200  # a generated tree of thousands of handlers is not walked to the end
# `export async function GET`, `export const GET =`, `export const { GET, POST } = …`
# (better-auth's toNextJsHandler) and `export { handler as GET }`.
_EXPORTS = re.compile(
    r"export\s+(?:async\s+)?function\s*\*?\s*(?P<fn>[A-Z]+)\b"
    r"|export\s+(?:const|let|var)\s+(?P<var>[A-Z]+)\b"
    r"|export\s+(?:const|let|var)\s*\{(?P<destructured>[^}]*)\}"
    r"|export\s*\{(?P<listed>[^}]*)\}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class Handler:
    file: str  # relative to the project: "app/api/notes/[id]/route.ts"
    segments: tuple[str, ...]  # the URL's: ("api", "notes", "[id]"); route groups and slots left out
    methods: frozenset[str]


def exported_methods(text: str) -> frozenset[str]:
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.DOTALL)
    found: set[str] = set()
    for match in _EXPORTS.finditer(text):
        if match["fn"] or match["var"]:
            found.add(match["fn"] or match["var"])
        for item in (match["destructured"] or match["listed"] or "").split(","):
            # `handler as GET` exports GET; `{ GET: handler }` destructures GET into `handler`.
            words = item.replace(":", " ").split()
            if words:
                found.add(words[-1] if match["listed"] else words[0])
    return frozenset(found & METHODS)


def url_segments(rel: str) -> tuple[str, ...] | None:
    """The URL segments of a route handler under an App Router root; None elsewhere.
    Route groups `(x)` and parallel slots `@x` are not in the URL; private folders `_x` are
    not routed at all (nextjs.org/docs/app/getting-started/project-structure)."""
    parts = PurePosixPath(rel).parts
    skip = next((len(root.split("/")) for root in ROUTER_ROOTS if rel.startswith(root + "/")), None)
    if skip is None:
        return None
    folders = parts[skip:-1]
    if any(f.startswith("_") for f in folders):
        return None
    return tuple(f for f in folders if not (f.startswith("(") and f.endswith(")")) and not f.startswith("@"))


def route_handlers(project: Path) -> list[Handler]:
    """The app's API route handlers (URLs under /api), sorted by file, each with the
    methods it exports."""
    found: list[Handler] = []
    root = project.resolve()
    for base in ROUTER_ROOTS:
        top = project / base  # an `api` folder may sit in a route group: app/(app)/api/…
        if not top.is_dir():
            continue
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(n for n in names if n in HANDLER_NAMES):
                path = Path(folder) / name
                if len(found) >= MAX_HANDLERS or not path.resolve().is_relative_to(root):
                    continue
                rel = path.relative_to(project).as_posix()
                segments = url_segments(rel)
                text = read_small(path, MAX_HANDLER_BYTES) if segments and segments[0] == "api" else None
                if segments and text is not None:
                    found.append(Handler(rel, segments, exported_methods(text)))
    return sorted(found, key=lambda h: h.file)


def record_path(handler: Handler, prefix: str, capture: str) -> str | None:
    """The handler's path filled for a record the route at `prefix` created (`/api/notes` →
    `/api/notes/{note_id}`), or None when it is not `<prefix>/[param]`. A dynamic segment of
    the prefix matches the handler's dynamic segment in the same place."""
    last = handler.segments[-1] if handler.segments else ""
    if not (last.startswith("[") and last.endswith("]")) or last.startswith("[["):
        return None  # a static folder or an optional catch-all: no record id in its place
    if last.startswith("[..."):
        return None
    wanted = [s for s in prefix.split("?", 1)[0].strip("/").split("/") if s]
    if len(wanted) != len(handler.segments) - 1:
        return None
    for mine, theirs in zip(handler.segments[:-1], wanted, strict=True):
        dynamic = mine.startswith("[") and theirs.startswith("{") and theirs.endswith("}")
        if mine != theirs and not dynamic:
            return None
    return "/" + "/".join([*wanted, "{" + capture + "}"])
