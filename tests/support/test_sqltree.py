"""The flow's `sql` read-back: one SELECT that cannot write, calling only the functions and
operators of PostgreSQL's safe list. issue 20 §5: `pg_terminate_backend(...)` ran, since a
read-only transaction does not stop admin functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.support.sqltree import read_only_select

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
