"""DEV005: a second signed-in user cannot read or change the first user's records, judged
from the replay checks/runtime/ownership.py collects after DEV004's flow."""

from __future__ import annotations

from typing import Any

from checks.core.context import Context
from checks.core.model import Outcome, Spec, failed, passed, plural, skipped, unverified
from checks.core.registry import check
from checks.devserver.walked import walked_flow
from checks.runtime.handlers import route_handlers
from checks.runtime.ownership import discovered_routes, probed_routes
from checks.runtime.session import dev_budget

DEV005 = Spec(
    "DEV005", "devserver", "Another user cannot read or change this user's records",
    "After the signed-in flow (DEV004), signs a second throwaway user in the way AUTH003 signed "
    "the first (deploy-check+<run>-b@…test) and replays, with the first user's values, each flow "
    "route marked owned = true or foreign = [body keys], each signed_in GET whose path uses a "
    "captured value (unless owned = false), and each app/api/**/[param]/route.ts exporting GET "
    "right under a route that created a record (GET only, with that record's captured id). Reads "
    "must answer 401/403/404 or a 2xx without the first user's data ({run} text, email, captured "
    "values); writes must be refused, and the route's sql read-back (else the first user's GET) must not move. DELETEs run last. The same "
    "routes without any session are DEV004's. Both users' sessions end afterwards.",
    "Scope every query by the signed-in user (WHERE id = $1 AND owner = $2), look a foreign id "
    "in a body up under the user too, and answer 404 (or 403) when it is not theirs.",
)


def _route(probe: Any) -> str:
    if probe.found_in:
        return f"{probe.route} (found in {probe.found_in})"
    return f"{probe.route} (step {probe.step})"


@check(DEV005, budget=dev_budget)
async def second_user_refused(ctx: Context) -> Outcome:
    signed_in = [route for route in ctx.config.routes if route.signed_in]
    if not signed_in:
        return unverified("devserver: a second user's refusal is not proven: describe the signed-in flow "
                          "(routes with signed_in = true) and mark the user's records owned = true")
    if not probed_routes(signed_in) and not discovered_routes(signed_in, route_handlers(ctx.project)):
        return unverified("devserver: a second user's refusal is not proven: no flow route reads or changes a "
                          "record by a captured id; mark those routes owned = true or foreign = [\"noteId\"]")
    walked = await walked_flow(ctx)
    if isinstance(walked, Outcome):
        return walked
    facts, flow = walked
    if flow.broken is not None:
        return skipped(f"not run: the signed-in flow broke at step {flow.broken.number} (see DEV004)",
                       blocked_by="DEV004")
    ownership = facts.ownership
    if ownership is None:
        return skipped("not run: the signed-in flow did not leave a session to compare with (see AUTH003)",
                       blocked_by="AUTH003")
    if ownership.not_run:
        return unverified(f"devserver: {ownership.not_run}")
    details: dict[str, Any] = {
        "second_user": ownership.email, "signed_out": ownership.signed_out, "deleted": ownership.deleted,
        "elapsed_s": ownership.elapsed_s,
        "probes": [{"step": p.step, "route": p.route, "as": "second user", "status": p.status,
                    "problem": p.problem, "note": p.note, "shows": p.shows, "found_in": p.found_in}
                   for p in ownership.probes]}
    if ownership.unverified:
        return unverified(f"devserver: {ownership.unverified}", **details)
    probed = {p.route for p in ownership.probes}
    anonymous = [u for u in flow.unprotected if u.split(" →")[0] in probed]
    problems = [f"{_route(p)} as the second user: {p.problem}" for p in ownership.probes if p.problem]
    problems += [f"{u} without any session" for u in anonymous]
    if problems:
        return failed(f"{plural(len(problems), 'record route')} let another user in: {'; '.join(problems)}",
                      **details)
    notes = [f"{p.route}: {p.note}" for p in ownership.probes if p.note]
    said = f" (notes: {'; '.join(notes)})" if notes else ""
    return passed(f"{plural(len(ownership.probes), 'route')} refused a second user "
                  f"({ownership.email}) the first user's records: "
                  f"{', '.join(f'{p.route} {p.status}' for p in ownership.probes)}{said}", **details)
