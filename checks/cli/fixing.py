"""`check --fix`: run the provisioner each fixable failing check names, once each,
in the order provisioners depend on each other (env, database, schema); then check
again and repeat while a round changed something (a check skipped in the first pass —
DB004 behind a missing database — can only ask for its fixer in a later one)."""

from __future__ import annotations

from collections.abc import Callable

from checks.core.context import Context
from checks.core.model import Report
from checks.support.signals import run_until_signalled
from provision import PROVISIONERS, Options, ProvisionFailed, fix_options, fix_target, provisioner


def fixers_for(report: Report) -> list[str]:
    wanted = {name for r in report.blocking if (name := fix_target(r.fix))}
    return [name for name in PROVISIONERS if name in wanted]


MAX_ROUNDS = 3  # env → local-db → schema is the longest chain of fixers we have


def run_fixes(report: Report, make_context: Callable[[], Context]) -> tuple[list[str], bool]:
    """Each provisioner gets a fresh context: the one before it may have changed
    .env.local (env writes keys, local-db writes DATABASE_URL that schema reads).
    Returns what was said and whether anything changed."""
    lines: list[str] = []
    changed = False
    for name in fixers_for(report):
        ctx = make_context()
        if not ctx.model.looks_like_app:
            # The same refusal as `deploy-check provision` without --force: never start a
            # database or write .env.local in a folder that is not an app.
            lines.append(f"deploy-check --fix: not running `deploy-check provision {name}`: "
                         f"{ctx.model.looks_like_app_why}")
            continue
        # The options the failing checks' own fix names (`provision schema --platform neon-auth`).
        options = next((fix_options(r.fix) for r in report.blocking if fix_target(r.fix) == name
                        and fix_options(r.fix) != Options()), Options())
        command = f"deploy-check provision {name}" + (f" --platform {options.platform}" if options.platform else "")
        lines.append(f"deploy-check --fix: running `{command}`")
        try:
            done = run_until_signalled(provisioner(name)(ctx, options))
        except ProvisionFailed as exc:
            lines.append(f"  failed: {ctx.mask(str(exc))}")
            continue
        changed = changed or done.changed
        lines.extend(f"  {ctx.mask(line)}" for line in done.lines or ["nothing to do"])
    return lines, changed
