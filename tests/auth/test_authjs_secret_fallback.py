"""Auth.js's `secret:` option reading an unset variable is undefined, and Auth.js then takes
its own (next-auth 4 src/next/index.ts: `options.secret ??= options.jwt?.secret ??
process.env.NEXTAUTH_SECRET`; Auth.js 5 @auth/core lib/utils/env.ts setEnvDefaults: `if
(!config.secret?.length)` → AUTH_SECRET). tests/fixtures/apps/zod-env-authjs (after
MuhammedRizwan/project-client src/auth.ts) passes `secret: process.env.NEXTAUTH_SECRET` while
`npx auth secret` wrote AUTH_SECRET: AUTH001 failed "NEXTAUTH_SECRET is empty" on an app that
signs its sessions. A validated `env.NEXTAUTH_SECRET` whose schema requires it still fails: the
schema throws at start-up before Auth.js could fall back."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import app_fixture, checks_by_id, detect, run_json

SECRET = "Zx8Cv7Bn6Mm5Aa4Ss3Dd2Ff1Gg0Hh9Jj8Kk7Ll6"
OWN_AUTH = "Mq2Wn4Eb6Rv8Tc0Yx1Uz3Ia5Os7Pd9Af2Sg4Dh6"


def auth001(project: Path) -> dict[str, object]:
    _code, report = run_json(project, "--only", "AUTH001")
    assert SECRET not in json.dumps(report) and OWN_AUTH not in json.dumps(report)
    return checks_by_id(report)["AUTH001"]


def test_detect_knows_the_secret_is_read_straight_from_process_env(tmp_path: Path) -> None:
    model = detect(app_fixture(tmp_path, "zod-env-authjs"))
    assert model["auth_secret_names"] == ["NEXTAUTH_SECRET"]
    assert model["auth_secret_direct"] == ["NEXTAUTH_SECRET"]


def test_an_unset_process_env_secret_falls_back_to_auth_secret(tmp_path: Path) -> None:
    found = auth001(app_fixture(tmp_path, "zod-env-authjs", {".env.local": f"AUTH_SECRET={SECRET}\n"}))
    assert found["status"] == "pass", found
    assert ("the secret comes from AUTH_SECRET, read by Auth.js itself: the NextAuth config's `secret:` reads "
            "NEXTAUTH_SECRET straight from process.env, empty here") in str(found["message"])
    assert found["details"]["secret_from"] == "AUTH_SECRET"  # type: ignore[index]


def test_a_filled_process_env_secret_is_the_one_used(tmp_path: Path) -> None:
    project = app_fixture(tmp_path, "zod-env-authjs", {".env.local": f"NEXTAUTH_SECRET={OWN_AUTH}\n"})
    found = auth001(project)
    assert found["status"] == "pass", found
    assert found["details"]["secret_from"] == "NEXTAUTH_SECRET"  # type: ignore[index]


def test_nothing_set_names_the_option_and_the_fallback(tmp_path: Path) -> None:
    found = auth001(app_fixture(tmp_path, "zod-env-authjs", {".env.local": "AUTH_GOOGLE_ID=x.apps\n"}))
    assert found["status"] == "fail", found
    assert ("NEXTAUTH_SECRET or AUTH_SECRET is empty (the NextAuth config's `secret:` reads NEXTAUTH_SECRET "
            "straight from process.env, empty here, and Auth.js falls back to AUTH_SECRET)") in str(found["message"])
    assert found["details"]["generate"] == "NEXTAUTH_SECRET"  # type: ignore[index]


VALIDATED_AUTH = """import NextAuth from "next-auth"
import Google from "next-auth/providers/google"
import { env } from "@/lib/env"

export const { handlers, signIn, signOut, auth } = NextAuth({
  providers: [Google],
  secret: env.NEXTAUTH_SECRET,
})
"""
# Shaped after Meowi02/venlynos src/lib/env.ts (`NEXTAUTH_SECRET: z.string().min(1)`).
VALIDATED_ENV = """import { z } from "zod";

const envSchema = z.object({
  DATABASE_URL: z.string().url(),
  NEXTAUTH_SECRET: z.string().min(1)%s,
});

export const env = envSchema.parse(process.env);
"""


def test_a_validated_env_secret_the_schema_requires_still_fails(tmp_path: Path) -> None:
    """`env.NEXTAUTH_SECRET` from a schema requiring it: envSchema.parse throws at start-up."""
    project = app_fixture(tmp_path, "zod-env-authjs", {
        "src/auth.ts": VALIDATED_AUTH, "src/lib/env.ts": VALIDATED_ENV % "", ".env.local": f"AUTH_SECRET={SECRET}\n"})
    assert detect(project)["auth_secret_direct"] == []
    found = auth001(project)
    assert found["status"] == "fail", found
    assert "NEXTAUTH_SECRET is empty (read by the NextAuth config's `secret:` option)" in str(found["message"])


def test_a_validated_env_secret_the_schema_lets_be_unset_falls_back(tmp_path: Path) -> None:
    project = app_fixture(tmp_path, "zod-env-authjs", {
        "src/auth.ts": VALIDATED_AUTH, "src/lib/env.ts": VALIDATED_ENV % ".optional()",
        ".env.local": f"AUTH_SECRET={SECRET}\n"})
    found = auth001(project)
    assert found["status"] == "pass", found
    assert ("the secret comes from AUTH_SECRET, read by Auth.js itself: the NextAuth config's `secret:` reads "
            "NEXTAUTH_SECRET from an env schema that lets it be unset (src/lib/env.ts), empty here") \
        in str(found["message"])
