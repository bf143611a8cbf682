"""Each source file's facts, parsed once per content: a cache under the project's
.deploy-check/ (the house folder for local state, as DB005's schema cache) keyed by
sha256 of the file's text and grammar, stamped with the parser's own version and code so
a change to either parses everything again. A large cold tree is parsed across a
process pool (bench/code.py: 5,000 files).

Beside the content entries, the same file holds a stat index, the way git's index does it
(git-scm.com/docs/index-format): path -> (size, mtime_ns, ctime_ns, inode, content key, and
what the text told us: lines, directive). An unchanged tree is then re-checked without
reading or hashing a file; files.read_sources applies it, with git's racy-clean rule."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from checks import __version__
from checks.code import analysis, facts, files
from checks.code.analysis import analyze, analyze_batch
from checks.code.facts import FileFacts
from checks.code.files import MAX_SOURCE_BYTES, IndexEntry, SourceFile
from checks.code.files import content_key as content_key_of
from checks.project.reading import read_small
from checks.support.state import STATE_DIR, read_state, write_state

CACHE_FILE = Path(STATE_DIR) / "code-facts.json"
# Below this many files to parse, one process is faster than starting a pool (a spawned
# worker imports the CLI and the parser first: ~0.2 s).
POOL_FROM = 400
MAX_WORKERS = 8


@dataclass
class Stored:
    """The cache as read: content key -> facts, and the stat index path -> IndexEntry
    (files.py), both void when the stamp differs; `written_ns` is the cache file's own
    mtime, against which the racy-git rule measures each entry."""

    stamp: str
    files: dict[str, Any] = field(default_factory=dict)
    index: dict[str, IndexEntry] = field(default_factory=dict)
    written_ns: int = 0


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector held off while a large cache is turned into objects: none of
    them forms a cycle (reference counting frees them), yet each allocation burst starts a
    collection that walks every object already loaded: 40 % of an unchanged tree's load
    (bench/code.py). Process-wide, so only around these short, bounded loops."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def content_key(source: SourceFile) -> str:
    return source.key


def analysis_modules() -> list[ModuleType]:
    """Every module of ours that analyze() and the reading code (roles, directives, lines in
    the stat index) use, followed through their imports: a helper moved out of analysis.py
    (nodes.py, totals.py) is part of the stamp without being listed here."""
    found: dict[str, ModuleType] = {}
    todo = [analysis, facts, files]
    while todo:
        module = todo.pop()
        if module.__name__ in found:
            continue
        found[module.__name__] = module
        for value in vars(module).values():
            name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
            if isinstance(name, str) and name.startswith("checks.") and name in sys.modules:
                todo.append(sys.modules[name])
    return [found[name] for name in sorted(found)]


def parser_stamp() -> str:
    """What else decides a file's facts: our version, the analysis and reading code
    (`analysis_modules`), ast-grep's version."""
    digest = hashlib.sha256(__version__.encode())
    for module in analysis_modules():
        digest.update(Path(str(module.__file__)).read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):  # analyze() says so when it runs
        digest.update(metadata.version("ast-grep-py").encode())
    return digest.hexdigest()


def load(project: Path) -> Stored:
    stamp = parser_stamp()
    with paused_gc():
        found = read_state(project, CACHE_FILE)
    if found is None:
        return Stored(stamp)  # no cache, or an unreadable one: read and parse
    stored, written_ns = found
    if not isinstance(stored, dict) or stored.get("stamp") != stamp:
        return Stored(stamp)
    content, index = stored.get("files"), stored.get("index")
    return Stored(stamp, content if isinstance(content, dict) else {},
                  index if isinstance(index, dict) else {}, written_ns)


def _store(project: Path, stored: Stored) -> None:
    write_state(project, CACHE_FILE, {"stamp": stored.stamp, "files": stored.files, "index": stored.index})


def workers() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
               MAX_WORKERS)


def parse_many(sources: list[SourceFile]) -> list[FileFacts]:
    """Each (read) file's facts, in order: across a process pool when the files are many
    and the machine has more than one core, else here."""
    pairs = [(s.path, s.text or "") for s in sources]
    count = workers()
    if len(pairs) < POOL_FROM or count < 2:
        return [analyze(path, text) for path, text in pairs]
    size = -(-len(pairs) // (count * 4))  # four batches a worker: an uneven tree still spreads
    batches = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    try:
        # spawn, not fork: the run's other threads (the event loop, other checks) hold locks
        # a forked child would inherit held. A spawned worker is `python -c …`, which puts
        # its working directory (the project, usually) first on sys.path: a `multiprocessing/`
        # folder committed there would be imported and run. PYTHONSAFEPATH (Python 3.11,
        # docs.python.org/3/using/cmdline.html#envvar-PYTHONSAFEPATH) leaves it off.
        with _safe_path(), ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            return [f for batch in pool.map(analyze_batch, batches) for f in batch]
    except (OSError, BrokenProcessPool):
        return [analyze(path, text) for path, text in pairs]  # no processes to be had: one core it is


@contextlib.contextmanager
def _safe_path() -> Iterator[None]:
    """PYTHONSAFEPATH=1 for the processes spawned meanwhile (the pool's workers start as
    `map` submits work, inside this block)."""
    before = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = before


def _read_again(project: Path, source: SourceFile) -> SourceFile:
    """A file the stat index vouched for whose facts are not in the cache (an entry of
    another shape): read it now."""
    text = read_small(project / source.path, MAX_SOURCE_BYTES) or ""
    return replace(source, text=text, key=content_key_of(source.path, text), stat=None)  # indexed next time


def cached_facts(project: Path, sources: list[SourceFile], stored: Stored | None = None) -> dict[str, FileFacts]:
    """path -> facts, from the cache where the content is unchanged; the cache is rewritten
    (holding only the current files) when anything was read, parsed or left the tree."""
    stored = stored if stored is not None else load(project)
    result: dict[str, FileFacts] = {}
    missing: list[SourceFile] = []
    with paused_gc():
        for source in sources:
            raw = stored.files.get(source.key)
            try:
                if raw is not None:
                    result[source.path] = FileFacts.from_json(raw)
                    continue
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # an entry of another shape: parse the file again
            missing.append(source)
    missing = [s if s.text is not None else _read_again(project, s) for s in missing]
    parsed = parse_many(missing)
    for source, found in zip(missing, parsed, strict=True):
        result[source.path] = found
    again = {s.path: s for s in missing}
    current = [again.get(s.path, s) for s in sources]
    content = {s.key: stored.files[s.key] for s in current if s.key in stored.files}
    content.update({s.key: found.to_json() for s, found in zip(missing, parsed, strict=True)})
    index = {s.path: entry for s in current if (entry := s.index_entry()) is not None}
    read = any(s.text is not None for s in sources)  # new, changed or racily clean: restamp them
    if missing or read or len(content) != len(stored.files) or len(index) != len(stored.index):
        _store(project, Stored(stored.stamp, content, index))
    return {s.path: result[s.path] for s in sources}
