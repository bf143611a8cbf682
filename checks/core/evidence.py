"""What a gate record needs besides the verdict: which commit was checked and the
digests of the contract files read (never of `.env.local`: its values are secrets)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from checks.core.sources import project_confinement, schema_paths
from checks.project.config import CONFIG_FILE
from checks.support.files import SCHEMA_LIMIT, read_bytes

if TYPE_CHECKING:
    from checks.core.context import Context

GIT_TIMEOUT = 5.0


def run_git(project: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """`git -C project ARGS`, bounded; None when git is missing or hangs."""
    try:
        return subprocess.run(
            ["git", "-C", str(project), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_toplevel(ctx: Context) -> subprocess.CompletedProcess[str] | None:
    """`git rev-parse --show-toplevel` in the project, asked once per run (ENV006)."""
    return ctx.once("git:toplevel", lambda: run_git(ctx.project, "rev-parse", "--show-toplevel"))


def run_commit(ctx: Context) -> str | None:
    """The project's commit for the report; git is not asked again where this run already
    learned that the project is in no work tree (or that git is missing)."""
    asked, top = ctx.recall("git:toplevel")
    if asked and (top is None or top.returncode != 0):
        return None
    return git_commit(ctx.project)


def git_commit(project: Path) -> str | None:
    done = run_git(project, "rev-parse", "--verify", "--quiet", "HEAD")
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


class FileDigest(NamedTuple):  # one per file of a history: a tuple is made in half the time
    raw: str  # sha256 hex of the bytes: the report's `inputs`, the parse cache's key
    text: str  # sha256 hex of the bytes read as UTF-8, as a Node or Go migrator hashes a file
    size: int


def file_digest(ctx: Context, path: Path, read: Callable[[Path], bytes] = read_bytes) -> FileDigest:
    """The digests of `path`, read once per run however many readers ask (a migration
    history's files: the migrator's checksums, the parse cache's key, the report)."""
    digests = _digests(ctx)
    key = str(path)
    found = digests.get(key)
    if found is None:
        found = digests[key] = _digest(read(path))
    return found


def _digests(ctx: Context) -> dict[str, FileDigest]:
    """The run's digests by path (as text: a Path key hashes and compares its parts)."""
    return ctx.once("digests", dict)


def _digest(data: bytes) -> FileDigest:
    raw = hashlib.sha256(data).hexdigest()
    if data.isascii():
        return FileDigest(raw, raw, len(data))  # ASCII is UTF-8 that reads back to the same bytes
    try:
        data.decode("utf-8")
        text = raw  # valid UTF-8 reads back to the same bytes
    except UnicodeDecodeError:
        text = hashlib.sha256(data.decode("utf-8", "replace").encode("utf-8")).hexdigest()
    return FileDigest(raw, text, len(data))


def text_hasher(ctx: Context) -> Callable[[Path], str]:
    """migrations/base.py sha256_text for the many files of a history: each read once per run, and opened
    through the run's confinement, which refuses one leading out of the project."""
    inside, digests = project_confinement(ctx), _digests(ctx)

    def hasher(path: Path) -> str:
        key = str(path)
        found = digests.get(key)
        if found is None:
            found = digests[key] = _digest(inside.read(path, lambda: ctx.rel(path)))
        if found.size > SCHEMA_LIMIT:
            raise OSError(f"{path.name} is over the size limit")
        return found.text

    return hasher


def input_digests(ctx: Context) -> dict[str, str]:
    """The sha256 of each contract file; the project and each file's folder are resolved
    once, not once per file (5,000 migrations)."""
    files = [*(e.path for e in ctx.examples), *schema_paths(ctx), ctx.state_path, ctx.path(CONFIG_FILE)]
    digests: dict[str, str] = {}
    env_path = str(ctx.env_path)  # compared as text: Path's == builds both sides' parts
    project = ctx.project.as_posix().rstrip("/") + "/"
    known = _digests(ctx)
    for path in files:
        key = str(path)
        if key != env_path:
            found = known.get(key)  # a history's files: read by its migrator already
            if found is None:
                try:
                    found = file_digest(ctx, path)  # a missing file, a folder, a FIFO: not an input
                except OSError:
                    continue
            full = path.as_posix()
            digests[full[len(project):] if full.startswith(project) else str(path)] = found.raw
    return digests
