"""The Typer app every command registers on, and the options its commands share. What the
commands share beyond typer (exit codes, the context built from the flags) is shared.py,
which the fast path of `check` (checking.py) uses without loading typer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import click
import typer
import typer.core

from checks import __version__


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

ForceOption = Annotated[bool, typer.Option(
    "--force", help="Provision even though the directory does not look like an app.")]
ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="The app's directory.", show_default=False)
]
