"""What a gate record needs besides the verdict: which commit was checked and the
digests of the contract files read (never of `.env.local`: its values are secrets)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from checks.core.sources import schema_paths
from checks.project.config import CONFIG_FILE

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


def git_commit(project: Path) -> str | None:
    done = run_git(project, "rev-parse", "--verify", "--quiet", "HEAD")
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_digests(ctx: Context) -> dict[str, str]:
    files = [ctx.example_path, *schema_paths(ctx), ctx.state_path, ctx.path(CONFIG_FILE)]
    digests: dict[str, str] = {}
    for path in files:
        if path.is_file() and path != ctx.env_path:
            try:
                name = path.relative_to(ctx.project).as_posix()
            except ValueError:
                name = str(path)
            try:
                digests[name] = sha256(path)
            except OSError:
                continue
    return digests
