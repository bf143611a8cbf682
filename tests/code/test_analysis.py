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


# (body, the finding's `certain`): a `.query`/`.execute` is SQL only on a known SQL client.
RECEIVERS = [
    ("const engine = new WorkflowEngine()\n  const { id } = await params\n  return engine.execute(id, { a: 1 })", []),
    ("const { id } = await params\n  return workflow.execute(id)", []),
    ("const q = searchParams.get('q')\n  return pool.query(q)", [True]),
    ("const q = searchParams.get('q')\n  return redisClient.query(q)", []),
    ("const { id } = await params\n  return workerPool.execute(id)", []),
    ("const { id } = await params\n  return engine.execute(id)", []),
    ("const { id } = await params\n  return trpc.user.byId.query(id)", []),  # a tRPC procedure
    ("const { id } = await params\n  return readDb.execute(id)", [True]),
    ("const db = new WorkflowEngine()\n  return db.execute(`SELECT * FROM t WHERE id = ${id}`)", [False]),
    ("return repo.query(`SELECT * FROM t WHERE id = ${id}`)", [False]),
    ("const sql = neon(process.env.DATABASE_URL!)\n  return sql.query(`SELECT * FROM t WHERE id = ${id}`)", [True]),
    ("return this.pgPool.query('DELETE FROM t WHERE id = ' + id)", [True]),
    ("return prisma.$queryRawUnsafe(`SELECT * FROM t WHERE n ${OPS[op]} $1`, n)", [False]),
    ("return prisma.$queryRawUnsafe(`SELECT * FROM t WHERE n ${OPS[op]} ${n}`)", [True]),
    ("const sqlOp = OPS[op]\n  return prisma.$queryRawUnsafe(`SELECT * FROM t WHERE n ${sqlOp} $1`, n)", [False]),
    ("const sqlOp = op\n  return prisma.$queryRawUnsafe(`SELECT * FROM t WHERE n ${sqlOp} $1`, n)", [True]),
    # SQL-looking request input to a receiver whose kind is not known: listed, never dropped
    ("const q = `SELECT * FROM t WHERE id = ${req.body.id}`\n  return warehouse.query(q)", [False]),
    ("const q = 'SELECT * FROM t WHERE id = ' + req.body.id\n  return redisClient.query(q)", [False]),
    # a connection or transaction of a SQL client is one (node-postgres' documented pool.connect())
    ("const client = await pool.connect()\n  return client.query(`SELECT * FROM t WHERE id = ${id}`)", [True]),
    ("const cx = await pgPool.connect()\n  return cx.query(`SELECT * FROM t WHERE id = ${id}`)", [True]),
    ("const tx = await sql.begin()\n  return tx.unsafe(`SELECT * FROM t WHERE id = ${id}`)", [True]),
    # made by a call nobody knows: its name decides (getPool(), getDb(), pg-promise's pgp(url))
    ("const pool = getPool()\n  return pool.query('SELECT * FROM t WHERE id = ' + id)", [True]),
    ("const db = await getDb()\n  return db.query(`SELECT * FROM t WHERE id = ${id}`)", [True]),
    ("const db = pgp(process.env.DATABASE_URL)\n  return db.query(`SELECT * FROM t WHERE id = ${id}`)", [True]),
    ("const cx = await engine.connect()\n  return cx.query(`SELECT * FROM t WHERE id = ${id}`)", [False]),
]


@pytest.mark.parametrize(("body", "certain"), RECEIVERS)
def test_query_and_execute_fail_only_on_a_known_sql_client(body: str, certain: list[bool]) -> None:
    source = ("const OPS = { gt: '>', lt: '<' } as const\nconst engine = createSqlStyleEngine()\n"
              f"export async function GET(req: Request, {{ params }}: any) {{\n  {body}\n}}\n")
    assert [raw.certain for raw in analyze("app/api/x/route.ts", source).raw_sql] == certain


@pytest.mark.parametrize("package", ["pg-promise", "slonik", "mssql", "drizzle-orm/node-postgres", "mysql2/promise"])
def test_a_receiver_imported_from_any_detected_sql_driver_is_a_sql_client(package: str) -> None:
    # The driver list is checks/project/detectors.py's (it had pg-promise, slonik and mssql; a copy here had not).
    source = (f"import {{ store }} from '{package}'\nexport async function GET() {{\n"
              "  return store.query(`SELECT * FROM t WHERE id = ${id}`)\n}\n")
    assert [raw.certain for raw in analyze("app/api/x/route.ts", source).raw_sql] == [True]


@pytest.mark.parametrize("package", ["@stackframe/stack", "@neondatabase/auth/next", "next-auth/next"])
def test_a_session_lookup_of_any_detected_auth_sdk_is_the_token_s_fallback(package: str) -> None:
    source = (f"import {{ getSession }} from '{package}'\nexport async function GET(request: Request) {{\n"
              "  return request.headers.get('authorization') ?? (await getSession())\n}\n")
    facts = analyze("app/api/x/route.ts", source)
    assert facts.reads_session is not None and facts.session_elsewhere is None
