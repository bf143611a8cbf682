"""DEV006: the pages render in a real browser without errors, judged from the visits
checks/runtime/browser.py makes with AUTH003's session."""

from __future__ import annotations

from typing import Any

from checks.core.context import Context
from checks.core.model import Outcome, Spec, failed, passed, plural, skipped, unverified
from checks.core.registry import check
from checks.runtime.browser import BLOCKED_ERRORS, INSTALL, NETWORK_ERRORS
from checks.runtime.session import dev_budget, dev_facts

DEV006 = Spec(
    "DEV006", "devserver", "The pages render in a real browser without errors",
    "Opens the smoke routes and the signed_in page routes (not /api/) in a headless Chromium "
    "driven by Playwright (the extra deploy-check[browser]; Playwright's own Chromium, else "
    "[browser] executable, $CHROME_PATH or a system chromium), with AUTH003's session cookies. "
    "A page fails on an uncaught exception, a console error (hydration errors included), a "
    "same-origin request that fails or answers >= 500, and a 4xx on a same-origin script or "
    "style. The browser talks to the app's own origin only: every request to another origin "
    "(analytics, error reports, payments) is blocked, never sent, and named in details.blocked "
    "with its query masked, never judged; a page whose only errors read as such a block's (a failed "
    "fetch, the blocked URL named) is unverified, not failed. Each page has [browser] page_timeout "
    "(15 s); a failing page's screenshot is saved to .deploy-check/screens/.",
    "Open the page with the browser's console open; the errors quoted here are what a user sees. "
    f"Without a browser: {INSTALL}.",
)


@check(DEV006, budget=dev_budget)
async def pages_render(ctx: Context) -> Outcome:
    facts = await dev_facts(ctx)
    if facts.skip_reason:
        return skipped(facts.skip_reason)
    if not facts.ready:
        return skipped("not run: the dev server did not answer (see DEV001)", blocked_by="DEV001")
    browser = facts.browser
    if browser is None:
        return skipped("not run: the dev server's run ended before the browser (see DEV001)", blocked_by="DEV001")
    if browser.unavailable:
        return unverified(f"devserver: the pages were not rendered in a browser: {browser.unavailable}")
    pages: list[dict[str, Any]] = [
        {"path": p.path, "status": p.status, "problems": p.problems, "blocked": p.blocked,
         "screenshot": p.screenshot, "note": p.note, "elapsed_ms": p.elapsed_ms} for p in browser.pages]
    details: dict[str, Any] = {"executable": browser.executable, "launch_s": browser.launch_s,
                               "elapsed_s": browser.elapsed_s, "pages": pages}
    judged = [p for p in browser.pages if p.note is None]
    if not judged:
        return unverified("devserver: the pages were not rendered in a browser: no smoke or signed_in route "
                          "answered a page (HTML)", **details)
    # A page that only logged errors after deploy-check blocked its requests to another origin
    # (a local Supabase API on another port, Clerk's script) may be logging our block: the
    # app's own failures (its status, its own requests) are judged; those are not.
    # Only errors that read as the block's: any app with analytics or Sentry has a blocked
    # request on every page, and its own TypeError must still fail.
    doubtful = [p for p in judged if p.problems and p.blocked
                and all(_reads_as_block(text, p.blocked) for text in p.problems)]
    broken = [p for p in judged if p.problems and p not in doubtful]
    if broken:
        said = "; ".join(f"{p.path}: {' | '.join(p.problems[:3])}"
                         + (f" (screenshot {p.screenshot})" if p.screenshot else "") for p in broken)
        return failed(f"{plural(len(broken), 'page')} of {len(judged)} broke in the browser: {said}", **details)
    if doubtful:
        said = "; ".join(f"{p.path}: {' | '.join(p.problems[:3])} (blocked: {', '.join(p.blocked[:3])})"
                         for p in doubtful)
        return unverified(f"devserver: {plural(len(doubtful), 'page')} logged errors after deploy-check blocked "
                          f"their requests to other origins, so they are not judged: {said}", **details)
    outside = sorted({b for p in browser.pages for b in p.blocked})
    more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
    listed = f"; requests to other origins blocked, not judged: {', '.join(outside[:5])}{more}" if outside else ""
    return passed(f"{plural(len(judged), 'page')} rendered in {browser.executable} without errors: "
                  f"{', '.join(f'{p.path} {p.status}' for p in judged)}{listed}", **details)


def _reads_as_block(problem: str, blocked: list[str]) -> bool:
    """Whether a console error or uncaught exception may be the page's report of a request
    deploy-check blocked: a failed fetch (the browsers' own texts), or the blocked URL named."""
    if not problem.startswith(("console error:", "uncaught exception:")):
        return False
    if any(text in problem for text in (*NETWORK_ERRORS, *BLOCKED_ERRORS)):
        return True
    # `GET http://host:port/path?…`: the origin, as an error quoting the URL names it.
    origins = {"/".join(entry.split(" ", 1)[-1].split("/")[:3]) for entry in blocked}
    return any(origin in problem for origin in origins if "://" in origin)
