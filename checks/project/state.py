"""The Decisions Log of `project-state.md`, read with markdown-it-py.

DESIGN.md "Decisions Log waivers": an entry (table row, list item or paragraph)
of a section whose heading matches "Decisions Log" that names monitoring
together with deferral waives the Sentry requirements for the current gate.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from checks.support.lazyre import lazy

MONITORING = lazy(r"\b(sentry|monitoring|error[- ]tracking|dsn)\b", re.IGNORECASE)
# However a deferral is worded: "deferred", "postponed until after launch", "on hold",
# "pushed to the next release" all say the same thing.
DEFERRAL = lazy(
    r"\b(optional|out[- ]of[- ]scope|not in scope|defer(?:s|red|ring)?|not required|skip(?:ped)?|"
    r"later|post[- ]?launch|after (?:the )?(?:launch|release|mvp|beta|gate)|"
    r"postpon(?:e|es|ed|ing)|delay(?:s|ed)?|on hold|deprioriti[sz]ed|punt(?:s|ed)?|"
    r"(?:next|a later|future) (?:release|phase|milestone|sprint|iteration|gate)|backlog)\b",
    re.IGNORECASE,
)
# "not optional", "no later than", "we will not skip", "must never be deferred": a
# sentence with one of these is a requirement, not a deferral.
NEGATIONS = {"not", "no", "never", "cannot", "can't", "won't", "don't", "doesn't", "isn't",
             "mustn't", "shouldn't", "nor", "without"}
HEADING = lazy(r"decisions?\s+log", re.IGNORECASE)
# deploy-check's own gate record (`--format markdown`), pasted into the log: its rows
# name checks and statuses ("SENTRY002 | skip"), which is no decision of anybody's.
GATE_RECORD = lazy(r"^deploy-check gate\b", re.IGNORECASE)
CHECK_ID = lazy(r"\b(?:ENV|DB|AUTH|SENTRY|DEV)\d{3}\b")
DATE = lazy(r"\b\d{4}-\d{2}-\d{2}\b")
# "deferred until 2026-01-01": the deferral's own end, unlike a table's decision date.
UNTIL = lazy(r"\b(?:until|till|til|through|thru|expires?(?: on)?)\s+(\d{4}-\d{2}-\d{2})\b",
                   re.IGNORECASE)
# Hidden when rendered, so nobody reading the log decided it: `<!-- Sentry deferred -->`.
HTML_COMMENT = lazy(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Deferral:
    text: str  # the entry as written (table cells joined with " | ")
    date: str | None
    line: int  # 1-based line in project-state.md
    until: dt.date | None = None  # "deferred until 2026-01-01"

    def quote(self) -> str:
        when = f" ({self.date})" if self.date and self.date not in self.text else ""
        return f'Decisions Log{when}: "{self.text}"'

    def expired(self, today: dt.date) -> bool:
        return self.until is not None and self.until < today


def decision_entries(markdown: str) -> list[tuple[str, int]]:
    """(text, line) of every table row, list item and paragraph in the Decisions Log."""
    from markdown_it import MarkdownIt  # start-up: only a Decisions Log loads markdown-it

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    entries: list[tuple[str, int]] = []
    in_log = False
    log_level = 0
    row: list[str] = []
    row_line = 0
    in_header = False
    record_level = 0  # inside a pasted gate record when > 0
    quoted = 0  # inside a blockquote: an old proposal quoted, not a decision
    for index, token in enumerate(tokens):
        if token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        if quoted:
            continue
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
            row.append(HTML_COMMENT.sub(" ", token.content).strip())
        elif token.type == "tr_close" and not in_header:
            entries.append((" | ".join(cell for cell in row if cell), row_line))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            # A paragraph inside a list item is that item's text.
            line = token.map[0] + 1 if token.map else 0
            entries.append((" ".join(HTML_COMMENT.sub(" ", token.content).split()), line))
    return entries


# A sentence that requires or rejects is no deferral, whatever else it says ("Sentry is
# required for launch", "the proposal to defer Sentry was rejected").
REQUIREMENT = lazy(
    r"\b(must|required|requires?|mandatory|needs? to|has to|have to|blocking|at launch|"
    r"before launch|for launch|no later than)\b", re.IGNORECASE)
REJECTION = lazy(
    r"\b(reject(?:ed|s)?|declined|vetoed|overruled|reverted|cancell?ed|withdrawn|no longer|"
    r"superseded|dropped the (?:idea|proposal))\b", re.IGNORECASE)
# "not required", "not needed" are deferrals in themselves, not negated ones.
NEGATIVE_DEFERRAL = lazy(r"\bnot (?:required|needed)\b", re.IGNORECASE)
SENTENCE_END = lazy(r"(?<=[.!?;])\s+|\s+\|\s+")
ANSWER_YES = lazy(r"^\W*(yes|yep|yeah|agreed|approved)\b", re.IGNORECASE)
# Link texts, images and code are not what anybody decided: `[Sentry setup (later)](#s)`.
NOT_PROSE = lazy(r"!?\[[^\]]*\]\([^)]*\)|!?\[[^\]]*\]\[[^\]]*\]|`[^`]*`")


def _sentence_defers(sentence: str) -> bool:
    """The sentence names monitoring and defers it, with no requirement, negation or
    rejection anywhere in it."""
    if not MONITORING.search(sentence) or REJECTION.search(sentence):
        return False
    plain = NEGATIVE_DEFERRAL.sub("deferred", sentence)
    if REQUIREMENT.search(plain):
        return False
    if NEGATIONS.intersection(re.findall(r"[a-z']+", plain.lower())):
        return False
    return bool(DEFERRAL.search(plain))


def _answered_yes(parts: list[str], index: int) -> bool:
    """A question ("Sentry: deferred?") decides nothing unless the next part answers yes:
    "Sentry: deferred? No — required." keeps Sentry required."""
    return index + 1 < len(parts) and bool(ANSWER_YES.search(parts[index + 1]))


def defers(text: str) -> bool:
    """Judged sentence by sentence (table cells are sentences of their own)."""
    sentences = SENTENCE_END.split(text)
    return any(_sentence_defers(sentence)
               and (not sentence.rstrip().endswith("?") or _answered_yes(sentences, index))
               for index, sentence in enumerate(sentences))


def _row_defers(text: str) -> bool:
    """A table row whose cells split the decision (`| Sentry | Deferred |`) defers when no
    cell requires, negates or rejects anything, and every question in it is answered yes."""
    if " | " not in text or not MONITORING.search(text) or REJECTION.search(text):
        return False
    cells = text.split(" | ")
    if any(cell.rstrip().endswith("?") and not _answered_yes(cells, index)
           for index, cell in enumerate(cells)):
        return False
    plain = NEGATIVE_DEFERRAL.sub("deferred", text)
    return (not REQUIREMENT.search(plain) and bool(DEFERRAL.search(plain))
            and not NEGATIONS.intersection(re.findall(r"[a-z']+", plain.lower())))


def monitoring_deferrals(markdown: str) -> list[Deferral]:
    """Every Decisions Log entry that defers monitoring, expired or not."""
    found: list[Deferral] = []
    for raw, line in decision_entries(markdown):
        if CHECK_ID.search(raw):
            continue  # a gate record's row, not a decision
        text = " ".join(NOT_PROSE.sub(" ", raw).split())
        if defers(text) or _row_defers(text):
            date = DATE.search(raw)
            found.append(Deferral(raw, date.group(0) if date else None, line, _until(text)))
    return found


def _until(text: str) -> dt.date | None:
    match = UNTIL.search(text)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None  # "until 2026-13-45" names no day; the deferral stands as written


def find_monitoring_deferral(markdown: str, today: dt.date | None = None) -> Deferral | None:
    """The first deferral still in force on `today` (any, without a day to judge by)."""
    for deferral in monitoring_deferrals(markdown):
        if today is None or not deferral.expired(today):
            return deferral
    return None


def find_expired_deferral(markdown: str, today: dt.date) -> Deferral | None:
    """A deferral whose day has passed while none is in force: the report warns of it."""
    deferrals = monitoring_deferrals(markdown)
    if any(not d.expired(today) for d in deferrals):
        return None
    return next(iter(deferrals), None)
