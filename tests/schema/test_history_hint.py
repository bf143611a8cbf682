"""DB006's hint runs the migrator where it finds its own config: a monorepo app whose
drizzle.config.ts writes its history into a workspace package (`out: "../../packages/db/…"`)
runs drizzle-kit from the app, not from that package (drizzle-kit reads ./drizzle.config.*)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import checks_by_id, run_json, write_project

# drizzle-kit's journal (meta/_journal.json, "version": "7") and config (defineConfig, `out`).
JOURNAL = {"version": "7", "dialect": "postgresql",
           "entries": [{"idx": 0, "version": "7", "when": 1700000000000, "tag": "0000_init", "breakpoints": True}]}
CONFIG = ('import { defineConfig } from "drizzle-kit";\nexport default defineConfig({ dialect: "postgresql", '
          'schema: "./src/schema.ts", out: "../../packages/db/migrations", '
          "dbCredentials: { url: process.env.DATABASE_URL! } });\n")


def test_a_history_the_apps_own_config_writes_elsewhere_is_applied_from_the_app(
        tmp_path: Path, fresh_db: str) -> None:
    root = write_project(tmp_path / "ws", {
        "package.json": '{"name": "ws", "private": true}',
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n  - packages/*\n", "pnpm-lock.yaml": "",
        "apps/web/package.json": json.dumps({"name": "web", "dependencies": {
            "next": "15.0.0", "drizzle-orm": "0.44.0", "@acme/db": "workspace:*"},
            "devDependencies": {"drizzle-kit": "0.31.0"}}),
        "apps/web/drizzle.config.ts": CONFIG, "apps/web/.env": f"DATABASE_URL={fresh_db}\n",
        "packages/db/package.json": '{"name": "@acme/db"}',
        "packages/db/migrations/0000_init.sql": 'CREATE TABLE "users" ("id" serial PRIMARY KEY);\n',
        "packages/db/migrations/meta/_journal.json": json.dumps(JOURNAL)})
    _code, report = run_json(root / "apps" / "web", "--only", "schema")
    db006 = checks_by_id(report)["DB006"]
    assert "or with `npx drizzle-kit migrate`." in str(db006["hint"]), db006
