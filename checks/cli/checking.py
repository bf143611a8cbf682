"""`deploy-check check` without typer: the run itself (check.py's command calls it), and a
parser of the common `check` flags so that the usual run (`deploy-check check --only env`,
`-f json`, `--project DIR`) starts without loading typer and click. Anything this parser
does not fully understand (--help, a typo, a missing value, `-qv`) goes to typer, which
says what is wrong exactly as before."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from checks.cli.shared import (
    EXIT_NOT_READY,
    EXIT_READY,
    FORMAT_NAMES,
    _context,
    _write_atomically,
    run_until_signalled,
)
from checks.support.errors import DeployCheckError

if TYPE_CHECKING:
    from checks.core.context import Context, Progress
    from checks.core.model import Report, Status
    from checks.core.registry import Check


@dataclass
class CheckOptions:
    """The flags of `deploy-check check` (check.py declares them, with their help, for typer)."""

    project: Path = Path(".")
    env_file: Path | None = None
    example: Path | None = None
    only: str | None = None
    skip: str | None = None
    format: str = "console"
    output: Path | None = None
    fail_level: str = "fail"
    timeout: float | None = None
    fix: bool = False
    strict: bool = False
    also: list[str] = field(default_factory=list)
    quiet: bool = False
    verbose: bool = False
    allow_remote_login: bool = False


# Each flag of check.py's `check` command: its field, and whether it takes a value.
_VALUED = {"--project": "project", "-p": "project", "--env-file": "env_file", "--example": "example",
           "--only": "only", "--skip": "skip", "--format": "format", "-f": "format", "--output": "output",
           "-o": "output", "--fail-level": "fail_level", "--timeout": "timeout", "--also": "also"}
_SWITCHES = {"--fix": "fix", "--strict": "strict", "--quiet": "quiet", "-q": "quiet", "--verbose": "verbose",
             "-v": "verbose", "--allow-remote-login": "allow_remote_login"}
_PATHS = {"project", "env_file", "example", "output"}


def parse_check_args(args: list[str]) -> CheckOptions | None:
    """The options of `check ARGS…` when every argument is a plain use of a known flag;
    None for anything else, which typer then parses (and explains, when it is wrong)."""
    if not args or args[0] != "check":
        return None
    options = CheckOptions()
    rest = iter(args[1:])
    for arg in rest:
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in _SWITCHES and not equals:
            setattr(options, _SWITCHES[name], True)
            continue
        if name not in _VALUED:
            return None  # --help, a positional argument, `-fjson`, a typo: typer's to say
        if not equals:
            following = next(rest, None)
            if following is None or following.startswith("-"):
                return None  # click would take `-x` as the value; its message is its own
            value = following
        where = _VALUED[name]
        if where == "also":
            options.also.append(value)
        elif where == "timeout":
            try:
                options.timeout = float(value)
            except ValueError:
                return None
        else:
            setattr(options, where, Path(value) if where in _PATHS else value)
    return options


def run_check(options: CheckOptions) -> int:
    """Run the chosen checks, render the report in every format asked for, and return the
    exit code (0 ready, 1 not ready)."""
    from checks.core.model import Status  # start-up: --help and --version load no more than the CLI

    # start-up: --help and --version load no more than the CLI
    from checks.core.registry import select
    from checks.report import renderer  # start-up: --help and --version load no more than the CLI

    format, output = options.format, options.output
    if format not in FORMAT_NAMES:
        raise DeployCheckError(f"--format: unknown format {format!r} (one of {', '.join(FORMAT_NAMES)})")
    if options.fail_level not in ("fail", "warn"):
        raise DeployCheckError(f"--fail-level: must be fail or warn, got {options.fail_level!r}")
    chosen = select(options.only, options.skip)
    # The chosen checks' modules are loaded, and their objects live as long as the process:
    # the collector need not walk them again. Its full collections over psycopg's and the
    # families' objects cost 15-40 ms of a DB006 run over 5,000 migrations (issue 21).
    gc.freeze()
    level = Status(options.fail_level)
    # Where the report goes is checked before anything runs: a typo in --output must not
    # cost a whole gate run, and a summary that cannot be written must not pass silently.
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise DeployCheckError(f"--output: {output} is a directory or its directory does not exist")
    extra: list[tuple[str, Path]] = []
    for item in options.also:
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

    def fresh(progress: Progress) -> Context:
        ctx = _context(options.project, env_file=options.env_file, example=options.example,
                       timeout=options.timeout, progress=progress)
        ctx.allow_remote_login = options.allow_remote_login
        return ctx

    with _progress() as progress:
        ctx = fresh(progress)
        if ctx.model.workspace_apps and ctx.config.path is None:
            # A verdict on a monorepo's root would judge none of its apps: say which to check.
            raise DeployCheckError(f"{ctx.project}: {ctx.model.looks_like_app_why}")
        report = _run(chosen, ctx, level, options.strict)
        if options.fix:
            report = _fix(report, lambda: fresh(progress), chosen, level, options.strict)
    if options.quiet and options.verbose:
        raise DeployCheckError("--quiet and --verbose: choose one")
    verbosity = -1 if options.quiet else (1 if options.verbose else 0)
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
    return EXIT_READY if report.ready else EXIT_NOT_READY


def _fix(report: Report, fresh: Callable[[], Context], chosen: list[Check], level: Status,
         strict: bool) -> Report:
    """--fix: the fixers of what failed, then the checks again, while a round changed something."""
    from checks.cli.fixing import (  # start-up: --help and --version load no more than the CLI
        MAX_ROUNDS,
        run_fixes,
    )

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
    return report


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
    from checks.report.live import ConsoleProgress

    return ConsoleProgress(sys.stderr, enabled=True)


def _run(chosen: list[Check], ctx: Context, level: Status, strict: bool = False) -> Report:
    # start-up: --help and --version load no more than the CLI
    from checks.core.runner import run, run_without_loop, runs_without_loop

    if runs_without_loop(chosen):  # an env-only run: no event loop, so no asyncio to import
        return run_without_loop(chosen, ctx, level, strict=strict)
    return run_until_signalled(run(chosen, ctx, level, strict=strict))
