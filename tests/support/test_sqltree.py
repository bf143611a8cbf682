"""The flow's `sql` read-back: one SELECT that cannot write, calling only the functions and
operators of PostgreSQL's safe list. issue 20 §5: `pg_terminate_backend(...)` ran, since a
read-only transaction does not stop admin functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pglast import ast, enums
from pglast import parser as pglast_parser

from checks.support import sqltree
from checks.support.sqltree import parse_sql, read_only_select

from helpers import run_cli, write_project

READ_BACKS = [
    "SELECT count(*) FROM notes WHERE id = $1",
    "SELECT body FROM notes WHERE owner = $1 AND created_at > now() - interval '1 day'",
    "SELECT lower(trim(email)), length(name), date_trunc('day', created_at) FROM users",
    "SELECT data->>'title', jsonb_array_length(data->'tags') FROM posts WHERE data @> '{\"a\": 1}'",
    "SELECT round(avg(price), 2), max(extract(year FROM sold_at)) FROM sales",
    "SELECT coalesce(nullif(a, ''), 'x') FROM t WHERE b BETWEEN 1 AND 2 AND c LIKE 'x%' AND d SIMILAR TO 'y'",
    "SELECT string_agg(name, ', ' ORDER BY name) FROM tags",
    "SELECT pg_catalog.lower(name) FROM users",
]


@pytest.mark.parametrize("query", READ_BACKS)
def test_ordinary_read_backs_are_accepted(query: str) -> None:
    assert read_only_select(query) is None


REFUSED = [
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend()"),
    ("SELECT count(*) FROM notes WHERE pg_cancel_backend(42)", "pg_cancel_backend()"),
    ("SELECT lo_unlink(16384)", "lo_unlink()"),
    ("SELECT * FROM dblink('host=192.0.2.1', 'DELETE FROM t') AS t(x int)", "dblink()"),
    ("SELECT pg_sleep(3600)", "pg_sleep()"),
    ("SELECT set_config('search_path', 'evil', false)", "set_config()"),
    ("SELECT app_purge_everything()", "app_purge_everything()"),  # the app's own function
    ("SELECT public.lower(email) FROM users", "public.lower()"),  # a shadow of a safe name
    ("SELECT count(*) FROM notes WHERE EXISTS (SELECT pg_reload_conf())", "pg_reload_conf()"),
    ("SELECT 1 ### 2", "operator ###"),  # CREATE OPERATOR ### (FUNCTION = purge)
    ("SELECT 1 OPERATOR(public.=) 1", "operator public.="),
]


@pytest.mark.parametrize(("query", "named"), REFUSED, ids=[n for _, n in REFUSED])
def test_calls_outside_the_safe_list_are_refused_naming_them(query: str, named: str) -> None:
    why = read_only_select(query)
    assert why is not None and named in why


def test_the_config_is_refused_at_load_exit_2(tmp_path: Path) -> None:
    toml = ('[dev_server]\nroutes = [{ path = "/x", signed_in = true, sql = { query = '
            '"SELECT pg_terminate_backend(pid) FROM pg_stat_activity", equals = 1 } }]\n')
    done = run_cli("check", "--project", str(write_project(tmp_path, {"deploy-check.toml": toml})))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == ("deploy-check: deploy-check.toml: dev_server.routes[0].sql.query must be one "
                                   "read-only SELECT: it calls pg_terminate_backend(), which is not on the "
                                   "read-back's safe list (aggregates, string, date, json and math functions)")


# parse_sql stores what pglast's C parser hands over without pglast's per-attribute checks
# (issue 21). The trees must be the ones pglast's own checks build, down to each value's type.
SQL_FILES = sorted({*Path(__file__).parents[1].rglob("*.sql"), *Path(__file__).parents[2].joinpath("examples").rglob("*.sql")})


def _same_tree(ours: Any, theirs: Any, where: str) -> None:
    assert type(ours) is type(theirs), where
    if isinstance(theirs, ast.Node):
        for name in theirs.__slots__:
            _same_tree(getattr(ours, name, None), getattr(theirs, name, None), f"{where}.{name}")
    elif isinstance(theirs, tuple):
        assert len(ours) == len(theirs), where
        for index, (mine, its) in enumerate(zip(ours, theirs, strict=True)):
            _same_tree(mine, its, f"{where}[{index}]")
    else:
        assert ours == theirs, where


def _validated_parse(sql: str) -> Any:
    fast = ast.Node.__setattr__
    ast.Node.__setattr__ = sqltree._VALIDATED[0]  # type: ignore[method-assign,assignment]
    try:
        return pglast_parser.parse_sql(sql)
    finally:
        ast.Node.__setattr__ = fast  # type: ignore[method-assign]


def test_parse_sql_builds_the_trees_pglasts_own_checks_build() -> None:
    assert len(SQL_FILES) > 30  # the node-kinds fixture, the apps' migrations, the demo's schema
    parse_sql("SELECT 1")  # installs the fast setter
    parsed = 0
    for path in SQL_FILES:
        sql = path.read_text(encoding="utf-8")
        try:
            theirs = _validated_parse(sql)
        except pglast_parser.ParseError:  # a MySQL history: ours must refuse it too
            with pytest.raises(pglast_parser.ParseError):
                parse_sql(sql)
            continue
        _same_tree(parse_sql(sql), theirs, path.name)
        parsed += 1
    assert parsed > 25


def test_the_fast_trees_hold_bools_chars_and_enums_not_raw_ints() -> None:
    (raw,) = parse_sql("CREATE UNLOGGED TABLE t (a int REFERENCES u ON DELETE CASCADE, b bool DEFAULT true)")
    table = raw.stmt
    reference = table.tableElts[0].constraints[0]
    assert table.relation.relpersistence == "u"
    assert reference.fk_del_action == "c" and reference.contype is enums.ConstrType.CONSTR_FOREIGN
    assert table.tableElts[1].constraints[0].raw_expr.val.boolval is True


def test_nodes_built_from_pglasts_json_shape_still_take_pglasts_checks() -> None:
    parse_sql("SELECT 1")
    built = ast.RangeVar({"@": "RangeVar", "relname": "t", "inh": 1, "relpersistence": "p",
                          "alias": {"@": "Alias", "aliasname": "x"}})
    assert built.inh is True and isinstance(built.alias, ast.Alias)
    with pytest.raises(ValueError):
        ast.RangeVar(relname="t", relpersistence="pp")  # a char slot given two characters
