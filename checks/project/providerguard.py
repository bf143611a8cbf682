"""The condition an Auth.js provider is registered under: `if (env.ID && env.SECRET)
providers.push(P(…))`, or a block `if (cond) { …; providers.push(P(…)) }` around the call
(baptisteArno/typebot.io packages/auth/src/lib/providers.ts). A provider behind such an `if`
does not exist while one of the variables it tests is unset."""

from __future__ import annotations

import re

from checks.project.reading import bracketed as _bracketed
from checks.project.reading import conjuncts, env_reference
from checks.support.lazyre import lazy

# `if (…)` opening the statement that registers a provider.
GUARD = lazy(r"^\s*if\s*\((?P<cond>[^;{]*)\)\s*(?:[\w$.]+\s*\(\s*)?$")  # also before a `{`
_GUARD_WINDOW = 4096  # characters before a provider call read for its `if`
# A string literal in a condition, and the ones shown as written: a short plain word such as a
# provider id (`isAuthProviderEnabled('github')`). Any other may be a secret the app compares
# against (`env.ADMIN_KEY === "sk_live_…"`, a URL with a password) and is shown as `'…'`.
# Unlike logins.STRING_LITERAL it takes a template with `${…}` too (its text may hold one).
_LITERAL = lazy(r"""(?P<q>["'`])(?P<body>(?:\\.|(?!(?P=q))[^\\]){0,4096}?)(?P=q)""", re.DOTALL)
_PLAIN_WORD = lazy(r"[A-Za-z][A-Za-z.-]{0,23}")


def registration_guard(code: str, at: int, braces: list[int]) -> re.Match[str] | None:
    """The `if (…)` that the statement ending in the provider call at `at` sits under (`if
    (cond) providers.push(P(…))`, or the block `if (cond) { …; providers.push(P(…)) }`)."""
    guard = _guard_before(code, at, ";}{")
    if guard is None:  # `if (…) { const … ; providers.push(…) }`: the block the call sits in
        if not braces:
            braces += _open_braces(code)
        opener = braces[at]
        guard = _guard_before(code, opener, ";}") if opener >= 0 else None
    return guard


def _guard_before(code: str, end: int, stops: str) -> re.Match[str] | None:
    """The `if (…)` that the statement ending at `end` opens with; only the last few lines
    are read (a guard is a line or two), and none is taken from a statement cut short."""
    before = code[max(0, end - _GUARD_WINDOW):end]
    cut = max(before.rfind(stop) for stop in stops)
    if cut < 0 and end > _GUARD_WINDOW:
        return None
    return GUARD.search(before[cut + 1:])


def _open_braces(code: str) -> list[int]:
    """For each index of `code`, the index of the innermost `{` still open there (-1: none)."""
    found: list[int] = []
    stack: list[int] = []
    for index, char in enumerate(code):
        found.append(stack[-1] if stack else -1)
        if char == "{":
            stack.append(index)
        elif char == "}" and stack:
            stack.pop()
    found.append(stack[-1] if stack else -1)
    return found


def shown_condition(cond: str) -> str:
    """An `if (…)` condition as a message may quote it: every string literal but a plain word
    replaced by `'…'` (the condition is the app's code, and a literal in it may be a secret)."""
    return _LITERAL.sub(lambda m: m[0] if _PLAIN_WORD.fullmatch(m["body"]) else f"{m['q']}…{m['q']}",
                        cond.strip())


def needed_set(guard: re.Match[str]) -> list[str]:
    """The variables an `if (…)` condition is false without: each plain read (`env.ID`,
    `!!env.ID`) of an `&&` chain in its own parentheses (not `if (a) f()` of an earlier line
    without a semicolon); never `!env.ID`, `env.ID !== undefined`, nor anything of `x || env.ID`."""
    statement = guard.string[guard.start():]
    opening = statement.index("(") + 1
    if _bracketed(statement, opening) != guard["cond"]:
        return []
    return [name for part in conjuncts(guard["cond"]) or [] if (name := _truthy_read(part)) is not None]


def _truthy_read(part: str) -> str | None:
    """The variable an `&&` operand tests for being set: `env.ID`, `!!env.ID`, `Boolean(env.ID)`."""
    if part.startswith("!!"):
        part = part[2:]
    elif part.startswith("Boolean(") and part.endswith(")"):
        part = part[len("Boolean("):-1]
    return env_reference(part)
