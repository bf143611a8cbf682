"""A block heading that marks itself "(Optional)" or "(Optional: …)" makes its block optional:
mckaywrigley/chatbot-ui's example heads its provider API keys "# API Keys (Optional: …)" and
its sign-up lists "# General Configuration (Optional)", and the app reads those keys only to
see whether they are set (lib/envs.ts isUsingEnvironmentKey). ENV003 failed on all of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checks.support.envfile import parse_env_text

from helpers import REPO, run_json
from helpers import checks_by_id as checks

FIXTURE = REPO / "tests" / "fixtures" / "apps" / "supabase-optional-headings"


@pytest.mark.parametrize(
    ("text", "optional", "required"),
    [
        pytest.param("# API Keys (Optional: overrides user keys)\nA=\nB=\n\nC=\n", {"A", "B"}, ["C"],
                     id="parenthesised-with-reason"),
        pytest.param("# General Configuration (optional)\nA=\n", {"A"}, [], id="parenthesised-alone"),
        pytest.param("# Analytics [Optional]\nA=\n", {"A"}, [], id="bracketed"),
        pytest.param("# Payments (not optional)\nA=\n", set(), ["A"], id="negated-is-required"),
        pytest.param("# This is optional\nA=\n", set(), ["A"], id="prose-is-not-a-marker"),
        pytest.param("# Keys (Optional)\nA=\n# Azure\nB=\n", {"A"}, ["B"], id="next-heading-ends-block"),
    ],
)
def test_a_heading_marked_optional_in_brackets_covers_its_block(
        text: str, optional: set[str], required: list[str]) -> None:
    parsed = parse_env_text(text, Path(".env.local.example"))
    assert parsed.optional_keys == optional
    assert parsed.required_keys == required


def test_env003_does_not_require_keys_under_an_optional_heading(tmp_path: Path) -> None:
    project = tmp_path / "app"
    shutil.copytree(FIXTURE, project)
    (project / ".env.local").write_text(
        "NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321\n"
        "NEXT_PUBLIC_SUPABASE_ANON_KEY=local-test-anon-key-0001\n"
        "SUPABASE_SERVICE_ROLE_KEY=local-test-service-role-key-0001\n"
        "NEXT_PUBLIC_USER_FILE_SIZE_LIMIT=10485760\n", encoding="utf-8")
    _code, report = run_json(project, "--only", "ENV002,ENV003")
    found = checks(report)
    missing = found["ENV003"]["details"]["missing"]
    assert not {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "EMAIL_WHITELIST"} & set(missing)
    # A heading without a marker still means required: the example is the contract.
    assert missing == ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"]
    assert "(5 optional)" in found["ENV002"]["message"]


# dub's apps/web/.env.example: a banner section "OPTIONAL ENV VARS" over 20 blocks of keys,
# each after a blank line, up to the next banner "DUB.CO INTERNAL USE ONLY". ENV003 counted
# all 89 keys as required.
DUB_SECTIONS = ("NEXTAUTH_SECRET=\n\n###############################\n###### OPTIONAL ENV VARS ######\n"
                "###############################\n\n# Stripe – used for subscriptions\nSTRIPE_SECRET_KEY=\n\n"
                "# Unsplash\nUNSPLASH_ACCESS_KEY=\n\n######################################\n"
                "###### DUB.CO INTERNAL USE ONLY ######\n######################################\n\nTINYBIRD_API_KEY=\n")


@pytest.mark.parametrize(
    ("text", "optional", "required"),
    [
        pytest.param(DUB_SECTIONS, {"STRIPE_SECRET_KEY", "UNSPLASH_ACCESS_KEY"},
                     ["NEXTAUTH_SECRET", "TINYBIRD_API_KEY"], id="dub-banner"),
        pytest.param("# ===== Optional =====\nA=\n\nB=\n# ----- Payments -----\nC=\n", {"A", "B"}, ["C"],
                     id="rule-banner-ends-at-the-next"),
        pytest.param("###############\nA=\n\n# optional things below\n\nB=\n", set(), ["A", "B"],
                     id="a-row-of-hashes-or-prose-is-no-banner"),
    ],
)
def test_an_optional_section_banner_covers_every_key_to_the_next_banner(
        text: str, optional: set[str], required: list[str]) -> None:
    parsed = parse_env_text(text, Path(".env.example"))
    assert parsed.optional_keys == optional
    assert parsed.required_keys == required


def test_env003_does_not_require_keys_under_an_optional_section(tmp_path: Path) -> None:
    project = tmp_path / "web"
    project.mkdir()
    (project / ".env.example").write_text(DUB_SECTIONS)
    (project / ".env").write_text("NEXTAUTH_SECRET=a-filled-secret-of-the-app\nTINYBIRD_API_KEY=p.filled\n")
    _, report = run_json(project, "--only", "ENV003")
    env003 = checks(report)["ENV003"]
    assert env003["status"] == "pass", env003


@pytest.mark.parametrize(
    ("text", "optional", "required"),
    [
        pytest.param("# ---------- Optional ----------\nA=\n\n# Required\nB=\n", {"A"}, ["B"], id="plain-required"),
        pytest.param("###### OPTIONAL ######\nA=\n# Database (required)\nB=\n\nC=\n", {"A"}, ["B", "C"],
                     id="parenthesised-required"),
        pytest.param("###### OPTIONAL ######\nA=\n# Keys (not required)\nB=\n", {"A", "B"}, [],
                     id="not-required-keeps-it"),
    ],
)
def test_a_comment_saying_required_ends_an_optional_section(
        text: str, optional: set[str], required: list[str]) -> None:
    """An optional banner ran to the next banner only: a plain "# Required" heading below it
    left DATABASE_URL optional, and ENV003 passed with it empty."""
    parsed = parse_env_text(text, Path(".env.example"))
    assert parsed.optional_keys == optional
    assert parsed.required_keys == required
