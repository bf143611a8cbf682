"""CODE003: a client fetch to a route that reads a bearer token, sent without one, fails
(the route answers 401) or warns (the token is optional); options built elsewhere are
listed as could-not-verify, never passed; cookie-session apps and a useApi wrapper stay silent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checks.code.analysis import analyze

from helpers import locations, run_json, write_project


def test_calls_without_the_token_fail_or_warn_and_built_options_are_listed(code_report: Any) -> None:
    check = code_report("code-bearer-saas")["CODE003"]
    assert check["status"] == "fail"
    # ProjectList.tsx:10 sends `Authorization: Bearer …`; the projects routes read it one
    # hop away (lib/auth/bearer.ts, which answers 401); /api/stats reads it optionally.
    assert locations(check) == [
        "src/components/ProjectList.tsx:16:11 fetch('/api/projects') without Authorization; "
        "src/app/api/projects/route.ts answers 401 without it (reads it at src/lib/auth/bearer.ts:8:18)",
        "src/components/ProjectList.tsx:20:11 fetch('/api/projects/*') without Authorization; "
        "src/app/api/projects/[id]/route.ts answers 401 without it (reads it at src/lib/auth/bearer.ts:8:18)",
        "src/components/ProjectList.tsx:24:12 fetch('/api/stats') without Authorization; "
        "src/app/api/(public)/stats/route.ts reads it optionally (at src/app/api/(public)/stats/route.ts:6:17): "
        "a signed-in user is served as anonymous",
    ]
    assert [f["location"] for f in check["details"]["could_not_verify"]] == ["src/components/ProjectList.tsx:28:12"]
    assert "could not verify 1 call whose options are built elsewhere" in check["message"]


def test_inline_readers_pages_api_and_awaited_header_helpers(code_report: Any) -> None:
    check = code_report("code-firebase-scans")["CODE003"]
    assert check["status"] == "fail"
    # ScanPanel.tsx:15 sends a lower-case `authorization` header to /api/scans?status=…
    assert locations(check) == [
        "components/ScanPanel.tsx:10:11 fetch('/api/scans') without Authorization; app/api/scans/route.ts "
        "answers 401 without it (reads it at app/api/scans/route.ts:6:22)",
        "components/ScanPanel.tsx:28:19 fetch('/api/usage') without Authorization; pages/api/usage.ts reads it "
        "optionally (at pages/api/usage.ts:6:17): a signed-in user is served as anonymous",
    ]
    assert [f"{f['location']} {f['what']}" for f in check["details"]["could_not_verify"]] == [
        "components/ScanPanel.tsx:20:12 fetch('/api/scans/*') to app/api/scans/[scanId]/route.ts: "
        "headers come from `await getAuthHeaders()`",
        "components/ScanPanel.tsx:24:12 fetch('/api/scans/*') to app/api/scans/[scanId]/route.ts: "
        "options spread `...init`",
    ]


def test_cookie_sessions_and_a_use_api_wrapper_stay_silent(code_report: Any) -> None:
    cookie = code_report("code-cookie-session")["CODE003"]
    assert cookie["status"] == "pass" and "no route handler reads a bearer token" in cookie["message"]
    wrapped = code_report("code-useapi")["CODE003"]
    assert wrapped["status"] == "pass" and wrapped["details"]["findings"] == []
    assert [r["file"] for r in wrapped["details"]["routes"]] == ["app/api/notes/route.ts", "app/api/notes/[id]/route.ts"]


def test_only_unverifiable_calls_are_unverified_never_passed(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "app/api/me/route.ts": ("export async function GET(request: Request) {\n"
                                "  if (!request.headers.get('authorization')) return new Response(null, { status: 401 })\n"
                                "  return Response.json({})\n}\n"),
        "components/Me.tsx": "'use client'\nexport const me = (headers: HeadersInit) => fetch('/api/me', { headers })\n",
    })
    _, report = run_json(project, "--only", "CODE003")
    check = report["checks"][0]
    assert check["status"] == "skip" and check["details"]["findings"] == []
    assert any("could not verify 1 call" in clause and "components/Me.tsx:2:45" in clause
               for clause in report["unverified"]), report["unverified"]


@pytest.mark.parametrize(("options", "auth"), [
    ("", "no"),
    (", { method: 'POST', body }", "no"),
    (", { headers: { 'Content-Type': 'application/json' } }", "no"),
    (", { headers: { Authorization: `Bearer ${token}` } }", "yes"),
    (", { headers: { 'authorization': token } }", "yes"),
    (", { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } }", "yes"),
    (", init", "unknown"),
    (", { ...init }", "unknown"),
    (", { headers }", "unknown"),
    (", { headers: new Headers(init.headers) }", "unknown"),
])
def test_the_parser_reads_each_call_s_authorization_header(options: str, auth: str) -> None:
    facts = analyze("components/X.tsx", f"'use client'\nexport const go = () => fetch(`/api/x/${{id}}`{options})\n")
    assert [(f.url, f.auth) for f in facts.fetches] == [("/api/x/*", auth)]


def test_a_route_that_falls_back_to_the_session_cookie_is_signed_in_without_the_token(code_report: Any) -> None:
    # papermark's shape: documents/index.ts takes an API token first, else getServerSession;
    # the browser's call carries the cookie. Only the token-only versions route refuses it.
    check = code_report("code-shared-session")["CODE003"]
    assert check["status"] == "fail"
    assert locations(check) == [
        "components/documents/versions-list.tsx:4:22 fetch('/api/teams/*/documents/*/versions') without "
        "Authorization; pages/api/teams/[teamId]/documents/[id]/versions/index.ts answers 401 without it (reads "
        "it at pages/api/teams/[teamId]/documents/[id]/versions/index.ts:5:17)",
    ]
    assert check["details"]["could_not_verify"] == []
    sessions = {r["file"]: r["session"] for r in check["details"]["routes"]}
    assert sessions == {
        "pages/api/teams/[teamId]/documents/index.ts": "pages/api/teams/[teamId]/documents/index.ts:16:27",
        "pages/api/teams/[teamId]/documents/[id]/versions/index.ts": None,
    }


def test_a_call_whose_interpolation_spans_segments_is_not_joined_to_another_route(code_report: Any) -> None:
    # delete-folder-modal.tsx: `/api/teams/${teamId}/${isDataroom ? `datarooms/…/folders` : 'folders'}/manage/${id}`
    # goes to a folders route, never to documents/[id]/versions (same segment count).
    check = code_report("code-shared-session")["CODE003"]
    assert not [f for f in check["details"]["findings"] if "delete-folder" in f["file"]]
    # It may reach documents/[id]/versions too (a `${…}` at its fixed segments), but the
    # folders route is the nearer match: the call goes there, not listed either.
    assert not [f for f in check["details"]["could_not_verify"] if "delete-folder" in f["file"]]


@pytest.mark.parametrize(("called", "listed"), [
    ("`/api/${kind}/export`", True),  # review u1
    ("`/api/${kind}/${id}/export`", True),  # the `${…}` may span segments
    ("`/api/${kind}/export`, { headers: { Authorization: t } }", False),
    ("`/api/${kind}/import`", False),
])
def test_a_call_that_may_reach_a_bearer_route_is_listed_never_dropped(tmp_path: Path, called: str,
                                                                      listed: bool) -> None:
    project = write_project(tmp_path, {
        "app/api/projects/export/route.ts": BEARER_ROUTE.format(imports="", body="", after=""),
        "components/P.tsx": f"'use client'\nexport const p = (kind: string, id: string, t: string) => fetch({called})\n",
    })
    _, report = run_json(project, "--only", "CODE003")
    check = report["checks"][0]
    assert check["status"] == ("skip" if listed else "pass"), check
    assert bool(check["details"].get("could_not_verify")) == listed
    if listed:
        assert "may reach app/api/projects/export/route.ts" in check["details"]["could_not_verify"][0]["what"]


def test_session_fallback_in_an_imported_helper_counts(tmp_path: Path) -> None:
    project = write_project(tmp_path, {
        "lib/who.ts": ("import { cookies } from 'next/headers'\n"
                       "export async function who(request: Request) {\n"
                       "  const bearer = request.headers.get('authorization')\n"
                       "  return bearer ?? (await cookies()).get('sid')?.value\n}\n"),
        "app/api/me/route.ts": ("import { who } from '../../../lib/who'\n"
                                "export async function GET(request: Request) {\n"
                                "  if (!(await who(request))) return new Response(null, { status: 401 })\n"
                                "  return Response.json({})\n}\n"),
        "components/Me.tsx": "'use client'\nexport const me = () => fetch('/api/me')\n",
    })
    _, report = run_json(project, "--only", "CODE003")
    check = report["checks"][0]
    assert check["status"] == "pass", check
    assert "1 signed in by the session cookie the route falls back to" in check["message"]


BEARER_ROUTE = ("{imports}export async function POST(request: Request) {{\n"
                "  const token = request.headers.get('authorization')\n"
                "  if (!token) return new Response(null, {{ status: 401 }})\n"
                "{body}  return Response.json({{}})\n}}\n{after}")


@pytest.mark.parametrize(("files", "status"), [
    # a locale cookie is no session (review b1)
    ({"app/api/p/route.ts": BEARER_ROUTE.format(imports="import { cookies } from 'next/headers'\n",
                                                body="  const locale = (await cookies()).get('NEXT_LOCALE')\n",
                                                after="")}, "fail"),
    # a rate limiter's visitor cookie, in an imported helper (review b2)
    ({"app/api/p/route.ts": BEARER_ROUTE.format(imports="import { limit } from '../../../lib/limit'\n",
                                                body="  await limit(request)\n", after=""),
      "lib/limit.ts": "export async function limit(request: any) {\n  return request.cookies.get('visitor_id')\n}\n"},
     "fail"),
    # the token check's module also holds the NextAuth config (review b3)
    ({"app/api/p/route.ts": BEARER_ROUTE.format(imports="import { verify } from '../../../lib/auth'\n",
                                                body="  await verify(token)\n", after=""),
      "lib/auth.ts": ("import GitHubProvider from 'next-auth/providers/github'\n"
                      "export const authOptions = { providers: [GitHubProvider({})] }\n"
                      "export async function verify(t: string) { return t }\n")}, "fail"),
    # a real session lookup, but in another handler: not known to be the token's fallback
    ({"app/api/p/route.ts": BEARER_ROUTE.format(imports="import { getServerSession } from 'next-auth'\n", body="",
                                                after="export async function GET() { return getServerSession() }\n")},
     "skip"),
    # the session beside the token, in the same handler: the fallback
    ({"app/api/p/route.ts": BEARER_ROUTE.replace("  if (!token)", "  if (!token && !(await getServerSession()))").format(
        imports="import { getServerSession } from 'next-auth'\n", body="", after="")}, "pass"),
])
def test_only_a_session_lookup_beside_the_token_read_is_a_fallback(tmp_path: Path, files: dict[str, str],
                                                                   status: str) -> None:
    project = write_project(tmp_path, {**files, "components/P.tsx": "'use client'\nexport const p = () => "
                                       "fetch('/api/p', { method: 'POST' })\n"})
    _, report = run_json(project, "--only", "CODE003")
    check = report["checks"][0]
    assert check["status"] == status, check
    if status == "skip":
        assert [f["location"] for f in check["details"]["could_not_verify"]] == ["components/P.tsx:2:24"]
        assert "looks up a session at app/api/p/route.ts:7:38" in check["details"]["could_not_verify"][0]["what"]
