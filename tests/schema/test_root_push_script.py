"""An app whose tables come from `prisma db push` run by a package's own script, which the
workspace root's script calls with `cd ./packages/db/ && bun db:push` (saasfly/saasfly
package.json; packages/db/package.json `"db:push": "bun with-env prisma db push
--skip-generate"`; README: `bun db:push`). Fixture: tests/fixtures/apps/saasfly-with-env."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO, checks_by_id, committed, run_cli, run_json


def test_the_root_script_that_runs_the_packages_push_is_the_fix(tmp_path: Path, fresh_db: str) -> None:
    root = shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "saasfly-with-env", tmp_path / "saasfly")
    committed(root)
    (root / ".env.local").write_text(f"POSTGRES_URL={fresh_db}\n", encoding="utf-8")
    app = root / "apps" / "nextjs"
    _code, report = run_json(app, "--only", "DB004")
    db004 = checks_by_id(report)["DB004"]
    assert db004["status"] == "fail", db004
    assert db004["fix"] == "cd ../.. && bun run db:push", db004
    assert "`cd ../.. && bun run db:push`" in db004["hint"]
    refused = run_cli("provision", "schema", "--project", str(app))
    assert refused.returncode == 1
    assert "`cd ../.. && bun run db:push`" in refused.stderr, refused.stderr
