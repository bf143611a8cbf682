"""What DEV004 and DEV005 both start from: the signed-in flow as the app's run left it, or
why it is not there (no dev server, no answer, no session) as the skip that says so."""

from __future__ import annotations

from typing import Any

from checks.core.context import Context
from checks.core.model import Outcome, skipped
from checks.runtime.facts import DevFacts
from checks.runtime.session import dev_facts


async def walked_flow(ctx: Context) -> tuple[DevFacts, Any] | Outcome:
    """(the run's facts, its FlowFacts), or the skip a flow-judging check returns."""
    facts = await dev_facts(ctx)
    if facts.skip_reason:
        return skipped(facts.skip_reason)
    if not facts.ready or facts.flow is None:
        return skipped("not run: the dev server did not answer (see DEV001)", blocked_by="DEV001")
    if facts.flow.not_run:
        return skipped(facts.flow.not_run, blocked_by="AUTH003")
    return facts, facts.flow
