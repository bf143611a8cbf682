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


# (body, the findings' `certain`): text built only from constants and placeholders is no
# injection ([]); what the file cannot settle is could-not-verify ([False]); the rest fails.
SQL_TEXT = [
    # placeholders only, the values as parameters (the shapes real apps write for IN lists)
    ("const { ids } = await req.json()\n  const marks = ids.map((_, i) => `$${i + 1}`).join(', ')\n"
     "  return sql.query(`SELECT * FROM t WHERE id IN (${marks})`, ids)", []),
    ("const { ids } = await req.json()\n  return pool.query(`DELETE FROM t WHERE id IN (${ids.map(() => '?').join(',')})`, ids)",
     []),
    ("const { ids } = await req.json()\n  return pool.query('DELETE FROM t WHERE id IN (' + ids.map(() => '?').join(',') + ')', ids)",
     []),
    ("const { ids } = await req.json()\n  return pool.query(`SELECT * FROM t WHERE a = $1 AND id IN (${ids.map((_, i) => `$${i + 2}`)})`, [a, ...ids])",
     []),
    ("const { ids } = await req.json()\n  return pool.query(`SELECT * FROM t WHERE id IN (${'?, '.repeat(ids.length).slice(0, -2)})`, ids)",
     []),
    ("const { ids } = await req.json()\n  return pool.query(`SELECT * FROM t WHERE id IN (${Array(ids.length).fill('?').join()})`, ids)",
     []),
    ("const { ids } = await req.json()\n  return pool.query(`SELECT * FROM t WHERE id IN (${marks(ids.length)})`, ids)", []),
    ("const { a, b } = await req.json()\n  const xs = [...new Set(a)]\n  const ys = b.map((_, i) => `$${xs.length + i + 1}`).join(',')\n"
     "  return pool.query(`SELECT * FROM t WHERE x IN (${xs.map((_, i) => `$${i + 1}`)}) AND y IN (${ys})`, [...xs, ...b])", []),
    # a dynamic WHERE / SET: placeholders pushed, counted by the parameters' length or a counter
    ("const dto = await req.json()\n  const sets: string[] = []\n  const values: unknown[] = []\n  let n = 1\n"
     "  if (dto.name) { sets.push(`name = $${n++}`); values.push(dto.name) }\n  values.push(dto.id)\n"
     "  return pool.query(`UPDATE t SET ${sets.join(', ')} WHERE id = $${values.length}`, values)", []),
    ("const { teamIds, mine, me } = await req.json()\n  const values: unknown[] = [...teamIds]\n"
     "  let text = `SELECT * FROM deals WHERE team_id IN (${teamIds.map((_, i) => `$${i + 1}`).join(', ')})`\n"
     "  if (mine) { values.push(me); text += ` AND owner = $${values.length}` }\n  return pool.query(text, values)", []),
    # constant identifiers: a module constant, a constant map's fixed key, an enum, a constant list
    ("const { id } = await params\n  return sql.query(`SELECT * FROM ${TABLE} WHERE id = $1`, [id])", []),
    ("const { id } = await params\n  return sql.query(`SELECT ${COLUMNS.join(', ')} FROM ${TABLES.users} WHERE k = ${Kind.A}`, [id])",
     []),
    ("const { id } = await params\n  for (const table of ['a', 'b']) await pool.query(`DELETE FROM ${table} WHERE o = $1`, [id])", []),
    ("const { id } = await params\n  for (const table of Object.keys(TABLES)) await pool.query(`DELETE FROM ${table} WHERE o = $1`, [id])",
     []),
    # what this file cannot settle: could-not-verify, never a fail
    ("return pool.query(`SELECT count(*) FROM ${table}`)", [False]),  # `table: Table`, a union of literals
    ("return pool.query(`SELECT * FROM ${tableName} WHERE id = $1`, [1])", [False]),  # imported
    ("const { ids } = await req.json()\n  return pool.query(`SELECT * FROM t WHERE id IN (${placeholders(ids.length)})`, ids)",
     [False]),  # an imported placeholder helper
    ("const { ids } = await req.json()\n  return pool.query(`SELECT * FROM t LIMIT ${ids.length}`)", [False]),
    # request input in the text still fails
    ("const ids = searchParams.get('ids')\n  return pool.query(`SELECT * FROM posts WHERE id IN (${ids})`)", [True]),
    ("const body = await req.json()\n  const cols = Object.keys(body)\n"
     "  return pool.query(`INSERT INTO t (${cols.map(c => `\"${c}\"`).join(',')}) VALUES (${cols.map((_, i) => `$${i + 1}`)})`)",
     [True]),
    ("const { ids } = await req.json()\n  return pool.query(`SELECT * FROM t WHERE id IN (${ids.map((id) => `'${id}'`).join(',')})`)",
     [True]),
    ("const { ids, from } = await req.json()\n  return pool.query(`SELECT * FROM t WHERE id IN (${ids.map((_, i) => `$${i + from}`)})`, ids)",
     [True]),
    ("const { sort } = await req.json()\n  let text = `SELECT * FROM t WHERE id IN (${'?'})`\n  text += ` ORDER BY ${sort}`\n"
     "  return pool.query(text)", [True]),
    ("const body = await req.json()\n  const where: string[] = []\n  addFilters(where, body)\n"
     "  return pool.query(`SELECT * FROM t WHERE ${where.join(' AND ')}`)", [True]),
    ("const body = await req.json()\n  const where = ['a = 1']\n  where[1] = body.where\n"
     "  return pool.query(`SELECT * FROM t WHERE ${where.join(' AND ')}`)", [True]),
    ("const body = await req.json()\n  const where = ['a = 1']\n  where.push(body.x)\n"
     "  return pool.query(`SELECT * FROM t WHERE ${where}`)", [True]),
    ("const body = await req.json()\n  const where = ['a = 1']\n  console.log(where)\n"
     "  return pool.query(`SELECT * FROM t WHERE ${where.slice(0)}`)", []),
    ("const body = await req.json()\n  let order = 'id'\n  ;({ order } = body)\n"
     "  return pool.query(`SELECT * FROM t ORDER BY ${order}`)", [True]),
    ("return pool.query(`SELECT count(*) FROM ${loose}`)", [True]),  # `loose: string | 'a'` is any string
    ("const { id } = await params\n  return sql.query(`SELECT * FROM ${MUTABLE.users} WHERE id = $1`, [id])", [True]),
]


@pytest.mark.parametrize(("body", "certain"), SQL_TEXT)
def test_sql_text_of_constants_and_placeholders_only_never_fails(body: str, certain: list[bool]) -> None:
    source = ("import { sql, pool } from '@/lib/db'\nimport tableName from '../constants/tableName'\n"
              "import { placeholders } from './sql'\n"
              "const TABLE = 'users'\nconst COLUMNS = ['id', 'name'] as const\n"
              "const TABLES = { users: 'users', teams: 'teams' } as const\nenum Kind { A = 'a' }\n"
              "const MUTABLE = { users: 'users' }\nMUTABLE.users = process.argv[2]\n"
              "type Table = 'users' | 'teams'\n"
              "function marks(n: number) { return Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ') }\n"
              "export async function POST(req: Request, { params }: any, table: Table, loose: string | 'a') {\n"
              "  const searchParams = new URL(req.url).searchParams\n"
              f"  {body}\n}}\n")
    assert [raw.certain for raw in analyze("app/api/x/route.ts", source).raw_sql] == certain


def test_a_class_field_of_constant_columns_and_a_placeholder_list_pass() -> None:
    # A NestJS-style service: `SELECT ${this.selectColumns} … IN (${placeholders})`, the columns a
    # field no method assigns.
    source = ("export class DealsService {\n  private readonly selectColumns = `id, name, team_id AS \"teamId\"`\n"
              "  constructor(private db: Pool) {}\n  async findAll(teamIds: string[]) {\n"
              "    const placeholders = teamIds.map((_, i) => `$${i + 1}`).join(', ')\n"
              "    return this.db.query(`SELECT ${this.selectColumns} FROM deals WHERE team_id IN (${placeholders})`, teamIds)\n"
              "  }\n  async byName(name: string) {\n"
              "    return this.db.query(`SELECT ${this.selectColumns} FROM deals WHERE name = '${name}'`)\n  }\n}\n")
    assert [(raw.site.line, raw.certain) for raw in analyze("lib/deals.ts", source).raw_sql] == [(9, True)]


def test_what_could_not_be_settled_is_named() -> None:
    source = ("import tableName from '../constants/tableName'\ntype Table = 'users' | 'teams'\n"
              "export async function count(table: Table) {\n"
              "  return pool.query(`SELECT count(*) FROM ${table} JOIN ${tableName} USING (id)`)\n}\n")
    [raw] = analyze("lib/count.ts", source).raw_sql
    assert raw.why == ("SQL built from constants and placeholders, except: `table` is typed Table ('users' | 'teams'), "
                       "which TypeScript does not check at run time; `tableName` is imported from "
                       "../constants/tableName, not followed")
