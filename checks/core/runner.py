"""Runs the selected checks concurrently: dependencies first, a time budget per
check, waivers applied, secrets masked before anything leaves the core."""

from __future__ import annotations

import datetime as dt
import fnmatch
import inspect
import os
import shlex
import shutil
import sys
import time
from collections.abc import Awaitable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks import __version__
from checks.core.context import Context
from checks.core.evidence import input_digests, run_commit
from checks.core.model import (
    USABLE,
    CheckResult,
    Outcome,
    Report,
    Status,
    failed,
    printable,
    skipped,
    unverified,
)
from checks.core.registry import FAMILIES, Check, registered
from checks.project.config import Waiver
from checks.support.errors import DeployCheckError, RefusedInput
from checks.support.shellsteps import split_steps
from checks.support.workers import abandon_workers

if TYPE_CHECKING:
    import asyncio

BUDGET_MARGIN = 5.0
CRASH_HINT = "This is a bug in deploy-check, not in your project: please report it with this message."


def _matching_waivers(check_id: str, waivers: Iterable[Waiver]) -> list[Waiver]:
    return [w for w in waivers if fnmatch.fnmatchcase(check_id, w.check)]


def apply_waivers(check_id: str, outcome: Outcome, ctx: Context) -> Outcome:
    # A warning is waivable too: under --fail-level warn it would block like a failure.
    if outcome.status not in (Status.FAIL, Status.WARN):
        return outcome
    matching = _matching_waivers(check_id, ctx.config.waivers)
    active = [w for w in matching if not w.expired(ctx.today)]
    if active:
        waiver = active[0]
        until = f", until {waiver.expires}" if waiver.expires else ""
        would = "fail" if outcome.status is Status.FAIL else "warn"
        return Outcome(
            Status.WAIVED,
            f'waived by {waiver.source}{until}: "{waiver.reason}" — would {would}: {outcome.message}',
            {**outcome.details, "waiver": {"source": waiver.source, "reason": waiver.reason}},
            hint=outcome.hint,
            fix=outcome.fix,
        )
    if matching:
        expired = matching[0]
        outcome.message += f" (waiver expired on {expired.expires}: {expired.reason!r})"
        outcome.details["expired_waiver"] = {"reason": expired.reason, "expires": str(expired.expires)}
    return outcome


async def _call(check: Check, ctx: Context, took: list[float]) -> Outcome:
    """Run the check, timing its own execution: measured from when it really starts, a
    check's time no longer includes the other checks' synchronous work before it."""
    import asyncio  # start-up: a run of plain checks (env-only) has no event loop at all

    began = time.perf_counter()
    try:
        result = await asyncio.to_thread(check.function, ctx) if check.blocking else check.function(ctx)
        if inspect.isawaitable(result):
            return await result
        return result
    finally:
        took.append(time.perf_counter() - began)


def checkout_command() -> str:
    """This checkout's `python -P -m checks`, as it works pasted in any folder. `-P` (Python
    3.11+): the folder it is pasted in is not put on sys.path, so a project's own `checks/`
    or `typer.py` is never imported in place of ours. The checkout is then found through
    PYTHONPATH: this shell's, when it names the checkout and only absolute paths (a relative
    entry such as `.` would bring the pasted-in folder back), else the one the command sets."""
    library = Path(__file__).resolve().parent.parent.parent  # checks/core/runner.py → the checkout
    python = f"{shlex.quote(sys.executable)} -P -m checks"
    entries = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    if any(os.path.isabs(entry) and Path(entry).resolve() == library for entry in entries) \
            and all(os.path.isabs(entry) for entry in entries):
        return python
    return f"PYTHONPATH={shlex.quote(str(library))} {python}"


def pasteable(fix: str | None, project: Path) -> str | None:
    """The fix as the user can paste it into the shell they are in: deploy-check's own
    with the binary they have and `--project`; another tool's (`git rm --cached …`,
    `npm ci`) run in the project, joined with && so that a failed step stops the rest."""
    if not fix:
        return fix
    here = Path.cwd().resolve() == project
    if not fix.startswith("deploy-check "):
        return fix if here else f"cd {shlex.quote(str(project))} && " + " && ".join(split_steps(fix))
    on_path = shutil.which("deploy-check")
    if on_path:
        binary = "deploy-check"
    elif Path(sys.argv[0]).name == "deploy-check":
        binary = shlex.quote(str(Path(sys.argv[0]).resolve()))
    else:
        binary = checkout_command()
    return f"{binary} {fix.removeprefix('deploy-check ')}" + (
        "" if here else f" --project {shlex.quote(str(project))}")


def _result(check: Check, outcome: Outcome, started: float, ctx: Context,
            took: float | None = None) -> CheckResult:
    spec = check.spec
    fix = outcome.fix if outcome.fix is not None else spec.fix
    return CheckResult(
        id=spec.id,
        family=spec.family,
        title=spec.title,
        status=outcome.status,
        message=printable(ctx.mask(outcome.message)),
        hint=printable(ctx.mask(outcome.hint or spec.hint)),
        fix=fix,
        duration_ms=round((took if took is not None else time.perf_counter() - started) * 1000),
        details=_printable(ctx.masker.deep(outcome.details)),
        fix_command=pasteable(fix, ctx.project),
    )


def _blocked(check: Check, before: CheckResult, dependency: str) -> Outcome | None:
    """A skip when the check's dependency `before` did not leave anything to build on."""
    if before.status in USABLE:
        return None
    # Name the root cause once, not a chain of "not run: X is skip (not run: …)".
    root = before.details.get("root_cause") or {
        "id": before.id, "status": before.status.value, "message": before.message}
    said = "failed" if root["status"] == Status.FAIL.value else f"is {root['status']}"
    return skipped(f"not run: {root['id']} {said} ({root['message']})",
                   blocked_by=dependency, root_cause=root)


def _broken(exc: Exception) -> Outcome:
    """What a check that raised instead of judging reports."""
    if isinstance(exc, RefusedInput):
        raise exc  # an input the run must not judge: exit 2 (the CLI), not a verdict
    if isinstance(exc, DeployCheckError):
        return failed(str(exc), hint="Fix deploy-check.toml or the flags.", configuration_error=True)
    return failed(
        f"the check itself broke: {type(exc).__name__}: {exc}",
        hint=CRASH_HINT,
        crashed=True,
        error_type=type(exc).__name__,
    )


async def _run_one(check: Check, ctx: Context, tasks: dict[str, asyncio.Task[CheckResult]]) -> CheckResult:
    import asyncio  # start-up: a run of plain checks (env-only) has no event loop at all

    started = time.perf_counter()
    for dependency in check.needs:
        task = tasks.get(dependency)
        if task is None:
            continue  # not selected: the check gathers what it needs itself
        blocked = _blocked(check, await task, dependency)
        if blocked is not None:
            return _result(check, blocked, started, ctx)
    started = time.perf_counter()  # a check's own time, not its wait for dependencies
    ctx.progress.started(check.spec.id, check.spec.title)
    # A little above --timeout by default, so a check's own bounded call reports first
    # (with its specific message) and the budget only catches a check that hangs.
    budget = check.budget(ctx) if check.budget else ctx.timeout + BUDGET_MARGIN
    took: list[float] = []
    try:
        outcome = await asyncio.wait_for(_call(check, ctx, took), timeout=budget)
    except TimeoutError:
        abandon_workers()  # its thread, if it has one, runs on: the run's end does not wait for it
        if check.local:  # our own slowness over the app's files: nothing is proven either way
            outcome = unverified(f"{check.spec.family}: {check.spec.id} did not finish within {budget:g} s",
                                 "reading this app's files took longer; they are cached as they are read, so "
                                 "the next run gets further", timed_out=True)
        else:
            outcome = failed(
                f"did not finish within {budget:g} s",
                hint="Raise --timeout if the service is known to be slow.",
                timed_out=True,
            )
    except Exception as exc:
        outcome = _broken(exc)
    outcome = apply_waivers(check.spec.id, outcome, ctx)
    result = _result(check, outcome, started, ctx, took[0] if took else None)
    ctx.progress.finished(check.spec.id, result.status.value)
    return result


def runs_without_loop(checks: list[Check]) -> bool:
    """Whether every check is a plain function (the env family's are): such a run needs no
    event loop, and an env-only run so starts without importing asyncio."""
    return all(not inspect.iscoroutinefunction(check.function) for check in checks)


def _run_one_now(check: Check, ctx: Context, done: dict[str, CheckResult], chosen: dict[str, Check]) -> CheckResult:
    """`_run_one` for a plain function, called in place, its dependencies first."""
    if check.spec.id in done:
        return done[check.spec.id]
    started = time.perf_counter()
    for dependency in check.needs:
        if dependency not in chosen:
            continue  # not selected: the check gathers what it needs itself
        blocked = _blocked(check, _run_one_now(chosen[dependency], ctx, done, chosen), dependency)
        if blocked is not None:
            done[check.spec.id] = _result(check, blocked, started, ctx)
            return done[check.spec.id]
    started = time.perf_counter()
    ctx.progress.started(check.spec.id, check.spec.title)
    try:
        result = check.function(ctx)
        if inspect.isawaitable(result):  # a plain function that returned a coroutine after all
            # start-up: only such a check pays for an event loop
            from checks.support.signals import run_until_signalled

            result = run_until_signalled(_awaited(result))
        outcome = result
    except Exception as exc:
        outcome = _broken(exc)
    outcome = apply_waivers(check.spec.id, outcome, ctx)
    done[check.spec.id] = _result(check, outcome, started, ctx)
    ctx.progress.finished(check.spec.id, done[check.spec.id].status.value)
    return done[check.spec.id]


async def _awaited(result: Awaitable[Outcome]) -> Outcome:
    return await result


def run_without_loop(checks: list[Check], ctx: Context, fail_level: Status = Status.FAIL, *,
                     strict: bool = False) -> Report:
    """`run` for checks that are all plain functions (runs_without_loop): one after another,
    with no event loop. A budget could not stop a plain function inside the loop either."""
    started_at = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    ctx.selected = frozenset(check.spec.id for check in checks)
    chosen = {check.spec.id: check for check in checks}
    done: dict[str, CheckResult] = {}
    results = [_run_one_now(check, ctx, done, chosen) for check in checks]
    if not ctx.closed:
        from checks.support.signals import (
            run_until_signalled,  # start-up: only a run that opened a client
        )

        run_until_signalled(ctx.aclose())
    return build_report(ctx, results, started_at, time.perf_counter() - clock, fail_level, strict=strict)


async def run_checks(checks: list[Check], ctx: Context) -> list[CheckResult]:
    import asyncio  # start-up: a run of plain checks (env-only) has no event loop at all

    tasks: dict[str, asyncio.Task[CheckResult]] = {}
    ctx.selected = frozenset(check.spec.id for check in checks)
    for check in checks:
        tasks[check.spec.id] = asyncio.ensure_future(_run_one(check, ctx, tasks))
    try:
        return list(await asyncio.gather(*tasks.values()))
    finally:
        for task in tasks.values():
            task.cancel()
            if task.done() and not task.cancelled():
                task.exception()  # a second refusal is the first one's echo: retrieved, not logged
        await ctx.aclose()


# Gate clauses (DESIGN.md "Signed-in flow") that only these checks prove: when they did
# not pass, the clause is unverified, whatever else passed.
PROOF_OF_CLAUSE = {
    "AUTH003": "auth: OTP login is not proven locally",
    "DEV004": "devserver: the signed-in core flow was not walked end to end",
}


def unverified_clauses(ctx: Context, results: list[CheckResult]) -> list[str]:
    """What the gate could not check at all: the skips that said so, families this run
    left out, and the proofs that did not pass."""

    clauses: list[str] = []
    if not ctx.model.looks_like_app:
        clauses.append(f"project: {ctx.model.looks_like_app_why}")
    for done in results:
        # A pass may leave a clause of its own open (AUTH003: signed in, delivery not proven).
        said = done.details.get("unverified") if done.status in (Status.SKIP, Status.PASS) else None
        if isinstance(said, str) and said not in clauses:
            clauses.append(said)
    ids = {r.id for r in results}
    for done in results:
        # Blocked by a check this run left out (`--only DB003` without DB002): what it could
        # not judge, nobody judged.
        blocker = done.details.get("blocked_by") if done.status is Status.SKIP else None
        left_open = f"{done.family}: {done.message}"
        if isinstance(blocker, str) and blocker not in ids and left_open not in clauses:
            clauses.append(left_open)
    ran = {r.family for r in results}
    catalogue = registered()  # the families this run imported (all of them unless --only)
    for family in FAMILIES:
        if family not in ran:
            clauses.append(f"{family}: not run (--only/--skip)")
    by_id = {r.id: r for r in results}
    for check_id, clause in PROOF_OF_CLAUSE.items():
        family = clause.split(":", 1)[0]
        if f"{family}: not run (--only/--skip)" in clauses:
            continue
        result = by_id.get(check_id)
        if family == "auth" and ctx.model.auth_provider in (None, "none"):
            continue  # no provider: AUTH001 already said so (or the app has no auth)
        if result is None:
            built = check_id in {c.spec.id for c in catalogue}
            clauses.append(f"{clause} ({check_id} {'not run' if built else 'is not built yet'})")
        elif (result.status not in (Status.PASS, Status.FAIL, Status.WAIVED)
              and not result.details.get("blocked_by") and not result.details.get("unverified")
              and not any(result.message in listed for listed in clauses)):  # said once
            # A skip that named its own clause is listed once, by its own words.
            clauses.append(f"{clause} ({check_id}: {result.message})")
    return [printable(ctx.mask(clause)) for clause in clauses]


def broad_waivers(ctx: Context, results: list[CheckResult]) -> list[str]:
    """A waiver that covers more than one check (a glob, a whole family) is named next to
    the verdict, so `check = "*"` can never turn a project READY silently."""
    said: list[str] = []
    for waiver in ctx.config.waivers:
        covered = [r.id for r in results if r.status is Status.WAIVED
                   and r.details.get("waiver", {}).get("reason") == waiver.reason
                   and fnmatch.fnmatchcase(r.id, waiver.check)]
        if len(covered) > 1 or (covered and any(ch in waiver.check for ch in "*?[")):
            said.append(f"{len(covered)} check{'s' if len(covered) != 1 else ''} waived by "
                        f"`{waiver.check}` ({', '.join(covered)})")
    return [printable(ctx.mask(line)) for line in said]


def _printable(value: Any) -> Any:
    """printable() on every string of a nested structure (the project model)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def build_report(ctx: Context, results: list[CheckResult], started_at: dt.datetime, elapsed: float,
                 fail_level: Status, *, strict: bool = False) -> Report:
    notes = [
        f"waiver for {w.check} expired on {w.expires}: {w.reason}"
        for w in ctx.config.waivers
        if w.expired(ctx.today)
    ]
    expired = ctx.expired_monitoring_deferral
    if expired is not None and (ctx.model.sentry_required or ctx.config.sentry_required):
        notes.append(f"the Decisions Log deferral of monitoring expired on {expired.until} "
                     f"({ctx.rel(ctx.state_path)} line {expired.line}): it no longer waives Sentry")
    broad = broad_waivers(ctx, results)
    return Report(
        tool=f"deploy-check {__version__}",
        project=str(ctx.project),
        started_at=started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration_ms=round(elapsed * 1000),
        fail_level=fail_level,
        checks=results,
        git_commit=run_commit(ctx),
        inputs=input_digests(ctx),
        notes=[ctx.mask(note) for note in notes],
        unverified=unverified_clauses(ctx, results),
        broad_waivers=broad,
        strict=strict,
        model=_printable(ctx.masker.deep(ctx.model.to_dict())),
    )


async def run(checks: list[Check], ctx: Context, fail_level: Status = Status.FAIL, *,
              strict: bool = False) -> Report:
    started_at = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    results = await run_checks(checks, ctx)
    return build_report(ctx, results, started_at, time.perf_counter() - clock, fail_level,
                        strict=strict)
