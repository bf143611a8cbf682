"""deploy-check's local state under the project's `.deploy-check/` (the parse caches, the
stat indexes): written whole and atomically, never committed, and never needed: a state
file that cannot be read or written only costs the next run its shortcut.

A stat index vouches for a file the way git's index does (git-scm.com/docs/index-format):
a regular file whose (size, mtime, ctime, inode) equal what was recorded when it was read
is not read again. ctime is in the key because `touch -d`/os.utime can set mtime back after
an edit of the same size, never ctime; an entry whose mtime is not well before the state
file's own write time is racily clean (an edit in the same clock tick keeps every stat
field) and is read again."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STATE_DIR = ".deploy-check"
# An entry this much older than the state file's own write time is trusted (2 s: FAT's
# granularity, the coarsest a project may sit on); a younger one is read again.
RACY_NS = 2_000_000_000
StatKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def read_state(project: Path, relative: str | Path) -> tuple[Any, int] | None:
    """The JSON of a state file and its own mtime (the racy-git rule's measure); None when
    there is none or it cannot be read."""
    try:
        with (project / relative).open("rb") as stream:
            written_ns = os.fstat(stream.fileno()).st_mtime_ns
            raw = stream.read()
        return json.loads(raw), written_ns
    except (OSError, ValueError):
        return None


def write_state(project: Path, relative: str | Path, payload: Any) -> None:
    """Writes a state file whole (a run reading it sees the old file or the new one, and
    two runs at once never share a temporary file); the folder ignores itself in git."""
    path = project / relative
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Written by deploy-check: local state, never commit it.\n*\n", encoding="utf-8")
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass  # a read-only project: the next run reads the files again


def stat_key(info: os.stat_result | None) -> StatKey | None:
    """What a stat index records of a regular file (None for anything else: a link, a FIFO)."""
    if info is None or not stat.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def vouched(recorded: Sequence[Any], key: StatKey | None, written_ns: int) -> bool:
    """Whether an index entry (its first four fields a StatKey) still stands for the file
    whose lstat gave `key`, in an index written at `written_ns`."""
    return key is not None and tuple(recorded[:4]) == key and key[1] <= written_ns - RACY_NS
