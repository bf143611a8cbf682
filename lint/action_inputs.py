"""Fails on a `with:` key the action does not declare: actionlint checks the inputs of
actions it can fetch, not of `uses: ./` (this repository's own action.yml), so a
misspelt `skipp:` in a workflow would pass and be ignored by GitHub with a warning.

Reads the two shapes these files use, and no more: action.yml's top-level `inputs:`
mapping, and in each workflow the steps that use this action (`uses: ./`, or
`<owner>/deploy-check@<ref>`) with a block or flow `with:` mapping. Anything else in a
`with:` it cannot read is reported, never passed.

Run by `make lint`: python lint/action_inputs.py [--action action.yml] [workflow.yml ...]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r"^(?P<indent> *)(?:- +)?(?P<key>[A-Za-z0-9_.-]+):(?:\s+(?P<value>.*))?$")
OURS = re.compile(r"^(?:\./?|[\w.-]+/deploy-check@\S+)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _meaningful(lines: list[str]) -> list[tuple[int, str]]:
    return [(number, line.rstrip()) for number, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")]


def declared_inputs(action: str) -> set[str]:
    lines = _meaningful(action.splitlines())
    inputs: set[str] = set()
    inside = False
    for _number, line in lines:
        if _indent(line) == 0:
            inside = line == "inputs:"
            continue
        found = KEY.match(line)
        if inside and found and _indent(line) == 2:
            inputs.add(found.group("key"))
    return inputs


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def _key(text: str) -> tuple[int, str, str] | None:
    """(indent of the key, key, value) of a `key: value` line; a `- key:` item's key sits
    two columns right of its dash."""
    found = KEY.match(text)
    if not found:
        return None
    indent = len(found.group("indent")) + (2 if text.lstrip().startswith("- ") else 0)
    return indent, found.group("key"), (found.group("value") or "").split(" #", 1)[0].strip()


def _steps(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Every `- ` list item with the lines under it."""
    items = []
    for at, (_number, line) in enumerate(lines):
        if line.lstrip().startswith("- "):
            inner = _indent(line) + 2
            item = [lines[at]]
            for later in lines[at + 1:]:
                if _indent(later[1]) < inner:
                    break
                item.append(later)
            items.append(item)
    return items


def with_keys(workflow: str) -> list[tuple[int, str]]:
    """(line, key) of every `with:` key of the steps that use this action."""
    found: list[tuple[int, str]] = []
    for step in _steps(_meaningful(workflow.splitlines())):
        depth = _indent(step[0][1]) + 2
        keys = [(number, parsed) for number, text in step if (parsed := _key(text)) and parsed[0] == depth]
        if not any(key == "uses" and OURS.match(_unquote(value)) for _n, (_i, key, value) in keys):
            continue
        for number, (_indent_of, key, value) in keys:
            if key != "with":
                continue
            if value.startswith("{") and value.endswith("}"):
                found += [(number, part.split(":", 1)[0].strip().strip("'\""))
                          for part in value[1:-1].split(",") if part.strip()]
            elif value:
                found.append((number, f"<a with: this script cannot read: {value}>"))
            else:
                below = [(n, parsed) for n, text in step if n > number and (parsed := _key(text))]
                for inner_number, (inner_indent, inner_key, _value) in below:
                    if inner_indent <= depth:
                        break
                    if inner_indent == depth + 2:
                        found.append((inner_number, inner_key))
    return found


def main(argv: list[str]) -> int:
    action = ROOT / "action.yml"
    if argv[:1] == ["--action"]:
        action, argv = Path(argv[1]), argv[2:]
    workflows = [Path(a) for a in argv] or sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    inputs = declared_inputs(action.read_text(encoding="utf-8"))
    if not inputs:
        print(f"{action}: no inputs found", file=sys.stderr)
        return 1
    problems = 0
    for workflow in workflows:
        for number, key in with_keys(workflow.read_text(encoding="utf-8")):
            if key not in inputs:
                problems += 1
                print(f"{workflow}:{number}: `with: {key}` is not an input of {action.name} "
                      f"(inputs: {', '.join(sorted(inputs))})", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
