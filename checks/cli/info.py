"""The commands that explain rather than check: detect (the project model), list, explain,
schema (the report's JSON Schema) and completion scripts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from checks.cli.app import PlainHelpCommand, ProjectOption, app
from checks.cli.shared import COMPLETE_VARIABLE, _context, _write_atomically
from checks.support.errors import DeployCheckError


@app.command(cls=PlainHelpCommand)
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
        # start-up: --help and --version load no more than the CLI
        from checks.project.config import CONFIG_FILE

        target = ctx.project / CONFIG_FILE
        if target.exists():
            raise DeployCheckError(f"--write-config: {CONFIG_FILE} already exists; not overwriting it")
        _write_atomically(target, config_text(model))
        print(f"wrote {CONFIG_FILE}", file=sys.stderr)



@app.command("schema", cls=PlainHelpCommand)
def report_schema() -> None:
    """The JSON Schema (2020-12) of the `--format json` report."""
    from importlib.resources import files  # start-up: importlib is loaded on first use

    sys.stdout.write(files("checks.report").joinpath("report.schema.json").read_text(encoding="utf-8"))



SHELLS = ("bash", "zsh", "fish")



@app.command(cls=PlainHelpCommand)
def completion(shell: Annotated[str, typer.Argument(metavar="SHELL", help="bash, zsh or fish")]) -> None:
    """Print the shell completion script: `eval "$(deploy-check completion bash)"`."""
    # start-up: only the CLI's commands load typer
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        raise DeployCheckError(f"completion: unknown shell {shell!r} (one of {', '.join(SHELLS)})")
    # Typer's scripts (what `--install-completion` would write, without touching the user's
    # rc files): the shell calls deploy-check back with _DEPLOY_CHECK_COMPLETE set (main()).
    script = get_completion_script(prog_name="deploy-check", complete_var=COMPLETE_VARIABLE, shell=shell)
    sys.stdout.write(script if script.endswith("\n") else script + "\n")



@app.command("list", cls=PlainHelpCommand)
def list_checks() -> None:
    """Every check id, its family and title."""
    # start-up: --help and --version load no more than the CLI
    from checks.core.registry import all_checks

    for entry in all_checks():
        spec = entry.spec
        print(f"{spec.id:<10} {spec.family:<10} {spec.title}")



@app.command(cls=PlainHelpCommand)
def explain(check_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """What a check verifies, why, and how to fix it."""
    from checks.core.registry import get  # start-up: --help and --version load no more than the CLI

    spec = get(check_id).spec
    print(f"{spec.id} · {spec.family} · {spec.title}\n")
    print(spec.explain)
    print(f"\nhint: {spec.hint}")
    if spec.fix:
        print(f"fix:  {spec.fix}")
