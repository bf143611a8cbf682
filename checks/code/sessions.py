"""Where a route learns who is signed in other than by its bearer token (CODE003): a session
package's lookup, or a session cookie read by its name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from checks.code.facts import FileFacts
from checks.code.nodes import enclosing_function, first_argument, string_value
from checks.project.detectors import AUTH_SDKS

if TYPE_CHECKING:
    from ast_grep_py import SgNode


def packages(names: tuple[str, ...] | list[str], extra: str = "") -> re.Pattern[str]:
    """A package and its subpaths (`next-auth/next`, `mysql2/promise`)."""
    return re.compile(r"^(?:" + "|".join([*map(re.escape, names), *([extra] if extra else [])]) + r")(?:/.*)?$")


# Where the route learns who is signed in from the session cookie rather than a bearer
# token: Auth.js/NextAuth, Clerk, Stack, Neon Auth, iron-session, Supabase, better-auth, lucia…
SESSION_PACKAGES = packages([*(name for _, names in AUTH_SDKS for name in names),
                             "iron-session", "lucia", "@workos-inc/authkit-nextjs"], r"@auth/[^/]+")
COOKIES_MEMBER = re.compile(r"^(?:req|request)\.cookies$")
# What a session package's lookup is called (next-auth's getServerSession/auth/getToken, Clerk's
# auth/currentUser, iron-session's getIronSession, lucia's validateRequest, Kinde's
# getKindeServerSession, WorkOS's withAuth, Supabase's auth.getUser): not its config
# (`GitHubProvider`, `NextAuth(…)`), which a module holding the token check may also hold.
SESSION_LOOKUP = re.compile(r"^(?:getServerSession|getServerAuthSession|auth|currentUser|getCurrentUser|getSession|"
                            r"getAuth|getIronSession|getToken|validateRequest|getKindeServerSession|withAuth|getUser|"
                            r"getUserSession)$")
# A cookie a session lives in, by its name (next-auth.session-token, __session, sid, sb-…-auth-token, jwt…),
# not NEXT_LOCALE or visitor_id.
SESSION_COOKIE = re.compile(r"session|sess\b|\bsid\b|auth|token|jwt", re.IGNORECASE)


def session_call(call: SgNode, name: str, facts: FileFacts) -> bool | None:
    """Whether a call looks up who is signed in: True for a session package's lookup or a
    session cookie read by its name, False for what may be one (a cookie read by a variable,
    a local `auth()`/`getSession()`), None for anything else (a package's config, a locale cookie)."""
    root, last = name.split(".", 1)[0], name.rsplit(".", 1)[-1]
    imported = facts.imports.get(root)
    if ".auth." in f".{name}" and last in ("getUser", "getSession", "getClaims"):  # Supabase's client
        return any(source.startswith("@supabase/") for source, _ in facts.imports.values()) or False
    if imported is None:
        return None
    source, what = imported
    if source == "next/headers":
        return cookie_use(call) if what == "cookies" and name == root else None
    lookup = what if name == root else last
    if SESSION_PACKAGES.match(source):
        return True if SESSION_LOOKUP.match(lookup) else None
    local = source.startswith((".", "@/", "~/", "#"))
    return False if local and SESSION_LOOKUP.match(lookup) and lookup != "getUser" else None


def _cookie_name(argument: SgNode | None) -> bool | None:
    value = string_value(argument)
    if value is None or "*" in value:
        return False  # which cookie is not known
    return True if SESSION_COOKIE.search(value) else None


def cookie_use(node: SgNode) -> bool | None:
    """What is done with the cookies (`cookies()`, `req.cookies`): read by name (`.get(name)`,
    `.name`, `[name]`, through a variable too), set, or handed on whole (may be a session read)."""
    while (parent := node.parent()) is not None and parent.kind() in ("await_expression", "parenthesized_expression"):
        node = parent
    if parent is None:
        return False
    if parent.kind() == "member_expression" and parent.field("object") == node:
        prop = (parent.field("property") or parent).text()
        if prop in ("get", "has"):
            holder = parent.parent()
            return _cookie_name(first_argument(holder)) if holder is not None and \
                holder.kind() == "call_expression" else False
        if prop in ("set", "delete"):
            return None
        return False if prop in ("getAll", "toString", "entries") else _cookie_name_text(prop)
    if parent.kind() == "subscript_expression":
        return _cookie_name(parent.field("index"))
    target = parent.field("name") if parent.kind() == "variable_declarator" else None
    if target is None or target.kind() != "identifier":
        return False
    verdicts = [cookie_use(use) for use in (enclosing_function(parent) or parent.get_root().root()).find_all(
        kind="identifier") if use.text() == target.text() and use != target]
    return True if True in verdicts else False if False in verdicts else None


def _cookie_name_text(name: str) -> bool | None:
    return True if SESSION_COOKIE.search(name) else None
