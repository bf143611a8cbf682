"""CODE004's second look: a SQL text whose open parts are names other modules of the app export
(`import { TABLE } from "@/lib/tables"`, `generateInClause(ids)` from "../util") is settled by
reading those modules, one hop: what they export built from constants and placeholders only
settles it, what they build from anything else fails it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from checks.code.changes import changed_in
from checks.code.collect import CodeFacts
from checks.code.facts import RawSql
from checks.code.files import MAX_SOURCE_BYTES, language
from checks.code.nodes import FUNCTIONS
from checks.code.rawsql import OPEN_TEXT
from checks.code.scopes import declaration
from checks.code.sqlbuilt import Built
from checks.code.sqltext import function_text, sql_text
from checks.project.reading import read_small

if TYPE_CHECKING:
    from ast_grep_py import SgNode

Exports = dict[tuple[str, str], Built | None]
Changed = dict[tuple[str, str], str | None]


def followed(code: CodeFacts, project: Path, path: str, raw: RawSql, seen: Exports,
             changed: Changed | None = None) -> RawSql | None:
    """The finding once the modules it imports from are read: None when they settle it."""
    if not raw.imports:
        return raw
    changed = {} if changed is None else changed
    still_open, failing = list(raw.reasons), []
    for module, name, strict, reason in raw.imports:
        local = code.resolve(path, module)
        built = _exported(code, project, local, name, seen) if local else None
        if built is None:  # not a module of the app, or no such export: not followed
            if strict:
                return raw  # an imported call nobody can read: the finding stands as it was
            still_open.append(reason)
        elif built.unknown is not None:
            failing.append(f"`{name}` of {local} is built from `{built.unknown}`")
        elif not built.constant:
            still_open.append(f"`{name}` of {local}: {'; '.join(built.open)}")
        elif local and (other := _changed_elsewhere(code, project, local, name, changed)) is not None:
            still_open.append(f"`{name}` of {local} is changed by {other}, which imports it")
    if failing:
        return replace(raw, why=f"SQL built by a template with ${{…}}: {'; '.join(failing)}", certain=True, imports=())
    if still_open:
        return replace(raw, why=OPEN_TEXT + "; ".join(still_open), certain=False, imports=())
    return None


def _changed_elsewhere(code: CodeFacts, project: Path, local: str, name: str, changed: Changed) -> str | None:
    """The first module of the app that imports `name` from `local` (or the whole module) and
    may change what it holds (`LIST.push(x)`, `Object.assign(OBJ, …)`): an export read as
    constant in its own module is then not settled by that reading."""
    if (local, name) not in changed:
        from ast_grep_py import SgRoot  # start-up: only a finding with imports parses

        changed[(local, name)] = None
        for other, facts in code.parsed.items():
            names = [alias for alias, (module, imported) in facts.imports.items()
                     if imported in (name, "*") and other != local and code.resolve(other, module) == local]
            source = code.by_path.get(other) if names else None
            text = source.text if source is not None and source.text is not None else \
                read_small(project / other, MAX_SOURCE_BYTES) if names else None
            root = SgRoot(text, language(other)).root() if text is not None else None
            if root is not None and any(changed_in(root, alias) for alias in names):
                changed[(local, name)] = other
                break
    return changed[(local, name)]


def _exported(code: CodeFacts, project: Path, local: str, name: str, seen: Exports) -> Built | None:
    if (local, name) not in seen:
        from ast_grep_py import SgRoot  # start-up: only a finding with imports parses

        source = code.by_path.get(local)
        text = source.text if source is not None and source.text is not None else \
            read_small(project / local, MAX_SOURCE_BYTES)
        seen[(local, name)] = None if text is None else export_text(SgRoot(text, language(local)).root(), name)
    return seen[(local, name)]


def export_text(root: SgNode, name: str) -> Built | None:
    """What the text of the module's export `name` ("default") is built from (a function's:
    what it returns), or None when the module has no such ES export. Its own imports stay open:
    one module is followed, not a chain."""
    for statement in root.named_children():
        if statement.kind() != "export_statement" or statement.field("source") is not None:
            continue  # `export … from "./x"` is a second hop
        default = any(c.kind() == "default" for c in statement.children())
        declared, value = statement.field("declaration"), statement.field("value")
        if default and name == "default":
            function = declaration(value, value.text()) if value is not None and value.kind() == "identifier" \
                else declared
            if function is not None and function.kind() in FUNCTIONS:
                return _settled_here(function_text(function))
            return _settled_here(sql_text(value)) if value is not None else None
        if default or name == "default":
            continue
        if declared is not None and declared.kind() in FUNCTIONS and \
                (declared.field("name") or declared).text() == name:
            return _settled_here(function_text(declared))
        if declared is not None and declared.kind() in ("lexical_declaration", "variable_declaration"):
            for declarator in declared.named_children():
                target = declarator.field("name")
                if declarator.kind() == "variable_declarator" and target is not None and target.text() == name:
                    function = declarator.field("value")
                    if function is not None and function.kind() in FUNCTIONS:
                        return _settled_here(function_text(function))
                    return _settled_here(sql_text(target))
        for spec in statement.find_all(kind="export_specifier"):
            local, alias = spec.field("name"), spec.field("alias")
            if local is not None and (alias or local).text() == name:
                function = declaration(local, local.text())
                if function is not None and function.kind() in FUNCTIONS:
                    return _settled_here(function_text(function))
                return _settled_here(sql_text(local))
    return None


def _settled_here(built: Built) -> Built:
    """A followed module's verdict: its own imports are not followed further (open)."""
    return Built(built.unknown, built.open + [i.reason for i in built.imports if i.reason not in built.open],
                 built.lookups)
