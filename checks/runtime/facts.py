"""What running the app yields, for the devserver and auth families to judge: the dev
server's output lines, each smoke route's answer, the sign-in's and the flow's facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The phase of every line printed after deploy-check signalled the server to stop.
STOPPED = "after stop"


@dataclass
class OutputLine:
    at: float  # seconds since the command started
    text: str  # ANSI stripped, secrets masked
    phase: str  # "boot", "route N", …, or STOPPED



@dataclass
class RouteResult:
    method: str
    path: str
    expected: int | None
    status: int | None = None
    error: str | None = None
    elapsed_ms: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.status is None:
            return False
        return self.status == self.expected if self.expected is not None else self.status < 500

    def describe(self) -> str:
        want = str(self.expected) if self.expected is not None else "< 500"
        got = str(self.status) if self.status is not None else (self.error or "no answer")
        return f"{self.method} {self.path} → {got} (expected {want})"



@dataclass
class DevFacts:
    command: str | None = None
    skip_reason: str | None = None
    cannot_start: tuple[str, str] | None = None  # (problem, fix) found before starting
    url: str | None = None  # the URL that answered (or the one assumed)
    port: int | None = None
    ready: bool = False
    boot_s: float | None = None
    exit_code: int | None = None
    timed_out: bool = False
    lines: list[OutputLine] = field(default_factory=list)
    routes: list[RouteResult] = field(default_factory=list)
    ready_monotonic: float | None = None  # when deploy-check noticed (for bench/devserver)
    occupied: list[str] = field(default_factory=list)  # assumed URLs another process answered
    foreign: list[str] = field(default_factory=list)  # printed URLs that answered, not from our tree
    pattern_timeouts: int = 0  # lines ready_pattern could not be matched against in time
    teardown: str = ""
    login: Any = None  # checks/runtime/signin/__init__.py LoginFacts: AUTH003
    login_not_planned: str = ""  # why no sign-in was planned at all
    flow: Any = None  # checks/runtime/flow.py FlowFacts: DEV004 (None: no signed_in routes)
    ownership: Any = None  # checks/runtime/ownership.py OwnershipFacts: DEV005 (None: not probed)
    browser: Any = None  # checks/runtime/browser.py BrowserFacts: DEV006 (None: not visited)

    def tail(self, count: int = 20) -> list[str]:
        """The server's last lines before deploy-check stopped it: what it prints after our
        signal (pnpm's `ELIFECYCLE  Command failed.`) answers the signal, and read as its last
        words it looks like a crash (Tascboard's DEV001 timeout)."""
        own = [line.text for line in self.lines if line.phase != STOPPED]
        return own[-count:]
