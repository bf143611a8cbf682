"""ENV004's hint for a secret the app chooses itself: `NEXTAUTH_SECRET=my-superstrong-secret`
copied from the committed example, or AUTH_SECRET left at `changeme`, has no provider console
to take the real value from. The hint says to generate one and replace it, since
`provision env` never overwrites a value; a provider's key keeps the console hint."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from checks.env.values import generate_command
from checks.project.model import ValueShape

from helpers import app_fixture, check_in_process, result, write_project

GENERATE = "openssl rand -base64 32"


def test_a_copied_auth_secret_is_to_be_generated_not_taken_from_a_console(tmp_path: Path) -> None:
    line = "NEXTAUTH_SECRET=my-superstrong-secret\n"
    project = write_project(tmp_path, {".env.example": line, ".env.local": line})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "fail"
    assert env004.hint == (f"Generate a new value for NEXTAUTH_SECRET (e.g. `{GENERATE}`) and replace it in "
                           ".env.local: a secret the app chooses itself comes from no provider's console, and "
                           "`deploy-check provision env` never overwrites a value.")


def test_a_placeholder_beside_a_provider_key_gets_both_hints(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        ".env.example": "BETTER_AUTH_SECRET=\nRESEND_API_KEY=\n",
        ".env": "BETTER_AUTH_SECRET=changeme\nRESEND_API_KEY=your-resend-api-key\n"})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.details["keys"] == ["BETTER_AUTH_SECRET", "RESEND_API_KEY"]
    assert env004.hint.startswith(f"Generate a new value for BETTER_AUTH_SECRET (e.g. `{GENERATE}`) and "
                                  "replace it in .env:"), env004.hint
    assert env004.hint.endswith("Replace the other placeholders with the real value from the provider's console.")


def test_a_provider_key_alone_keeps_the_console_hint(tmp_path: Path) -> None:
    project = write_project(tmp_path, {".env.example": "STRIPE_SECRET_KEY=\n",
                                       ".env.local": "STRIPE_SECRET_KEY=sk_test_xxxx\n"})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.status.value == "fail"
    assert env004.hint.startswith("Replace each placeholder with the real value from the provider's console")


def test_the_secret_the_auth_option_reads_and_its_schema_length_shape_the_command(tmp_path: Path) -> None:
    """zod-env-authjs: `secret: process.env.NEXTAUTH_SECRET`, and a plain zod schema asking
    `SESSION_SECRET: z.string().length(32)`, which `openssl rand -base64 32` would not meet."""
    project = app_fixture(tmp_path, "zod-env-authjs", {
        "src/auth.ts": (Path(__file__).parents[1] / "fixtures" / "apps" / "zod-env-authjs" / "src" / "auth.ts")
        .read_text().replace("process.env.NEXTAUTH_SECRET", "process.env.SIGNING_KEY"),
        ".env.example": "SIGNING_KEY=changeme\nSESSION_SECRET=changeme\n",
        ".env.local": "SIGNING_KEY=changeme\nSESSION_SECRET=changeme\n"})
    env004 = result(check_in_process(project, "ENV004"), "ENV004")
    assert env004.details["keys"] == ["SIGNING_KEY", "SESSION_SECRET"]
    assert env004.hint.startswith(f"Generate a new value for SIGNING_KEY, SESSION_SECRET (e.g. SIGNING_KEY: "
                                  f"`{GENERATE}`; SESSION_SECRET: `openssl rand -hex 16`) and replace them in "
                                  ".env.local:"), env004.hint


@pytest.mark.parametrize(("shape", "length"), [
    (None, 44),
    (ValueShape("src/env.ts", length=32), 32),
    (ValueShape("src/env.ts", length=33), 33),
    (ValueShape("src/env.ts", min=64), 64),
    (ValueShape("src/env.ts", min=16, max=24), 24),
    (ValueShape("src/env.ts", min=1, max=100), 44),
])
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_suggested_command_prints_a_value_the_schema_accepts(shape: ValueShape | None, length: int) -> None:
    command = generate_command(shape)
    assert command is not None
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30, check=True)
    assert len(done.stdout.strip()) == length, command


def test_no_command_for_a_format_or_an_impossible_length() -> None:
    assert generate_command(ValueShape("src/env.ts", format="url")) is None
    assert generate_command(ValueShape("src/env.ts", min=48, max=40)) is None
