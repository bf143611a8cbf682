"""`deploy-check check`: its flags and their help for typer. The run itself is
checking.py's, which the usual invocations reach without typer (checks/cli/__init__.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from checks.cli.app import PlainHelpCommand, ProjectOption, app
from checks.cli.checking import CheckOptions, run_check


@app.command(cls=PlainHelpCommand)
def check(
    project: ProjectOption = Path("."),
    env_file: Annotated[Path | None, typer.Option(help="Pin one env file (default: the files Next.js "
                                                  "loads: .env.development.local, .env.local, .env.development, .env).")] = None,
    example: Annotated[Path | None, typer.Option(help="Example file, relative to --project (default: the first "
                                                 "of .env.local.example, .env.example, .env.sample, .env.template).")] = None,
    only: Annotated[str | None, typer.Option(help="Only these ids or families, comma-separated.")] = None,
    skip: Annotated[str | None, typer.Option(help="Skip these ids or families, comma-separated.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="console|json|junit|github|markdown|sarif")] = "console",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    fail_level: Annotated[str, typer.Option(help="fail|warn: what makes the verdict not ready.")] = "fail",
    timeout: Annotated[float | None, typer.Option(help="Seconds for each network check.")] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Run the fixers of failing checks, then check again.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="A gate clause that could not be checked blocks the verdict.")] = False,
    also: Annotated[list[str] | None, typer.Option("--also", metavar="FORMAT=PATH",
                                                   help="Also write the report in FORMAT to PATH (repeatable): "
                                                        "one run, several formats.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Console: failures, warnings and the verdict only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Console: every check's details too.")] = False,
    allow_remote_login: Annotated[bool, typer.Option(
        "--allow-remote-login", help="Let AUTH003 sign a test identity in against an app that is not on "
                                     "this machine (or a production Clerk key).")] = False,
) -> None:
    """Run the readiness checks and print one verdict (exit 0 ready, 1 not ready)."""
    raise typer.Exit(run_check(CheckOptions(
        project=project, env_file=env_file, example=example, only=only, skip=skip, format=format,
        output=output, fail_level=fail_level, timeout=timeout, fix=fix, strict=strict, also=also or [],
        quiet=quiet, verbose=verbose, allow_remote_login=allow_remote_login)))
