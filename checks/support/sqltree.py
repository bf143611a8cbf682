"""Walking pglast's parse trees, and the one question the flow's `sql` read-back asks of
its query: is it a single SELECT that cannot write, and calls only harmless functions?"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

_NODE: list[type] = []  # pglast.ast.Node, imported on the first walk
# Per node class, the slots whose int value pglast turns into something else (a bool, a
# char, an enum; a Float's text). Filled when the first statement is parsed.
_COERCE: dict[type, dict[str, Callable[[int], Any]]] = {}


def parse_sql(sql: str) -> Any:
    """pglast.parse_sql, with pglast's nodes set by `_set_slot`: pglast checks and coerces
    every attribute its C parser sets, 390,000 Python calls for a 1,000-table schema and
    half its parse time (issue 21), although the C parser already hands over the right
    types except a few raw ints. tests/support/test_sqltree.py compares the trees of every
    SQL fixture both ways (and PostgreSQL's own regression suite, 41,244 statements, came
    out the same)."""
    from pglast import parser  # start-up: only runs that read SQL load pglast

    if not _COERCE:
        _install_set_slot()
    return parser.parse_sql(sql)


def _install_set_slot() -> None:
    from pglast import ast, enums  # start-up: only runs that read SQL load pglast

    def classes(cls: Any) -> Any:
        for sub in cls.__subclasses__():
            yield sub
            yield from classes(sub)

    found: dict[type, dict[str, Callable[[Any], Any]]] = {}
    for cls in classes(ast.Node):
        coerce: dict[str, Callable[[Any], Any]] = {}
        for name, info in (cls.__slots__.items() if isinstance(cls.__slots__, dict) else ()):
            kind = getattr(enums, info.c_type, None)
            if info.c_type in ("bool", "char"):
                coerce[name] = bool if info.c_type == "bool" else chr
            elif isinstance(kind, type) and issubclass(kind, enum.Enum):
                coerce[name] = kind
            elif cls is ast.Float and name == "fval":
                coerce[name] = str
        found[cls] = coerce
    if ast.Node.__setattr__ is not _set_slot:  # a second thread's first parse
        _VALIDATED.append(ast.Node.__setattr__)
    _COERCE.update(found)  # whole, before any node is set the fast way
    ast.Node.__setattr__ = _set_slot  # type: ignore[assignment,method-assign]


_VALIDATED: list[Callable[[Any, str, Any], None]] = []  # pglast's own Node.__setattr__
_SET = object.__setattr__


def _set_slot(node: Any, name: str, value: Any) -> None:
    """What pglast's Node.__setattr__ stores, for what its C parser passes: a raw int
    becomes the slot's bool, char or enum; a node, a tuple of nodes, text and numbers are
    stored as given. Anything else (pglast's JSON shapes, a char as text, an enum's name)
    takes pglast's own way."""
    coerce = _COERCE[type(node)].get(name)
    kind = type(value)
    if coerce is None:
        if kind is dict or kind is list:
            _VALIDATED[0](node, name, value)
            return
    elif kind is int:
        value = coerce(value)
    elif not (value is None or kind is bool or kind is coerce or (
            kind is str and coerce is chr and len(value) == 1)):
        _VALIDATED[0](node, name, value)
        return
    _SET(node, name, value)


def children(node: Any) -> list[Any]:
    """The nodes directly under `node`, in slot order, those inside tuples in order. Called
    once per node of every statement (107,000 times for a 1,000-table schema): only the
    slots that can hold a node are read (their C type is a pointer other than char*), and
    the class is looked up once, not imported on each call."""
    if not _NODE:
        from pglast import ast  # start-up: only runs that read SQL load pglast

        _NODE.append(ast.Node)
    names = _NODE_SLOTS.get(type(node))
    if names is None:
        names = _NODE_SLOTS[type(node)] = _node_slots(type(node))
    found: list[Any] = []
    for name in names:
        value = getattr(node, name, None)
        if isinstance(value, _NODE[0]):
            found.append(value)
        elif isinstance(value, tuple):
            _flatten(value, found)
    return found


_NODE_SLOTS: dict[type, tuple[str, ...]] = {}


def _node_slots(cls: Any) -> tuple[str, ...]:
    """The slots whose declared Python type is a node or a list of them (pglast's
    SlotTypeInfo.py_type), not text, a number, a flag or an enum."""
    slots = cls.__slots__
    if not isinstance(slots, dict):
        return tuple(slots)
    found = []
    for name, info in slots.items():
        types = getattr(info, "py_type", (tuple,))
        types = types if isinstance(types, tuple) else (types,)
        if any(t in (tuple, list) or issubclass(t, _NODE[0]) for t in types if isinstance(t, type)):
            found.append(name)
    return tuple(found)


def _flatten(items: tuple[Any, ...], found: list[Any]) -> None:
    for item in items:
        if isinstance(item, _NODE[0]):
            found.append(item)
        elif isinstance(item, tuple):
            _flatten(item, found)


# Built-in functions with no effect outside the value they return (PostgreSQL 16 docs,
# chapter 9). A read-back may call only these: a read-only transaction still runs
# pg_terminate_backend(), lo_unlink() or a function of the app's own that writes elsewhere,
# so anything not named here is refused when the config is read. The schema guard's safe
# list (checks/schema/safelist.py) is this one plus what an apply may also run.
PURE_FUNCTIONS = frozenset({
    # aggregates and window functions (9.21, 9.22)
    "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "array_agg", "string_agg",
    "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "stddev", "variance",
    "row_number", "rank", "dense_rank", "lag", "lead", "first_value", "last_value", "ntile",
    # strings (9.4, 9.7)
    "lower", "upper", "length", "char_length", "character_length", "octet_length", "bit_length",
    "btrim", "ltrim", "rtrim", "trim", "substring", "substr", "replace", "concat", "concat_ws",
    "left", "right", "position", "strpos", "starts_with", "split_part", "initcap", "lpad", "rpad",
    "repeat", "reverse", "translate", "md5", "format", "to_char", "to_number", "overlay", "normalize",
    "encode", "decode", "quote_ident", "quote_literal", "quote_nullable", "similar_to_escape",
    "regexp_replace", "regexp_match", "regexp_like", "regexp_count", "ascii", "chr", "to_hex",
    "string_to_array", "sha224", "sha256", "sha384", "sha512", "regexp_split_to_array",
    "regexp_split_to_table", "string_to_table",
    # dates and times (9.9)
    "now", "date_trunc", "date_part", "extract", "age", "to_timestamp", "to_date", "make_date",
    "make_time", "make_timestamp", "make_timestamptz", "make_interval", "timezone", "date_bin",
    "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday", "justify_days",
    "justify_hours", "justify_interval", "isfinite",
    # json (9.16)
    "to_json", "to_jsonb", "row_to_json", "array_to_json", "json_build_object", "jsonb_build_object",
    "json_build_array", "jsonb_build_array", "json_extract_path", "jsonb_extract_path",
    "json_extract_path_text", "jsonb_extract_path_text", "json_array_length", "jsonb_array_length",
    "json_typeof", "jsonb_typeof", "jsonb_strip_nulls", "json_strip_nulls", "jsonb_pretty",
    "jsonb_path_exists", "jsonb_path_match", "jsonb_path_query_first", "jsonb_path_query_array",
    "jsonb_set", "jsonb_insert", "jsonb_set_lax", "jsonb_path_query", "json_object", "jsonb_object",
    # json's set-returning functions (9.16, table 9.49): rows of a value, nothing stored
    "json_array_elements", "jsonb_array_elements", "json_array_elements_text",
    "jsonb_array_elements_text", "json_each", "jsonb_each", "json_each_text", "jsonb_each_text",
    "json_object_keys", "jsonb_object_keys", "json_to_record", "jsonb_to_record",
    "json_to_recordset", "jsonb_to_recordset", "json_populate_record", "jsonb_populate_record",
    "json_populate_recordset", "jsonb_populate_recordset",
    # math and arrays (9.3, 9.19)
    "abs", "ceil", "ceiling", "floor", "round", "trunc", "mod", "power", "sqrt", "cbrt", "exp",
    "ln", "log", "log10", "sign", "pi", "div", "width_bucket", "array_length", "cardinality",
    "array_position", "array_to_string", "array_append", "array_prepend", "array_cat",
    "array_remove", "array_replace", "unnest", "generate_series",
    # full-text search (9.13)
    "to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery",
    "setweight",
})


# An operator is a function call too (CREATE OPERATOR … FUNCTION = f): only PostgreSQL's own
# symbols (9.2–9.20), and the keyword forms (BETWEEN, SIMILAR TO) pglast names by words.
SAFE_OPERATORS = frozenset({
    "=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "^", "||", "|/", "||/", "@",
    "&", "|", "#", "~", "<<", ">>", "~~", "!~~", "~~*", "!~~*", "~*", "!~", "!~*", "->", "->>",
    "#>", "#>>", "@>", "<@", "?", "?|", "?&", "&&", "@@", "@?", "#-", "<->", "-|-", "&<", "&>",
})


def _unsafe_operator(node: Any) -> str | None:
    names = [getattr(part, "sval", "") for part in node.name or ()]
    if not names:
        return None
    op = names[-1]
    if (len(names) > 1 and names[0].lower() != "pg_catalog") or (
            op not in SAFE_OPERATORS and not op.replace(" ", "").isalpha()):
        return f"it uses the operator {'.'.join(names)}, which is not one of PostgreSQL's own"
    return None


def _unsafe_call(node: Any) -> str | None:
    """Why this function call may not run in a read-back (None when it may)."""
    names = [getattr(part, "sval", "") for part in node.funcname]
    name = names[-1].lower()
    if len(names) > 1 and names[0].lower() != "pg_catalog":
        return f"it calls {'.'.join(names)}(), a function outside pg_catalog"
    if name not in PURE_FUNCTIONS:
        return (f"it calls {name}(), which is not on the read-back's safe list "
                "(aggregates, string, date, json and math functions)")
    return None


def read_only_select(query: str) -> str | None:
    """Why `query` is not one plain SELECT (None when it is): the read-back may not write,
    also not through a data-modifying CTE, SELECT … INTO or a second statement, and calls
    only the functions of PURE_FUNCTIONS."""
    from pglast import ast  # start-up: only runs that read SQL load pglast
    from pglast.parser import ParseError  # start-up: only runs that read SQL load pglast

    try:
        statements = parse_sql(query)
    except ParseError as exc:
        return f"it does not parse: {exc}"
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        return "it must be exactly one SELECT"

    writes = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt, ast.IntoClause,
              ast.LockingClause)
    stack: list[Any] = [statements[0].stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, writes):
            return "it writes or locks (a data-modifying WITH, SELECT … INTO, FOR UPDATE)"
        unsafe = (_unsafe_call(node) if isinstance(node, ast.FuncCall)
                  else _unsafe_operator(node) if isinstance(node, ast.A_Expr) else None)
        if unsafe:
            return unsafe
        stack.extend(children(node))
    return None
