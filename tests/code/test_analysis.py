"""The parser's facts for one file: table-driven snippets in the shapes of real route handlers."""

from __future__ import annotations

import pytest

from checks.code.analysis import analyze

RAW_SQL = [
    # second tier: a variable from the request, in the same function
    ("const { where } = await req.json()\n  return db.$executeRawUnsafe(where)", ["prisma-like: from the request"]),
    ("const sort = searchParams.get('sort')\n  return sql.raw(sort)", ["from the request"]),
    ("return client.unsafe(`select * from t where id = ${id}`)", ["template"]),
    ("const text = `SELECT * FROM users WHERE id = ${id}`\n  return pool.query(text)", ["template"]),
    ("return pool.query(`SELECT * FROM users WHERE id = $1`, [id])", []),
    ("return client`select * from t where id = ${id}`", []),
    ("return db.execute(sql`select * from t where id = ${id}`)", []),
    ("return cache.query(`user:${id}`)", []),  # a .query that is not SQL
    ("const text = 'SELECT 1'\n  return db.$queryRawUnsafe(text)", []),
]


@pytest.mark.parametrize(("body", "expected"), RAW_SQL)
def test_raw_sql_fires_on_interpolation_and_request_input_only(body: str, expected: list[str]) -> None:
    source = f"export async function GET(req: Request) {{\n  {body}\n}}\n"
    found = analyze("app/api/x/route.ts", source).raw_sql
    assert len(found) == len(expected), found
    for raw, said in zip(found, expected, strict=True):
        assert said.split(": ")[-1] in raw.why
