"""The project model: what the app really uses, found once per run from its own files
(DESIGN.md "Discovery"). Every family reads it through `ctx.model`; `deploy-check
detect` prints it; the JSON report carries it.

Each fact carries `why`: the file (relative to the project) and what in it named the
fact, so "why did it check that?" has an answer. A fact that was not found is `None`
with `why` saying what was looked for — never a silent default.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.project import detectors as d
from checks.project.auth import auth_provider
from checks.project.database import (
    configured_database,
    database_var,
    drizzle_config,
    schema_source,
    second_database_var,
    url_builder,
)
from checks.project.dbenv import tool_env
from checks.project.dialect import database_kind
from checks.project.envschema import env_schema
from checks.project.examples import config_env_file, documented_env_file, tools_env_file
from checks.project.logins import login_methods
from checks.project.model import EnvFileFact, ProjectModel
from checks.project.neondriver import runtime_driver
from checks.project.reading import (
    dependencies,
    package_json,
    read_small,
    relative,
)
from checks.project.runtimedb import runtime_tables, runtime_tls
from checks.project.supabase import config_file, supabase_data
from checks.project.workspace import package_manager, workspace_apps, workspace_packages
from checks.support.envfile import read_env_file

if TYPE_CHECKING:
    from checks.project.config import Config


def _sentry(root: Path, config: Config, deps: set[str],
            file_keys: Iterable[tuple[str, str]]) -> tuple[bool, str]:
    if config.sentry_required is not None:
        return config.sentry_required, f"deploy-check.toml: [sentry] required = {str(config.sentry_required).lower()}"
    sdk = sorted(name for name in deps if name.startswith(d.SENTRY_PACKAGE_PREFIX))
    if sdk:
        return True, f"package.json depends on {sdk[0]}"
    for name in d.SENTRY_FILES:
        if (root / name).is_file():
            return True, f"{name} exists"
    for name, marker in d.SENTRY_CALLERS:
        text = read_small(root / name)
        if text and marker in text:
            return True, f"{name} calls {marker}"
    for name in d.NEXT_CONFIGS:
        text = read_small(root / name)
        if text and "withSentryConfig" in text:
            return True, f"{name} wraps the config in withSentryConfig"
    # A committed .env.sentry-build-plugin alone is a leaked token (ENV006), not a use of Sentry.
    for file_name, key in file_keys:
        if d.SENTRY_KEY.search(key):
            return True, f"{key} in {file_name}"
    return False, ("the app does not use Sentry: no @sentry/* package, sentry.*.config.*, "
                   "withSentryConfig or SENTRY_* key in the env files or example")


def _dev_command(config: Config, package: Mapping[str, Any] | None,
                 manager: str | None) -> tuple[str | None, str]:
    if config.dev_command:
        return config.dev_command, "deploy-check.toml: [dev_server] command"
    if package is None:
        return None, "no package.json and no [dev_server] command in deploy-check.toml"
    scripts = package.get("scripts")
    if not isinstance(scripts, dict) or "dev" not in scripts:
        return None, "package.json has no `dev` script and deploy-check.toml no [dev_server] command"
    return f"{manager or 'npm'} run dev", "package.json scripts.dev"


def _supabase(model: ProjectModel, root: Path, homes: list[Path], workspace: Path | None,
              file_keys: Iterable[tuple[str, str]], environ: Mapping[str, str]) -> None:
    """A Supabase app whose code reads none of the database variables found by name reaches
    its data through the Supabase API: that project's database is the one to judge."""
    where: dict[str, str] = {}
    for file_name, key in file_keys:
        where.setdefault(key, file_name)
    candidates = [(name, where.get(name) or "the process environment") for name in d.DATABASE_VARS
                  if name in where or name in environ]
    found = supabase_data(root, homes, workspace, candidates)
    if found is None:
        return
    model.database_var, model.database_var_why = found.reads, found.why
    if found.reads is None:
        model.database_via, model.database_via_why = "supabase", found.why
        model.supabase_db_port, model.supabase_db_port_why = found.db_port, found.db_port_why
        model.supabase_start = found.start_command


def _set_in(root: Path, names: list[str]) -> dict[str, str]:
    """The non-empty values of the env files `names` (relative to `root`), the first file winning."""
    values: dict[str, str] = {}
    for name in reversed(names):
        try:
            values.update({key: value for key, value in read_env_file(root / name).values.items() if value})
        except (OSError, ValueError):
            continue  # a missing or unreadable file sets nothing
    return values


# -- the model ----------------------------------------------------------------------


def discover(root: Path, config: Config, *, env_files: Iterable[tuple[str, Iterable[str]]] = (),
             examples: Iterable[tuple[str, Iterable[str]]] = (),
             environ: Mapping[str, str] | None = None,
             settings: Mapping[str, str] | None = None) -> ProjectModel:
    """The project model of the app at `root` (already resolved). `env_files` are the
    loaded env files (relative name, keys) highest priority first; `examples` the example
    files in use (relative name, keys), the primary first; `settings` the app's env values,
    of which discovery reads only dbmate's settings (detectors.DBMATE_ENV) and the scheme
    of the database URL; none is kept in the model."""
    environ = dict(os.environ) if environ is None else environ
    model = ProjectModel(root=root)
    loaded = [(name, list(keys)) for name, keys in env_files]
    model.env_files = [EnvFileFact(name, len(keys)) for name, keys in loaded]
    in_use = [(name, list(keys)) for name, keys in examples]
    model.example_file = in_use[0][0] if in_use else None
    model.example_files = [name for name, _keys in in_use]
    if config.env_file:
        model.env_file, model.env_file_why = config.env_file, "deploy-check.toml: [project] env_file"
    elif (tools := tools_env_file(root) or documented_env_file(root) or config_env_file(root)) is not None:
        model.env_file, model.env_file_why = tools

    package = package_json(root)
    deps = dependencies(package)
    model.package_manager, model.workspace_root, manager_why = package_manager(root)
    workspace = (root / model.workspace_root).resolve() if model.workspace_root not in (None, ".") else None
    # A monorepo app keeps its database in a workspace package it depends on (packages/db).
    homes = [root, *workspace_packages(root, workspace, package)]
    drizzle = next((found for home in homes if (found := drizzle_config(home, root)) is not None), None)
    # Keys the app's own files name, with the file that names them (example last).
    file_keys = [(name, key) for name, keys in loaded for key in keys]
    file_keys += [(name, key) for name, keys in in_use for key in keys]
    tool = tool_env(root, homes, model.package_manager)
    # What the schema's tool loads itself (packages/database/.env) also says which variable of
    # a fallback chain is set; the values are read for that and not kept.
    readable = {**_set_in(root, tool.files), **(settings or {})}
    model.database_var, model.database_var_why = database_var(
        root, config, package, drizzle, file_keys, environ, homes, readable)
    discovered, discovered_why = model.database_var, model.database_var_why
    if config.database_url_var:
        # Pinned (`detect --write-config` pins what it found): the app's other variable,
        # which its runtime client reads, is still checked when the pin is the variable
        # discovery finds; a pin to another variable is the user's one choice.
        discovered, discovered_why = database_var(root, dataclasses.replace(config, database_url_var=None), package,
                                                  drizzle, file_keys, environ, homes, readable)
    supabase_config = config_file(root, homes, workspace)
    model.supabase_config = relative(root, supabase_config) if supabase_config is not None else None
    if not config.database_url_var and not configured_database(root, package, drizzle, homes):
        _supabase(model, root, homes, workspace, file_keys, environ)
        discovered, discovered_why = model.database_var, model.database_var_why
    if model.database_var is None and not config.database_url_var and \
            (built := url_builder(root, drizzle, homes)) is not None:
        model.database_url_caller, model.database_url_builder = built.caller, built.builder
        model.database_url_reads, model.database_url_defaulted = list(built.reads), list(built.defaulted)
    model.runtime_driver = runtime_driver(root, homes)
    model.runtime_tls, model.runtime_tables = runtime_tls(root, homes), runtime_tables(root, homes)
    if discovered == model.database_var:
        model.second_database_var, model.second_database_var_why = second_database_var(
            root, homes, discovered, discovered_why, package)
    model.database_env_files, model.database_env_write, model.database_env_why = tool.files, tool.write_to, tool.why
    model.database_kind, model.database_kind_why = database_kind(
        root, homes, package, drizzle, model.database_var, settings or {})
    if (declared := env_schema(root, homes)) is not None:
        model.env_schema_files = declared.files
        model.env_schema_optional, model.env_schema_required = declared.optional, declared.required
        model.env_schema_shapes, model.env_schema_loose = declared.shapes, declared.loose
    # The Supabase project the app's CLI runs in keeps its migrations beside its config.toml.
    project_home = supabase_config.parent.parent if supabase_config is not None else None
    schema_homes = [*homes, project_home] if project_home is not None and project_home not in homes else homes
    model.schema, model.schema_why = schema_source(root, config, drizzle, package, workspace, settings or {},
                                                   schema_homes)
    keys: dict[str, str] = {}
    for name, key in file_keys:
        keys.setdefault(key, name)
    for key in environ:
        keys.setdefault(key, "the process environment")
    model.auth_provider, model.auth_why = auth_provider(root, config, homes, package, keys)
    methods = login_methods(root, model.auth_provider, homes[1:])
    model.login_methods, model.login_where, model.login_why = list(methods.methods), methods.where, methods.why
    model.login_credentials = list(methods.client_credentials)
    model.login_guarded, model.login_guard = list(methods.guarded), methods.guard
    if methods.secret is not None:
        model.auth_secret_names = list(methods.secret.names)
        model.auth_secret_stops = list(methods.secret.stops_when_empty)
        model.auth_secret_direct = list(methods.secret.direct)
        model.auth_secret_literal = list(methods.secret.literal) if methods.secret.literal else None
    model.sentry_required, model.sentry_why = _sentry(root, config, deps, file_keys)
    model.dev_command, model.dev_why = _dev_command(config, package, model.package_manager)
    if model.dev_command and not config.dev_command:
        model.dev_why += f" with {model.package_manager or 'npm'} ({manager_why})"

    signs = [name for name, present in (
        ("package.json", package is not None),
        ("an env example", bool(in_use)),
        ("env files", bool(loaded)),
        ("a schema source", model.schema is not None),
        ("deploy-check.toml", config.path is not None),
    ) if present]
    model.looks_like_app = bool(signs)
    model.looks_like_app_why = (f"found {', '.join(signs)}" if signs else
                                "no package.json, env file or example, schema or migrations, "
                                "or deploy-check.toml: this folder does not look like an app")
    if "next" not in deps and (apps := workspace_apps(root)):
        # A monorepo's root (turbo, pnpm, npm workspaces) is not the app its members are.
        model.looks_like_app, model.workspace_apps = False, apps
        model.looks_like_app_why = (f"a workspace root, not an app: its Next.js "
                                    f"app{'s are' if len(apps) > 1 else ' is'} {', '.join(apps)}; "
                                    f"check one with --project {apps[0]}")
    return model
