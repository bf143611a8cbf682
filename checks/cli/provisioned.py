"""`deploy-check provision …` without typer: the run every provision command makes (the
typer commands in provisioning.py call it), after a look at what it would change (the
database it writes to, a folder that does not look like an app), and the fast path of a
plain `provision schema`, which `main` runs without loading typer or click (issue 21: 30 ms
of a no-op's start-up)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.cli.shared import EXIT_NOT_READY, _context, run_until_signalled
from checks.support.errors import DeployCheckError, Terminated

if TYPE_CHECKING:
    from checks.core.context import Context

# `provision schema`'s flags (provisioning.py's command): anything else goes to typer.
_SWITCHES = {"--dry-run": "dry_run", "--allow-destructive": "allow_destructive", "--force": "force"}
_VALUED = {"--project": "project", "-p": "project", "--platform": "platform"}


def parse_provision_schema_args(args: list[str]) -> dict[str, Any] | None:
    """The options of `provision schema ARGS…` when every argument is a plain use of its
    flags; None for anything else (--help, a typo, a missing value), which typer parses."""
    if args[:2] != ["provision", "schema"]:
        return None
    options: dict[str, Any] = {"project": Path("."), "dry_run": False, "allow_destructive": False,
                               "platform": None, "force": False}
    rest = iter(args[2:])
    for arg in rest:
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in _SWITCHES and not equals:
            options[_SWITCHES[name]] = True
            continue
        if name not in _VALUED:
            return None
        if not equals:
            following = next(rest, None)
            if following is None or following.startswith("-"):
                return None  # click would take `-x` as the value; its message is its own
            value = following
        options[_VALUED[name]] = Path(value) if _VALUED[name] == "project" else value
    return options


def _database_target(ctx: Context) -> str | None:
    """Which server and database a provisioner is about to change, and where that came
    from — never the password. A shell still holding a production URL must be visible."""
    from checks.core.readings import (  # start-up: --help and --version load no more than the CLI
        schema_reading,
    )
    from checks.support.pgurl import (  # start-up: --help and --version load no more than the CLI
        InvalidDatabaseUrl,
        parse_database_url,
    )

    reading = schema_reading(ctx)
    if reading is None or not reading.value:
        return None
    raw, name = reading.value, reading.name
    try:
        shown = parse_database_url(raw).display
    except InvalidDatabaseUrl:
        shown = "an unparsable URL"
    source = reading.source or "nowhere"
    line = f"target: {shown} ({name} from {source})"
    if source == "process environment":
        files = ctx.tool_env_files or ctx.env_files
        overridden = [ctx.rel(f.path) for f in files
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



def run_provision(name: str, project: Path, *, example: Path | None = None, force: bool = False,
                  **options: Any) -> int:
    """Run provisioner `name`; the exit code (0, or 1 where it failed or would refuse)."""
    from provision import (  # start-up: --help and --version load no more than the CLI
        Options,
        ProvisionFailed,
        provisioner,
    )

    ctx = _context(project, example=example)
    _refuse_non_app(ctx, force)
    if name in ("schema", "local-db") and ctx.model.other_database:
        raise DeployCheckError(f"{ctx.model.other_database}: deploy-check provisions PostgreSQL only")
    target = _database_target(ctx) if name == "schema" else None
    if name == "env":  # only examples that exist: the provisioner names what it looked for
        present = [e for e in ctx.examples if e.path.is_file()]
        target = ("target: " + ", ".join(f"{ctx.rel(ctx.example_target(e))} from {ctx.rel(e.path)}"
                                         for e in present) + f" in {ctx.project}") if present else None
    if target:
        print(f"deploy-check provision {name}: {target}", file=sys.stderr)
    provision = provisioner(name)
    gc.freeze()  # its modules are loaded: as `check` does (checking.py), not walked again
    try:
        done = run_until_signalled(provision(ctx, Options(**options)))
    except ProvisionFailed as exc:
        print(f"deploy-check provision {name}: {ctx.mask(str(exc))}", file=sys.stderr)
        return EXIT_NOT_READY
    except Terminated:
        raise  # SIGTERM/SIGHUP: the work was cancelled (on the server too); exit 130 like Ctrl-C
    except DeployCheckError:
        raise  # an input refused (a link out of the project, not UTF-8): exit 2, one line
    except Exception as exc:
        if os.environ.get("DEPLOY_CHECK_DEBUG"):
            raise
        print(f"deploy-check provision {name}: failed: {type(exc).__name__}: {ctx.mask(str(exc))}",
              file=sys.stderr)
        return EXIT_NOT_READY
    for line in done.lines:
        print(ctx.mask(line))
    if done.would_refuse:
        print(f"deploy-check provision {name}: --dry-run: a real run would refuse what is named above "
              "(exit 1, as it would)", file=sys.stderr)
        return EXIT_NOT_READY
    if not done.changed and not options.get("dry_run"):
        print(f"provision {name}: nothing to do")
    return 0
