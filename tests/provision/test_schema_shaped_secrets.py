"""A generated secret must be one the app accepts. typebot.io's env schema (packages/env/src/
index.ts in baptisteArno/typebot.io, a t3-env createEnv fed by `...baseEnv.server` spreads) says
`ENCRYPTION_SECRET: z.string().length(32)`: the 43-character value `provision env` generated made
the app refuse to boot. The value now meets the schema's `.length(n)`, `.min(n)`, `.max(n)`; a
secret whose schema asks for a format (`.url()`, `.email()`) is left for the user, who is told why."""

from __future__ import annotations

import json
from pathlib import Path

from checks.support.envfile import parse_env_text
from provision.env import complete_env

from helpers import (
    app_fixture,
    checks_by_id,
    clean_environ,
    committed,
    run_cli,
    run_json,
    write_project,
)

# Shaped after typebot.io packages/env/src/index.ts (baseEnv, a provider's env object, the spreads
# into createEnv) and packages/env/package.json (a workspace package whose entry is src/index.ts).
TYPEBOT_ENV = """import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

const baseEnv = {
  server: {
    DATABASE_URL: z
      .string()
      .url()
      .refine((url) => url.startsWith("postgres") || url.startsWith("mysql")),
    ENCRYPTION_SECRET: z.string().length(32),
    NEXTAUTH_URL: z.preprocess((val) => val, z.string().url()),
    ADMIN_EMAIL: z.string().min(1).optional(),
  },
};

const gitlabEnv = {
  server: {
    GITLAB_CLIENT_SECRET: z.string().min(1).optional(),
  },
};

export const env = createEnv({
  server: {
    ...baseEnv.server,
    ...gitlabEnv.server,
  },
  runtimeEnv: process.env,
});
"""


def typebot(tmp_path: Path) -> Path:
    """tests/fixtures/apps/nx-monorepo with typebot's env package, as a clone; the app folder."""
    root = app_fixture(tmp_path, "nx-monorepo", {
        "packages/env/package.json": json.dumps({"name": "@acme/env", "main": "src/index.ts"}),
        "packages/env/src/index.ts": TYPEBOT_ENV})
    builder = root / "apps" / "builder" / "package.json"
    package = json.loads(builder.read_text())
    package["dependencies"]["@acme/env"] = "workspace:*"
    builder.write_text(json.dumps(package))
    committed(root)
    return root / "apps" / "builder"


def written(path: Path) -> dict[str, str]:
    return parse_env_text(path.read_text(encoding="utf-8"), path).values


def test_a_length_the_env_schema_fixes_is_the_length_generated(tmp_path: Path) -> None:
    project = typebot(tmp_path)
    done = run_cli("provision", "env", "--project", str(project), env=clean_environ())
    assert done.returncode == 0, done.stderr
    values = written(project / "../../.env")  # the root .env Nx loads (docs: cp .env.dev.example .env)
    secret = values["ENCRYPTION_SECRET"]
    assert len(secret) == 32, len(secret)
    assert secret not in done.stdout + done.stderr
    code, report = run_json(project, "--only", "env,AUTH001", env=clean_environ())
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert code == 0 and set(statuses.values()) <= {"pass", "skip"}, report["checks"]
    assert statuses["ENV003"] == statuses["AUTH001"] == "pass", statuses
    assert secret not in json.dumps(report)


APP_ENV = """import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

export const env = createEnv({
  server: {
    AUTH_SECRET: z.string().min(64),
    SESSION_SECRET: z.string().min(16).max(24),
    COOKIE_SECRET: z.string().url(),
    JWT_SECRET: z.string().min(48).max(40).optional(),
  },
  runtimeEnv: process.env,
});
"""


def test_min_and_max_are_met_and_a_format_is_left_for_the_user(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {
        "package.json": json.dumps({"name": "app", "dependencies": {"next": "15.0.0", "@t3-oss/env-nextjs": "0.12.0"}}),
        "src/env.ts": APP_ENV,
        ".env.local.example": "AUTH_SECRET=\nSESSION_SECRET=\nCOOKIE_SECRET=\nJWT_SECRET=\n",
        ".gitignore": ".env*.local\n"})
    done = run_cli("provision", "env", "--project", str(project), env=clean_environ())
    assert done.returncode == 0, done.stderr
    values = written(project / ".env.local")
    assert len(values["AUTH_SECRET"]) == 64 and 16 <= len(values["SESSION_SECRET"]) <= 24, values.keys()
    assert values["COOKIE_SECRET"] == values["JWT_SECRET"] == ""
    assert "COOKIE_SECRET not generated: src/env.ts wants a url there (`.url()`), not a random secret" \
        in done.stdout, done.stdout
    assert "JWT_SECRET not generated: src/env.ts asks for min 48, max 40, which no value meets" in done.stdout
    for value in (values["AUTH_SECRET"], values["SESSION_SECRET"]):
        assert value not in done.stdout + done.stderr
    found = checks_by_id(run_json(project, "--only", "ENV003", env=clean_environ())[1])["ENV003"]
    assert found["status"] == "fail" and "COOKIE_SECRET" in found["message"], found


def test_only_a_url_with_no_credentials_is_copied_under_a_masked_name() -> None:
    example = parse_env_text("NEXTAUTH_URL=http://localhost:3000\nAUTH_REDIRECT_URL=https://u:pw@auth.example.test\n"
                             "AUTH_CALLBACK_URL=https://auth.example.test/cb?token=abc\n", Path(".env.example"))
    done = complete_env(example, None, None, example_name=".env.example")
    assert done.filled == ["NEXTAUTH_URL"] and done.left_empty == ["AUTH_REDIRECT_URL", "AUTH_CALLBACK_URL"]


def test_a_plain_zod_env_schema_fixes_the_length_generated(tmp_path: Path) -> None:
    """tests/fixtures/apps/zod-env-authjs validates with `z.object({ SESSION_SECRET:
    z.string().length(32) }).parse(process.env)`, no createEnv: the 43-character value generated
    before made `envSchema.parse` throw at start-up."""
    project = app_fixture(tmp_path, "zod-env-authjs", {".gitignore": ".env*.local\n"})
    done = run_cli("provision", "env", "--project", str(project), env=clean_environ())
    assert done.returncode == 0, done.stderr
    values = written(project / ".env.local")
    assert len(values["SESSION_SECRET"]) == 32, len(values["SESSION_SECRET"])
    assert len(values["AUTH_SECRET"]) >= 32  # no schema says otherwise
    assert values["SESSION_SECRET"] not in done.stdout + done.stderr
