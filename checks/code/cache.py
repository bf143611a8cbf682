"""Each source file's facts, parsed once per content: a cache under the project's
.deploy-check/ (the house folder for local state, as DB005's schema cache) keyed by
sha256 of the file's text and grammar, stamped with the parser's own version and code so
a change to either parses everything again. A large cold tree is parsed across a
process pool (bench/code.py: 5,000 files)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib import metadata
from pathlib import Path
from typing import Any

from checks import __version__
from checks.code import analysis, facts
from checks.code.analysis import analyze, analyze_batch, language
from checks.code.facts import FileFacts
from checks.code.files import SourceFile

CACHE_FILE = Path(".deploy-check") / "code-facts.json"
# Below this many files to parse, one process is faster than starting a pool (a spawned
# worker imports the CLI and the parser first: ~0.2 s).
POOL_FROM = 400
MAX_WORKERS = 8


def content_key(source: SourceFile) -> str:
    return hashlib.sha256(f"{language(source.path)}\0{source.text}".encode()).hexdigest()


def parser_stamp() -> str:
    """What else decides a file's facts: our version, the analysis code, ast-grep's version."""
    digest = hashlib.sha256(__version__.encode())
    for module in (analysis, facts):
        digest.update(Path(str(module.__file__)).read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):  # analyze() says so when it runs
        digest.update(metadata.version("ast-grep-py").encode())
    return digest.hexdigest()


def _load(project: Path, stamp: str) -> dict[str, Any]:
    try:
        stored = json.loads((project / CACHE_FILE).read_text(encoding="utf-8"))
        files = stored.get("files") if isinstance(stored, dict) and stored.get("stamp") == stamp else None
        if isinstance(files, dict):
            return files
    except (OSError, ValueError):
        pass  # no cache, or an unreadable one: parse
    return {}


def _store(project: Path, stamp: str, files: dict[str, Any]) -> None:
    cache = project / CACHE_FILE
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        ignore = cache.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Written by deploy-check: local state, never commit it.\n*\n", encoding="utf-8")
        partial = cache.with_suffix(f".{os.getpid()}.tmp")  # two runs at once never share one
        partial.write_text(json.dumps({"stamp": stamp, "files": files}, separators=(",", ":")), encoding="utf-8")
        partial.replace(cache)
    except OSError:
        pass  # a read-only project: the next run parses again


def workers() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
               MAX_WORKERS)


def parse_many(sources: list[SourceFile]) -> list[FileFacts]:
    """Each file's facts, in order: across a process pool when the files are many and the
    machine has more than one core, else here."""
    count = workers()
    if len(sources) < POOL_FROM or count < 2:
        return [analyze(s.path, s.text) for s in sources]
    size = -(-len(sources) // (count * 4))  # four batches a worker: an uneven tree still spreads
    batches = [[(s.path, s.text) for s in sources[i:i + size]] for i in range(0, len(sources), size)]
    try:
        # spawn, not fork: the run's other threads (the event loop, other checks) hold locks
        # a forked child would inherit held.
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            return [f for batch in pool.map(analyze_batch, batches) for f in batch]
    except (OSError, BrokenProcessPool):
        return [analyze(s.path, s.text) for s in sources]  # no processes to be had: one core it is


def cached_facts(project: Path, sources: list[SourceFile]) -> dict[str, FileFacts]:
    """path -> facts, from the cache where the content is unchanged; the cache is rewritten
    (holding only the current files) when anything was parsed or left the tree."""
    stamp = parser_stamp()
    stored = _load(project, stamp)
    keys = [content_key(s) for s in sources]
    result: dict[str, FileFacts] = {}
    missing: list[int] = []
    for index, (source, key) in enumerate(zip(sources, keys, strict=True)):
        raw = stored.get(key)
        try:
            if raw is not None:
                result[source.path] = FileFacts.from_json(raw)
                continue
        except (KeyError, TypeError, ValueError):
            pass  # an entry of another shape: parse the file again
        missing.append(index)
    parsed = parse_many([sources[i] for i in missing])
    for index, found in zip(missing, parsed, strict=True):
        result[sources[index].path] = found
    current = {key: stored[key] for key in keys if key in stored}
    current.update({keys[i]: found.to_json() for i, found in zip(missing, parsed, strict=True)})
    if missing or len(current) != len(stored):
        _store(project, stamp, current)
    return {s.path: result[s.path] for s in sources}
