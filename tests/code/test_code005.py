"""CODE005: server secrets read by client code (or a module it imports) and public salts
used in hashes fail; NEXT_PUBLIC_ keys and server-side secrets do not."""

from __future__ import annotations

from typing import Any

from helpers import locations


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
