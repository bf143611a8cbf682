"""A check that reads only this machine's files and runs out of its budget is unverified,
not failed: lobe-chat's first run (8,400 files, 12 s of parsing) failed CODE002-CODE006
"did not finish within 15 s", with a hint to raise --timeout for a slow service. The code
checks' budget is no longer --timeout's either."""

from __future__ import annotations

from pathlib import Path

from helpers import run_python, write_project

# A real check of the runner, registered in a child process so that the registry of the
# test process stays as it is: local (as the code family's), a budget it cannot meet.
PROGRAM = """
import asyncio, sys, time
from pathlib import Path
from checks.core.context import Context
from checks.core.model import Spec, passed
from checks.core.registry import check, registered
from checks.core.runner import run

SLOW = Spec("CODE099", "code", "A slow local read", "explain", "hint")

@check(SLOW, budget=lambda ctx: 0.3, local=True)
async def slow(ctx):
    await asyncio.sleep(5)
    return passed("read")

ctx = Context(project=Path(sys.argv[1]), environ={}, timeout=5)
report = asyncio.run(run([c for c in registered() if c.spec.id == "CODE099"], ctx))
result = report.checks[0]
print(result.status.value, "|", result.message, "|", report.unverified)
"""


def test_a_local_check_out_of_budget_is_unverified_not_failed(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"package.json": '{"name": "app"}\\n'})
    done = run_python(PROGRAM.replace("sys.argv[1]", repr(str(project))), timeout=60)
    assert done.returncode == 0, done.stderr
    status, message, unverified = done.stdout.strip().split(" | ")
    assert status == "skip", done.stdout
    assert message.startswith("code: CODE099 did not finish within 0.3 s; reading this app's files took longer")
    assert "code: CODE099 did not finish within 0.3 s" in unverified


def test_the_code_checks_budget_is_not_the_network_timeout(tmp_path: Path) -> None:
    from checks.code import CODE_BUDGET
    from checks.core.context import Context
    from checks.core.registry import registered

    ctx = Context(project=tmp_path, environ={}, timeout=10)
    code = [c for c in registered() if c.spec.family == "code"]
    assert code and all(c.local and c.budget is not None for c in code)
    assert {c.budget(ctx) for c in code if c.budget is not None} == {CODE_BUDGET}
