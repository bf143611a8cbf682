"""Actions that change the target; each closes the gaps of the check family it is
named after and is named by those checks' `fix`. Idempotent; reports what it did."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from checks.core.context import Context

# name (as in `deploy-check provision NAME`) -> module with `async def provision(ctx, options)`.
# Order is the order `check --fix` runs them in: env first, a database before its schema.
PROVISIONERS: dict[str, str] = {
    "env": "provision.env",
    "local-db": "provision.database",
    "schema": "provision.schema",
}


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    allow_destructive: bool = False
    interactive: bool = False
    port: int | None = None  # local-db: the port of a first start (default: a free one)
    platform: str | None = None  # local-db, schema: stand-ins for supabase / neon-auth (provision/platforms.py)
    stand_ins: str = ""  # schema --dry-run --platform: their SQL, run first in the rolled-back transaction


@dataclass
class Provisioned:
    name: str
    changed: bool
    lines: list[str] = field(default_factory=list)  # what changed, or would change
    # A dry run that met what a real run refuses: it exits 1 as the real run would, so a CI
    # job gating on `--dry-run` sees it.
    would_refuse: bool = False


class ProvisionFailed(Exception):
    """The provisioner ran and could not do its job (exit 1, message shown masked)."""


Provisioner = Callable[[Context, Options], Coroutine[Any, Any, Provisioned]]


def provisioner(name: str) -> Provisioner:
    module = importlib.import_module(PROVISIONERS[name])
    function: Provisioner = module.provision
    if name == "schema":
        # --platform: the platform's stand-ins go into the local database before the schema.
        function = importlib.import_module("provision.database").schema_with_stand_ins
    return function


def fix_options(fix: str | None) -> Options:
    """The options a check's `fix` passes its provisioner (`--platform neon-auth`)."""
    words = (fix or "").split()
    if "--platform" in words[:-1]:
        return Options(platform=words[words.index("--platform") + 1])
    return Options()


def fix_target(fix: str | None) -> str | None:
    """The provisioner a check's `fix` names, if it names one."""
    prefix = "deploy-check provision "
    if fix and fix.startswith(prefix):
        name = fix.removeprefix(prefix).split()[0]
        return name if name in PROVISIONERS else None
    return None
