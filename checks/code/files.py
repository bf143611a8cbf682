"""The app's source files as its reviewers see them: which files are code (not
dependencies, build output or tests), what Next.js makes of each (route handler, page,
server action, client module), the URL a route handler serves, and where a local import
(`./x`, `@/lib/x` through tsconfig `paths`) leads. Plain Python: no parser needed."""

from __future__ import annotations

import enum
import fnmatch
import hashlib
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from checks.project.reading import read_small
from checks.project.tsconfig import (
    tsconfig_paths as tsconfig_paths,  # re-exported: code.collect reads it here
)
from checks.support.state import stat_key, vouched

SOURCE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs")
# Dependencies, build output, caches and tests are not the app's code under review.
SKIPPED_DIRS = frozenset({
    "node_modules", ".next", ".git", ".turbo", ".vercel", ".output", ".svelte-kit", "dist",
    "build", "out", "coverage", "storybook-static", "__tests__", "__mocks__", "tests", "test",
    "e2e", "cypress", "playwright", "fixtures",
})
TEST_FILE = re.compile(r"\.(?:test|spec|stories|e2e|d)\.[cm]?[jt]sx?$")
MAX_SOURCE_BYTES = 1_000_000  # a generated bundle is no code anyone reviews
# Where the App Router and the Pages Router live (nextjs.org/docs/app/getting-started/project-structure).
ROUTER_ROOTS = ("app/", "src/app/")
PAGES_API_ROOTS = ("pages/api/", "src/pages/api/")
# A directive is the first statement of a module, before any import (react.dev/reference/rsc/use-client).
# Possessive: a comment ends at its first `*/` as in JS, and a file that opens with a comment
# but no directive (a vendored library's licence, then dozens of comments) is rejected in
# linear time, not by trying every way to split its comments.
DIRECTIVE = re.compile(r"""\A(?:\s++|//[^\n]*+\n|/\*.*?\*/)*+(['"])use (client|server)\1""", re.DOTALL)


class Role(enum.StrEnum):
    ROUTE = "route handler"
    PAGE = "page"
    ACTION = "server action"
    CLIENT = "client module"
    MODULE = "module"


# One stat index entry (git's index: path -> stat data and what the text told us):
# [size, mtime_ns, ctime_ns, inode, content key, lines, directive].
IndexEntry = list[Any]


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the project, posix
    role: Role
    lines: int  # physical lines, as an editor numbers them
    said: str | None  # the module's directive: "client", "server" or None
    key: str  # sha256 of grammar and text: the parsed facts' cache key
    text: str | None = None  # None when the stat index vouched for it: not read this run
    stat: tuple[int, int, int, int] | None = None  # (size, mtime_ns, ctime_ns, inode) before reading

    def index_entry(self) -> IndexEntry | None:
        return None if self.stat is None else [*self.stat, self.key, self.lines, self.said]


def language(path: str) -> str:
    return "typescript" if path.endswith(".ts") else "tsx"  # tsx also reads .js/.jsx/.mjs


def content_key(path: str, text: str) -> str:
    return hashlib.sha256(f"{language(path)}\0{text}".encode()).hexdigest()


def physical_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def source_of(rel: str, text: str, stat: tuple[int, int, int, int] | None = None) -> SourceFile:
    said = directive(text)
    return SourceFile(rel, role_in(rel, said), physical_lines(text), said, content_key(rel, text), text, stat)


def _source_entries(project: Path) -> list[tuple[str, str, os.stat_result | None]]:
    """(path, path relative to the project, its lstat) of each source file; plain strings
    from os.scandir (which knows folders and links without a stat each): a tree of
    thousands of files is walked in its read time, not in pathlib's."""
    found: list[tuple[str, str, os.stat_result | None]] = []
    pending = [(str(project), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if name not in SKIPPED_DIRS and not name.startswith("."):
                    subfolders.append((entry.path, f"{prefix}{name}/"))
            elif name.endswith(SOURCE_SUFFIXES) and not TEST_FILE.search(name):
                try:
                    info: os.stat_result | None = entry.stat(follow_symlinks=False)  # lstat: a link is a link
                except OSError:
                    info = None
                found.append((entry.path, prefix + name, info))
        pending += reversed(subfolders)
    return found  # os.walk's order: a folder's files, then each subfolder in turn


def read_sources(project: Path, index: Mapping[str, IndexEntry] | None = None,
                 written_ns: int = 0) -> list[SourceFile]:
    """Each source file with its role, lines and content key. With a stat index (from the
    cache written at `written_ns`), a regular file whose lstat data match its entry is
    neither read nor hashed, as git's index does it; only a file that is new, changed or
    racily clean is read."""
    files: list[SourceFile] = []
    root: Path | None = None
    for path, rel, info in _source_entries(project):
        known = stat_key(info)
        entry = index.get(rel) if index is not None and known is not None else None
        if entry is not None and known is not None and len(entry) == 7 and vouched(entry, known, written_ns) \
                and known[0] <= MAX_SOURCE_BYTES:
            said = entry[6]
            files.append(SourceFile(rel, role_in(rel, said), entry[5], said, entry[4], None, known))
            continue
        # The one bounded reader: a FIFO or device named route.ts is never opened for a
        # blocking read, an oversized or undecodable file is left out; a link that leads out
        # of the project (route.ts -> /etc/passwd) is not the app's code.
        if info is None or stat.S_ISLNK(info.st_mode):
            root = root or project.resolve()
            if not Path(path).resolve().is_relative_to(root):
                continue
        text = read_small(Path(path), MAX_SOURCE_BYTES)
        if text is None:
            continue
        files.append(source_of(rel, text, known))
    return files


def directive(text: str) -> str | None:
    match = DIRECTIVE.match(text)
    return match.group(2) if match else None


def role_of(rel: str, text: str) -> Role:
    return role_in(rel, directive(text))


def role_in(rel: str, said: str | None) -> Role:
    """A file's Next.js role from its path and its directive (`'use client'`…); plain
    string work, as it runs for every file of the tree on every run."""
    name = rel[rel.rfind("/") + 1:]
    stem = name[:name.rfind(".")] if name.rfind(".") > 0 else name
    in_router = rel.startswith(ROUTER_ROOTS) or any(f"/{root}" in rel for root in ROUTER_ROOTS)
    if in_router and stem == "route":
        return Role.ROUTE
    if rel.startswith(PAGES_API_ROOTS):
        return Role.ROUTE
    if in_router and stem == "page":
        return Role.PAGE
    if said == "server":
        return Role.ACTION
    if said == "client":
        return Role.CLIENT
    return Role.MODULE


def route_url(rel: str) -> str | None:
    """The URL a route handler serves, dynamic segments as `*`: route groups `(x)` and
    parallel slots `@x` are not in the URL (nextjs.org/docs/app/api-reference/file-conventions)."""
    parts = list(PurePosixPath(rel).parts)
    if rel.startswith("src/"):
        parts = parts[1:]
    if parts[:2] == ["pages", "api"]:
        segments = parts[1:-1] + ([] if PurePosixPath(parts[-1]).stem == "index" else [PurePosixPath(parts[-1]).stem])
    elif parts and parts[0] == "app" and PurePosixPath(parts[-1]).stem == "route":
        segments = parts[1:-1]
    else:
        return None
    kept = ["*" if s.startswith("[") else s for s in segments
            if not (s.startswith("(") and s.endswith(")")) and not s.startswith("@")]
    return "/" + "/".join(kept)


def url_matches(route: str, called: str) -> bool:
    """Whether a caller's URL (`*` for each `${…}`) surely reaches the route's URL (see `url_unsure`)."""
    return url_unsure(route, called) == 0


def url_unsure(route: str, called: str) -> int | None:
    """How a caller's URL (`*` for each `${…}`) reaches the route's URL: None never, 0 surely,
    else maybe, with how many of the route's segments are only a maybe. A route's literal
    segment is surely reached only by the same literal: a caller's `${…}` may stand for any
    number of segments (papermark's `${isDataroom ? `datarooms/${id}/folders` : "folders"}`),
    so it may reach a literal, or a route with a different number of segments."""
    path = called.split("?", 1)[0].split("#", 1)[0].rstrip("/") or "/"
    route_parts, called_parts = route.strip("/").split("/"), path.strip("/").split("/")
    if route_parts and route_parts[-1] == "*" and len(called_parts) > len(route_parts):
        called_parts = called_parts[: len(route_parts)]  # [...slug] takes the rest
    if len(route_parts) == len(called_parts):
        unsure = 0
        for r, c in zip(route_parts, called_parts, strict=True):
            if r == "*" or r == c:
                continue
            if "*" not in c or not fnmatch.fnmatchcase(r, c):
                return None
            unsure += 1
        return unsure
    if "*" not in path:
        return None
    # Segment counts differ: a `${…}` spans several segments, or none. The literal segments
    # before the first and after the last `${…}` must still be the route's.
    wild = [i for i, c in enumerate(called_parts) if "*" in c]
    head, tail = called_parts[: wild[0]], called_parts[wild[-1] + 1:]
    if len(head) + len(tail) > len(route_parts):
        return None
    ends = list(zip(route_parts, head, strict=False)) + list(zip(reversed(route_parts), reversed(tail), strict=False))
    if any(r != "*" and r != c for r, c in ends):
        return None
    return len(route_parts) + 1  # less sure than any same-length maybe


# -- local imports -------------------------------------------------------------------
def resolve_import(importer: str, specifier: str, paths: list[tuple[str, list[str]]],
                   known: set[str]) -> str | None:
    """The project file a module specifier names, or None for a package."""
    candidates: list[str] = []
    if specifier.startswith("."):
        joined = os.path.normpath(os.path.join(str(PurePosixPath(importer).parent), specifier))
        candidates.append(joined.replace(os.sep, "/"))
    for alias, targets in paths:
        prefix = alias.removesuffix("*")
        if alias.endswith("*") and specifier.startswith(prefix):
            rest = specifier[len(prefix):]
            candidates += [t.replace("*", rest, 1) for t in targets]
        elif specifier == alias:
            candidates += targets
    for stem in candidates:
        stem = stem.removeprefix("./")
        for option in (stem, *(stem + s for s in SOURCE_SUFFIXES), *(f"{stem}/index{s}" for s in SOURCE_SUFFIXES)):
            if option in known:
                return option
        if stem.endswith((".js", ".mjs")):  # TypeScript's ESM style: import "./x.js" means x.ts
            base = stem.rsplit(".", 1)[0]
            for suffix in (".ts", ".tsx"):
                if base + suffix in known:
                    return base + suffix
    return None
