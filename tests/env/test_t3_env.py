"""ENV003 reads the app's own t3-env schema (`createEnv` of @t3-oss/env-nextjs): a key it lets
be missing (`.optional()`, `.default(…)`) is not required whatever the example says, a key it
requires is, and one whose schema depends on the environment stays as the example says."""

from __future__ import annotations

from pathlib import Path

from helpers import check_in_process, detect, result, write_project

# Shaped after create-t3-app's src/env.js (cli/template/extras/src/env/with-auth-db.js): zod
# schemas per group, runtimeEnv listing each variable, a production-only AUTH_SECRET.
ENV_JS = """\
import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

export const env = createEnv({
  server: {
    FOO: z.string().optional(),
    BAR: z.string().url().optional(),
    BAZ: z.string().min(1),
    AUTH_SECRET:
      process.env.NODE_ENV === "production" ? z.string() : z.string().optional(),
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    PORT: z.coerce.number().default(3000),
    LOG_LEVEL: z.enum(["debug", "info"]),
  },
  client: {
    NEXT_PUBLIC_APP_URL: z.string().url(),
  },
  runtimeEnv: {
    FOO: process.env.FOO,
    BAR: process.env.BAR,
    BAZ: process.env.BAZ,
    AUTH_SECRET: process.env.AUTH_SECRET,
    NODE_ENV: process.env.NODE_ENV,
    PORT: process.env.PORT,
    LOG_LEVEL: process.env.LOG_LEVEL,
    NEXT_PUBLIC_APP_URL: process.env.NEXT_PUBLIC_APP_URL,
  },
  skipValidation: !!process.env.SKIP_ENV_VALIDATION,
  emptyStringAsUndefined: true,
});
"""
EXAMPLE = "FOO=\nBAR=\nBAZ=\nAUTH_SECRET=\nPORT=\nLOG_LEVEL= # optional\nNEXT_PUBLIC_APP_URL=\n"
FILLED = ("BAZ=baz\nAUTH_SECRET=auth-secret-canary-0123456789\nLOG_LEVEL=info\n"
          "NEXT_PUBLIC_APP_URL=http://localhost:3000\n")
PACKAGE = '{"dependencies": {"next": "14.2.4", "@t3-oss/env-nextjs": "0.10.1", "zod": "3.23.8"}}\n'


def t3_app(tmp_path: Path, env_local: str, env_js: str = ENV_JS) -> Path:
    return write_project(tmp_path / "app", {"package.json": PACKAGE, "src/env.js": env_js,
                                            ".env.example": EXAMPLE, ".env.local": env_local})


def test_keys_createenv_makes_optional_or_defaulted_are_not_required(tmp_path: Path) -> None:
    env003 = result(check_in_process(t3_app(tmp_path, FILLED), "ENV003"), "ENV003")
    assert env003.status.value == "pass", env003.message
    assert env003.details["optional_in_schema"] == {"FOO": "src/env.js", "BAR": "src/env.js",
                                                    "PORT": "src/env.js"}
    assert "(FOO, BAR, PORT optional in src/env.js)" in env003.message


def test_a_key_createenv_requires_is_required(tmp_path: Path) -> None:
    env003 = result(check_in_process(t3_app(tmp_path, FILLED.replace("BAZ=baz\n", "BAZ=\n")), "ENV003"), "ENV003")
    assert env003.status.value == "fail"
    assert env003.details["missing"] == ["BAZ"]


def test_a_key_createenv_requires_fails_even_where_the_example_marks_it_optional(tmp_path: Path) -> None:
    """LOG_LEVEL is `# optional` in the example, but createEnv throws at start-up without it."""
    env003 = result(check_in_process(t3_app(tmp_path, FILLED.replace("LOG_LEVEL=info\n", "")), "ENV003"), "ENV003")
    assert env003.status.value == "fail"
    assert env003.details["missing"] == ["LOG_LEVEL"]
    assert env003.details["required_by_schema"] == {"LOG_LEVEL": "src/env.js"}
    assert "(LOG_LEVEL: required by src/env.js)" in env003.message
    assert env003.hint == "Fill them in .env.local (see src/env.js)."


def test_a_production_only_requirement_stays_as_the_example_says(tmp_path: Path) -> None:
    env003 = result(check_in_process(t3_app(tmp_path, FILLED.replace("AUTH_SECRET=auth-secret-canary-0123456789\n", "")),
                                     "ENV003"), "ENV003")
    assert env003.status.value == "fail"
    assert env003.details["missing"] == ["AUTH_SECRET"]


def test_node_env_is_set_by_next_not_by_an_env_file(tmp_path: Path) -> None:
    env_js = ENV_JS.replace('z.enum(["development", "test", "production"]).default("development")',
                            'z.enum(["development", "test", "production"])')
    env003 = result(check_in_process(t3_app(tmp_path, FILLED, env_js), "ENV003"), "ENV003")
    assert env003.status.value == "pass", env003.message


def test_skip_validation_true_leaves_the_example_to_say(tmp_path: Path) -> None:
    """`skipValidation: true` validates nothing: the example alone says what is required."""
    env_js = ENV_JS.replace("skipValidation: !!process.env.SKIP_ENV_VALIDATION", "skipValidation: true")
    env003 = result(check_in_process(t3_app(tmp_path, FILLED.replace("LOG_LEVEL=info\n", ""), env_js), "ENV003"),
                    "ENV003")
    assert env003.status.value == "fail"
    assert env003.details["missing"] == ["FOO", "BAR", "PORT"]


def test_detect_shows_the_schema(tmp_path: Path) -> None:
    model = detect(t3_app(tmp_path, FILLED))
    assert model["env_schema_files"] == ["src/env.js"]
    assert sorted(model["env_schema_optional"]) == ["BAR", "FOO", "NODE_ENV", "PORT"]
    assert sorted(model["env_schema_required"]) == ["BAZ", "LOG_LEVEL", "NEXT_PUBLIC_APP_URL"]


# runtimeEnv may hand a schema key another variable (env.t3.gg/docs/nextjs: runtimeEnv
# "destructure all the keys manually"; a public createEnv reads DATABASE_URL from Vercel
# Postgres' POSTGRES_URL_NON_POOLING this way).
RENAMED_ENV_TS = """\
import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

export const env = createEnv({
  server: {
    DATABASE_URL: z.string(),
    AUTH_GITHUB_ID: z.string(),
    REDIS_URL: z.string(),
  },
  runtimeEnv: {
    DATABASE_URL: process.env.POSTGRES_URL_NON_POOLING,
    AUTH_GITHUB_ID: process.env["AUTH_GITHUB_ID"],
    REDIS_URL: process.env.KV_URL ?? process.env.REDIS_URL,
  },
});
"""


def test_a_key_runtimeenv_reads_from_another_variable_is_required_under_that_name(tmp_path: Path) -> None:
    """createEnv validates process.env.POSTGRES_URL_NON_POOLING under the name DATABASE_URL: a
    filled POSTGRES_URL_NON_POOLING satisfies it, an unset DATABASE_URL is no gap (ENV003 failed
    asking for DATABASE_URL, which the app never reads), and an empty one is the gap."""
    app = write_project(tmp_path / "app", {
        "package.json": PACKAGE, "src/env.ts": RENAMED_ENV_TS, ".env.example": "AUTH_GITHUB_ID=\n",
        ".env.local": "POSTGRES_URL_NON_POOLING=postgresql://notes@127.0.0.1:5432/notes\nAUTH_GITHUB_ID=Iv1.abc\n"})
    env003 = result(check_in_process(app, "ENV003"), "ENV003")
    assert env003.status.value == "pass", env003.message
    # `process.env.KV_URL ?? process.env.REDIS_URL`: which one is needed is not known, so not required.
    assert env003.details["required_by_schema"] == {"POSTGRES_URL_NON_POOLING": "src/env.ts"}
    (app / ".env.local").write_text("AUTH_GITHUB_ID=Iv1.abc\n")
    env003 = result(check_in_process(app, "ENV003"), "ENV003")
    assert env003.status.value == "fail", env003.message
    assert env003.details["missing"] == ["POSTGRES_URL_NON_POOLING"]


def test_a_default_on_a_schema_the_app_keeps_in_a_variable_is_not_required(tmp_path: Path) -> None:
    """inbox-zero's env.ts: `ENABLE_DEBUG_LOGS: booleanString.default(false)` was read as required
    (`booleanString` is no `z.…()` call), so ENV003 failed on two keys createEnv defaults."""
    import shutil

    project = tmp_path / "web"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "apps" / "inbox-zero-web", project)
    (project / ".env").write_text("NEXT_PUBLIC_BASE_URL=http://localhost:3000\n"
                                  "DATABASE_URL=postgresql://postgres:pw@127.0.0.1:5432/inboxzero\n"
                                  "GOOGLE_CLIENT_ID=emulate-google-client.apps.googleusercontent.com\n"
                                  "GOOGLE_CLIENT_SECRET=emulate-google-secret\n")
    env003 = result(check_in_process(project, "ENV003"), "ENV003")
    assert env003.status.value == "pass", env003.message
    assert "required_by_schema" not in env003.details, env003.details  # ENABLE_DEBUG_LOGS was
    # in the example, filled there with `true`: createEnv lets it be missing
    assert "NEXT_PUBLIC_BYPASS_PREMIUM_CHECKS" in env003.details["optional_in_schema"]


def test_a_zod_prefault_is_not_required(tmp_path: Path) -> None:
    """formbricks apps/web/lib/env.ts: `ENVIRONMENT: z.enum(["production", "staging"]).prefault(
    "production")`; zod 4 parses the prefault when the value is missing, but ENV003 failed it."""
    env_js = ENV_JS.replace('LOG_LEVEL: z.enum(["debug", "info"]),',
                            'LOG_LEVEL: z.enum(["debug", "info"]).prefault("info"),')
    env003 = result(check_in_process(t3_app(tmp_path, FILLED.replace("LOG_LEVEL=info\n", ""), env_js),
                                     "ENV003"), "ENV003")
    assert env003.status.value == "pass", env003.message
    assert "LOG_LEVEL" not in env003.details.get("required_by_schema", {})
