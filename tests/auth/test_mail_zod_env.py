"""AUTH004 and ENV003 on an app whose env schema is a zod object it parses from process.env
itself (no t3-env): karakeep's packages/shared/config.ts (fixture karakeep-monorepo). Its docs
(docs/docs/08-development/01-setup.md) call DATA_DIR the only required variable; SMTP_* are
`.optional()` and the app mails only when SMTP_HOST is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import app_fixture, checks_by_id, clean_environ, run_cli, run_json

SECRET = "kk-canary-secret-Qw8Zr3Lp6Vn1"


def karakeep(tmp_path: Path, env: str, config: dict[str, str] | None = None) -> Path:
    # The docs' dev setup: `cp .env.sample .env` at the root, symlinked into apps/web.
    root = app_fixture(tmp_path, "karakeep-monorepo", {".env": env, **(config or {})})
    (root / "apps" / "web" / ".env").symlink_to("../../.env")
    return root / "apps" / "web"


def test_smtp_the_apps_zod_config_lets_be_unset_is_unverified_not_failed(tmp_path: Path) -> None:
    web = karakeep(tmp_path, f"DATA_DIR={tmp_path}/data\nNEXTAUTH_SECRET={SECRET}\n")
    code, report = run_json(web, "--only", "AUTH004")
    check = checks_by_id(report)["AUTH004"]
    assert check["status"] == "skip", check
    assert check["details"]["unverified"] == (
        "auth: the mail transport is not proven: ../../packages/shared/config.ts lets SMTP_FROM, SMTP_HOST, "
        "SMTP_PASSWORD, SMTP_PORT, SMTP_USER be unset, and none is set: the app runs without sending mail "
        "unless a rule of its own demands them"), check
    assert code == 0


def test_smtp_the_apps_zod_config_requires_still_fails(tmp_path: Path) -> None:
    config = (Path(__file__).parents[1] / "fixtures" / "apps" / "karakeep-monorepo" / "packages" / "shared"
              / "config.ts").read_text()
    required = config.replace("SMTP_HOST: z.string().optional(),", "SMTP_HOST: z.string(),")
    web = karakeep(tmp_path, f"DATA_DIR={tmp_path}/data\nNEXTAUTH_SECRET={SECRET}\n",
                   {"packages/shared/config.ts": required})
    _, report = run_json(web, "--only", "AUTH004")
    check = checks_by_id(report)["AUTH004"]
    assert check["status"] == "fail", check
    assert "no SMTP server is named" in check["message"], check


def test_a_key_optional_only_behind_the_apps_transform_stays_required_by_the_example(tmp_path: Path) -> None:
    # NEXTAUTH_SECRET is `.optional()` in the object, yet the transform's signingSecret() throws
    # without it ("Logging in will not work if this is missing!"): ENV003 must not relax it.
    web = karakeep(tmp_path, f"DATA_DIR={tmp_path}/data\nNEXTAUTH_SECRET=\n")
    _, report = run_json(web, "--only", "ENV003")
    check = checks_by_id(report)["ENV003"]
    assert check["status"] == "fail", check
    assert "NEXTAUTH_SECRET" in check["message"], check


@pytest.mark.parametrize("command", [("check", "--only", "database,schema"), ("provision", "schema")])
def test_the_sqlite_app_has_no_postgres_verdict_and_no_schema_applied(tmp_path: Path,
                                                                      command: tuple[str, ...]) -> None:
    web = karakeep(tmp_path, f"DATA_DIR={tmp_path}/data\nNEXTAUTH_SECRET={SECRET}\n")
    done = run_cli(*command, "--project", str(web), *(("-f", "json") if command[0] == "check" else ()),
                   env=clean_environ())
    printed = done.stdout + done.stderr
    assert SECRET not in printed
    if command[0] == "provision":
        assert done.returncode == 2, printed
        assert "SQLite" in printed and "applied" not in printed, printed
        return
    import json

    report = json.loads(done.stdout)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert set(statuses.values()) == {"skip"}, statuses
    assert any(u.startswith("database: the app's database is SQLite (../../packages/db/drizzle.config.ts")
               for u in report["unverified"]), report["unverified"]
