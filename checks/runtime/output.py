"""Reading the dev server's output: which lines are errors (DEV003, and the lines quoted
when a sign-in or a flow step breaks)."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from checks.core.context import Context
from checks.core.model import printable
from checks.project.config import compile_user_pattern
from checks.runtime.addresses import ANY_URL, loopback_url
from checks.runtime.facts import DevFacts, OutputLine
from checks.support.lazyre import lazy
from checks.support.secretforms import blank
from checks.support.secrets import CUT_MARK, MASK

# What the tools really print when something broke, each from its own source:
# dash/bash `sh: 1: run-p: not found`, `command not found`; npm's `npm ERR!` (npm ≤ 9) and
# `npm error` (npm 10, lib/utils/error-message.js); npm and pnpm's `ELIFECYCLE`; pnpm's
# `ERR_PNPM_*` codes; yarn classic's `error Command failed with exit code`; Vite's
# `[vite] Internal server error:`; webpack's `ERROR in <file>`; tsc's `TS2304:`; Next.js's
# `Failed to compile.`, Next 12/13's `error - …`/`- error …` and 14+'s `⨯`; Go's `panic:`;
# PostgreSQL's `FATAL:` and node-postgres's `error: relation "users" does not exist`;
# Prisma's `PrismaClientInitializationError` and friends.
ERROR_LINE = lazy(
    r"\bError:|⨯|\bUnhandled\b|Module not found|Cannot find module|ECONNREFUSED"
    r"|^\s+at \S.*[:(]\d+:\d+\)?\s*$|Traceback \(most recent call last\)"
    r"|:\s*(?:\d+:\s*)?[\w./-]+: not found\s*$|command not found|\bnpm ERR!|^npm error\b"
    r"|\bELIFECYCLE\b|\bERR_PNPM_\w+|^error Command failed|\[vite\] Internal server error"
    r"|^\s*ERROR in\b|\bTS\d{4}:|Failed to compile|^\s*-?\s*error\s+(?:-\s)?|^\s*error:"
    r"|^\s*panic:|\bFATAL:|\bPrisma\w*Error\b",
    re.MULTILINE,
)


@dataclass
class _Recent:
    line: OutputLine  # as kept
    text: str  # as it came, masked on its own
    spans: list[tuple[int, int]] = field(default_factory=list)  # of `text`, parts of secrets other lines complete


def error_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if ERROR_LINE.search(line)]


class Output:
    """The dev server's output, read as it comes: split into lines, each masked before it is
    kept or shown (a wrapped secret on both its lines, a one-time code the moment it is
    printed while AUTH003 waits for one), the loopback URLs the server prints, and live
    progress. Bounded: the newest MAX_LINES lines of at most MAX_LINE characters."""

    def __init__(self, ctx: Context, facts: DevFacts) -> None:
        self.ctx = ctx
        self.facts = facts
        # While AUTH003 waits for a code: the pattern, the test address, and the codes seen
        # (code, whether its line names the address), masked before any line is kept.
        self._otp_pattern: Any = None
        self._otp_address = ""
        self._codes: list[tuple[str, bool]] = []
        self.started = 0.0
        self.phase = "boot"
        self.printed_urls: list[str] = []  # loopback URLs the server printed, best first
        self.new_output = asyncio.Event()
        self.lines: deque[OutputLine] = deque(maxlen=MAX_LINES)
        self.seen = 0  # lines ever kept (the deque forgets the oldest)
        # The latest lines as they came (each masked on its own), which a secret may span.
        self._recent: deque[_Recent] = deque()
        self._recent_size = 0  # their characters, a line break each
        self._open = False  # the last line ends with what may start a secret

    async def read(self, stream: asyncio.StreamReader) -> None:
        """Split the output into lines ourselves: asyncio's readline() drops the start of
        an over-long line and hands back its middle, which may begin half-way through a
        secret. Here a long line keeps its first KEEP_BYTES, is masked as a whole and only
        then cut to MAX_LINE characters; the rest of it up to the newline is dropped."""
        pending = bytearray()
        dropping = False  # inside the overflow of a line already shown
        while True:
            chunk = await stream.read(1 << 16)
            if not chunk:
                if pending and not dropping:
                    self.feed(bytes(pending))
                return
            pending += chunk
            while (newline := pending.find(b"\n")) >= 0:
                line = bytes(pending[:newline])
                del pending[:newline + 1]
                if dropping:
                    dropping = False
                else:
                    self.feed(line)
            if len(pending) > KEEP_BYTES:
                if not dropping:
                    self.feed(bytes(pending[:KEEP_BYTES]))
                    dropping = True
                pending.clear()

    def feed(self, raw: bytes) -> None:
        text = printable(ANSI.sub("", raw.decode("utf-8", "replace"))).rstrip()
        if not text.strip():
            return
        if self._otp_pattern is not None:
            self._take_codes(text)
        # Mask first (a cut must not expose half a secret); pieces at the ends only once the
        # lines before had their chance to complete them.
        text = self.ctx.masker(text, pieces=False)
        line = OutputLine(round(time.monotonic() - self.started, 3), "", self.phase)
        self._recent.append(_Recent(line, text))
        self._recent_size += len(text) + 1
        # A wrapping logger or a MIME encoder may split a secret over this line and the ones
        # before: each part is masked in its own line (the earlier ones are masked again, from
        # the text they came as); a secret's start at this line's end is masked now, before
        # live progress shows the line, though its rest comes with the next.
        recent = list(self._recent)
        wrapped, self._open = self.ctx.masker.wrapped([r.text for r in recent], open_before=self._open)
        for held, spans in zip(recent, wrapped, strict=True):
            if spans or held is recent[-1]:
                held.spans += spans
                held.line.text = self._kept(held)
        text = line.text
        while len(self._recent) > 1 and self._recent_size - len(self._recent[0].text) > self.ctx.masker.window:
            self._recent_size -= len(self._recent.popleft().text) + 1
        self.lines.append(line)
        self.seen += 1
        self.ctx.report_progress("DEV001", text.strip())
        local = LOCAL_URL.search(text)
        found = loopback_url(local.group(1)) if local else None
        if found and found not in self.printed_urls:
            self.printed_urls.insert(0, found)  # "Local: …" is the server's own address
        elif found is None and "http" in text:
            # Any other loopback URL may be the server's, or a service it talks to
            # ("using backend http://localhost:18742"): only one its process tree listens
            # on is taken (wait_ready).
            for match in ANY_URL.finditer(text):
                url = loopback_url(match.group(1))
                if url and url not in self.printed_urls:
                    self.printed_urls.append(url)
        self.new_output.set()

    def _kept(self, recent: _Recent) -> str:
        """A line as kept and shown: what spans other lines masked, the start or end of a known
        secret masked (the rest may only come with the next line, or was cut off), then cut."""
        text = self.ctx.masker.unfinished(blank(recent.text, recent.spans, MASK))
        return text[:MAX_LINE] + CUT_MARK if len(text) > MAX_LINE else text

    def watch_codes(self, pattern: str | None, address: str) -> None:
        self._otp_pattern = compile_user_pattern("auth.login.otp_pattern", pattern) if pattern else None
        self._otp_address = address.lower()

    def _take_codes(self, text: str) -> None:
        # While a code is awaited, a line may carry one otp_pattern does not match (8 digits,
        # dashed, before the address, on the next line): every code-like token of the lines
        # printed in that window is masked, whether or not it is taken as the code — except
        # the server's own port and durations ("200ms"). After the test address, capital
        # letters alone count too (QWERTZUI).
        found = [token for token in CODE_LIKE.findall(text)
                 if token != str(self.facts.port) and not DURATION.fullmatch(token)]
        at = text.lower().find(self._otp_address) if self._otp_address else -1
        if at >= 0:
            found += LETTER_CODE.findall(text[at + len(self._otp_address):])
        self.ctx.masker.add(found)
        try:
            found = [m.group(1) for m in self._otp_pattern.finditer(text, timeout=PATTERN_TIMEOUT)]
        except TimeoutError:
            self.facts.pattern_timeouts += 1
            return
        found = [code for code in found if code]
        if found:
            self.ctx.masker.add(found)  # before the line is masked, stored or shown
            names_it = self._otp_address in text.lower()
            self._codes.extend((code, names_it) for code in found)

    def codes_count(self) -> int:
        return len(self._codes)

    def codes_since(self, mark: int) -> list[tuple[str, bool]]:
        return self._codes[mark:]

    def lines_since(self, mark: int) -> list[str]:
        kept = list(self.lines)
        skipped = self.seen - len(kept)  # lines the bounded buffer already let go
        return [line.text for line in kept[max(0, mark - skipped):]]


MAX_LINES = 5000


MAX_LINE = 2000  # characters of a line kept, after masking


KEEP_BYTES = 1 << 16  # of an over-long line, what is masked before the cut


ANSI = lazy(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


# Next.js: "- Local:        http://localhost:3001"; Vite: "➜  Local:   http://localhost:5173/".
LOCAL_URL = lazy(r"\bLocal:?\s+(https?://[^\s/]+)", re.IGNORECASE)


# A one-time code's shapes: 4–16 letters and digits with a digit, dashes allowed (ABCD-1234).
CODE_LIKE = lazy(r"\b(?=[A-Za-z0-9-]{4,16}\b)(?=[A-Za-z-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b")


LETTER_CODE = lazy(r"\b[A-Z]{6,12}\b|\b[A-Z]{3,6}-[A-Z]{3,6}\b")


DURATION = lazy(r"\d+(?:ms|s)")


PATTERN_TIMEOUT = 0.05  # seconds per line for a user's ready_pattern
