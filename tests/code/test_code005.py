"""CODE005: server secrets read by client code (or a module it imports) and public salts
used in hashes fail; NEXT_PUBLIC_ keys and server-side secrets do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import locations, run_json, write_project


def test_client_secret_reads_one_hop_and_a_public_salt_in_a_hash_fail(code_report: Any) -> None:
    check = code_report("code-bearer-saas")["CODE005"]
    assert check["status"] == "fail"
    # Not NEXT_PUBLIC_POSTHOG_KEY (Cohort.tsx:9), not JWT_SECRET in lib/auth/bearer.ts (server).
    assert locations(check) == [
        "src/components/Cohort.tsx:7:21 process.env.STRIPE_SECRET_KEY is a server secret, read in "
        "client code (a 'use client' module)",
        "src/components/Cohort.tsx:8:42 process.env.NEXT_PUBLIC_COHORT_SALT is public (in the bundle), "
        "used in a hash or cohort computation",
        "src/lib/hash.ts:7:30 process.env.WEBHOOK_SECRET is a server secret, read in client code "
        "(imported by the client module src/components/Cohort.tsx)",
    ]


def test_public_keys_in_client_code_and_secrets_on_the_server_pass(code_report: Any) -> None:
    # code-cookie-session's client reads NEXT_PUBLIC_POSTHOG_KEY; code-useapi reads
    # SUPABASE_SERVICE_ROLE_KEY in lib/auth.ts, which only route handlers import.
    for app in ("code-cookie-session", "code-useapi"):
        check = code_report(app)["CODE005"]
        assert check["status"] == "pass" and check["details"]["findings"] == [], check


def test_server_functions_of_a_shared_module_and_t3_env_runtime_env_pass(code_report: Any) -> None:
    # papermark's lib/utils.ts: the client imports only `cn`; generateEncryptedPassword (and
    # the private helper behind checksum) run where API routes call them. next-forge's keys.ts:
    # createEnv's runtimeEnv lists KNOCK_SECRET_API_KEY for the bundler, imported by a client.
    check = code_report("code-shared-session")["CODE005"]
    assert check["status"] == "pass" and check["details"]["findings"] == [], check
    assert check["details"]["could_not_verify"] == []


@pytest.mark.parametrize(("client", "status", "clause"), [
    ("import { sign } from '../lib/keys'\nexport const go = () => sign('x')", "fail", "is a server secret, read in"),
    ("import { cn } from '../lib/keys'\nexport const go = () => cn('x')", "pass", ""),
    # the client takes only `signed`, which calls the exported `sign` (review c1)
    ("import { signed } from '../lib/keys'\nexport const go = () => signed('x')", "fail", "is a server secret, read in"),
    ("import * as keys from '../lib/keys'\nexport const go = () => keys.cn('x')", "skip",
     "could not verify 1 server secret read in a module shared with client code"),
])
def test_a_shared_module_fails_only_for_what_the_client_imports(
        tmp_path: Path, client: str, status: str, clause: str) -> None:
    project = write_project(tmp_path, {
        "lib/keys.ts": ("export const cn = (s: string) => s\n"
                        "export function sign(s: string) { return s + process.env.SIGNING_SECRET }\n"
                        "export const signed = (s: string) => `${s}.${sign(s)}`\n"),
        "components/Go.tsx": f"'use client'\n{client}\n",
    })
    _, report = run_json(project, "--only", "CODE005")
    check = report["checks"][0]
    assert check["status"] == status, check
    assert clause in check["message"]


def test_a_load_time_read_that_feeds_only_server_functions_is_could_not_verify(tmp_path: Path) -> None:
    # papermark's lib/analytics/index.ts: the client takes useAnalytics; the Jitsu client built
    # from JITSU_WRITE_KEY as the module loads serves only trackAnalytics, which API routes call.
    project = write_project(tmp_path, {
        "lib/analytics.ts": ("export const useAnalytics = () => ({ capture: (e: string) => e })\n"
                             "const analytics = process.env.JITSU_WRITE_KEY ? { track: (a: string) => a } : null\n"
                             "export const trackAnalytics = (a: string) => analytics?.track(a)\n"),
        "app/api/track/route.ts": ("import { trackAnalytics } from '../../../lib/analytics'\n"
                                   "export async function POST() { trackAnalytics('x'); return Response.json({}) }\n"),
        "components/Nav.tsx": ("'use client'\nimport { useAnalytics } from '../lib/analytics'\n"
                               "export const Nav = () => useAnalytics().capture('open')\n"),
    })
    _, report = run_json(project, "--only", "CODE005")
    check = report["checks"][0]
    assert check["status"] == "skip" and check["details"]["findings"] == [], check
    assert [f["location"] for f in check["details"]["could_not_verify"]] == ["lib/analytics.ts:2:19"]
    assert "is read in `analytics` as the module loads" in check["message"]


def test_a_pages_router_app_is_unverified_not_skipped(tmp_path: Path) -> None:
    """pages/index.tsx is bundled for the browser with no 'use client' to say so: CODE005
    does not trace it, and READY must list that (review p1: a plain skip, unlisted)."""
    project = write_project(tmp_path, {
        "package.json": '{"dependencies": {"next": "14.2.0"}}\n',
        "pages/index.tsx": "export default function Home() {\n  return <p>{process.env.STRIPE_SECRET_KEY}</p>\n}\n",
        "pages/api/health.ts": "export default function handler(req, res) { res.json({ ok: true }) }\n",
    })
    _, report = run_json(project, "--only", "CODE005")
    check = report["checks"][0]
    assert check["status"] == "skip"
    assert check["details"]["unverified"].startswith("code: 1 Pages Router page (pages/index.tsx…) run in the browser")
    assert check["details"]["unverified"] in report["unverified"]


def test_a_client_that_imports_only_a_type_of_the_auth_config_passes(code_report: Any) -> None:
    """ezeparziale/nextjs-better-auth-template's account-actions-menu.tsx imports
    `SupportedOAuthProvider`, an `export type` of src/lib/auth/auth.ts: the compiler erases the
    import, so GOOGLE_CLIENT_SECRET in that file never reaches the browser."""
    check = code_report("prisma-dotenv-better-auth")["CODE005"]
    assert check["status"] == "pass" and check["details"]["findings"] == [], check


@pytest.mark.parametrize(("client", "status"), [
    ("import type { Provider } from '../lib/auth'", "pass"),
    ("import { type Provider } from '../lib/auth'", "pass"),
    ("import { Provider, Options } from '../lib/auth'", "pass"),  # both exported as types
    ("import { Raw } from '../lib/auth'", "pass"),  # exported with `export type { … }`
    ("import { type Provider, providers } from '../lib/auth'", "fail"),  # a value comes along
    ("import '../lib/auth'", "fail"),  # a side-effect import runs the module
])
def test_type_only_imports_carry_no_code_into_the_bundle(tmp_path: Path, client: str, status: str) -> None:
    project = write_project(tmp_path, {
        "lib/auth.ts": ("type Raw = 'google' | 'github'\n"
                        "export type Provider = Raw\n"
                        "export interface Options { id: Provider }\n"
                        "export type { Raw }\n"
                        "export const providers = { google: process.env.GOOGLE_CLIENT_SECRET }\n"),
        "components/Menu.tsx": f"'use client'\n{client}\nexport const Menu = () => null\n",
    })
    _, report = run_json(project, "--only", "CODE005")
    check = report["checks"][0]
    assert check["status"] == status, check


def test_a_read_inside_t3_envs_server_schema_never_runs_in_the_browser(code_report: Any) -> None:
    """inbox-zero's env.ts, imported by client components: `UPSTASH_REDIS_TOKEN: z.string()
    .transform((value) => value || process.env.KV_REST_API_TOKEN)` sits in createEnv's server
    group, which t3-env parses on the server only; CODE005 failed on it."""
    check = code_report("inbox-zero-web")["CODE005"]
    assert "KV_REST_API_TOKEN" not in check["message"], check["message"]
    assert check["status"] == "pass", check["message"]


@pytest.mark.parametrize(("name", "status"), [
    ("IS_OAUTH_PROXY_SERVER", "pass"),  # rallly's flag: AUTH is masked, and is no secret
    ("AUTH_URL", "pass"),
    ("SESSION_MAX_AGE", "pass"),
    ("NEXT_PRIVATE_UPLOAD_REGION", "pass"),
    ("AUTH_SECRET", "fail"),
    ("OPENAI_API_KEY", "fail"),
    ("SESSION_PASSWORD", "fail"),
])
def test_a_client_read_fails_where_the_name_says_secret_not_where_it_is_only_masked(
        tmp_path: Path, name: str, status: str) -> None:
    project = write_project(tmp_path, {
        "components/Banner.tsx": f"'use client'\nexport const Banner = () => <p>{{process.env.{name}}}</p>\n",
    })
    _, report = run_json(project, "--only", "CODE005")
    check = report["checks"][0]
    assert check["status"] == status, check
    assert (name in check["message"]) == (status == "fail")
