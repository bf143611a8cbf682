"""`check --fix`: run the provisioner each fixable failing check names, once each,
in the order provisioners depend on each other (env, database, schema)."""

from __future__ import annotations

from collections.abc import Callable

from checks.context import Context
from checks.model import Report
from checks.signals import run_until_signalled
from provision import PROVISIONERS, Options, ProvisionFailed, fix_target, provisioner


def fixers_for(report: Report) -> list[str]:
    wanted = {name for r in report.blocking if (name := fix_target(r.fix))}
    return [name for name in PROVISIONERS if name in wanted]


def run_fixes(report: Report, make_context: Callable[[], Context]) -> list[str]:
    """Each provisioner gets a fresh context: the one before it may have changed
    .env.local (env writes keys, local-db writes DATABASE_URL that schema reads)."""
    lines: list[str] = []
    for name in fixers_for(report):
        ctx = make_context()
        lines.append(f"deploy-check --fix: running `deploy-check provision {name}`")
        try:
            done = run_until_signalled(provisioner(name)(ctx, Options()))
        except ProvisionFailed as exc:
            lines.append(f"  failed: {ctx.mask(str(exc))}")
            continue
        lines.extend(f"  {ctx.mask(line)}" for line in done.lines or ["nothing to do"])
    return lines
