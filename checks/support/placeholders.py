"""Values copied from docs rather than provisioned (ENV004's rule, which the database,
auth and sentry families apply to their own variables too)."""

from __future__ import annotations

import re

# DESIGN.md ENV004; `[YOUR-PASSWORD]` is how Supabase's dashboard shows connection strings.
# Real examples ship these too: `***` and `sk_test_***` (masked copies), `REPLACE_WITH_…`,
# Neon's `ep-xxx` host and `[user]:[password]@[neon_hostname]` connection string
# (neondatabase examples' .env.example files).
# Words are bounded by letters and digits only: `_` separates them in REPLACE_WITH_TOKEN
# and CHANGE_ME_PLEASE, where `\b` would not break. `<…>` is a placeholder unless it holds an
# address: `Acme <hello@acme.com>` is a sender (RFC 5322 name-addr), not a stand-in.
_START, _END = r"(?<![a-z0-9])", r"(?![a-z0-9])"
PLACEHOLDER = re.compile(
    rf"""{_START}your[-_ ]|\[your|<(?![^<>\s@]+@[^<>\s@]+>)[^<>]*>|{_START}change[-_ ]?me{_END}"""
    rf"""|{_START}replace[-_ ]?me{_END}|{_START}placeholder{_END}"""
    r"""|x{4,}|\buser(?:name)?:pass(?:word)?@|@host(?:name)?(?=[:/]|$)|\.\.\.|^\s*(?:todo|tbd|fixme)\s*$"""
    rf"""|\*{{3,}}|{_START}replace[-_ ]?with{_END}|\bep-x{{3,}}\b|\[[a-z][a-z0-9_ -]*\](?=[:@/.]|$)"""
    r"""|(?<=[:@/])\[[a-z][a-z0-9_ -]*\]""",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    return bool(value.strip()) and bool(PLACEHOLDER.search(value))
