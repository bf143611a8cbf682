"""The one way deploy-check reads a file it was pointed at: regular files only, opened
non-blocking (a FIFO named `deploy-check.toml` or `next.config.js` must not hang the
run), and never more than a limit (a 117 MB `.env.local` is reported, not loaded)."""

from __future__ import annotations

import errno
import functools
import itertools
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from checks.support.errors import RefusedInput

# Limits per kind of input: far above any real file of that kind.
ENV_FILE_LIMIT = 1 << 20  # 1 MiB
CONFIG_LIMIT = 1 << 20
STATE_LIMIT = 4 << 20
SCHEMA_LIMIT = 64 << 20  # a 5,000-table schema is ~5 MiB
# Migration files in one history: far above any real app's (a few hundred; a squash resets
# them), and ~12 s to check at the limit. Above it a folder is refused at once (bench/migrations.py).
MAX_MIGRATION_FILES = 10_000
# drizzle-kit's meta/_journal.json, read the same by the history's listing and its migrator:
# 10,000 entries are ~1 MiB.
JOURNAL_LIMIT = 4 << 20
# From this many files of one folder on, one listing of it types them (Confinement.children).
_LISTED_FROM = 32
# pathlib's own constructor of a child whose name is one plain part (3.11-3.13; its glob
# uses it), which does not parse the name again: 0.3 µs a path against `folder / name`'s 1.3.
_child: Callable[[Path, str], Path] | None = getattr(Path, "_make_child_relpath", None)


def _text_kept() -> bool:
    """Whether a child's text can be given to it as made: str() formats a new path's parts
    on its first call and keeps the text in `_str` (3.11-3.13), 1.5 µs a migration file that
    the migrator's reading and its digest each ask for."""
    if _child is None:
        return False
    probe = _child(Path(os.sep + "p"), "c")
    try:
        probe._str = f"{os.sep}p{os.sep}c"  # type: ignore[attr-defined]
    except AttributeError:
        return False
    return str(probe) == os.fspath(probe) == f"{os.sep}p{os.sep}c"


_TEXT_KEPT = _text_kept()


class UnreadableFile(OSError):
    """Not a regular file, or over its limit: the message says which, with the size."""


def read_text(path: Path, limit: int, *, encoding: str = "utf-8", newline: str | None = None) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{path.name} is not a regular file (a FIFO, device or directory); not read")
    if info.st_size > limit:
        raise UnreadableFile(f"{path.name} is {info.st_size:,} bytes, over the {limit:,}-byte limit "
                             "for such a file; not read")
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:  # grew while we read it
        raise UnreadableFile(f"{path.name} is over the {limit:,}-byte limit; not read")
    text = data.decode(encoding)
    if newline is None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def confined(path: Path, roots: Sequence[Path], shown: str) -> Path:
    """`path` resolved, when it stays under one of `roots` (the project, its workspace
    root); a link that leads elsewhere (`0001.sql -> /etc/passwd`) is refused, naming the
    link as `shown`, before a byte of it is read."""
    return Confinement(roots)(path, shown)


class Confinement:
    """`confined` for the many files of one history: the roots and each folder are resolved
    once, and a file that is not a link costs one lstat of its name as a string, which also
    says whether it is a regular file (5,000 migrations: 45,000 path resolutions before, then
    15 µs a file in pathlib objects). Of a long list of one folder's files, a file read is
    typed by its read's fstat, and the others by one listing of the folder."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self._roots = [str(root.resolve()) for root in roots]
        self._prefixes = tuple(root.rstrip(os.sep) + os.sep for root in self._roots)
        self._folders: dict[str, str] = {}
        self._inside: dict[str, str] = {}  # a folder inside the roots → its real path and a separator
        self._files: dict[str, str] = {}  # each file asked about, resolved once
        self._modes: dict[str, int] = {}  # its lstat mode, 0 where there is nothing
        self._children: dict[str, dict[str, Path]] = {}  # folder → name → its one Path
        self._listed: set[str] = set()  # folders whose listing typed their files

    def __call__(self, path: Path, shown: str | Callable[[], str]) -> Path:
        """`shown`: the name a refusal gives the file (a callable: computed only for one)."""
        given = os.fspath(path)
        real = self._files.get(given)
        if real is None:
            real = self._files[given] = self._resolve(given)
        if real in self._roots or real.startswith(self._prefixes):
            return path if real == given else Path(real)
        if callable(shown):
            shown = shown()
        raise RefusedInput(f"{shown} resolves outside the project (to {real}): deploy-check reads "
                           "schema and migration files only inside the project or its workspace; "
                           "copy the file in instead of linking it")

    def judge_all(self, paths: Iterable[Path], shown: Callable[[Path], str]) -> None:
        """`__call__` for each of `paths`, a lookup apiece for a file already judged (read,
        or typed by its folder's listing): 5,000 migrations listed again for the report."""
        files, roots, prefixes = self._files, self._roots, self._prefixes
        for path in paths:
            real = files.get(str(path))
            if real is None or not (real in roots or real.startswith(prefixes)):
                self(path, functools.partial(shown, path))

    def read(self, path: Path, shown: str | Callable[[], str]) -> bytes:
        """The bytes of `path`, judged as `__call__` judges it before a byte is read. Its last
        part is opened without following a link (O_NOFOLLOW), so that one open answers the
        lstat's question (no link: it lies in its folder, judged once for all its files),
        and what is read is what was judged; a link is resolved and judged first, then read
        through. 5,000 migrations: four system calls a file, no lstat."""
        given = os.fspath(path)
        folder, _, name = given.rpartition(os.sep)
        real = self._inside.get(folder) if name not in ("", ".", "..") else None
        if real is None and folder and name not in ("", ".", ".."):
            real = self._folder_inside(folder)
        if real is None:  # an odd name, or a folder outside: judged (and refused) the long way
            self(path, shown)
            return read_bytes(path)
        try:
            descriptor = os.open(given, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            # A link now, whatever a listing or lstat found there before: judged as it is, and
            # read where the judgement found it lands.
            self._files.pop(given, None)
            self._modes[given] = stat.S_IFLNK
            return read_bytes(self(path, shown))
        try:
            info = os.fstat(descriptor)
            if given not in self._files:  # what __call__ would find for it
                self._modes[given], self._files[given] = info.st_mode, real + name
            return _read_open(descriptor, info, path)
        finally:
            os.close(descriptor)

    def _folder_inside(self, folder: str) -> str | None:
        """The folder resolved with a separator at its end, when it lies inside the roots."""
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = str(Path(folder).resolve())
        if real in self._roots or real.startswith(self._prefixes):
            self._inside[folder] = real.rstrip(os.sep) + os.sep
            return self._inside[folder]
        return None

    def children(self, folder: Path, names: Iterable[str]) -> list[Path]:
        """`folder / name` for each name, one object per file for every reader of the run
        (the history's listing and its migrator each name all 5,000 files): each path is
        made, and later hashed, once."""
        base = os.fspath(folder)
        known = self._children.setdefault(base, {})
        # What str() makes of a child: its folder's text, a separator, its name (not so for
        # ".", the root or a bare drive, which are left to str()).
        with_separator = base + os.sep if base != "." and not base.endswith((os.sep, ":")) else ""
        found = []
        for name in names:
            path = known.get(name)
            if path is None:
                plain = name not in ("", ".", "..") and os.sep not in name \
                    and (os.altsep is None or os.altsep not in name)
                if plain and _child:
                    path = _child(folder, name)
                    if _TEXT_KEPT and with_separator:
                        path._str = with_separator + name  # type: ignore[attr-defined]
                else:
                    path = folder / name
                known[name] = path
            found.append(path)
        return found

    def _kinds_from_listing(self, base: str, known: dict[str, Path]) -> None:
        """Each named file's kind from one listing of its folder (the entry's d_type), in
        place of an lstat per file: 5,000 migrations, 0.8 µs a file against 3. A name the
        listing cannot type (d_type unknown costs DirEntry its own lstat) or does not hold
        is left to `_mode`; the read itself (O_NOFOLLOW, fstat) judges the file again."""
        real = self._folder_inside(base)  # a regular file directly in it is inside too
        try:
            with os.scandir(base) as listing:
                for entry in listing:
                    path = known.get(entry.name)
                    if path is None:
                        continue
                    if entry.is_symlink():
                        mode = stat.S_IFLNK
                    elif entry.is_file(follow_symlinks=False):
                        mode = stat.S_IFREG
                    elif entry.is_dir(follow_symlinks=False):
                        mode = stat.S_IFDIR
                    else:
                        continue
                    given = str(path)
                    if self._modes.setdefault(given, mode) == stat.S_IFREG and real is not None:
                        self._files.setdefault(given, real + entry.name)
        except OSError:
            return  # unlistable: each file is asked about on its own

    def is_file(self, path: Path) -> bool:
        """Path.is_file, from the one lstat the confinement takes (a link: followed)."""
        given = str(path)
        mode = self._modes.get(given)
        if mode is None:
            mode = self._mode(given)
        return path.is_file() if stat.S_ISLNK(mode) else stat.S_ISREG(mode)

    def _mode(self, given: str) -> int:
        mode = self._modes.get(given)
        if mode is None:
            folder = given.rpartition(os.sep)[0]
            known = self._children.get(folder)
            # Asked of one file of a long list (and none of them read yet, which types it):
            # the folder's one listing types them all.
            if known is not None and len(known) > _LISTED_FROM and folder not in self._listed:
                self._listed.add(folder)
                self._kinds_from_listing(folder, known)
                mode = self._modes.get(given)
        if mode is None:
            try:
                mode = os.lstat(given).st_mode
            except (OSError, ValueError):
                mode = 0  # as Path.is_symlink and is_file: nothing there is neither
            self._modes[given] = mode
        return mode

    def _resolve(self, given: str) -> str:
        folder, _, name = given.rpartition(os.sep)
        if not folder or name in ("", ".", "..") or stat.S_ISLNK(self._mode(given)):
            return str(Path(given).resolve())
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = str(Path(folder).resolve())
        return real.rstrip(os.sep) + os.sep + name  # what resolve() gives for a last part that is no link


def read_bytes(path: Path) -> bytes:
    """The whole of a regular file, opened non-blocking (never a FIFO's wait), in as few
    system calls as Python allows: 8 µs a small file against pathlib's 12."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return _read_open(descriptor, os.fstat(descriptor), path)
    finally:
        os.close(descriptor)


def _read_open(descriptor: int, info: os.stat_result, path: Path) -> bytes:
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{os.path.basename(path)} is not a regular file (a FIFO, device or "
                             "directory); not read")
    data = os.read(descriptor, info.st_size + 1)
    if len(data) != info.st_size:  # it changed while we read it, or a read stopped short: to the end
        chunks = [data]
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
    return data


def undecodable(error: UnicodeDecodeError, shown: str) -> RefusedInput:
    """One line for a file that is not UTF-8: its name and the offset of the first bad byte."""
    bad = error.object[error.start:error.start + 1].hex()
    return RefusedInput(f"{shown} is not UTF-8 text: byte 0x{bad} at offset {error.start} "
                        f"({error.reason}); save it as UTF-8")


def at_most(paths: Iterable[Path], shown: str, limit: int = MAX_MIGRATION_FILES) -> list[Path]:
    """The migration files of `paths` (a lazy glob), refused once there are more than
    `limit`: a 100,000-file folder is named in well under a second instead of read."""
    found = list(itertools.islice(paths, limit + 1))
    if len(found) > limit:
        raise too_many(shown, limit)
    return found


def too_many(shown: str, limit: int = MAX_MIGRATION_FILES) -> RefusedInput:
    return RefusedInput(f"{shown} holds more than {limit:,} migration files, the most deploy-check "
                        "reads; squash the history with its tool, or pin [project] schema to a "
                        "schema.sql dump")
