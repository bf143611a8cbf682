"""Schema verification at scale: parse, apply and verify generated schemas of 10, 100
and 1,000 tables. Reports the median time of the verification (DB004's table lookup and
DB005's column read, the work a gate repeats) and counts its round trips, which must not
grow with the table count. Goal: 1,000 tables verified in under 0.5 s."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from checks.schema import present_tables, table_columns
from checks.sources import SchemaSource
from checks.sqlschema import parse_sources
from provision.pgembed import EmbeddedPostgres

RUNS = 7


def generated_schema(tables: int) -> str:
    return "\n".join(
        f"CREATE TABLE t{i:04d} (id bigint PRIMARY KEY, name varchar(80) NOT NULL, "
        f"payload jsonb, created_at timestamptz NOT NULL DEFAULT now());"
        for i in range(tables)
    )


class Counting(psycopg.AsyncConnection[Any]):
    round_trips = 0

    async def execute(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        Counting.round_trips += 1
        return await super().execute(*args, **kwargs)


async def measure(url: str, tables: int) -> tuple[float, float, float, int]:
    sql = generated_schema(tables)
    began = time.perf_counter()
    parsed = parse_sources([SchemaSource(Path("schema.sql"), sql, 1)])
    parse_s = time.perf_counter() - began
    expected = list(parsed.tables)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        began = time.perf_counter()
        async with connection.transaction():
            for statement in parsed.statements:
                await connection.execute(statement.text)
        apply_s = time.perf_counter() - began
    timings = []
    async with await Counting.connect(url, autocommit=True) as connection:
        for _ in range(RUNS):
            Counting.round_trips = 0
            began = time.perf_counter()
            present = await present_tables(connection, expected)
            columns = await table_columns(connection, expected)
            timings.append(time.perf_counter() - began)
            assert len(present) == tables and len(columns) == tables
    return parse_s, apply_s, statistics.median(timings), Counting.round_trips


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", password="bench-password", durable=False, timeout=60)
        server.start()
        try:
            print("schema verification (parse with pglast, apply in one transaction, verify)")
            print(f"  {'tables':>6}  {'parse':>8}  {'apply':>8}  {'verify (median)':>16}  round trips")
            for count in (10, 100, 1000):
                name = f"bench_{count}"
                server.create_database(name)
                parse_s, apply_s, verify_s, trips = asyncio.run(measure(server.url(name), count))
                print(f"  {count:>6}  {parse_s * 1000:6.0f}ms  {apply_s * 1000:6.0f}ms  "
                      f"{verify_s * 1000:14.1f}ms  {trips}")
                last = verify_s
            print(f"  goal: 1,000 tables verified in < 500 ms: {'met' if last < 0.5 else 'MISSED'}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
