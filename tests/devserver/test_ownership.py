"""DEV005 against real apps: the demo app (with its ownership fault switches) and a real
better-auth server. A second throwaway user signs in and replays the first user's routes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

from checks.project.config import Route
from checks.runtime.ownership import first_path, probed_routes, second_address

from helpers import REPO, clean_environ, node_packages, run_cli

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")


def run(project: Path, only: str) -> dict[str, dict[str, Any]]:
    done = run_cli("check", "--project", str(project), "--only", only, "-f", "json", env=clean_environ(),
                   timeout=240)
    assert done.stdout.startswith("{"), done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["checks"]}


@pytest.fixture(scope="module")
def demo_packages() -> Path:
    return node_packages(REPO / "examples" / "demo-app")  # pg and nodemailer, from its lockfile


def demo_project(root: Path, packages: Path, url: str, bug: str = "", extra_env: str = "") -> Path:
    project = root / "demo"
    shutil.copytree(REPO / "examples" / "demo-app", project)
    (project / "node_modules").symlink_to(packages / "node_modules")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute((project / "schema.sql").read_text())
    (project / ".env.local").write_text("SESSION_SECRET=" + "s" * 40 + f"\nDATABASE_URL={url}\n"
                                        + (f"DEMO_OWNERSHIP_BUG={bug}\n" if bug else "") + extra_env)
    return project


def test_the_clean_demo_refuses_a_second_user_everything(tmp_path: Path, fresh_db: str, demo_packages: Path) -> None:
    checks = run(demo_project(tmp_path, demo_packages, fresh_db), "AUTH003,DEV004,DEV005")
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    dev005 = checks["DEV005"]
    assert dev005["status"] == "pass", dev005["message"]
    probes = {p["route"]: p["status"] for p in dev005["details"]["probes"]}
    # Reads first, then the writes; the GET was found by its captured id, the others are marked.
    assert list(probes) == ["GET /api/notes/{note_id}", "PATCH /api/notes/{note_id}", "POST /api/notes/copies"]
    assert set(probes.values()) == {404}
    assert dev005["details"]["second_user"].endswith("-b@example.test")
    assert dev005["details"]["signed_out"] == "/api/auth/sign-out answered 200"
    with psycopg.connect(fresh_db) as connection:
        # Two accounts signed in; the second made nothing (its copy of the first's note was refused).
        assert connection.execute("SELECT count(*) FROM accounts").fetchone() == (2,)
        assert connection.execute("SELECT count(*) FROM notes").fetchone() == (2,)


@pytest.mark.parametrize(("bug", "says"), [
    ("read", "GET /api/notes/{note_id} (step 2) as the second user: answered 200 with the first user's data at $.body"),
    ("patch", "PATCH /api/notes/{note_id} (step 3) as the second user: answered 200: the write was accepted"),
    ("copy", "POST /api/notes/copies (step 4) as the second user: answered 201: the write with the first user's "
             "noteId was accepted, and the answer shows the first user's data at $.body"),
])
def test_each_ownership_bug_of_the_demo_fails_dev005_by_name(
        tmp_path: Path, fresh_db: str, demo_packages: Path, bug: str, says: str) -> None:
    checks = run(demo_project(tmp_path, demo_packages, fresh_db, bug), "AUTH003,DEV004,DEV005")
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    dev005 = checks["DEV005"]
    assert dev005["status"] == "fail", dev005["message"]
    assert says in dev005["message"]
    if bug == "patch":
        # The first user's read-back moved: the second user's text replaced the first's.
        assert "the first user's data changed: `SELECT count(*) FROM notes WHERE id = $1 AND body = $2` gave (1,) " \
               "before the attempt, (0,) after" in dev005["message"]
    failing = [p for p in dev005["details"]["probes"] if p["problem"]]
    assert len(failing) == 1, failing


def test_a_second_sign_in_refused_by_a_rate_limit_is_unverified_never_a_pass(
        tmp_path: Path, fresh_db: str, demo_packages: Path) -> None:
    # The demo's code route allows one request: the first user's sign-in, then 429.
    project = demo_project(tmp_path, demo_packages, fresh_db, extra_env="DEMO_SIGNIN_LIMIT=1\n")
    checks = run(project, "AUTH003,DEV004,DEV005")
    assert checks["AUTH003"]["status"] == "pass", checks["AUTH003"]["message"]
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    dev005 = checks["DEV005"]
    # Unverified is a skip that leaves the clause listed as unchecked (checks/core/model.py).
    assert dev005["status"] == "skip", dev005["message"]
    assert dev005["details"]["unverified"].startswith("devserver: a second sign-in was refused by a rate limit (429)")
    assert "send-verification-otp answered 429" in dev005["message"]
    assert dev005["details"]["probes"] == []
    assert dev005["details"]["second_user"].endswith("-b@example.test")


@pytest.fixture(scope="module")
def better_auth() -> Path:
    return node_packages("better-auth-app")


@pytest.mark.parametrize("any_owner", [False, True])
def test_a_real_better_auth_server_with_no_ownership_config(
        tmp_path: Path, fresh_db: str, better_auth: Path, any_owner: bool) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as connection:
        connection.execute((better_auth / "schema.sql").read_text())
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app", "private": true, "type": "module", '
                                          '"scripts": {"dev": "node server.mjs"}}\n')
    (project / ".env.local").write_text(f"BETTER_AUTH_SECRET={'k' * 40}\nDATABASE_URL={fresh_db}\nDELETE_USER=1\n"
                                        + ("NOTES_ANY_OWNER=1\n" if any_owner else ""))
    # No owned/foreign anywhere: the GET whose path uses the captured id is replayed.
    (project / "deploy-check.toml").write_text("""[auth]
provider = "better-auth"
[dev_server]
ready_timeout = 30
route_timeout = 10
routes = [
    { path = "/api/notes", method = "POST", status = 201, json = { body = "hello {run}" }, signed_in = true, capture = { note_id = "$.id" } },
    { path = "/api/notes/{note_id}", signed_in = true, expect = { json = { "$.body" = "hello {run}" } } },
]
""")
    (project / "node_modules").symlink_to(better_auth / "node_modules")
    shutil.copy(better_auth / "server.mjs", project / "server.mjs")
    checks = run(project, "AUTH003,DEV004,DEV005")
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    dev005 = checks["DEV005"]
    if any_owner:
        assert dev005["status"] == "fail", dev005["message"]
        assert dev005["details"]["probes"][0]["shows"] == "$.body"
        assert "GET /api/notes/{note_id} (step 2) as the second user: answered 200" in dev005["message"]
    else:
        assert dev005["status"] == "pass", dev005["message"]
        assert dev005["details"]["probes"][0]["status"] == 404
    # Both throwaway users are gone: better-auth's delete-user, where the app enables it.
    assert dev005["details"]["deleted"] == "deleted (/api/auth/delete-user)"
    assert checks["AUTH003"]["details"]["deleted"] == "deleted (/api/auth/delete-user)"
    with psycopg.connect(fresh_db) as connection:
        assert connection.execute('SELECT count(*) FROM "user"').fetchone() == (0,)


def test_routes_replayed_by_the_second_user_reads_first_destructive_last() -> None:
    routes = [
        Route("/api/notes", method="POST", signed_in=True, capture={"note_id": "$.id"}),
        Route("/api/notes/{note_id}", method="DELETE", signed_in=True, owned=True),
        Route("/api/notes/{note_id}", signed_in=True),
        Route("/api/public/{note_id}", signed_in=True, owned=False),
        Route("/api/me", signed_in=True),
        Route("/api/pins", method="POST", signed_in=True, json={"noteId": "{note_id}"}, foreign=("noteId",)),
    ]
    assert [(n, r.method) for n, r in probed_routes(routes)] == [(3, "GET"), (6, "POST"), (2, "DELETE")]


def test_the_second_address_and_the_first_path_showing_the_first_users_data() -> None:
    assert second_address("deploy-check+{run}@example.test") == "deploy-check+{run}-b@example.test"
    assert second_address("deploy-check+clerk_test@example.test") == "deploy-check-b+clerk_test@example.test"
    assert second_address("qa@example.test") == "qa-b@example.test"
    body = {"items": [{"id": "7", "body": "mine"}, {"id": "9", "body": "note dc123456789"}]}
    assert first_path(body, ["dc123456789"], set()) == "$.items[1].body"
    assert first_path(body, [], {"7"}) == "$.items[0].id"
    assert first_path([], ["dc123456789"], {"7"}) is None


@pytest.mark.parametrize(("route", "says"), [
    ('{ path = "/n", method = "POST", signed_in = true, json = { body = "x" }, foreign = ["noteId"] }',
     "dev_server.routes[0].foreign names 'noteId', which the route's json body does not hold"),
    ('{ path = "/n/{id}", owned = true }', "dev_server.routes[0]: owned and foreign mark steps of the signed-in flow"),
    ('{ path = "/n", owned = "yes", signed_in = true }', "dev_server.routes[0].owned must be bool"),
])
def test_owned_and_foreign_are_checked_when_the_config_is_read(route: str, says: str) -> None:
    import tomllib

    from checks.project.config import parse_config
    from checks.support.errors import DeployCheckError

    with pytest.raises(DeployCheckError, match=re.escape(says)):
        parse_config(tomllib.loads(f"[dev_server]\nroutes = [{route}]\n"), None)


# -- routes found in the app's files (App Router record handlers) -------------------------


def demo_with_handlers(root: Path, packages: Path, url: str, bug: str = "") -> Path:
    """The demo with Next.js-shaped handler files beside it and a flow that only creates a
    note: no GET of the note, no owned, no foreign."""
    project = demo_project(root, packages, url, bug)
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "next-record-handlers" / "app", project / "app")
    config = (project / "deploy-check.toml").read_text()
    flow = config[config.index("routes = ["):]
    kept = [line for line in flow.splitlines() if 'method = "POST", status = 201, json = { body' in line]
    (project / "deploy-check.toml").write_text(config[:config.index("routes = [")] + "routes = [\n"
                                               '    { path = "/", status = 200 },\n' + kept[0] + "\n]\n")
    assert "owned =" not in (project / "deploy-check.toml").read_text()
    return project


@pytest.mark.parametrize("bug", ["", "read"])
def test_a_record_handler_in_the_app_files_is_read_as_the_second_user(
        tmp_path: Path, fresh_db: str, demo_packages: Path, bug: str) -> None:
    checks = run(demo_with_handlers(tmp_path, demo_packages, fresh_db, bug), "AUTH003,DEV004,DEV005")
    assert checks["DEV004"]["status"] == "pass", checks["DEV004"]["message"]
    dev005 = checks["DEV005"]
    probes = dev005["details"]["probes"]
    # Only GET: the handler's PATCH is not declared in the flow; the static export/ is no record.
    assert [(p["route"], p["found_in"]) for p in probes] == [
        ("GET /api/notes/{note_id}", "app/api/notes/[id]/route.ts")]
    if bug:
        assert dev005["status"] == "fail", dev005["message"]
        assert ("GET /api/notes/{note_id} (found in app/api/notes/[id]/route.ts) as the second user: answered 200 "
                "with the first user's data at $.body") in dev005["message"]
    else:
        assert dev005["status"] == "pass", dev005["message"]
        assert probes[0]["status"] == 404


@pytest.mark.parametrize(("files", "flow_path", "found"), [
    ({"app/api/notes/[id]/route.ts": "export async function GET() {}"}, "/api/notes", ["/api/notes/{note_id}"]),
    ({"src/app/api/notes/[noteId]/route.tsx": "export const GET = handler"}, "/api/notes",
     ["/api/notes/{note_id}"]),
    ({"app/(app)/api/@modal/notes/[id]/route.js": "const h = 1; export { h as GET, h as DELETE }"}, "/api/notes",
     ["/api/notes/{note_id}"]),
    ({"app/api/projects/[projectId]/notes/[id]/route.ts": "export async function GET() {}"},
     "/api/projects/{project_id}/notes", ["/api/projects/{project_id}/notes/{note_id}"]),
    # Not a record read of this flow: no GET, a catch-all, a private folder, another prefix, a comment.
    ({"app/api/notes/[id]/route.ts": "export async function PATCH() {}"}, "/api/notes", []),
    ({"app/api/notes/[...slug]/route.ts": "export async function GET() {}"}, "/api/notes", []),
    ({"app/api/_lib/notes/[id]/route.ts": "export async function GET() {}"}, "/api/notes", []),
    ({"app/api/pins/[id]/route.ts": "export async function GET() {}"}, "/api/notes", []),
    ({"app/api/notes/[id]/route.ts": "// export async function GET() {}\nexport const POST = h"}, "/api/notes", []),
])
def test_record_handlers_found_under_the_route_that_created_the_record(
        tmp_path: Path, files: dict[str, str], flow_path: str, found: list[str]) -> None:
    from checks.runtime.handlers import route_handlers
    from checks.runtime.ownership import discovered_routes

    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    flow = [Route(flow_path, method="POST", signed_in=True, capture={"note_id": "$.id", "title": "$.title"})]
    routes = discovered_routes(flow, route_handlers(tmp_path))
    assert [r.path for _, r in routes] == found
    assert all(r.method == "GET" and r.owned for _, r in routes)
    # A path the flow already lists follows the flow (owned = false opts it out).
    described = [*flow, Route("/api/notes/{id}", signed_in=True, owned=False)]
    assert [r.path for _, r in discovered_routes(described, route_handlers(tmp_path))] == \
        [p for p in found if not p.startswith("/api/notes/")]
