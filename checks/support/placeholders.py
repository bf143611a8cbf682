"""Values copied from docs rather than provisioned (ENV004's rule, which the database,
auth and sentry families apply to their own variables too)."""

from __future__ import annotations

import functools
import re

# DESIGN.md ENV004; `[YOUR-PASSWORD]` is how Supabase's dashboard shows connection strings.
# Real examples ship these too: `***` and `sk_test_***` (masked copies), `REPLACE_WITH_…`,
# Neon's `ep-xxx` host and `[user]:[password]@[neon_hostname]` connection string
# (neondatabase examples' .env.example files).
# Words are bounded by letters and digits only: `_` separates them in REPLACE_WITH_TOKEN
# and CHANGE_ME_PLEASE, where `\b` would not break. `<…>` is a placeholder unless it holds an
# address: `Acme <hello@acme.com>` is a sender (RFC 5322 name-addr), not a stand-in.
_START, _END = r"(?<![a-z0-9])", r"(?![a-z0-9])"
PLACEHOLDER = (
    rf"""{_START}your[-_ ]|\[your|<(?![^<>\s@]+@[^<>\s@]+>)[^<>]*>|{_START}change[-_ ]?me{_END}"""
    rf"""|{_START}replace[-_ ]?me{_END}|{_START}placeholder{_END}"""
    r"""|x{4,}|\buser(?:name)?:pass(?:word)?@|@host(?:name)?(?=[:/]|$)|\.\.\.|^\s*(?:todo|tbd|fixme)\s*$"""
    rf"""|\*{{3,}}|{_START}replace[-_ ]?with{_END}|\bep-x{{3,}}\b|\[[a-z][a-z0-9_ -]*\](?=[:@/.]|$)"""
    r"""|(?<=[:@/])\[[a-z][a-z0-9_ -]*\]"""
)


# What each alternative of PLACEHOLDER cannot match without (in lower case). An ASCII value
# holding none of them is no placeholder: most real values are decided without the pattern.
_NEEDS = ("your", "<", "change", "replace", "placeholder", "xxxx", "user", "@host", "...", "todo", "tbd",
          "fixme", "***", "ep-x", "[")


def is_placeholder(value: str) -> bool:
    if not value.strip():
        return False
    if value.isascii():
        lowered = value.lower()
        if not any(needed in lowered for needed in _NEEDS):
            return False
    return bool(placeholder_pattern().search(value))


@functools.cache
def placeholder_pattern() -> re.Pattern[str]:
    """PLACEHOLDER, compiled on first use (~10 ms: an env-only run of real values needs none)."""
    return re.compile(PLACEHOLDER, re.IGNORECASE)
