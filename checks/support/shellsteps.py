"""Splitting a fix's steps (joined by "; ") where the shell would: never inside quotes."""

from __future__ import annotations


def split_steps(fix: str) -> list[str]:
    """The steps of `fix`, split at each "; " outside single and double quotes: a path
    quoted into a step (`git rm --cached -- 'a; b/.env'`) keeps its "; ". Quotes inside
    double quotes are literal, as in the shell, so a `"$(tail -c 1 'x')"` is one piece."""
    steps: list[str] = []
    start, quote, at = 0, "", 0
    while at < len(fix):
        char = fix[at]
        if quote == "'":
            quote = "" if char == "'" else quote
        elif quote == '"':
            if char == "\\":
                at += 1  # \" and \\ inside double quotes
            elif char == '"':
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "\\":
            at += 1
        elif fix.startswith("; ", at):
            steps.append(fix[start:at])
            start = at + 2
            at += 1
        at += 1
    steps.append(fix[start:])
    return [step.strip() for step in steps]
