"""The app's code, gathered once per run for every CODE check: the source files with
their roles (no parser needed), then each file's facts from the parser."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from checks.code.cache import Stored, cached_facts, load, paused_gc
from checks.code.facts import FileFacts
from checks.code.files import SourceFile, read_sources, resolve_import, tsconfig_paths
from checks.core.context import Context


@dataclass
class CodeFacts:
    files: list[SourceFile]
    paths: list[tuple[str, list[str]]]  # tsconfig `paths`, targets relative to the project
    parsed: dict[str, FileFacts] = field(default_factory=dict)
    stored: Stored | None = None  # the cache as this run read it: stat index and facts

    def __post_init__(self) -> None:
        self.by_path = {f.path: f for f in self.files}
        self._known = set(self.by_path)
        self._resolved: dict[tuple[str, str], str | None] = {}

    def resolve(self, importer: str, specifier: str) -> str | None:
        """The project file `specifier` names from `importer`, looked up once (three checks
        follow the same imports through thousands of files)."""
        # Only a relative specifier depends on where the importer sits; `@/lib/db` from a
        # thousand routes is one lookup.
        pair = (importer.rsplit("/", 1)[0] if specifier.startswith(".") else "", specifier)
        if pair not in self._resolved:
            self._resolved[pair] = resolve_import(importer, specifier, self.paths, self._known)
        return self._resolved[pair]


def read_code(project: Path) -> CodeFacts:
    """The sources, each file the cache's stat index vouches for left unread."""
    stored = load(project)
    with paused_gc():
        files = read_sources(project, stored.index, stored.written_ns)
    return CodeFacts(files, tsconfig_paths(project), stored=stored)


async def sources(ctx: Context) -> CodeFacts:
    return await ctx.fact("code.sources", lambda: asyncio.to_thread(read_code, ctx.project))


def parse_all(code: CodeFacts, project: Path) -> CodeFacts:
    code.parsed = cached_facts(project, code.files, code.stored)
    return code


async def parsed(ctx: Context) -> CodeFacts:
    """The sources with each file's parsed facts (`code.parsed`), once per run."""
    code = await sources(ctx)
    return await ctx.fact("code.parsed", lambda: asyncio.to_thread(parse_all, code, ctx.project))
