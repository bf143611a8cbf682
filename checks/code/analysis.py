"""One source file into `FileFacts`, with ast-grep's tree-sitter TypeScript/TSX parser.

A pure function of the file's text and suffix, so its result can be cached by content and
computed in a process pool. ast-grep is imported only here, and only when the code family
runs: an env-only run never loads it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from checks.code.facts import (
    Auth,
    AwaitedCall,
    EnvRead,
    FetchCall,
    FileFacts,
)
from checks.code.files import language
from checks.code.nodes import (
    FUNCTIONS,
    first_argument,
    site,
    string_value,
)
from checks.code.rawsql import raw_sql
from checks.code.sessions import COOKIES_MEMBER, cookie_use, session_call
from checks.code.totals import LIMITED, TOTAL_WORD, limited_totals
from checks.project.t3env import in_runtime_env, in_server_schema

if TYPE_CHECKING:
    from ast_grep_py import SgNode

# Where an await runs after the response has gone (nextjs.org/docs/app/api-reference/functions/after,
# vercel.com/docs/functions/functions-api-reference/vercel-functions-package#waituntil).
DEFERRING = re.compile(r"(?:^|\.)(?:after|unstable_after|waitUntil)$")



PUBLIC_SALT = re.compile(r"NEXT_PUBLIC_\w*(?:SALT|SECRET)")
AUTHORIZATION_MEMBER = re.compile(r"headers\.authorization$", re.IGNORECASE)  # pages/api's req.headers
HASHING = re.compile(r"createHash|subtle\.digest|\bsha(?:1|256|512)\b|\bmd5\b|\bhash\w*\(|cohort|murmur",
                     re.IGNORECASE)


def analyze(path: str, text: str) -> FileFacts:
    from ast_grep_py import SgRoot  # start-up: only a run of the code family loads the parser

    root = SgRoot(text, language(path)).root()
    facts = FileFacts()
    _imports(root, facts)
    _exports(root, facts)
    calls = root.find_all(kind="call_expression")
    tokens: set[str | None] = set()  # the top-level functions that read the Authorization header
    sessions: list[tuple[SgNode, bool]] = []  # session lookups; False: one that may be (a cookie by a variable)
    for call in calls:
        callee = call.field("function")
        name = callee.text() if callee is not None else ""
        if name == "fetch" or name.endswith(".fetch"):
            fetched = _fetch(call)
            if fetched is not None:
                facts.fetches.append(fetched)
        elif name.endswith(".get") and (string_value(first_argument(call)) or "").lower() == "authorization":
            facts.reads_authorization = facts.reads_authorization or site(call)
            tokens.add(_within(call))
        elif (sure := session_call(call, name, facts)) is not None:
            sessions.append((call, sure))
        raw = raw_sql(call, name, facts.imports)
        if raw is not None:
            facts.raw_sql.append(raw)
    # Cheap tests on the text first: most files read no env and no header, and the
    # whole-tree walks below are the cost of a run over thousands of files.
    if "process.env" in text or "uthorization" in text or "UTHORIZATION" in text or ".cookies" in text:
        _members(root, facts, tokens, sessions)
    # The session is the token's fallback only when the same function reads both (papermark's
    # "API token first, else getServerSession"); a lookup anywhere else may run whether or
    # not the token came, or not at all.
    for node, sure in sorted(sessions, key=lambda s: (site(s[0]).line, site(s[0]).column)):
        within = _within(node)
        if sure and within is not None and within in tokens:
            facts.reads_session = facts.reads_session or site(node)
        else:
            facts.session_elsewhere = facts.session_elsewhere or site(node)
    # Each function on the way from an env read to what the module exports, exported ones too:
    # a client may import only `staticMapUrl`, which calls the exported `mapsKey`.
    reading = [name for r in facts.env_reads for name in (r.within, r.held_by) if name]
    while reading:
        name = reading.pop()
        if name not in facts.used_by:
            facts.used_by[name] = _users(root, name)
            reading += [u for u in facts.used_by[name] if u]
    # Once per file, not per await: a seed script of 20,000 awaits scanned its 600 KB each time.
    may_defer = "after" in text or "waitUntil" in text
    for awaited in root.find_all(kind="await_expression"):
        invoked = _called(awaited.named_children()[0] if awaited.named_children() else None)
        if invoked is not None:
            deferred = may_defer and any(
                a.kind() == "call_expression" and DEFERRING.search((a.field("function") or a).text())
                for a in awaited.ancestors())
            holder = awaited.parent()
            while holder is not None and holder.kind() == "parenthesized_expression":
                holder = holder.parent()
            facts.awaited.append(AwaitedCall(invoked, site(awaited), deferred,
                                             holder is not None and holder.kind() != "expression_statement"))
    facts.answers_401 = bool(re.search(r"\b401\b", text))
    # Only a public salt's use in a hash is judged (CODE005), and only a limited query
    # with a total-named result (CODE006).
    facts.hashes = bool(PUBLIC_SALT.search(text) and HASHING.search(text))
    if LIMITED.search(text) and TOTAL_WORD.search(text):
        facts.limited_totals = limited_totals(root)
    return facts


def analyze_batch(batch: list[tuple[str, str]]) -> list[FileFacts]:
    """A process pool worker's share: (path, text) pairs into their facts, in order."""
    return [analyze(path, text) for path, text in batch]


def _members(root: SgNode, facts: FileFacts, tokens: set[str | None], sessions: list[tuple[SgNode, bool]]) -> None:
    for member in root.find_all(kind="member_expression"):
        if AUTHORIZATION_MEMBER.search(member.text()):
            facts.reads_authorization = facts.reads_authorization or site(member)
            tokens.add(_within(member))
        elif COOKIES_MEMBER.match(member.text()):  # pages/api's req.cookies, NextRequest's request.cookies
            sure = cookie_use(member)
            if sure is not None:
                sessions.append((member, sure))
        obj = member.field("object")
        if obj is not None and obj.text() == "process.env":
            prop = member.field("property")
            # t3-env's list for the bundler, and its server schema, which the browser never parses
            if prop is not None and not in_runtime_env(member) and not in_server_schema(member):
                facts.env_reads.append(EnvRead(prop.text(), site(member), _within(member), _held_by(member)))


def _users(root: SgNode, name: str) -> list[str | None]:
    """The top-level declarations that use `name` other than its own (None: the module's top
    level, which runs on import)."""
    users = {_within(i) if any(a.kind() in FUNCTIONS for a in i.ancestors()) else None
             for i in root.find_all(kind="identifier") if i.text() == name and not _declares(i)}
    return sorted(users - {name}, key=lambda u: u or "")


def _declares(identifier: SgNode) -> bool:
    parent = identifier.parent()
    return parent is not None and parent.kind() in ("function_declaration", "variable_declarator") \
        and parent.field("name") == identifier


def _within(node: SgNode) -> str | None:
    """The top-level declaration whose function holds `node` ("default" for a default export),
    or None when `node` runs as the module loads (not inside any function)."""
    return _declaration(node) if any(a.kind() in FUNCTIONS for a in node.ancestors()) else None


def _held_by(node: SgNode) -> str | None:
    """The top-level declaration that holds `node` when it runs as the module loads
    (`const analytics = process.env.KEY ? jitsu(…) : none`), else None."""
    return None if any(a.kind() in FUNCTIONS for a in node.ancestors()) else _declaration(node)


def _declaration(node: SgNode) -> str | None:
    """The name of the top-level declaration that holds `node` ("default" for a default export)."""
    ancestors = node.ancestors()
    statement = ancestors[-2] if len(ancestors) >= 2 else node
    if statement.kind() == "export_statement":
        if any(c.kind() == "default" for c in statement.children()):
            return "default"
        statement = next((c for c in statement.named_children() if c.kind() != "comment"), statement)
    name = statement.field("name")
    if name is not None:  # function, class
        return name.text()
    for declarator in statement.named_children():
        if declarator.kind() == "variable_declarator" and (target := declarator.field("name")) is not None \
                and any(a == declarator for a in ancestors):
            return target.text()
    return None


def _called(call: SgNode | None) -> str | None:
    """The function an awaited call invokes, through `.catch()`/`.then()` chains."""
    while call is not None and call.kind() == "call_expression":
        callee = call.field("function")
        if callee is None:
            return None
        if callee.kind() == "member_expression" and (callee.field("property") or callee).text() in (
                "catch", "then", "finally"):
            call = callee.field("object")
            continue
        return callee.text()
    return None


def _imports(root: SgNode, facts: FileFacts) -> None:
    for statement in root.find_all(kind="import_statement"):
        source = string_value(statement.field("source"))
        if source is None:
            continue
        facts.import_sources.append(source)
        types_only = any(child.kind() == "type" for child in statement.children())
        for clause in statement.find_all(kind="import_clause"):
            for child in clause.named_children():
                if child.kind() == "identifier":
                    facts.imports[child.text()] = (source, "default")
                elif child.kind() == "namespace_import":
                    for ident in child.find_all(kind="identifier"):
                        facts.imports[ident.text()] = (source, "*")
        for spec in statement.find_all(kind="import_specifier"):
            name, alias = spec.field("name"), spec.field("alias")
            if name is not None:
                facts.imports[(alias or name).text()] = (source, name.text())
                if types_only or any(child.kind() == "type" for child in spec.children()):
                    facts.type_names.append((alias or name).text())
        if types_only:
            facts.type_names += [local for local, (origin, _name) in facts.imports.items()
                                 if origin == source and local not in facts.type_names]


def _exports(root: SgNode, facts: FileFacts) -> None:
    for statement in root.find_all(kind="export_statement"):
        for child in statement.children():  # one level: a whole-subtree walk per export is the cost
            kind = child.kind()
            if kind == "default":
                facts.exports.append("default")
            elif kind == "export_clause":
                types_only = any(sibling.kind() == "type" for sibling in statement.children())
                for spec in child.named_children():
                    name, alias = spec.field("name"), spec.field("alias")
                    if spec.kind() == "export_specifier" and name is not None:
                        facts.exports.append((alias or name).text())
                        if types_only or any(part.kind() == "type" for part in spec.children()):
                            facts.type_exports.append((alias or name).text())
            elif kind in ("lexical_declaration", "variable_declaration"):
                facts.exports += [target.text() for declarator in child.named_children()
                                  if declarator.kind() == "variable_declarator"
                                  and (target := declarator.field("name")) is not None]
            elif child.is_named() and (named := child.field("name")) is not None:
                facts.exports.append(named.text())
                if kind in ("type_alias_declaration", "interface_declaration"):
                    facts.type_exports.append(named.text())


def _fetch(call: SgNode) -> FetchCall | None:
    url = string_value(first_argument(call))
    if url is None:
        return None
    url = re.sub(r"^\*(?=/)", "", url)  # `${API_BASE}/api/x`
    if not url.startswith("/"):
        return None
    arguments = call.field("arguments")
    named = arguments.named_children() if arguments is not None else []
    auth, why = _carries_authorization(named[1] if len(named) > 1 else None)
    return FetchCall(url, auth, why, site(call))


def _carries_authorization(options: SgNode | None) -> tuple[Auth, str]:
    if options is None:
        return "no", ""
    if options.kind() != "object":
        return "unknown", f"options come from `{options.text()[:40]}`"
    headers = None
    spread = None
    for child in options.named_children():
        if child.kind() == "spread_element":
            spread = child.text()
        elif child.kind() == "pair" and (child.field("key") or child).text().strip("'\"") == "headers":
            headers = child.field("value")
        elif child.kind() == "shorthand_property_identifier" and child.text() == "headers":
            return "unknown", "headers come from the variable `headers`"
    if headers is None:
        return ("unknown", f"options spread `{spread}`") if spread else ("no", "")
    if headers.kind() != "object":
        return "unknown", f"headers come from `{headers.text()[:40]}`"
    for child in headers.named_children():
        key = child.field("key") if child.kind() == "pair" else child
        if key is not None and key.text().strip("'\"`").lower() == "authorization":
            return "yes", ""
    spreads = [c.text() for c in headers.named_children() if c.kind() == "spread_element"]
    return ("unknown", f"headers spread `{spreads[0]}`") if spreads else ("no", "")
