"""The command line: parse flags, build the context, call the core, render, exit."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import click
import typer

from checks import __version__
from checks.support.errors import DeployCheckError, Terminated

if TYPE_CHECKING:
    from checks.core.context import Context, Progress
    from checks.core.model import Report, Status
    from checks.core.registry import Check

T = TypeVar("T")

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
    from checks.project.config import (
        load_config,  # start-up: --help and --version load no more than the CLI
    )

    if not project.is_dir():
        raise DeployCheckError(f"--project: {project} is not a directory")
    if timeout is not None:
        from checks.project.config import (
            seconds,  # start-up: --help and --version load no more than the CLI
        )

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
    from checks.support.signals import (
        run_until_signalled as run,  # start-up: --help and --version load no more than the CLI
    )

    return run(work)


def _write_atomically(path: Path, text: str) -> None:
    from provision.files import (
        write_atomically,  # start-up: --help and --version load no more than the CLI
    )

    write_atomically(path, text)


@app.command()
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
    from checks.core.registry import (
        select,  # start-up: --help and --version load no more than the CLI
    )
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
        from checks.report.markdown import (
            render as render_markdown,  # start-up: --help and --version load no more than the CLI
        )

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
    from checks.report.console import (
        render,  # start-up: --help and --version load no more than the CLI
    )

    return render(report, color=color, verbosity=verbosity)


def _progress() -> contextlib.AbstractContextManager[Progress]:
    """The live view on a terminal; nothing (and no rich import) for CI logs and pipes."""
    if not sys.stderr.isatty():
        from checks.core.context import (
            SilentProgress,  # start-up: --help and --version load no more than the CLI
        )

        return contextlib.nullcontext(SilentProgress())
    from checks.report.console import (
        ConsoleProgress,  # start-up: --help and --version load no more than the CLI
    )

    return ConsoleProgress(sys.stderr, enabled=True)


def _run(chosen: list[Check], ctx: Context, level: Status, strict: bool = False) -> Report:
    from checks.core.runner import run  # start-up: --help and --version load no more than the CLI

    return run_until_signalled(run(chosen, ctx, level, strict=strict))


@app.command()
def detect(
    project: ProjectOption = Path("."),
    env_file: Annotated[Path | None, typer.Option(help="Pin one env file.")] = None,
    example: Annotated[Path | None, typer.Option(help="Example file.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="console|json")] = "console",
    write_config: Annotated[bool, typer.Option("--write-config",
                                               help="Write what was detected to deploy-check.toml (never overwrites).")] = False,
) -> None:
    """The project model: what deploy-check found in the app, where, and why."""
    from checks.report.project import (  # start-up: --help and --version load no more than the CLI
        config_text,
        render_console,
        render_json,
    )

    if format not in ("console", "json"):
        raise DeployCheckError(f"--format: detect prints console or json, not {format!r}")
    ctx = _context(project, env_file=env_file, example=example)
    model = ctx.model
    # Masked like every output: a configured dev command may carry a secret.
    sys.stdout.write(render_json(model, ctx.masker) if format == "json" else ctx.mask(render_console(model)))
    if write_config:
        from checks.project.config import (
            CONFIG_FILE,  # start-up: --help and --version load no more than the CLI
        )

        target = ctx.project / CONFIG_FILE
        if target.exists():
            raise DeployCheckError(f"--write-config: {CONFIG_FILE} already exists; not overwriting it")
        _write_atomically(target, config_text(model))
        print(f"wrote {CONFIG_FILE}", file=sys.stderr)


@app.command("schema")
def report_schema() -> None:
    """The JSON Schema (2020-12) of the `--format json` report."""
    from importlib.resources import files  # start-up: importlib is loaded on first use

    sys.stdout.write(files("checks.report").joinpath("report.schema.json").read_text(encoding="utf-8"))


SHELLS = ("bash", "zsh", "fish")


@app.command()
def completion(shell: Annotated[str, typer.Argument(metavar="SHELL", help="bash, zsh or fish")]) -> None:
    """Print the shell completion script: `eval "$(deploy-check completion bash)"`."""
    from typer._completion_shared import (
        get_completion_script,  # start-up: only the CLI's commands load typer
    )

    if shell not in SHELLS:
        raise DeployCheckError(f"completion: unknown shell {shell!r} (one of {', '.join(SHELLS)})")
    # Typer's scripts (what `--install-completion` would write, without touching the user's
    # rc files): the shell calls deploy-check back with _DEPLOY_CHECK_COMPLETE set (main()).
    script = get_completion_script(prog_name="deploy-check", complete_var=COMPLETE_VARIABLE, shell=shell)
    sys.stdout.write(script if script.endswith("\n") else script + "\n")


COMPLETE_VARIABLE = "_DEPLOY_CHECK_COMPLETE"


@app.command("list")
def list_checks() -> None:
    """Every check id, its family and title."""
    from checks.core.registry import (
        all_checks,  # start-up: --help and --version load no more than the CLI
    )

    for entry in all_checks():
        spec = entry.spec
        print(f"{spec.id:<10} {spec.family:<10} {spec.title}")


@app.command()
def explain(check_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """What a check verifies, why, and how to fix it."""
    from checks.core.registry import get  # start-up: --help and --version load no more than the CLI

    spec = get(check_id).spec
    print(f"{spec.id} · {spec.family} · {spec.title}\n")
    print(spec.explain)
    print(f"\nhint: {spec.hint}")
    if spec.fix:
        print(f"fix:  {spec.fix}")


def _database_target(ctx: Context) -> str | None:
    """Which server and database a provisioner is about to change, and where that came
    from — never the password. A shell still holding a production URL must be visible."""
    from checks.core.db import (  # start-up: --help and --version load no more than the CLI
        database_url,
        url_var,
    )
    from checks.support.pgurl import (  # start-up: --help and --version load no more than the CLI
        InvalidDatabaseUrl,
        parse_database_url,
    )

    raw = database_url(ctx)
    if not raw:
        return None
    name = url_var(ctx)
    try:
        shown = parse_database_url(raw).display
    except InvalidDatabaseUrl:
        shown = "an unparsable URL"
    source = ctx.source_of(name) or "nowhere"
    line = f"target: {shown} ({name} from {source})"
    if source == "process environment":
        overridden = [ctx.rel(f.path) for f in ctx.env_files
                      if f.parsed and f.parsed.values.get(name, "").strip()
                      and f.parsed.values[name].strip() != raw]
        if overridden:
            line += (f"; the process environment overrides a different {name} in "
                     f"{', '.join(overridden)}")
    return ctx.mask(line)


def _refuse_non_app(ctx: Context, force: bool) -> None:
    if not ctx.model.looks_like_app and not force:
        raise DeployCheckError(f"{ctx.project}: {ctx.model.looks_like_app_why}; refusing to "
                               "provision here (pass --project APP, or --force if this is the app)")


def _provision(name: str, project: Path, *, example: Path | None = None, force: bool = False,
               **options: Any) -> None:
    from provision import (  # start-up: --help and --version load no more than the CLI
        Options,
        ProvisionFailed,
        provisioner,
    )

    ctx = _context(project, example=example)
    _refuse_non_app(ctx, force)
    target = _database_target(ctx) if name == "schema" else None
    if name == "env":
        target = f"target: {ctx.rel(ctx.env_path)} from {ctx.rel(ctx.example_path)} in {ctx.project}"
    if target:
        print(f"deploy-check provision {name}: {target}", file=sys.stderr)
    try:
        done = run_until_signalled(provisioner(name)(ctx, Options(**options)))
    except ProvisionFailed as exc:
        print(f"deploy-check provision {name}: {ctx.mask(str(exc))}", file=sys.stderr)
        raise typer.Exit(EXIT_NOT_READY) from None
    except Terminated:
        raise  # SIGTERM/SIGHUP: the work was cancelled (on the server too); exit 130 like Ctrl-C
    except Exception as exc:
        if os.environ.get("DEPLOY_CHECK_DEBUG"):
            raise
        print(f"deploy-check provision {name}: failed: {type(exc).__name__}: {ctx.mask(str(exc))}",
              file=sys.stderr)
        raise typer.Exit(EXIT_NOT_READY) from None
    for line in done.lines:
        print(ctx.mask(line))
    if not done.changed and not options.get("dry_run"):
        print(f"provision {name}: nothing to do")


@provision_app.command("schema")
def provision_schema(
    project: ProjectOption = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Apply, then roll back.")] = False,
    allow_destructive: Annotated[bool, typer.Option("--allow-destructive",
                                                    help="Allow DROP/TRUNCATE/DELETE/destructive ALTER.")] = False,
    force: ForceOption = False,
) -> None:
    """Apply schema.sql (or the migrations) to the app's database in one transaction."""
    _provision("schema", project, force=force, dry_run=dry_run, allow_destructive=allow_destructive)


@provision_app.command("env")
def provision_env(
    project: ProjectOption = Path("."),
    example: Annotated[Path | None, typer.Option(help="Example file, relative to --project "
                                                 "(default: the first of .env.local.example, "
                                                 ".env.example, .env.sample, .env.template).")] = None,
    force: ForceOption = False,
) -> None:
    """Create or complete .env.local from the example; never overwrites a value."""
    _provision("env", project, example=example, force=force,
               interactive=sys.stdin.isatty() and sys.stdout.isatty())


@provision_app.command("local-db")
def provision_local_db(
    project: ProjectOption = Path("."),
    stop: Annotated[bool, typer.Option("--stop", help="Stop the embedded PostgreSQL instead.")] = False,
    platform: Annotated[str | None, typer.Option(
        "--platform", help="Create stand-ins for a platform's schema: supabase (auth.users, auth.uid(), "
        "roles) or neon-auth (neon_auth.users_sync). Default: from the app's auth provider.")] = None,
    force: ForceOption = False,
) -> None:
    """Start an embedded PostgreSQL for local development and write its DATABASE_URL."""
    if stop:
        from provision.database import (
            stop_local_db,  # start-up: --help and --version load no more than the CLI
        )

        if not project.is_dir():
            raise DeployCheckError(f"--project: {project} is not a directory")
        stopped = stop_local_db(project.resolve())
        print("stopped the local PostgreSQL" if stopped else "provision local-db: nothing to stop")
        return
    _provision("local-db", project, force=force, platform=platform)


def _fail(message: str, code: int) -> NoReturn:
    print(f"deploy-check: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    # A terminal or CI log that cannot show ✔ (PYTHONIOENCODING=ascii) still gets the report.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        print(f"deploy-check {__version__}")
        return
    commands = {"check", "list", "explain", "provision", "detect", "schema", "completion"}
    if args and not args[0].startswith("-") and args[0] not in commands:
        import difflib  # start-up: difflib is loaded on first use

        close = difflib.get_close_matches(args[0], sorted(commands), n=1, cutoff=0.6)
        if close:  # `deploy-check chek`: a typo, not a stray argument to `check`
            _fail(f"unknown command {args[0]!r}; did you mean {close[0]!r}?", EXIT_USAGE)
    completing = COMPLETE_VARIABLE in os.environ  # click reads COMP_WORDS, not these arguments
    if completing:
        from typer._completion_classes import (
            completion_init,  # start-up: only the CLI's commands load typer
        )

        completion_init()  # Typer's completion classes answer in the format its scripts read
    if not completing and (not args or (args[0] not in commands and args[0] not in ("--help", "-h", "--version", "-V"))):
        args.insert(0, "check")  # `deploy-check` alone is `deploy-check check`
    command = typer.main.get_command(app)
    try:
        code = command.main(args, prog_name="deploy-check", standalone_mode=False,
                            complete_var=COMPLETE_VARIABLE)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as exc:  # a usage error: bad flag, missing argument
        _fail(exc.format_message().replace("\n", " "), EXIT_USAGE)
    except click.Abort:
        _fail("interrupted", EXIT_INTERRUPTED)
    except DeployCheckError as exc:
        _fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Terminated as signalled:
        _fail(f"interrupted ({signalled})", EXIT_INTERRUPTED)
    except Exception as exc:  # a bug: one masked line, never a traceback that may hold a secret
        if os.environ.get("DEPLOY_CHECK_DEBUG"):
            raise
        from checks.support.secrets import (  # start-up: --help and --version load no more than the CLI
            Masker,
            secret_values,
        )

        masked = Masker(secret_values(os.environ))(f"{type(exc).__name__}: {exc}")
        _fail(f"internal error: {masked} (a bug in deploy-check; DEPLOY_CHECK_DEBUG=1 shows the "
              "traceback)", EXIT_NOT_READY)
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into a silent Exit(130)
        _fail("interrupted", EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
