"""`deploy-check check`: run the chosen checks with live progress, render the report in
every format asked for, and with --fix run the fixers of what failed, then check again."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from checks.cli.app import (
    EXIT_NOT_READY,
    EXIT_READY,
    FORMAT_NAMES,
    PlainHelpCommand,
    ProjectOption,
    _context,
    _write_atomically,
    app,
    run_until_signalled,
)
from checks.support.errors import DeployCheckError

if TYPE_CHECKING:
    from checks.core.context import Context, Progress
    from checks.core.model import Report, Status
    from checks.core.registry import Check


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
    from checks.core.model import Status  # start-up: --help and --version load no more than the CLI

    # start-up: --help and --version load no more than the CLI
    from checks.core.registry import select
    from checks.report import renderer  # start-up: --help and --version load no more than the CLI

    if format not in FORMAT_NAMES:
        raise DeployCheckError(f"--format: unknown format {format!r} (one of {', '.join(FORMAT_NAMES)})")
    if fail_level not in ("fail", "warn"):
        raise DeployCheckError(f"--fail-level: must be fail or warn, got {fail_level!r}")
    chosen = select(only, skip)
    level = Status(fail_level)
    # Where the report goes is checked before anything runs: a typo in --output must not
    # cost a whole gate run, and a summary that cannot be written must not pass silently.
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise DeployCheckError(f"--output: {output} is a directory or its directory does not exist")
    extra: list[tuple[str, Path]] = []
    for item in also or []:
        kind, _, where = item.partition("=")
        if kind not in FORMAT_NAMES or kind == "console" or not where:
            raise DeployCheckError(f"--also: expected FORMAT=PATH with FORMAT one of "
                                   f"{', '.join(n for n in FORMAT_NAMES if n != 'console')}, got {item!r}")
        target = Path(where)
        if target.is_dir() or not target.parent.is_dir():
            raise DeployCheckError(f"--also: {target} is a directory or its directory does not exist")
        extra.append((kind, target))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY") if format == "github" else None
    if summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise DeployCheckError(f"GITHUB_STEP_SUMMARY: cannot write {summary_path}: "
                                   f"{exc.strerror or exc}") from None
    with _progress() as progress:
        ctx = _context(project, env_file=env_file, example=example, timeout=timeout, progress=progress)
        ctx.allow_remote_login = allow_remote_login
        report = _run(chosen, ctx, level, strict)
        if fix:
            from checks.cli.fixing import (  # start-up: --help and --version load no more than the CLI
                MAX_ROUNDS,
                run_fixes,
            )

            def fresh() -> Context:
                again = _context(project, env_file=env_file, example=example, timeout=timeout,
                                 progress=progress)
                again.allow_remote_login = allow_remote_login
                return again

            before = report
            for _ in range(MAX_ROUNDS):
                fixed, changed = run_fixes(report, fresh)
                for line in fixed:
                    print(line, file=sys.stderr)
                if not fixed:
                    break
                print("deploy-check: checking again after the fixes", file=sys.stderr)
                report = _run(chosen, fresh(), level, strict)
                if not changed:
                    break  # a fixer that changes nothing would only run again
            if report is not before:
                report.notes.append(f"before --fix: {before.verdict}, "
                                    f"failing: {', '.join(r.id for r in before.blocking) or 'none'}")
    if quiet and verbose:
        raise DeployCheckError("--quiet and --verbose: choose one")
    verbosity = -1 if quiet else (1 if verbose else 0)
    color = _color()
    if format == "console":
        payload = _console(report, color and output is None, verbosity)
    else:
        payload = renderer(format)(report)
    for kind, target in extra:
        _write_atomically(target, renderer(kind)(report))
    if output is not None:
        _write_atomically(output, payload)
        sys.stdout.write(_console(report, color, verbosity))
    else:
        sys.stdout.write(payload)
    if format == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        # start-up: --help and --version load no more than the CLI
        from checks.report.markdown import render as render_markdown

        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(render_markdown(report) + "\n")
    raise typer.Exit(EXIT_READY if report.ready else EXIT_NOT_READY)



def _color() -> bool:
    """https://no-color.org (NO_COLOR set to anything non-empty) wins; FORCE_COLOR forces
    colour into a pipe (CI logs that render ANSI); otherwise colour only on a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return sys.stdout.isatty()



def _console(report: Report, color: bool, verbosity: int = 0) -> str:
    # start-up: --help and --version load no more than the CLI
    from checks.report.console import render

    # On a terminal, wrapped to its width with a hanging indent (the terminal's own soft wrap
    # breaks words and continues at column 0); a pipe or a file gets one line per message.
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    return render(report, color=color, verbosity=verbosity, width=width)



def _progress() -> contextlib.AbstractContextManager[Progress]:
    """The live view on a terminal; nothing (and no rich import) for CI logs and pipes."""
    if not sys.stderr.isatty():
        # start-up: --help and --version load no more than the CLI
        from checks.core.context import SilentProgress

        return contextlib.nullcontext(SilentProgress())
    # start-up: --help and --version load no more than the CLI
    from checks.report.console import ConsoleProgress

    return ConsoleProgress(sys.stderr, enabled=True)



def _run(chosen: list[Check], ctx: Context, level: Status, strict: bool = False) -> Report:
    from checks.core.runner import run  # start-up: --help and --version load no more than the CLI

    return run_until_signalled(run(chosen, ctx, level, strict=strict))
