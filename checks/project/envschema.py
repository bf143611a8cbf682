"""The app's own schema of its variables, wherever it keeps one: t3-env's createEnv
(checks/project/t3env.py) or a zod object it parses process.env with (checks/project/zodenv.py).
Either throws at start-up on a missing required key, so what it says is what the app needs.
The parser is ast-grep's, imported only when a file may hold a schema.
"""

from __future__ import annotations

from pathlib import Path

from checks.project.reading import read_small, relative
from checks.project.t3env import read_create_env
from checks.project.zodenv import read_zod_env
from checks.project.zodschema import EnvSchema
from checks.support.lazyre import lazy

# Where apps keep it: create-t3-app `src/env.js` (`src/env.mjs` before 7.24), the t3-env docs
# `src/env.ts` or `src/env/{server,client}.ts`, create-t3-turbo `apps/nextjs/src/env.ts` and a
# package's own `env.ts` (packages/auth/env.ts); a Remix app's server-only module
# (turkerdev/AsocialMedia src/remix/src/env.server.ts: `schema.parse(process.env)`).
SCHEMA_FILES = ("src/env.js", "src/env.mjs", "src/env.ts", "src/env/index.ts", "src/env/server.ts",
                "src/env/client.ts", "src/env/server.mjs", "src/env/client.mjs", "env.ts", "env.js",
                "env.mjs", "env/server.ts", "env/client.ts", "src/lib/env.ts", "lib/env.ts",
                "src/config/env.ts", "src/server/env.ts", "src/env.server.ts",
                # a package's config module the app imports by path (karakeep packages/shared/config.ts,
                # `import serverConfig from "@karakeep/shared/config"`)
                "config.ts", "src/config.ts",
                # a workspace package that is only the env schema: typebot.io packages/env/src/index.ts
                "src/index.ts")
# A file worth parsing: a createEnv call, or a zod object parsed with the environment.
MAY_HOLD_SCHEMA = lazy(r"\bcreateEnv\b|\b(?:safeP|p)arse(?:Async)?\s*\(\s*(?:\{|process\.env|import\.meta\.env)")


def env_schema(root: Path, homes: list[Path]) -> EnvSchema | None:
    """The env schema of the app at `root` and the workspace packages it depends on
    (`homes`, root first); None when no schema file is found."""
    schema = EnvSchema()
    for home in homes:
        for name in SCHEMA_FILES:
            path = home / name
            text = read_small(path)
            if not text or not MAY_HOLD_SCHEMA.search(text):
                continue
            # start-up: only an app with a schema file loads the parser
            from ast_grep_py import SgRoot

            file_name = relative(root, path)
            tree = SgRoot(text, "typescript" if name.endswith(".ts") else "tsx").root()
            created = read_create_env(tree, file_name, schema)
            if read_zod_env(tree, file_name, schema) or created:
                schema.files.append(file_name)
    return schema if schema.files else None
