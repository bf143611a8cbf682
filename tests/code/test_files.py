"""The code family's view of an app: which files, what Next.js makes of each, the URL a
route serves, and where `@/…` imports lead."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.code.files import (
    Role,
    read_sources,
    resolve_import,
    role_of,
    route_url,
    tsconfig_paths,
    url_matches,
    url_unsure,
)

from helpers import REPO, run_python, write_project


@pytest.mark.parametrize(("path", "text", "role"), [
    ("app/api/items/route.ts", "", Role.ROUTE),
    ("src/app/(shop)/api/items/[id]/route.js", "", Role.ROUTE),
    ("pages/api/items.ts", "", Role.ROUTE),
    ("app/(dashboard)/items/page.tsx", "'use client'\n", Role.PAGE),
    ("app/actions.ts", "// actions\n\"use server\";\nexport async function save() {}", Role.ACTION),
    ("components/List.tsx", "/* list */\n'use client'\nimport x from 'y'", Role.CLIENT),
    ("lib/db.ts", "import 'server-only'\nconst s = 'use client'", Role.MODULE),
])
def test_file_roles_follow_next_conventions(path: str, text: str, role: Role) -> None:
    assert role_of(path, text) is role


@pytest.mark.parametrize(("path", "url"), [
    ("app/api/(public)/stats/route.ts", "/api/stats"),
    ("src/app/api/projects/[id]/route.ts", "/api/projects/*"),
    ("app/api/files/[...slug]/route.ts", "/api/files/*"),
    ("pages/api/users/index.ts", "/api/users"),
    ("pages/api/users/[id].ts", "/api/users/*"),
    ("lib/route.ts", None),
])
def test_route_urls_drop_groups_and_make_dynamic_segments_wildcards(path: str, url: str | None) -> None:
    assert route_url(path) == url


def test_caller_urls_match_routes_with_wildcards() -> None:
    assert url_matches("/api/projects/*", "/api/projects/*")
    assert url_matches("/api/projects/*", "/api/projects/42?x=1")
    assert url_matches("/api/files/*", "/api/files/a/b/c")
    assert not url_matches("/api/projects/*", "/api/projects")
    assert not url_matches("/api/stats", "/api/status")
    # A caller's `${…}` may span segments: it never stands in for a route's literal segment.
    assert not url_matches("/api/teams/*/documents/*/versions", "/api/teams/*/*/manage/*")
    assert not url_matches("/api/projects/new", "/api/projects/*")


@pytest.mark.parametrize(("route", "called", "unsure"), [
    ("/api/projects/*", "/api/projects/42", 0),
    ("/api/stats", "/api/status", None),
    ("/api/projects/export", "/api/*/export", 1),  # a `${…}` at a fixed segment: maybe
    ("/api/projects/new", "/api/projects/*", 1),
    ("/api/teams/*/documents/*/versions", "/api/teams/*/*/manage/*", 2),
    ("/api/teams/*/folders/manage/*", "/api/teams/*/*/manage/*", 1),
    ("/api/teams/*/datarooms/*/folders/manage/*", "/api/teams/*/*/manage/*", 9),  # spans segments
    ("/api/teams/*/documents", "/api/users/*", None),
    ("/api/a/b/c", "/api/*/d", None),
])
def test_a_caller_s_interpolation_at_a_fixed_segment_is_a_maybe(route: str, called: str, unsure: int | None) -> None:
    assert url_unsure(route, called) == unsure


def test_sources_skip_dependencies_build_output_and_tests(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "src/app/page.tsx": "", "src/lib/a.ts": "", "node_modules/x/index.js": "", ".next/server/a.js": "",
        "src/lib/a.test.ts": "", "tests/e2e.ts": "", "dist/bundle.js": "", "README.md": "",
    })
    assert [f.path for f in read_sources(project)] == ["src/app/page.tsx", "src/lib/a.ts"]


def test_tsconfig_paths_resolve_alias_imports_with_comments_and_trailing_commas(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"tsconfig.json": (
        '{\n  // Next.js default\n  "compilerOptions": {\n    "baseUrl": ".",\n'
        '    "paths": { "@/*": ["./src/*"], },\n  },\n}\n')})
    paths = tsconfig_paths(project)
    known = {"src/lib/auth/index.ts", "src/lib/db.ts", "src/app/api/x/route.ts"}
    assert resolve_import("src/app/api/x/route.ts", "@/lib/auth", paths, known) == "src/lib/auth/index.ts"
    assert resolve_import("src/app/api/x/route.ts", "../../../lib/db", paths, known) == "src/lib/db.ts"
    assert resolve_import("src/app/api/x/route.ts", "next/server", paths, known) is None


def test_a_fifo_or_a_link_out_of_the_project_is_never_read(tmp_path: Path) -> None:
    import os

    outside = tmp_path / "outside.ts"
    outside.write_text("export const leaked = 'not the app';\n")
    app = tmp_path / "app"
    (app / "app" / "api" / "x").mkdir(parents=True)
    (app / "app" / "api" / "ok").mkdir(parents=True)
    os.mkfifo(app / "app" / "api" / "x" / "route.ts")  # a blocking read would hang the run
    (app / "lib").mkdir()
    (app / "lib" / "linked.ts").symlink_to(outside)
    (app / "app" / "api" / "ok" / "route.ts").write_text("export async function GET() {}\n")
    assert [f.path for f in read_sources(app)] == ["app/api/ok/route.ts"]


def test_a_vendored_file_that_opens_with_comments_but_no_directive_is_read_in_linear_time() -> None:
    # dub's lib/qr/codegen.ts (a licence comment, "use strict", dozens of comments) held the
    # directive pattern in backtracking for longer than any run: checked in a child, bounded.
    app = REPO / "tests" / "fixtures" / "apps" / "dub-vendored-licence"
    done = run_python(
        "from pathlib import Path\n"
        "from checks.code.files import read_sources\n"
        f"for f in read_sources(Path({str(app)!r})): print(f.path, f.role.value)\n", timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["lib/qr/codegen.ts module", "ui/qr-code.tsx client module"]
