"""ENV003 reads a plain zod schema the app parses process.env with, as it reads t3-env's
createEnv: a key the schema lets be missing (`.optional()`, `.default(…)`, `.prefault(…)`) is
not required whatever the example says, a key it requires is. Many apps validate this way
(tests/fixtures/apps/zod-env-authjs, shaped after Meowi02/venlynos src/lib/env.ts); ENV003
failed asking for SMTP_HOST, which the app's own schema marks optional."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import app_fixture, check_in_process, detect, result, write_project

FILLED = ("DATABASE_URL=postgresql://app@127.0.0.1:5432/app\nSESSION_SECRET=Qm9xLRt5aZ8cV2nW4yP7sK1dF6gH3jE0\n"
          "AUTH_SECRET=Zx8Cv7Bn6Mm5Aa4Ss3Dd2Ff1Gg0Hh9Jj8Kk7Ll6\nAUTH_GOOGLE_ID=0123.apps.googleusercontent.com\n"
          "AUTH_GOOGLE_SECRET=GOCSPX-abcdefghijklmnop\n")


def test_keys_the_zod_schema_makes_optional_or_defaulted_are_not_required(tmp_path: Path) -> None:
    project = app_fixture(tmp_path, "zod-env-authjs", {".env.local": FILLED})
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "pass", env003.message
    assert env003.details["optional_in_schema"] == {"NEXTAUTH_URL": "src/lib/env.ts", "SMTP_HOST": "src/lib/env.ts",
                                                    "SMTP_PORT": "src/lib/env.ts"}
    assert "(NEXTAUTH_URL, SMTP_HOST, SMTP_PORT optional in src/lib/env.ts)" in env003.message


def test_a_key_the_zod_schema_requires_is_required(tmp_path: Path) -> None:
    project = app_fixture(tmp_path, "zod-env-authjs", {
        ".env.local": FILLED.replace("SESSION_SECRET=Qm9xLRt5aZ8cV2nW4yP7sK1dF6gH3jE0\n", ""),
        ".env.example": "DATABASE_URL=\nSMTP_HOST=\n"})
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "fail", env003.message
    assert env003.details["missing"] == ["SESSION_SECRET"]
    assert env003.details["required_by_schema"] == {"SESSION_SECRET": "src/lib/env.ts"}


def test_detect_shows_the_zod_schema(tmp_path: Path) -> None:
    model = detect(app_fixture(tmp_path, "zod-env-authjs"))
    assert model["env_schema_files"] == ["src/lib/env.ts"]
    assert sorted(model["env_schema_optional"]) == ["NEXTAUTH_URL", "NODE_ENV", "SMTP_HOST", "SMTP_PORT"]
    assert sorted(model["env_schema_required"]) == ["DATABASE_URL", "SESSION_SECRET"]
    assert model["env_schema_shapes"]["SESSION_SECRET"]["length"] == 32


# The ways real apps write it. Each declares SMTP_HOST optional and DATABASE_URL required.
LAYOUTS = {
    # filipeoliveira93/in.orbit server/src/env.ts: `envSchema.safeParse(process.env)`, the app
    # throwing on `!parsed.success`.
    "safe_parse": """import { z } from "zod";
const envSchema = z.object({
  DATABASE_URL: z.string().url(),
  SMTP_HOST: z.string().optional(),
});
const parsed = envSchema.safeParse(process.env);
if (!parsed.success) {
  throw new Error("Invalid environment variables");
}
export const env = parsed.data;
""",
    # rjunioramorim/app_cobrancas src/env.ts: each variable handed over by name.
    "reads_one_by_one": """import { z } from "zod";
const envSchema = z.object({
  DATABASE_URL: z.string().url(),
  SMTP_HOST: z.string().min(1).optional(),
});
export const env = envSchema.parse({
  DATABASE_URL: process.env.DATABASE_URL,
  SMTP_HOST: process.env["SMTP_HOST"],
});
""",
    # A schema grown from a shared one (`EnvServerOnlySchema.extend(EnvClientSchema.shape)` and
    # `.extend({ … })` in public env.server.ts files).
    "extend": """import { z } from "zod";
const baseSchema = z.object({
  DATABASE_URL: z.string().url(),
});
const clientSchema = z.object({
  NEXT_PUBLIC_APP_NAME: z.string().default("app"),
});
const envSchema = baseSchema.extend({
  SMTP_HOST: z.string().optional(),
}).extend(clientSchema.shape);
export const env = envSchema.parse(process.env);
""",
    # An inline object parsed at once (`export const secretEnv = z.object({…}).parse({…})`), zod
    # imported as `zod` (matesi/teste_tecnico server/src/env.ts) and zod 4's `z.url()` root.
    "inline_zod_namespace": """import zod from "zod";
export const env = zod
  .object({
    DATABASE_URL: zod.url(),
    SMTP_HOST: zod.string().prefault("localhost"),
  })
  .strict()
  .parse(process.env);
""",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_of_a_zod_env_schema_is_read(tmp_path: Path, layout: str) -> None:
    project = write_project(tmp_path / "app", {
        "package.json": '{"dependencies": {"next": "15.0.3", "zod": "3.23.8"}}\n',
        "src/env.ts": LAYOUTS[layout],
        ".env.example": "DATABASE_URL=\nSMTP_HOST=\n",
        ".env.local": "SMTP_HOST=\n"})
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "fail", env003.message
    assert env003.details["missing"] == ["DATABASE_URL"], env003.details
    assert env003.details["optional_in_schema"] == {"SMTP_HOST": "src/env.ts"}, env003.details


def test_a_schema_not_parsed_from_the_environment_says_nothing(tmp_path: Path) -> None:
    """A zod object the app parses a request body with (Meowi02/venlynos src/lib/auth.ts:
    `sessionSchema.parse(sessionData)`) is no env schema, nor is a key the parse never hands over."""
    project = write_project(tmp_path / "app", {
        "package.json": '{"dependencies": {"next": "15.0.3", "zod": "3.23.8"}}\n',
        "src/env.ts": """import { z } from "zod";
const sessionSchema = z.object({ SMTP_HOST: z.string().optional() });
export const session = sessionSchema.parse(JSON.parse(cookie));
const envSchema = z.object({ DATABASE_URL: z.string(), SMTP_PORT: z.string().optional() });
export const env = envSchema.parse({ DATABASE_URL: process.env.POSTGRES_URL });
""",
        ".env.example": "DATABASE_URL=\nSMTP_HOST=\nSMTP_PORT=\n",
        ".env.local": "POSTGRES_URL=postgresql://app@127.0.0.1:5432/app\n"})
    model = detect(project)
    assert model["env_schema_required"] == {"POSTGRES_URL": "src/env.ts"}
    assert model["env_schema_optional"] == {}
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.details["missing"] == ["DATABASE_URL", "SMTP_HOST", "SMTP_PORT"], env003.details


def test_keys_optional_only_before_a_transform_of_the_whole_object_are_loose(tmp_path: Path) -> None:
    """karakeep packages/shared/config.ts: `const serverConfigSchema = allEnv.transform((val, ctx)
    => …)`, then `serverConfigSchema.parse(process.env)`. The transform may still demand a key
    the object lets be missing, so such a key is neither optional nor required: loose."""
    project = write_project(tmp_path / "app", {
        "package.json": '{"dependencies": {"next": "15.0.3", "zod": "3.23.8"}}\n',
        "src/config.ts": """import { z } from "zod";
const allEnv = z.object({
  DATA_DIR: z.string(),
  NEXTAUTH_SECRET: z.string().optional(),
  SMTP_PORT: z.coerce.number().default(587),
});
const serverConfigSchema = allEnv.transform((val, ctx) => {
  if (!val.NEXTAUTH_SECRET) ctx.addIssue({ code: "custom", message: "NEXTAUTH_SECRET is not set" });
  return val;
});
export default serverConfigSchema.parse(process.env);
""",
        ".env.example": "DATA_DIR=\nNEXTAUTH_SECRET=\n",
        ".env.local": "DATA_DIR=/tmp/data\n"})
    model = detect(project)
    assert model["env_schema_files"] == ["src/config.ts"]
    assert model["env_schema_loose"] == {"NEXTAUTH_SECRET": "src/config.ts", "SMTP_PORT": "src/config.ts"}
    assert model["env_schema_optional"] == {}
    assert model["env_schema_required"] == {"DATA_DIR": "src/config.ts"}
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.details["missing"] == ["NEXTAUTH_SECRET"], env003.details
