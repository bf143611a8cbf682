"""DEV006: the pages render in a real browser without errors.

Playwright (the optional extra `deploy-check[browser]`) drives a Chromium: its own install
where `playwright install chromium` has run, else a system one (`[browser] executable`,
`$CHROME_PATH`, Debian's /usr/lib/chromium/chromium, `chromium`, `google-chrome`). The
browser gets AUTH003's session cookies for the app's origin and visits the smoke routes and
the signed-in page routes (not /api/). A page fails on an uncaught exception, a console error
(hydration errors included), a same-origin request that fails or answers >= 500, and a 4xx
on a same-origin script or style. A failing page's screenshot goes to .deploy-check/screens/.
Playwright starts the browser in a process group of its own; it carries the run's
DEPLOY_CHECK_RUN, so the dev server's reaper sweeps it too.

The browser talks to the app's own origin only: a check must never write to a third party
(an analytics beacon, an error report, a payment call). Every request to another origin is
aborted by a route (`context.route`, `context.route_web_socket`) and named in the page's
`blocked`, its query masked; what a route cannot see (a redirect's next hop, a request of the
browser's own) meets a proxy that refuses every connection, the app's origin bypassing it.
Blocked requests are never judged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from checks.project.config import Route
from checks.runtime.reaper import RUN_VARIABLE
from checks.runtime.signin.facts import fill
from checks.support.state import state_folder

if TYPE_CHECKING:
    import httpx
    from playwright._impl._api_structures import SetCookieParam  # the type add_cookies takes

    from checks.core.context import Context
    from checks.runtime.process import DevServer

INSTALL = "pip install 'deploy-check[browser]' && apt-get install -y chromium"
SYSTEM_BROWSERS = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")
# Headless as root in a container; no network of Chrome's own (updates, sync, QUIC probes).
# WebRTC's STUN/TURN go over UDP, past both the routes and the proxy: only proxied (so
# refused) connections are left to it (Chromium's --webrtc-ip-handling-policy, the values of
# chrome.privacy.IPHandlingPolicy).
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--webrtc-ip-handling-policy=disable_non_proxied_udp"]
LOOPBACK = ("localhost", "127.0.0.1", "::1")
# Chromium's net error names (net/base/net_error_list.h): our route's abort, our proxy's refusal.
# How a rejected fetch reads (Chromium "Failed to fetch"; Firefox and WebKit for the same).
NETWORK_ERRORS = ("Failed to fetch", "NetworkError when attempting to fetch resource.", "Load failed")
BLOCKED_ERRORS = ("ERR_BLOCKED_BY_CLIENT", "ERR_PROXY_CONNECTION_FAILED", "ERR_TUNNEL_CONNECTION_FAILED")
SCREENS = Path(".deploy-check") / "screens"
LAUNCH_TIMEOUT = 20.0


@dataclass
class PageVisit:
    path: str
    status: int | None = None
    problems: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # requests to other origins, never sent
    screenshot: str | None = None  # relative to the project
    note: str | None = None  # not a page (an API answer), so not judged
    elapsed_ms: int = 0


@dataclass
class BrowserFacts:
    unavailable: str | None = None  # no extra, no browser, or it would not start: DEV006 unverified
    executable: str = ""
    launch_s: float | None = None
    pages: list[PageVisit] = field(default_factory=list)
    elapsed_s: float | None = None


def page_routes(routes: list[Route]) -> list[Route]:
    """The GET routes a person opens: the smoke routes (or /) and the signed-in pages, not APIs."""
    smoke = [r for r in routes if not r.signed_in] or [Route("/")]
    return [r for r in [*smoke, *(r for r in routes if r.signed_in)]
            if r.method == "GET" and not r.path.startswith("/api/")]


def browser_budget(ctx: Context) -> float:
    if not ctx.wants("DEV006"):
        return 0.0
    pages = len(page_routes(ctx.config.routes))
    return LAUNCH_TIMEOUT + pages * (ctx.config.page_timeout + 3) + 5


def system_browser(ctx: Context) -> tuple[str | None, str]:
    """(a configured or system Chromium, or None and why none)."""
    configured = ctx.config.browser_executable or ctx.environ.get("CHROME_PATH")
    if configured:
        found = shutil.which(configured)
        where = "[browser] executable" if ctx.config.browser_executable else "$CHROME_PATH"
        return (found, "") if found else (None, f"{where} names {configured}, which is not an executable")
    for candidate in SYSTEM_BROWSERS:
        found = shutil.which(candidate)
        if found:
            return found, ""
    return None, "no Chromium found (Playwright's own, /usr/lib/chromium/chromium, chromium, google-chrome)"


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)
    except ValueError:  # a port out of range
        return None


def own_origin(url: str, origin: str) -> bool:
    """Whether `url` goes to the app's own origin: its scheme (a WebSocket's http or https),
    host and port; for a loopback origin, any loopback name of the same port. data:, blob:
    and about: URLs go nowhere."""
    parts, home = urlsplit(url), urlsplit(origin)
    if parts.scheme in ("data", "blob", "about"):
        return True
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme != home.scheme or _port(parts) != _port(home):
        return False
    host, home_host = (parts.hostname or "").lower(), (home.hostname or "").lower()
    return host == home_host or (host in LOOPBACK and home_host in LOOPBACK)


def _shown(ctx: Context, url: str) -> str:
    """A URL as the report shows it: no user or password, the query (tokens ride there)
    masked as `?…`, no fragment, the rest masked."""
    parts = urlsplit(url)
    if not parts.netloc:
        return ctx.mask(url.split("?")[0][:200])
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    with contextlib.suppress(ValueError):
        host += f":{parts.port}" if parts.port else ""
    return ctx.mask(f"{parts.scheme}://{host}{parts.path}{'?…' if parts.query else ''}")[:300]


def _refusing_port() -> socket.socket:
    """A loopback port held bound but not listening, for the browser's lifetime: a connection
    to it is refused, and nothing else can take it meanwhile."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    return held


def proxy_settings(origin: str, refusing: int) -> dict[str, str]:
    """Every connection through a proxy that refuses it, but to the app's origin. Loopback is
    proxied too (Chromium's `<-loopback>` rule): first in the list, as Chromium lets a later
    rule win (net/proxy_resolution/proxy_bypass_rules.cc), and Playwright, finding it there,
    does not add it again last."""
    home = urlsplit(origin)
    port = _port(home)
    hosts = LOOPBACK if (home.hostname or "").lower() in LOOPBACK else (home.hostname or "",)
    bypass = ",".join(["<-loopback>", *(f"[{h}]:{port}" if ":" in h else f"{h}:{port}" for h in hosts)])
    return {"server": f"http://127.0.0.1:{refusing}", "bypass": bypass}


class _Blocker:
    """Aborts every request and WebSocket to another origin, naming it in the page being visited."""

    def __init__(self, ctx: Context, origin: str) -> None:
        self.ctx, self.origin = ctx, origin
        self.visit: PageVisit | None = None

    def foreign(self, url: str) -> bool:
        return not own_origin(url, self.origin)

    def note(self, what: str) -> None:
        if self.visit is not None and what not in self.visit.blocked:
            self.visit.blocked.append(what)

    async def request(self, route: Any) -> None:
        self.note(f"{route.request.method} {_shown(self.ctx, route.request.url)}")
        await route.abort("blockedbyclient")

    async def web_socket(self, socket_route: Any) -> None:
        self.note(f"WebSocket {_shown(self.ctx, socket_route.url)}")
        await socket_route.close()  # not connected to the server: it hears nothing


class _Watch:
    """What one page does wrong while it loads."""

    def __init__(self, ctx: Context, origin: str, visit: PageVisit) -> None:
        self.ctx, self.origin, self.visit = ctx, origin, visit
        self.left_for: str | None = None  # the page navigated to another origin, which was blocked

    def problem(self, text: str) -> None:
        text = self.ctx.mask(" ".join(text.split()))[:300]
        if text not in self.visit.problems:
            self.visit.problems.append(text)

    def on_page_error(self, error: Any) -> None:
        text = str(getattr(error, "message", None) or error)
        if self.visit.blocked and text.strip().removeprefix("TypeError: ") in NETWORK_ERRORS:
            # A fetch we blocked that the page leaves uncaught: named in `blocked`; a fetch of
            # the app's own origin that fails is judged by its request (on_request_failed).
            return
        self.problem(f"uncaught exception: {text}")

    def on_console(self, message: Any) -> None:
        # A resource that failed to load is judged by its request below (another origin's
        # never); a WebSocket we closed, or a request we blocked, is no error of the app's.
        text = message.text
        if message.type == "error" and not text.startswith("Failed to load resource") \
                and not any(error in text for error in BLOCKED_ERRORS) \
                and not (text.startswith("WebSocket connection to") and self._foreign_socket(text)):
            self.problem(f"console error: {text}")

    def _foreign_socket(self, text: str) -> bool:
        url = text.split("'")[1] if text.count("'") >= 2 else ""
        return bool(url) and not own_origin(url, self.origin)

    def on_request_failed(self, request: Any) -> None:
        why = request.failure or "failed"
        if not own_origin(request.url, self.origin):
            # A redirect's next hop, which no route sees, meets the refusing proxy.
            shown = _shown(self.ctx, request.url)
            if f"{request.method} {shown}" not in self.visit.blocked:
                self.visit.blocked.append(f"{request.method} {shown}")
            if request.is_navigation_request() and request.frame.parent_frame is None:
                self.left_for = shown
        elif "ERR_ABORTED" not in why:  # a navigation cancels what the page still loads
            self.problem(f"{request.method} {urlsplit(request.url).path} failed ({why})")

    def on_response(self, response: Any) -> None:
        request = response.request
        if not own_origin(response.url, self.origin):
            # Never expected (every connection elsewhere is refused): said as a problem of ours.
            self.problem(f"{request.method} {_shown(self.ctx, response.url)} reached another origin "
                         f"(answered {response.status}) although deploy-check blocks it")
        elif response.status >= 500 or (response.status >= 400 and request.resource_type in ("script", "stylesheet")):
            self.problem(f"{request.method} {urlsplit(response.url).path} ({request.resource_type}) "
                         f"answered {response.status}")


async def _visit(ctx: Context, browser_context: Any, origin: str, path: str, blocker: _Blocker) -> PageVisit:
    visit = PageVisit(path)
    blocker.visit = visit
    watch = _Watch(ctx, origin, visit)
    page = await browser_context.new_page()
    page.on("pageerror", watch.on_page_error)
    page.on("console", watch.on_console)
    page.on("requestfailed", watch.on_request_failed)
    page.on("response", watch.on_response)
    began = time.monotonic()
    budget = ctx.config.page_timeout * 1000
    try:
        response = await page.goto(origin + path, wait_until="load", timeout=budget)
        visit.status = response.status if response is not None else None
        kind = (response.headers.get("content-type", "") if response is not None else "")
        if response is not None and "html" not in kind:
            visit.note = f"not a page ({kind.split(';')[0] or 'no content type'}): not judged"
            visit.problems.clear()
            return visit
        if visit.status is not None and visit.status >= 500:
            watch.problem(f"the page answered {visit.status}")
        # Scripts hydrate after `load`: wait until the network is quiet (a page that polls
        # never is, which is no error), within what is left of the page's budget.
        left = max(500.0, budget - (time.monotonic() - began) * 1000)
        try:
            await page.wait_for_load_state("networkidle", timeout=left)
        except Exception as exc:  # Playwright's TimeoutError: a busy page is no error
            if type(exc).__name__ != "TimeoutError":
                raise
    except Exception as exc:  # Playwright's errors (timeout, net::ERR_…) are the page's outcome
        watch.problem(f"the page did not load within {ctx.config.page_timeout:g} s"
                      if type(exc).__name__ == "TimeoutError" else f"the page did not load: {str(exc).splitlines()[0]}")
    finally:
        visit.elapsed_ms = round((time.monotonic() - began) * 1000)
    if watch.left_for is not None:  # e.g. a hosted sign-in page: not the app's page to judge
        visit.note = f"left the app's origin for {watch.left_for}, which was blocked: not judged"
        visit.problems.clear()
    screens = state_folder(ctx.project, SCREENS.name) if visit.problems else None
    if screens is not None:
        # Named after the path as the report shows it: masked before the name is made, so a
        # token in the URL (an invite link) is neither in the file's name nor in the report.
        name = re.sub(r"[^A-Za-z0-9]+", "-", ctx.mask(path)).strip("-") or "root"
        target = screens / f"{name}.png"
        try:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()  # a link planted under that name is replaced, not written through
            await page.screenshot(path=str(target), timeout=budget)
            visit.screenshot = ctx.rel(target)
        except Exception:  # a page that cannot be drawn still has its problems named
            visit.screenshot = None
    await page.close()
    return visit


async def visit_pages(ctx: Context, server: DevServer, client: httpx.AsyncClient,
                      routes: list[Route]) -> BrowserFacts | None:
    """DEV006's facts; None when DEV006 is not asked for."""
    if not ctx.wants("DEV006") or server.facts.url is None:
        return None
    facts = BrowserFacts()
    flow = server.facts.flow
    values = {"run": server.run_id, **(flow.values if flow is not None else {})}
    paths = [fill(r.path, values, in_path=True) for r in page_routes(routes)]
    paths = [p for p in dict.fromkeys(paths) if not re.search(r"\{\w+\}", p)]  # a value the flow never captured
    try:
        # start-up: only runs that open a browser load Playwright (an optional extra)
        from playwright.async_api import async_playwright
    except ImportError:
        facts.unavailable = f"the browser extra is not installed (Playwright): {INSTALL}"
        return facts
    started = time.monotonic()
    origin = server.facts.url.rstrip("/")
    server.phase = "browser"
    async with async_playwright() as playwright:
        executable: str | None = None
        own = playwright.chromium.executable_path
        if ctx.config.browser_executable or ctx.environ.get("CHROME_PATH") or not Path(own).is_file():
            executable, why_not = system_browser(ctx)
            if executable is None:
                facts.unavailable = f"{why_not}: {INSTALL}"
                return facts
        facts.executable = executable or own
        refusing = _refusing_port()
        try:
            try:
                browser = await playwright.chromium.launch(
                    executable_path=executable, headless=True, args=FLAGS, timeout=LAUNCH_TIMEOUT * 1000,
                    proxy=proxy_settings(origin, refusing.getsockname()[1]),  # type: ignore[arg-type]
                    # The run's marker: the dev server's reaper sweeps the browser with it.
                    env={**os.environ, RUN_VARIABLE: server.run_id})
            except Exception as exc:  # Playwright's launch errors: the browser could not start
                facts.unavailable = ctx.mask(f"{facts.executable} did not start: {str(exc).splitlines()[0]}")
                return facts
            facts.launch_s = round(time.monotonic() - started, 3)
            try:
                await _render(ctx, browser, client, origin, paths, facts)
            finally:
                await browser.close()
        finally:
            refusing.close()
    server.phase = "after flow"
    facts.elapsed_s = round(time.monotonic() - started, 3)
    return facts


async def _render(ctx: Context, browser: Any, client: httpx.AsyncClient, origin: str, paths: list[str],
                  facts: BrowserFacts) -> None:
    # A service worker's requests escape the context's routes: none is let in.
    context = await browser.new_context(service_workers="block")
    blocker = _Blocker(ctx, origin)
    await context.route(blocker.foreign, blocker.request)
    if hasattr(context, "route_web_socket"):  # Playwright 1.48+; before, the proxy refuses them
        await context.route_web_socket(blocker.foreign, blocker.web_socket)
    cookies: list[SetCookieParam] = [{"name": c.name, "value": c.value, "url": origin}
                                     for c in client.cookies.jar if c.value]
    if cookies:
        await context.add_cookies(cookies)
    for path in paths:
        ctx.report_progress("DEV006", f"opening {path} in {Path(facts.executable).name}")
        facts.pages.append(await asyncio.wait_for(_visit(ctx, context, origin, path, blocker),
                                                  2 * ctx.config.page_timeout + 5))
