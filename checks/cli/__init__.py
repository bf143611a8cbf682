"""The command line: parse flags, build the context, call the core, render, exit.

app.py holds the Typer app; check.py, info.py and provisioning.py register their commands
on it; shared.py holds what they share without typer. `main` runs a command line: the usual
`check` invocations (checking.py parses them) and a plain `provision schema` (provisioned.py)
run without loading typer or click. `entry` is the process's: `main`, then an exit without
the interpreter's teardown."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

from checks import __version__
from checks.cli.checking import parse_check_args, run_check
from checks.cli.provisioned import parse_provision_schema_args, run_provision
from checks.cli.shared import COMPLETE_VARIABLE, EXIT_INTERRUPTED, EXIT_NOT_READY, EXIT_USAGE
from checks.support.errors import DeployCheckError, Terminated
from checks.support.workers import workers_abandoned


def _fail(message: str, code: int) -> NoReturn:
    print(f"deploy-check: {message}", file=sys.stderr)
    sys.exit(code)



def entry() -> NoReturn:
    """The process's entry (`deploy-check`, `python -m checks`): `main`, then an exit that
    skips the interpreter's teardown once the atexit handlers have run and the output is
    flushed. Unloading psycopg's bundled libpq and OpenSSL and freeing every module costs
    30-50 ms of each run that reached a database (issue 21), for nothing a user sees. Left
    to Python where a thread is still running (it would be joined), unless the run was
    interrupted (a thread stuck in a library call must not keep it alive), or where a flush
    fails (Python reports the broken pipe its own way)."""
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1 and code != EXIT_INTERRUPTED \
            and not workers_abandoned():
        sys.exit(code)  # type: ignore[arg-type]  # an interrupted run joins no stuck worker
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # type: ignore[arg-type]
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr, flush=True)  # as sys.exit("message") prints it
        code = 1
    os._exit(code)


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
        # start-up: only the CLI's commands load typer
        from typer._completion_classes import completion_init

        completion_init()  # Typer's completion classes answer in the format its scripts read
    if not completing and (not args or (args[0] not in commands and args[0] not in ("--help", "-h", "--version", "-V"))):
        args.insert(0, "check")  # `deploy-check` alone is `deploy-check check`
    options = None if completing else parse_check_args(args)
    schema = None if completing or options is not None else parse_provision_schema_args(args)
    try:
        if options is not None:
            code: int | None = run_check(options)
        elif schema is not None:
            code = run_provision("schema", schema.pop("project"), **schema)
        else:
            code = _typer_main(args)
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


def _typer_main(args: list[str]) -> int | None:
    """Every invocation the fast path leaves to typer: the other commands, --help, and
    whatever typer must explain (a bad flag, a missing value)."""
    import click  # start-up: the usual `check` runs without typer and click (checking.py)
    import typer  # start-up: the usual `check` runs without typer and click

    # start-up: the commands register on the Typer app; importing them loads typer
    from checks.cli import check, info, provisioning  # noqa: F401
    from checks.cli.app import app  # start-up: the usual `check` runs without typer and click

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
    return code if isinstance(code, int) else None
