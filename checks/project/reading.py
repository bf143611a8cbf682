"""Reading the app's own small files without trusting them: a size cap (a FIFO or a
multi-gigabyte file must not hang the run), package.json and its dependencies, paths as
messages name them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.project import detectors as d
from checks.support.files import read_text

if TYPE_CHECKING:
    pass


# Config files, package.json and the like are small; a larger one is not read (a FIFO or
# a multi-gigabyte file must not hang or exhaust the run).
MAX_CONFIG_BYTES = 1 << 20



def read_small(path: Path, limit: int = MAX_CONFIG_BYTES) -> str | None:
    """The text of a regular file of at most `limit` bytes; None otherwise (missing, a
    directory, a FIFO or device, too large, unreadable, not UTF-8)."""

    try:
        return read_text(path, limit, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None



def relative(root: Path, path: Path) -> str:
    """`path` relative to `root`, with `..` for a parent (a workspace root)."""
    return Path(os.path.relpath(path, root)).as_posix()



def package_json(directory: Path) -> dict[str, Any] | None:
    text = read_small(directory / "package.json")
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None



def dependencies(package: Mapping[str, Any] | None) -> set[str]:
    names: set[str] = set()
    for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        block = (package or {}).get(section)
        if isinstance(block, dict):
            names |= {name for name in block if isinstance(name, str)}
    return names



def env_references(text: str) -> list[str]:
    return [next(g for g in match.groups() if g) for match in d.ENV_REFERENCE.finditer(text)]


def env_reference(expression: str) -> str | None:
    """The variable when `expression` is exactly one env read (`process.env.X`, `env.X`, …,
    a TypeScript `!` or `as string` aside), else None."""
    text = re.sub(r"\s+as\s+string\s*$|!\s*$", "", expression.strip()).strip()
    while text.startswith("(") and text.endswith(")") and bracketed(text, 1) == text[1:-1]:
        text = text[1:-1].strip()
    match = d.ENV_REFERENCE.fullmatch(text)
    return next(g for g in match.groups() if g) if match else None


def bracketed(text: str, start: int, limit: int | None = None) -> str:
    """The text from `start` (just after an opening bracket) to its matching close, or to the
    end of the text (at most `limit` characters) when it does not close."""
    depth = 1
    for index in range(start, len(text) if limit is None else min(len(text), start + limit)):
        if text[index] in "[{(":
            depth += 1
        elif text[index] in "]})":
            depth -= 1
            if depth == 0:
                return text[start:index]
    return text[start:] if limit is None else text[start:start + limit]


def _top_level(text: str) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of `text` outside brackets and string literals."""
    depth, quote, index = 0, "", 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif depth == 0:
            yield index, char
        index += 1


def option_value(text: str, start: int) -> str:
    """The expression from `start` (just after `key:`) to the comma or bracket that ends it."""
    depth, quote = 0, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            if depth == 0:
                return text[start:index].strip()
            depth -= 1
        elif char in ",;" and depth == 0:
            return text[start:index].strip()
    return text[start:].strip()


def arguments(text: str) -> list[str]:
    """A call's arguments, `text` being what is between its parentheses."""
    cuts = [index for index, char in _top_level(text) if char == ","]
    parts = [text[a + 1:b] for a, b in zip([-1, *cuts], [*cuts, len(text)], strict=True)]
    return [part.strip() for part in parts if part.strip()]


def or_chain(expression: str) -> list[tuple[str, str]] | None:
    """(operand, operator after it: "||", "??" or "") of an `a || b ?? c` chain, or None when
    the expression holds anything else at its top level (a ternary, a comparison, `&&`)."""
    text = expression.strip()
    operands: list[tuple[str, str]] = []
    last = 0
    skip = -1
    for index, char in _top_level(text):
        if index <= skip:
            continue
        pair = text[index:index + 2]
        if pair in ("||", "??") and text[index:index + 3] not in ("||=", "??="):
            operands.append((text[last:index].strip(), pair))
            last, skip = index + 2, index + 1
        elif char in "?:&=<>+-*/%" and not (char == "?" and text[index + 1:index + 2] == "."):
            return None
    operands.append((text[last:].strip(), ""))
    return operands if all(operand for operand, _ in operands) else None


def conjuncts(expression: str) -> list[str] | None:
    """The operands of an `a && b && c` condition, or None when its top level holds anything
    else that could make it true without them (`||`, `??`, a ternary)."""
    text = expression.strip()
    cuts = []
    for index, char in _top_level(text):
        if char in "|?":
            return None
        if text[index:index + 2] == "&&":
            cuts.append(index)
    parts = [text[a + 2 if a >= 0 else 0:b] for a, b in zip([-1, *cuts], [*cuts, len(text)], strict=True)]
    return [part.strip() for part in parts]
