"""The Decisions Log of `project-state.md`, read with markdown-it-py.

DESIGN.md "Decisions Log waivers": an entry (table row, list item or paragraph)
of a section whose heading matches "Decisions Log" that names monitoring
together with deferral waives the Sentry requirements for the current gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONITORING = re.compile(r"\b(sentry|monitoring|error[- ]tracking|dsn)\b", re.IGNORECASE)
DEFERRAL = re.compile(
    r"\b(optional|out[- ]of[- ]scope|deferred|defer|not required|skip(?:ped)?|later|post[- ]launch)\b",
    re.IGNORECASE,
)
# "not optional", "no later than", "we will not skip", "must never be deferred": a
# deferral word that one of these stands just before is a requirement, not a deferral.
NEGATIONS = {"not", "no", "never", "cannot", "can't", "won't", "don't", "doesn't", "isn't",
             "mustn't", "shouldn't", "nor", "without"}
NEGATION_REACH = 3  # words before the deferral word
HEADING = re.compile(r"decisions?\s+log", re.IGNORECASE)
# deploy-check's own gate record (`--format markdown`), pasted into the log: its rows
# name checks and statuses ("SENTRY002 | skip"), which is no decision of anybody's.
GATE_RECORD = re.compile(r"^deploy-check gate\b", re.IGNORECASE)
CHECK_ID = re.compile(r"\b(?:ENV|DB|AUTH|SENTRY|DEV)\d{3}\b")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@dataclass(frozen=True)
class Deferral:
    text: str  # the entry as written (table cells joined with " | ")
    date: str | None
    line: int  # 1-based line in project-state.md

    def quote(self) -> str:
        when = f" ({self.date})" if self.date and self.date not in self.text else ""
        return f'Decisions Log{when}: "{self.text}"'


def decision_entries(markdown: str) -> list[tuple[str, int]]:
    """(text, line) of every table row, list item and paragraph in the Decisions Log."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    entries: list[tuple[str, int]] = []
    in_log = False
    log_level = 0
    row: list[str] = []
    row_line = 0
    in_header = False
    record_level = 0  # inside a pasted gate record when > 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            level = int(token.tag[1])
            title = tokens[index + 1].content
            if record_level and level <= record_level:
                record_level = 0
            if HEADING.search(title):
                in_log, log_level = True, level
            elif in_log and level <= log_level:
                in_log = False
            if in_log and GATE_RECORD.search(title):
                record_level = level
            continue
        if not in_log or record_level:
            continue
        if token.type == "thead_open":
            in_header = True
        elif token.type == "thead_close":
            in_header = False
        elif token.type == "tr_open":
            row, row_line = [], (token.map[0] + 1 if token.map else 0)
        elif token.type == "inline" and tokens[index - 1].type in ("td_open", "th_open"):
            row.append(token.content.strip())
        elif token.type == "tr_close" and not in_header:
            entries.append((" | ".join(cell for cell in row if cell), row_line))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            # A paragraph inside a list item is that item's text.
            line = token.map[0] + 1 if token.map else 0
            entries.append((" ".join(token.content.split()), line))
    return entries


def defers(text: str) -> bool:
    """A deferral word that no negation just before it turns into a requirement."""
    for match in DEFERRAL.finditer(text):
        before = re.findall(r"[a-z']+", text[:match.start()].lower())[-NEGATION_REACH:]
        if not NEGATIONS.intersection(before):
            return True
    return False


def find_monitoring_deferral(markdown: str) -> Deferral | None:
    for text, line in decision_entries(markdown):
        if CHECK_ID.search(text):
            continue  # a gate record's row, not a decision
        if MONITORING.search(text) and defers(text):
            date = DATE.search(text)
            return Deferral(text, date.group(0) if date else None, line)
    return None
