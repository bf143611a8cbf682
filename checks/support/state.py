"""deploy-check's local state under the project's `.deploy-check/` (the parse caches, the
stat indexes): written whole and atomically, never committed, and never needed: a state
file that cannot be read, written or trusted only costs the next run its shortcut.

The project is not trusted: a repository can commit a `.deploy-check/` of its own. So a
state file is read and written only as a regular file in a real folder of the project (no
link followed, never more than STATE_LIMIT bytes), under a temporary name no one can plant
(O_EXCL), and it carries an HMAC made with a key that lives outside every project, in the
user's cache folder: a state file forged to turn a failing check into a pass, or copied
from another machine, is not the user's own and is ignored.

A stat index vouches for a file the way git's index does (git-scm.com/docs/index-format):
a regular file whose (size, mtime, ctime, inode) equal what was recorded when it was read
is not read again. ctime is in the key because `touch -d`/os.utime can set mtime back after
an edit of the same size, never ctime; an entry whose mtime is not well before the state
file's own write time is racily clean (an edit in the same clock tick keeps every stat
field) and is read again."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STATE_DIR = ".deploy-check"
STATE_LIMIT = 256 << 20  # a 5,000-file tree's code facts are ~10 MiB
# An entry this much older than the state file's own write time is trusted (2 s: FAT's
# granularity, the coarsest a project may sit on); a younger one is read again.
RACY_NS = 2_000_000_000
StatKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
_MAC = hashlib.sha256().digest_size * 2  # hex digits of the MAC on the first line
_keys: dict[str, bytes | None] = {}


def read_state(project: Path, relative: str | Path) -> tuple[Any, int] | None:
    """The JSON of a state file and its own mtime (the racy-git rule's measure); None when
    there is none, it cannot be read, or it is not one this user's deploy-check wrote."""
    key = _key()
    folder = _folder(project, relative)
    if key is None or folder is None:
        return None
    try:
        descriptor = os.open(Path(folder, Path(relative).name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > STATE_LIMIT:
            return None
        with os.fdopen(os.dup(descriptor), "rb") as stream:
            raw = stream.read(STATE_LIMIT + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    mac, _, body = raw.partition(b"\n")
    if len(mac) != _MAC or not hmac.compare_digest(mac, _sign(key, body).encode()):
        return None
    try:
        return json.loads(body), info.st_mtime_ns
    except ValueError:
        return None


def write_state(project: Path, relative: str | Path, payload: Any) -> None:
    """Writes a state file whole (a run reading it sees the old file or the new one), under
    a temporary name created exclusively and renamed over the entry (a link planted there is
    replaced, never followed); the folder ignores itself in git."""
    key = _key()
    if key is None:
        return
    with contextlib.suppress(OSError):
        (project / STATE_DIR).mkdir(exist_ok=True)
        folder = _folder(project, relative)
        if folder is None:
            return
        with contextlib.suppress(FileExistsError):
            _write_new(Path(folder, ".gitignore"), b"# Written by deploy-check: local state, never commit it.\n*\n")
        body = json.dumps(payload, separators=(",", ":")).encode()
        partial = Path(folder, f".{Path(relative).name}.{secrets.token_hex(8)}.tmp")
        try:
            _write_new(partial, _sign(key, body).encode() + b"\n" + body)
            os.replace(partial, Path(folder, Path(relative).name))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)


def state_folder(project: Path, name: str) -> Path | None:
    """`.deploy-check/<name>/`, made if need be, when it and `.deploy-check` are real
    folders of the project (not links that lead elsewhere); None otherwise."""
    with contextlib.suppress(OSError):
        (project / STATE_DIR).mkdir(exist_ok=True)
        if _folder(project, f"{STATE_DIR}/_") is not None:
            (project / STATE_DIR / name).mkdir(exist_ok=True)
    found = _folder(project, f"{STATE_DIR}/{name}/_")
    return Path(found) if found is not None else None


def stat_key(info: os.stat_result | None) -> StatKey | None:
    """What a stat index records of a regular file (None for anything else: a link, a FIFO)."""
    if info is None or not stat.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def vouched(recorded: Sequence[Any], key: StatKey | None, written_ns: int) -> bool:
    """Whether an index entry (its first four fields a StatKey) still stands for the file
    whose lstat gave `key`, in an index written at `written_ns`."""
    return key is not None and tuple(recorded[:4]) == key and key[1] <= written_ns - RACY_NS


def _folder(project: Path, relative: str | Path) -> str | None:
    """The state file's folder, when every part of it below the project is a real folder
    (no link): what is read and written there stays in the project."""
    folder = project
    for part in Path(relative).parent.parts:
        folder = folder / part
        try:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return None
        except OSError:
            return None
    return os.fspath(folder)


def _write_new(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)


def _sign(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _key() -> bytes | None:
    """This user's state key ($XDG_CACHE_HOME/deploy-check/state-key, 32 random bytes, 0600),
    made on first use; None where it can be neither read nor made (nothing is cached then)."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(home, "deploy-check", "state-key")
    if path in _keys:
        return _keys[path]
    key: bytes | None = None
    for _attempt in range(2):
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(descriptor, "rb") as stream:
                found = stream.read(64)
            key = found if len(found) == 32 else None
            break
        except FileNotFoundError:
            try:
                os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
                _write_new(Path(path), secrets.token_bytes(32))
            except FileExistsError:
                continue  # another run made it first: read theirs
            except OSError:
                break
        except OSError:
            break
    _keys[path] = key
    return key
