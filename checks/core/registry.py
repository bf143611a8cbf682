"""The catalogue of checks. Family modules register their checks on import; they
must stay light to import (no psycopg/httpx at module level)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from checks.core.context import Context
from checks.core.model import Outcome, Spec
from checks.support.errors import DeployCheckError

# Order here is the order of `list` and of every report.
FAMILIES: dict[str, str] = {
    "env": "checks.env",
    "database": "checks.database",
    "schema": "checks.schema",
    "auth": "checks.auth",
    "sentry": "checks.sentry",
    "devserver": "checks.devserver",
    "code": "checks.code",
}

CheckFunction = Callable[[Context], Outcome | Awaitable[Outcome]]


@dataclass(frozen=True)
class Check:
    spec: Spec
    function: CheckFunction
    needs: tuple[str, ...] = ()
    # How long the runner lets the check run; None: the run's --timeout.
    budget: Callable[[Context], float] | None = None
    # A plain function that waits on a subprocess or a file: the event loop runs it in a
    # thread, so that it does not stall the other checks (a run of plain checks alone needs
    # no loop; core/runner.py run_without_loop).
    blocking: bool = False
    # It reads only this machine's files (the code family): running out of its budget is
    # deploy-check's own slowness, so the clause is unverified, never failed.
    local: bool = False


_CHECKS: dict[str, Check] = {}


def check(
    spec: Spec, *, needs: Iterable[str] = (), budget: Callable[[Context], float] | None = None,
    blocking: bool = False, local: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        if spec.id in _CHECKS and _CHECKS[spec.id].function is not function:
            raise RuntimeError(f"check id {spec.id} registered twice")
        _CHECKS[spec.id] = Check(spec, function, tuple(needs), budget, blocking, local)
        return function

    return register


# Which family an id belongs to, without importing it (an env-only run imports the env
# family alone). DB004 and up are the schema family's.
def family_of(check_id: str) -> str | None:
    prefix, number = _numeric_id(check_id.upper())
    return {"ENV": "env", "AUTH": "auth", "SENTRY": "sentry", "DEV": "devserver",
            "CODE": "code"}.get(prefix) or (
        ("database" if number <= 3 else "schema") if prefix == "DB" else None)


def _load(families: Iterable[str]) -> None:
    for family in families:
        module = FAMILIES[family]
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real import error inside the family
                raise


def registered() -> list[Check]:
    """The checks of the families imported so far, in catalogue order."""
    order = list(FAMILIES)
    return sorted(
        _CHECKS.values(), key=lambda c: (order.index(c.spec.family), _numeric_id(c.spec.id))
    )


def all_checks() -> list[Check]:
    _load(FAMILIES)
    return registered()


def _numeric_id(check_id: str) -> tuple[str, int]:
    prefix = check_id.rstrip("0123456789")
    digits = check_id[len(prefix) :]
    return prefix, int(digits) if digits.isdigit() else 0


def get(check_id: str) -> Check:
    for candidate in all_checks():
        if candidate.spec.id == check_id.upper():
            return candidate
    raise DeployCheckError(f"unknown check id {check_id!r} (see `deploy-check list`)")


def _tokens(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def select(only: str | None = None, skip: str | None = None) -> list[Check]:
    """Checks chosen by `--only`/`--skip`, each a comma list of ids or family names."""
    wanted = {t.lower() if t.lower() in FAMILIES else family_of(t) for t in _tokens(only)}
    if only is not None and wanted and None not in wanted:
        _load(f for f in FAMILIES if f in wanted)  # only what was asked for is imported
        catalogue = registered()
    else:
        catalogue = all_checks()
    ids = {c.spec.id for c in catalogue}

    def resolve(token: str, flag: str) -> set[str]:
        if token.lower() in FAMILIES:
            return {c.spec.id for c in catalogue if c.spec.family == token.lower()}
        if token.upper() in ids:
            return {token.upper()}
        raise DeployCheckError(
            f"{flag}: unknown check id or family {token!r} "
            f"(families: {', '.join(FAMILIES)}; ids: see `deploy-check list`)"
        )

    chosen = ids
    if only is not None:
        chosen = set().union(*(resolve(t, "--only") for t in _tokens(only))) if _tokens(only) else set()
    for token in _tokens(skip):
        chosen = chosen - resolve(token, "--skip")
    if not chosen:
        # An empty `--only "$CHECKS"` in CI must not pass the gate by checking nothing.
        raise DeployCheckError("--only/--skip select no check at all; nothing would be verified")
    return [c for c in catalogue if c.spec.id in chosen]
