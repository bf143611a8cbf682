"""`deploy-check provision schema|env|local-db`: the typer commands. What they run is
provisioned.py's, which a plain `provision schema` reaches without typer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from checks.cli.app import ForceOption, ProjectOption, provision_app
from checks.cli.provisioned import run_provision
from checks.support.errors import DeployCheckError


def _provision(name: str, project: Path, **options: Any) -> None:
    code = run_provision(name, project, **options)
    if code:
        raise typer.Exit(code)


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
