"""What the commands share without typer: the exit codes, the formats, the context built
from the flags. The fast path of `check` (checking.py) runs on this alone, so an env-only
run loads neither typer nor click."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from checks.support.errors import DeployCheckError

if TYPE_CHECKING:
    from checks.core.context import Context, Progress

T = TypeVar("T")

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMAT_NAMES = ("console", "json", "junit", "github", "markdown", "sarif")
# The variable Typer's completion scripts set when the shell asks deploy-check to complete.
COMPLETE_VARIABLE = "_DEPLOY_CHECK_COMPLETE"


def _context(project: Path, *, env_file: Path | None = None, example: Path | None = None,
             timeout: float | None = None, progress: Progress | None = None) -> Context:
    from checks.core.context import (  # start-up: --help and --version load no more than the CLI
        DEFAULT_TIMEOUT,
        Context,
    )

    # start-up: --help and --version load no more than the CLI
    from checks.project.config import load_config

    if not project.is_dir():
        raise DeployCheckError(f"--project: {project} is not a directory")
    if timeout is not None:
        # start-up: --help and --version load no more than the CLI
        from checks.project.config import seconds

        timeout = seconds("--timeout", timeout)
    if example is not None and not example.is_absolute():
        example = project / example  # relative to the project, like [project] example_file
    if env_file is not None and not env_file.is_absolute() and not env_file.exists():
        env_file = project / env_file
    if example is not None and not example.is_file():
        # Without its example ENV003 has nothing to require: a typo here must not pass.
        raise DeployCheckError(f"--example: {example} is not a file")
    config = load_config(project)
    ctx = Context(
        project=project,
        config=config,
        timeout=timeout or config.database_timeout or DEFAULT_TIMEOUT,
        env_file_override=env_file.resolve() if env_file else None,
        example_file_override=example.resolve() if example else None,
    )
    if progress is not None:
        ctx.progress = progress
    return ctx


def run_until_signalled(work: Coroutine[Any, Any, T]) -> T:
    """checks.support.signals imports asyncio: only the commands that run something pay for it."""
    # start-up: --help and --version load no more than the CLI
    from checks.support.signals import run_until_signalled as run

    return run(work)


def _write_atomically(path: Path, text: str) -> None:
    # start-up: --help and --version load no more than the CLI
    from provision.files import write_atomically

    write_atomically(path, text)


