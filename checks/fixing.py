"""`check --fix`: run the provisioner each fixable failing check names, once each,
in the order provisioners depend on each other (env, database, schema)."""

from __future__ import annotations

import asyncio

from checks.context import Context
from checks.model import Report
from provision import PROVISIONERS, Options, ProvisionFailed, fix_target, provisioner


def fixers_for(report: Report) -> list[str]:
    wanted = {name for r in report.blocking if (name := fix_target(r.fix))}
    return [name for name in PROVISIONERS if name in wanted]


def run_fixes(report: Report, ctx: Context) -> list[str]:
    lines: list[str] = []
    for name in fixers_for(report):
        lines.append(f"deploy-check --fix: running `deploy-check provision {name}`")
        try:
            done = asyncio.run(provisioner(name)(ctx, Options()))
        except ProvisionFailed as exc:
            lines.append(f"  failed: {ctx.mask(str(exc))}")
            continue
        lines.extend(f"  {ctx.mask(line)}" for line in done.lines or ["nothing to do"])
    return lines
