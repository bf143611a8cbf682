"""Decisions Log waivers: where the entry may stand and what wording counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from checks.project.state import find_expired_deferral, find_monitoring_deferral

from helpers import run_cli, write_project

CASES = [
    ("table-with-date", "## Decisions Log\n\n| Date | Decision |\n|---|---|\n"
     "| 2026-11-01 | Use Neon |\n| 2026-11-02 | Sentry is out of scope for this gate |\n",
     "2026-11-02 | Sentry is out of scope for this gate", "2026-11-02"),
    ("bullet-list", "# Decisions log\n\n- Use Neon Auth\n- Error tracking: deferred until post-launch\n",
     "Error tracking: deferred until post-launch", None),
    ("paragraph", "### DECISIONS LOG\n\nWe decided that monitoring is optional for the MVP.\n",
     "We decided that monitoring is optional for the MVP.", None),
    ("deep-heading", "# P\n## Plan\n#### Decisions Log\n* 2026-10-30 — Sentry DSN not required yet\n",
     "2026-10-30 — Sentry DSN not required yet", "2026-10-30"),
    ("numbered-list", "## Decisions Log\n\n1. Skip Sentry until launch\n", "Skip Sentry until launch", None),
    ("row-split-cells", "## Decisions Log\n\n| Area | Decision |\n|---|---|\n| Monitoring (Sentry) | Deferred to post-launch |\n",
     "Monitoring (Sentry) | Deferred to post-launch", None),
    ("second-sentence", "## Decisions Log\n\n- Use Neon for the database. Sentry is out of scope for this gate.\n",
     "Use Neon for the database. Sentry is out of scope for this gate.", None),
]


@pytest.mark.parametrize(("name", "markdown", "text", "date"), CASES, ids=[c[0] for c in CASES])
def test_deferral_entries(name: str, markdown: str, text: str, date: str | None) -> None:
    found = find_monitoring_deferral(markdown)
    assert found is not None
    assert found.text == text
    assert found.date == date


@pytest.mark.parametrize(
    "markdown",
    [
        "## Decisions Log\n\n- 2026-11-02: Sentry configured for production\n",  # Sentry, no deferral
        "## Decisions Log\n\n- Payments are deferred to post-launch\n",  # deferral, not monitoring
        "## Status\n\nSentry is deferred.\n\n## Decisions Log\n\n- Use Neon\n",  # outside the log
        "## Decisions Log\n\n- Use Neon\n\n## Risks\n\n- Sentry may be skipped later\n",  # after the log ends
        "No headings at all. Sentry is optional.\n",
        "## Decisions Log\n\n- Sentry is **not optional**: error tracking is required for launch.\n",
        "## Decisions Log\n\n- Sentry must be fully configured no later than this gate.\n",
        "## Decisions Log\n\n- We will not skip Sentry; monitoring must be live before launch.\n",
        # issue 12: each of these used to waive SENTRY001
        "## Decisions Log\n\n- We must not, under any circumstances, skip Sentry: monitoring ships at launch.\n",
        "## Decisions Log\n\n- Sentry is required for launch. Alert thresholds will be tuned later.\n",
        "## Decisions Log\n\n- Proposal to defer Sentry was rejected; monitoring ships at launch.\n",
        "## Decisions Log\n\n> Old proposal: Sentry optional\n\n- Use Neon\n",
        "## Decisions Log\n\n- See [Sentry setup (later section)](#sentry) for the wiring.\n",
        "## Decisions Log\n\n- Use DSN from vault; skip manual copy\n",
        "## Decisions Log\n\n| Decision | Status |\n|---|---|\n| Sentry | required |\n",
    ],
    ids=["sentry-not-deferred", "deferral-not-monitoring", "before-the-log", "after-the-log", "no-log",
         "not-optional", "no-later-than", "will-not-skip", "must-not-skip", "required-then-later",
         "rejected", "blockquote", "link-text", "skip-something-else", "row-required"],
)
def test_no_waiver(markdown: str) -> None:
    assert find_monitoring_deferral(markdown) is None


def test_quote_carries_the_line_and_date() -> None:
    found = find_monitoring_deferral("# S\n\n## Decisions Log\n\n- Sentry deferred (decided 2026-11-05)\n")
    assert found is not None
    assert found.line == 5
    assert found.quote() == 'Decisions Log: "Sentry deferred (decided 2026-11-05)"'


def test_a_pasted_gate_record_is_no_decision(tmp_path: Path) -> None:
    """`--format markdown` is meant to be pasted into project-state.md; its rows name
    Sentry checks next to `skip`, which must not waive Sentry on the next run."""
    project = write_project(tmp_path, {
        ".env.local.example": "NEXT_PUBLIC_SENTRY_DSN=\nSENTRY_AUTH_TOKEN=\nSENTRY_ORG=\nSENTRY_PROJECT=\n",
        ".env.local": "NEXT_PUBLIC_SENTRY_DSN=\n",
        "project-state.md": "# App\n\n## Decisions Log\n\n- 2026-11-01: use Neon\n\n",
    })
    first = run_cli("check", "--project", str(project), "--only", "env,sentry", "-f", "markdown")
    assert first.returncode == 1
    with (project / "project-state.md").open("a") as state:
        state.write(first.stdout)
    again = run_cli("check", "--project", str(project), "--only", "env,sentry", "-f", "json")
    assert again.returncode == 1, again.stdout
    sentry001 = next(c for c in json.loads(again.stdout)["checks"] if c["id"] == "SENTRY001")
    assert sentry001["status"] == "fail"


# issue 20 §4: each of these waived Sentry → READY.
NOT_ENTRIES = [
    ("comment-block", "## Decisions Log\n\n<!-- Sentry deferred to post-launch -->\n\n- Use Neon\n"),
    ("comment-inline", "## Decisions Log\n\n- Use Neon <!-- Sentry deferred to post-launch -->\n"),
    ("comment-two-lines", "## Decisions Log\n\n- Use Neon <!-- Sentry\n  deferred to post-launch -->\n"),
    ("comment-in-a-cell", "## Decisions Log\n\n| Decision |\n|---|\n| Use Neon <!-- Sentry is optional --> |\n"),
    ("question-answered-no", "## Decisions Log\n\n- Sentry: deferred? No — required.\n"),
    ("question-answered-no-only", "## Decisions Log\n\n- Sentry: deferred? No.\n"),
    ("question-unanswered", "## Decisions Log\n\n- Should Sentry be deferred?\n"),
    ("question-row-answered-no", "## Decisions Log\n\n| Question | Answer |\n|---|---|\n| Sentry deferred? | No |\n"),
]


@pytest.mark.parametrize("markdown", [c[1] for c in NOT_ENTRIES], ids=[c[0] for c in NOT_ENTRIES])
def test_hidden_or_answered_no_is_no_deferral(markdown: str) -> None:
    assert find_monitoring_deferral(markdown) is None


@pytest.mark.parametrize("entry", [
    "Sentry postponed until after launch.",
    "Sentry is postponed to post-launch.",
    "Sentry: deferred? Yes, until after launch.",
    "Monitoring is on hold until the next release.",
    "Error tracking delayed to the next milestone.",
])
def test_a_plain_deferral_waives_however_it_is_worded(entry: str) -> None:
    found = find_monitoring_deferral(f"## Decisions Log\n\n- {entry}\n")
    assert found is not None
    assert found.text == entry


def test_an_expired_deferral_does_not_waive_and_names_its_date() -> None:
    markdown = "## Decisions Log\n\n- Sentry deferred until 2026-01-01\n"
    today = dt.date(2026, 3, 1)
    assert find_monitoring_deferral(markdown, today) is None
    expired = find_expired_deferral(markdown, today)
    assert expired is not None and expired.until == dt.date(2026, 1, 1)
    # On its last day it still stands, and then nothing has expired.
    assert find_monitoring_deferral(markdown, dt.date(2026, 1, 1)) is not None
    assert find_expired_deferral(markdown, dt.date(2026, 1, 1)) is None


def test_an_expired_deferral_fails_sentry001_with_a_warning_naming_its_date(tmp_path: Path) -> None:
    """The run's today is later than 2026-01-01: Sentry is required again."""
    project = write_project(tmp_path, {
        ".env.local.example": "NEXT_PUBLIC_SENTRY_DSN=\nSENTRY_AUTH_TOKEN=\nSENTRY_ORG=\nSENTRY_PROJECT=\n",
        "project-state.md": "# App\n\n## Decisions Log\n\n- Sentry deferred until 2026-01-01\n",
    })
    done = run_cli("check", "--project", str(project), "--only", "sentry", "-f", "json")
    assert done.returncode == 1, done.stdout
    report = json.loads(done.stdout)
    sentry001 = next(c for c in report["checks"] if c["id"] == "SENTRY001")
    assert sentry001["status"] == "fail"
    assert "expired on 2026-01-01" in sentry001["message"]
    assert any("expired on 2026-01-01" in note for note in report["notes"]), report["notes"]


@pytest.mark.parametrize("entry", ["<!-- Sentry deferred to post-launch -->", "- Sentry: deferred? No — required."])
def test_a_hidden_or_refused_deferral_leaves_sentry_required(tmp_path: Path, entry: str) -> None:
    project = write_project(tmp_path, {
        ".env.local.example": "NEXT_PUBLIC_SENTRY_DSN=\nSENTRY_AUTH_TOKEN=\nSENTRY_ORG=\nSENTRY_PROJECT=\n",
        "project-state.md": f"# App\n\n## Decisions Log\n\n- Use Neon\n\n{entry}\n",
    })
    done = run_cli("check", "--project", str(project), "--only", "sentry", "-f", "json")
    assert done.returncode == 1, done.stdout
    sentry001 = next(c for c in json.loads(done.stdout)["checks"] if c["id"] == "SENTRY001")
    assert sentry001["status"] == "fail"
