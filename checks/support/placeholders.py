"""Values copied from docs rather than provisioned (ENV004's rule, which the database,
auth and sentry families apply to their own variables too)."""

from __future__ import annotations

import re

# DESIGN.md ENV004; `[YOUR-PASSWORD]` is how Supabase's dashboard shows connection strings.
# Real examples ship these too: `***` and `sk_test_***` (masked copies), `REPLACE_WITH_…`,
# Neon's `ep-xxx` host and `[user]:[password]@[neon_hostname]` connection string
# (neondatabase examples' .env.example files).
PLACEHOLDER = re.compile(
    r"""\byour[-_ ]|\[your|<[^<>]*>|\bchange[-_ ]?me\b|\breplace[-_ ]?me\b|\bplaceholder\b"""
    r"""|x{4,}|\buser(?:name)?:pass(?:word)?@|@host(?:name)?(?=[:/]|$)|\.\.\.|^\s*(?:todo|tbd|fixme)\s*$"""
    r"""|\*{3,}|\breplace[-_ ]?with\b|\bep-x{3,}\b|\[[a-z][a-z0-9_ -]*\](?=[:@/.]|$)|(?<=[:@/])\[[a-z][a-z0-9_ -]*\]""",
    re.IGNORECASE,
)



def is_placeholder(value: str) -> bool:
    return bool(value.strip()) and bool(PLACEHOLDER.search(value))
