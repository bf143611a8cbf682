"""`deploy-check detect`: the project model as text, JSON, or a deploy-check.toml."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from checks.core.model import plural, printable
from checks.project.config import AUTH_PROVIDERS

if TYPE_CHECKING:
    from checks.project.model import ProjectModel
    from checks.support.secrets import Masker


def _line(label: str, value: str | None, why: str) -> str:
    shown = value if value is not None else "not found"
    return printable(f"{label:<16} {shown}" + (f"  ({why})" if why else ""))


def render_console(model: ProjectModel) -> str:
    env_files = ", ".join(f"{f.path} ({plural(f.keys, 'key')})" for f in model.env_files) or "none"
    schema = f"{model.schema.path} ({model.schema.kind})" if model.schema else None
    lines = [
        printable(f"deploy-check detect · {model.root}"),
        "",
        _line("app", "yes" if model.looks_like_app else "no", model.looks_like_app_why),
        _line("env files", env_files, "highest priority first, below the process environment"),
        _line("env file", model.env_file, model.env_file_why),
        _line("example", " and ".join(model.example_files) or None, "" if model.example_file else
              "looked for .env.local.example, .env.example, .env.sample, .env.template"),
        *([_line("env schema", ", ".join(model.env_schema_files),
                 f"createEnv or zod: {len(model.env_schema_required)} required, "
                 f"{len(model.env_schema_optional)} optional or defaulted"
                 + (f", {len(model.env_schema_loose)} optional unless a rule of the app's demands them"
                    if model.env_schema_loose else ""))]
          if model.env_schema_files else []),
        _line("database var", model.database_var, model.database_var_why),
        *([_line("also database", model.second_database_var, model.second_database_var_why)]
          if model.second_database_var else []),
        *([_line("database env", ", ".join(model.database_env_files), model.database_env_why)]
          if model.database_env_files else []),
        *([_line("database via", model.database_via, model.database_via_why),
           _line("supabase db", f"port {model.supabase_db_port}", model.supabase_db_port_why)]
          if model.database_via else []),
        _line("database", model.database_kind, model.database_kind_why),
        _line("schema", schema, model.schema.why if model.schema else model.schema_why),
        _line("auth provider", model.auth_provider, model.auth_why),
        *([_line("login", ", ".join(model.login_methods) or None, model.login_why)] if model.login_why else []),
        _line("sentry", "required" if model.sentry_required else "not required", model.sentry_why),
        _line("package manager", model.package_manager,
              f"workspace root: {model.workspace_root}" if model.workspace_root else ""),
        _line("dev command", model.dev_command, model.dev_why),
    ]
    return "\n".join(lines) + "\n"


def render_json(model: ProjectModel, masker: Masker) -> str:
    return json.dumps(masker.deep(model.to_dict()), indent=2, ensure_ascii=False) + "\n"


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def config_text(model: ProjectModel) -> str:
    """A deploy-check.toml that pins what was detected, so a later change in the app's
    layout is a visible diff rather than a silent change of what the gate checks."""
    lines = ["# Written by `deploy-check detect --write-config`: what was detected, pinned.", ""]
    project = []
    if model.example_file and len(model.example_files) < 2:
        project.append(f"example_file = {_toml_string(model.example_file)}")
    elif model.example_file:  # example_file pins one: found without it, both examples are read
        project.append(f"# example_file: not pinned, {' and '.join(model.example_files)} are both read")
    if model.schema:
        project.append(f"schema = {_toml_string(model.schema.path)}  # {model.schema.kind}")
    if project:
        lines += ["[project]", *project, ""]
    if model.database_var:
        lines += ["[database]", f"url_var = {_toml_string(model.database_var)}", ""]
    if model.dev_command:
        lines += ["[dev_server]", f"command = {_toml_string(model.dev_command)}", ""]

    if model.auth_provider in AUTH_PROVIDERS:
        lines += ["[auth]", f"provider = {_toml_string(model.auth_provider or 'none')}", ""]
    lines += ["[sentry]", f"required = {'true' if model.sentry_required else 'false'}", ""]
    return "\n".join(lines)
