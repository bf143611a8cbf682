"""The Typer app every command registers on, and what the commands share: the exit codes,
the common options, the context they build from the flags."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer
import typer.core

from checks import __version__
from checks.support.errors import DeployCheckError

if TYPE_CHECKING:
    from checks.core.context import Context, Progress

T = TypeVar("T")

class _PlainHelpFormatter(click.HelpFormatter):
    """typer 0.19 escapes `[` for rich markup in every option's `[default: …]`, even with
    rich_markup_mode=None, where nothing unescapes it: `\\[default: console]` on screen."""

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, text.replace("\\[", "[")) for term, text in rows], col_max, col_spacing)


class _PlainHelpContext(click.Context):
    formatter_class = _PlainHelpFormatter


class PlainHelpCommand(typer.core.TyperCommand):
    """Every command of `app`: plain help, brackets shown as they are."""

    context_class = _PlainHelpContext


app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Is the app's infrastructure really provisioned, or only described?",
)
provision_app = typer.Typer(help="Close the gaps deploy-check can close by itself.", no_args_is_help=True,
                            context_settings={"help_option_names": ["-h", "--help"]})


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", help="Print the version and exit.")] = False,
) -> None:
    """Is the app's infrastructure really provisioned, or only described?"""
    if version:
        print(f"deploy-check {__version__}")
        raise typer.Exit(0)
app.add_typer(provision_app, name="provision")

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMAT_NAMES = ("console", "json", "junit", "github", "markdown", "sarif")

ForceOption = Annotated[bool, typer.Option(
    "--force", help="Provision even though the directory does not look like an app.")]
ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="The app's directory.", show_default=False)
]


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


