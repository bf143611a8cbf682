"""CODE001: route handlers and pages within their size budget, `[code]` changes it."""

from __future__ import annotations

from pathlib import Path

from helpers import run_cli, run_json, write_project


def lines(count: int) -> str:
    return "".join(f"// line {n}\n" for n in range(count))


def code001(project: Path) -> dict[str, object]:
    _, report = run_json(project, "--only", "CODE001")
    return report["checks"][0]


def test_a_long_route_handler_and_a_long_page_warn_with_their_location(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "app/api/orders/route.ts": lines(201),
        "app/(shop)/orders/page.tsx": lines(251),
        "app/api/health/route.ts": lines(200),  # at the budget: fine
        "app/page.tsx": lines(250),
        "lib/orders.ts": lines(900),  # not a route or page: no budget
    })
    result = code001(project)
    assert result["status"] == "warn"
    assert [f["location"] for f in result["details"]["findings"]] == [
        "app/(shop)/orders/page.tsx:251:1", "app/api/orders/route.ts:201:1"]
    assert "app/api/orders/route.ts:201:1 (route handler, 201 lines > 200)" in result["message"]


def test_config_changes_the_budgets(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "deploy-check.toml": "[code]\nroute_max_lines = 300\npage_max_lines = 20\n",
        "pages/api/orders.ts": lines(250), "app/page.tsx": lines(21),
    })
    result = code001(project)
    assert [f["location"] for f in result["details"]["findings"]] == ["app/page.tsx:21:1"]


def test_an_app_within_budget_passes_and_one_without_code_is_unverified(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {"app/api/x/route.ts": lines(10), "app/page.tsx": lines(10)})
    assert code001(project)["status"] == "pass"
    empty = write_project(tmp_path / "empty", {"README.md": "hi\n"})
    result = code001(empty)
    assert result["status"] == "skip" and "no .ts/.tsx" in result["message"]


def test_unknown_or_bad_code_keys_are_configuration_errors(tmp_path: Path) -> None:
    for body, said in [("route_lines = 3", "unknown key code.route_lines"),
                       ("page_max_lines = 0", "code.page_max_lines must be a positive"),
                       ('route_max_lines = "200"', "code.route_max_lines must be int")]:
        project = write_project(tmp_path, {"deploy-check.toml": f"[code]\n{body}\n"})
        done = run_cli("check", "--project", str(project), "--only", "CODE001")
        assert done.returncode == 2 and said in done.stderr, done.stderr


def test_sarif_annotates_each_finding_at_its_line_and_column(tmp_path: Path) -> None:
    import json

    project = write_project(tmp_path, {"app/api/a/route.ts": lines(202), "pages/api/b.ts": lines(203)})
    done = run_cli("check", "--project", str(project), "--only", "code", "-f", "sarif")
    results = [r for r in json.loads(done.stdout)["runs"][0]["results"] if r["ruleId"] == "CODE001"]
    assert [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]) for r in results] == [
        ("app/api/a/route.ts", {"startLine": 201, "startColumn": 1}),
        ("pages/api/b.ts", {"startLine": 201, "startColumn": 1})]


def test_an_app_without_next_js_roles_is_not_passed_over_nothing(tmp_path: Path) -> None:
    """The bundled demo is a plain Node server: CODE001, CODE002 and CODE005 said "0 route
    handlers and pages within their size budget" — a pass over nothing. They are skipped,
    saying what was not there; CODE004 still reads every source file."""
    project = write_project(tmp_path, {"server.js": "const http = require('http')\nhttp.createServer().listen(3000)\n",
                                       "package.json": '{"name": "plain"}\n'})
    _, report = run_json(project, "--only", "code")
    found = {c["id"]: c for c in report["checks"]}
    assert found["CODE001"]["status"] == "skip" and "no route handler or page" in found["CODE001"]["message"]
    assert found["CODE002"]["status"] == "skip" and "no user-facing route handler" in found["CODE002"]["message"]
    assert found["CODE005"]["status"] == "skip" and "no client-side" in found["CODE005"]["message"]
    assert found["CODE004"]["status"] == "pass" and "1 source file" in found["CODE004"]["message"]
