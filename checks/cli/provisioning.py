"""`deploy-check provision schema|env|local-db`: the provisioners, after a look at what they
would change (the database they write to, a folder that does not look like an app)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from checks.cli.app import ForceOption, ProjectOption, provision_app
from checks.cli.shared import EXIT_NOT_READY, _context, run_until_signalled
from checks.support.errors import DeployCheckError, Terminated

if TYPE_CHECKING:
    from checks.core.context import Context


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



def _provision(name: str, project: Path, *, example: Path | None = None, force: bool = False,
               **options: Any) -> None:
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
        raise typer.Exit(EXIT_NOT_READY) from None
    except Terminated:
        raise  # SIGTERM/SIGHUP: the work was cancelled (on the server too); exit 130 like Ctrl-C
    except DeployCheckError:
        raise  # an input refused (a link out of the project, not UTF-8): exit 2, one line
    except Exception as exc:
        if os.environ.get("DEPLOY_CHECK_DEBUG"):
            raise
        print(f"deploy-check provision {name}: failed: {type(exc).__name__}: {ctx.mask(str(exc))}",
              file=sys.stderr)
        raise typer.Exit(EXIT_NOT_READY) from None
    for line in done.lines:
        print(ctx.mask(line))
    if done.would_refuse:
        print(f"deploy-check provision {name}: --dry-run: a real run would refuse what is named above "
              "(exit 1, as it would)", file=sys.stderr)
        raise typer.Exit(EXIT_NOT_READY)
    if not done.changed and not options.get("dry_run"):
        print(f"provision {name}: nothing to do")



@provision_app.command("schema")
def provision_schema(
    project: ProjectOption = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Apply, then roll back; exit 1 where a real run would refuse.")] = False,
    allow_destructive: Annotated[bool, typer.Option(
        "--allow-destructive",
        help="Run statements not proven additive (DROP, UPDATE/DELETE, upserts, calls off the safe list…).")] = False,
    platform: Annotated[str | None, typer.Option(
        "--platform", help="First add stand-ins for a platform's schema to this local database: "
        "supabase (auth.users, auth.uid(), roles) or neon-auth (neon_auth.users_sync).")] = None,
    force: ForceOption = False,
) -> None:
    """Apply schema.sql (or the migrations) to the app's database in one transaction."""
    _provision("schema", project, force=force, dry_run=dry_run, allow_destructive=allow_destructive,
               platform=platform)



@provision_app.command("env")
def provision_env(
    project: ProjectOption = Path("."),
    example: Annotated[Path | None, typer.Option(help="Example file, relative to --project "
                                                 "(default: the first of .env.local.example, "
                                                 ".env.example, .env.sample, .env.template).")] = None,
    no_input: Annotated[bool, typer.Option(
        "--no-input", help="Never prompt, even on a terminal: what is not generated is left "
        "empty and listed.")] = False,
    force: ForceOption = False,
) -> None:
    """Create or complete .env.local from the example; never overwrites a value."""
    _provision("env", project, example=example, force=force,
               interactive=sys.stdin.isatty() and sys.stdout.isatty() and not no_input)



@provision_app.command("local-db")
def provision_local_db(
    project: ProjectOption = Path("."),
    stop: Annotated[bool, typer.Option("--stop", help="Stop the embedded PostgreSQL instead.")] = False,
    platform: Annotated[str | None, typer.Option(
        "--platform", help="Create stand-ins for a platform's schema: supabase (auth.users, auth.uid(), "
        "roles) or neon-auth (neon_auth.users_sync). Default: from the app's auth provider.")] = None,
    port: Annotated[int | None, typer.Option(
        "--port", min=1, max=65535, help="Listen on this port (at the first start; "
        "default: a free port the kernel picks).")] = None,
    force: ForceOption = False,
) -> None:
    """Start an embedded PostgreSQL for local development and write its DATABASE_URL."""
    if stop:
        # start-up: --help and --version load no more than the CLI
        from provision.database import stop_local_db

        if not project.is_dir():
            raise DeployCheckError(f"--project: {project} is not a directory")
        stopped = stop_local_db(project.resolve())
        print("stopped the local PostgreSQL" if stopped else "provision local-db: nothing to stop")
        return
    _provision("local-db", project, force=force, platform=platform, port=port)
