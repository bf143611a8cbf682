"""The check model: a catalogue entry (`Spec`), what a check returns (`Outcome`),
and what the runner reports (`CheckResult`, `Report`)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from checks.support.lazyre import lazy


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    WAIVED = "waived"


# Statuses under which a dependent check may still run.
USABLE = frozenset({Status.PASS, Status.WARN, Status.WAIVED})


@dataclass(frozen=True)
class Spec:
    """One catalogue entry: everything `list`/`explain` show and every result carries."""

    id: str
    family: str
    title: str
    explain: str
    hint: str
    fix: str | None = None


@dataclass
class Outcome:
    """What a check function returns. `hint`/`fix` override the catalogue's when set."""

    status: Status
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    hint: str | None = None
    fix: str | None = None


def plural(count: int, word: str, many: str | None = None) -> str:
    """"1 table", "2 tables" — every count in a message goes through here."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def every(count: int, word: str, many: str | None = None) -> str:
    """"all 5 tables", but "the 1 table": the whole of a count, in words that read for one."""
    return f"the 1 {word}" if count == 1 else f"all {plural(count, word, many)}"


def verb_for(count: int, one: str, more: str) -> str:
    """The verb that agrees with `count`: verb_for(1, "is", "are")."""
    return one if count == 1 else more


LIST_LIMIT = 10  # names a message lists before it counts the rest


def listed(items: Iterable[object], limit: int = LIST_LIMIT) -> str:
    """"a, b, c" — or the first `limit` and "… and 9,990 more": a message stays readable
    (and a report small) with 10,000 missing tables; `details` keeps the full list."""
    names = [str(item) for item in items]
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} … and {len(names) - limit:,} more"


def passed(message: str, **details: Any) -> Outcome:
    return Outcome(Status.PASS, message, details)


# Control characters (but tab and newline) in text that came from outside — a key name,
# a server's output line: they would move a terminal's cursor in the console report,
# hide in a CI log, and make the JUnit file invalid XML.
# C1 controls (U+009B is a CSI on many terminals) and bidi overrides (U+202E makes a line
# read backwards: "Trojan Source") too.
CONTROL = lazy("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    return CONTROL.sub("", text)


def failed(message: str, *, hint: str | None = None, fix: str | None = None, **details: Any) -> Outcome:
    return Outcome(Status.FAIL, message, details, hint=hint, fix=fix)


def warned(message: str, *, hint: str | None = None, fix: str | None = None, **details: Any) -> Outcome:
    return Outcome(Status.WARN, message, details, hint=hint, fix=fix)


def skipped(message: str, **details: Any) -> Outcome:
    return Outcome(Status.SKIP, message, details)


def unverified(clause: str, message: str | None = None, **details: Any) -> Outcome:
    """A skip that leaves a gate clause unchecked: the report lists `clause` under
    "unverified", so READY can never hide what was not looked at."""
    text = clause if message is None else f"{clause}; {message}"
    return Outcome(Status.SKIP, text, {**details, "unverified": clause})


def waived(message: str, **details: Any) -> Outcome:
    return Outcome(Status.WAIVED, message, details)


@dataclass
class CheckResult:
    id: str
    family: str
    title: str
    status: Status
    message: str
    hint: str
    fix: str | None
    duration_ms: int
    details: dict[str, Any] = field(default_factory=dict)
    # `fix` as a command that works when pasted: with --project when the project is not
    # the current directory, and the binary's path when `deploy-check` is not on PATH.
    fix_command: str | None = None

    @property
    def shown_fix(self) -> str | None:
        return self.fix_command or self.fix

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "title": self.title,
            "status": self.status.value,
            "message": self.message,
            "hint": self.hint,
            "fix": self.fix,
            "fix_command": self.fix_command,
            "duration_ms": self.duration_ms,
            "details": self.details,
        }


@dataclass
class Report:
    tool: str
    project: str
    started_at: str
    duration_ms: int
    fail_level: Status
    checks: list[CheckResult]
    git_commit: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Gate clauses that could not be checked at all, with why ("database: nothing names…").
    unverified: list[str] = field(default_factory=list)
    strict: bool = False  # --strict: an unverified clause blocks the verdict
    broad_waivers: list[str] = field(default_factory=list)  # "7 checks waived by `*` (…)"
    model: dict[str, Any] | None = None  # the project model (checks/project), as `detect` prints it

    @property
    def summary(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.checks:
            counts[result.status.value] += 1
        return counts

    @property
    def blocking(self) -> list[CheckResult]:
        blocking = {Status.FAIL} | ({Status.WARN} if self.fail_level is Status.WARN else set())
        return [result for result in self.checks if result.status in blocking]

    @property
    def ready(self) -> bool:
        return not self.blocking and not (self.strict and self.unverified)

    @property
    def verdict(self) -> str:
        return "ready" if self.ready else "not_ready"

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "tool": self.tool,
            "project": self.project,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "verdict": self.verdict,
            "summary": self.summary,
            "git_commit": self.git_commit,
            "inputs": self.inputs,
            "notes": self.notes,
            "unverified": self.unverified,
            "broad_waivers": self.broad_waivers,
            "project_model": self.model,
            "checks": [result.to_dict() for result in self.checks],
        }
