"""What an expression or a function body calls, for the allow-list guard (additive.py):
the first call of a function off the safe list, and whether a new function's body only
computes (a trigger function a seed would fire)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checks.schema.guard import _last_name, _option, _parse_query, _plpgsql_queries
from checks.schema.safelist import KNOWN_HARM, SAFE_FUNCTIONS, SAFE_SETTINGS
from checks.support.sqltree import children

# Functions an extension provides, which apps call schema-qualified (Supabase: extensions.).
_EXTENSION_FUNCTIONS = {"uuid_generate_v4", "uuid_generate_v1", "uuid_generate_v1mc",
                        "gen_random_bytes", "gen_random_uuid", "digest", "hmac", "crypt", "gen_salt"}
_WRITES = {"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"}


def _kind(node: Any) -> str:
    return type(node).__name__


def _walk(node: Any) -> Any:
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, (list, tuple)):
            pending.extend(item)
            continue
        if item is None or not hasattr(type(item), "__slots__"):
            continue
        yield item
        pending.extend(children(item))


def _setting(call: Any) -> str:
    first = (call.args or (None,))[0]
    return str(getattr(getattr(first, "val", None), "sval", "") or "").lower()


def ahead_of_catalog(schemas: Any) -> str | None:
    """The schema a search_path names ahead of pg_catalog. PostgreSQL searches pg_catalog
    first only when the path does not name it (docs 5.9.3 "The Schema Search Path"): after
    `SET search_path TO app, pg_catalog` an unqualified lower() may be app.lower()."""
    names = [str(s).strip().strip('"') for s in schemas]
    names = [n for n in names if n and n.lower() != "pg_temp"]
    lowered = [n.lower() for n in names]
    if "pg_catalog" in lowered and lowered.index("pg_catalog") > 0:
        return names[0]
    return None


def path_set(node: Any) -> str | None:
    """For a SET search_path (a statement or a function's SET clause), the schema it puts
    ahead of pg_catalog, if any."""
    if str(getattr(node, "name", "") or "").lower() != "search_path":
        return None
    return ahead_of_catalog(str(getattr(getattr(a, "val", None), "sval", "") or "") for a in node.args or ())


def _parts(item: Any) -> list[str]:
    names = getattr(item, "names", None) or getattr(item, "objname", None)
    items = names if names is not None else (item if isinstance(item, tuple) else (item,))
    return [str(getattr(p, "sval", "")) for p in items if getattr(p, "sval", None) is not None]


def unsafe_call(node: Any, own: Callable[[str, str], bool] | None = None) -> str | None:
    """Why an expression in `node` is not proven harmless: the first call of a function
    off the safe list (the database's own functions included). `own(schema, name)`: whether
    a call of that name runs a function this apply creates that only computes (hidden.py)."""
    for item in _walk(node):
        if _kind(item) in _WRITES:
            return f"it writes ({_kind(item).removesuffix('Stmt').upper()} inside it)"
        if _kind(item) != "FuncCall":
            continue
        names = [str(getattr(p, "sval", "")).lower() for p in item.funcname or ()]
        name, schema = names[-1], (names[-2] if len(names) > 1 else "")
        if name == "set_config" and _setting(item) in SAFE_SETTINGS:
            value = (*(item.args or ()), None, None)[1]
            literal = getattr(getattr(value, "val", None), "sval", None)
            if _setting(item) == "search_path" and not isinstance(literal, str):
                return ("set_config() sets the search_path to a value made at run time: it may put a schema "
                        "ahead of pg_catalog, where a call of a safe name runs that schema's function")
            text = str(literal or "")
            ahead = ahead_of_catalog(text.split(",")) if _setting(item) == "search_path" else None
            if ahead:
                return (f"set_config() puts {ahead} ahead of pg_catalog in the search_path: a call of a "
                        f"safe name may then run {ahead}'s function of that name")
            continue
        if name in SAFE_FUNCTIONS and (schema in ("", "pg_catalog") or name in _EXTENSION_FUNCTIONS):
            continue
        exact = [str(getattr(p, "sval", "")) for p in item.funcname or ()]  # as PostgreSQL looks it up
        if own is not None and own(exact[-2] if len(exact) > 1 else "", exact[-1]):
            continue
        shown = ".".join(names)
        if name in KNOWN_HARM:
            return f"{shown}() {KNOWN_HARM[name]}"
        return f"it calls {shown}(), which is not on the safe list (what it does is not proven)"
    return None


def body_writes(node: Any, unsafe: Callable[[Any], str | None] = unsafe_call) -> str | None:
    """Why the body of a new function (or a default of its arguments) writes or cannot be read
    (None: it only computes); `unsafe` judges each of its queries (the classifier's also
    knows the views that write)."""
    language_option = _option(node.options, "language")
    language = str(getattr(language_option.arg, "sval", "sql") if language_option else "sql").lower()
    if language not in ("sql", "plpgsql"):
        return f"its code in {language} cannot be inspected"
    body_option = _option(node.options, "as")
    parts = body_option.arg if body_option is not None and isinstance(body_option.arg, tuple) else (
        (body_option.arg,) if body_option is not None else ())
    body = str(getattr(parts[0], "sval", "")) if parts else ""
    for parameter in node.parameters or ():  # a call that leaves an argument out runs its DEFAULT
        why = unsafe(parameter.defexpr) if parameter.defexpr is not None else None
        if why:
            return f"the default of its argument {parameter.name or '(unnamed)'}: {why}"
    for option in node.options or ():
        ahead = path_set(option.arg) if option.defname == "set" else None
        if ahead:
            return f"its SET search_path puts {ahead} ahead of pg_catalog (a safe name may be {ahead}'s function)"
    statements: list[Any] = []
    if node.sql_body:  # BEGIN ATOMIC … END: already parsed
        statements = [s for s in _walk(node.sql_body) if _kind(s).endswith("Stmt")]
    else:
        returns = node.returnType is not None and _last_name(node.returnType.names) == "trigger"
        queries = [body] if language == "sql" else _plpgsql_queries(body, returns_trigger=returns, function=node)
        if isinstance(queries, str):
            return queries
        for query in queries:
            parsed = _parse_query(query)
            if parsed is None:
                return "a statement in it could not be parsed"
            statements.extend(parsed)
    for statement in statements:
        if _kind(statement) != "SelectStmt":
            return f"it runs {_kind(statement).removesuffix('Stmt').upper()}"
        why = unsafe(statement)
        if why:
            return why
    return None
