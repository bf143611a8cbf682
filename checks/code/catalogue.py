"""The code family's catalogue: every outcome of CODE001–CODE006, with the rule, why it
matters, a bad and a good example (what `deploy-check explain CODE00N` prints)."""

from __future__ import annotations

from checks.core.model import Spec

CODE001 = Spec(
    "CODE001", "code", "Route handlers and pages stay within their size budget",
    "A route handler (app/**/route.ts, pages/api/**) over 200 physical lines, or a page "
    "(app/**/page.tsx) over 250, is a warning: a handler that long mixes parsing, "
    "authorization, queries and formatting, and its reviewers stop reading before the bug. "
    "`[code] route_max_lines` and `page_max_lines` in deploy-check.toml change the budgets.\n\n"
    "Bad:  app/api/orders/route.ts, 420 lines: validation, SQL, e-mail and PDF in one POST.\n"
    "Good: app/api/orders/route.ts, 40 lines, calling lib/orders/{validate,store,notify}.ts.",
    "Move the handler's steps into modules under lib/ and keep the route a thin adapter; "
    "or raise the budget in deploy-check.toml ([code] route_max_lines / page_max_lines).",
)
CODE002 = Spec(
    "CODE002", "code", "User-facing routes never await telemetry",
    "Inside a route handler or server action, an `await` of a telemetry call "
    "(`posthog.capture(…)`, `analytics.track(…)`, `captureServerEvent(…)`, or a function "
    "exported by a local module that imports posthog-node or whose name says telemetry/"
    "analytics) fails: the user waits for the analytics vendor on every request, and its "
    "outage becomes the app's outage. An await inside `after()`, `unstable_after()` or "
    "`waitUntil()` runs after the response and is fine; so are webhook, cron, inngest and "
    "qstash routes, which no user waits on; so is an await whose value the code keeps "
    "(`return await …`, `const rows = await …`): a read the response needs is no event.\n\n"
    "Bad:  await posthog.capture({ distinctId, event: 'order_placed' })\n"
    "Good: posthog.capture({ distinctId, event: 'order_placed' }).catch(() => {})\n"
    "      or: after(() => posthog.capture({ distinctId, event: 'order_placed' }))",
    "Make it fire-and-forget: drop the `await` and add `.catch(() => {})`, or move it into "
    "`after(() => …)` from next/server so it runs after the response.",
)
CODE003 = Spec(
    "CODE003", "code", "Client calls send the bearer token their route reads",
    "Every route handler is indexed by its URL (route groups dropped, `[id]` and `[...slug]` "
    "as wildcards). A route is bearer-protected when it, or a local module it imports, reads "
    "`headers.get('authorization')`. A `fetch('/api/…')` outside route handlers whose options "
    "carry no `Authorization` header fails when the route answers 401 without it, and warns "
    "when the token is optional (a signed-in user is silently treated as anonymous). A route "
    "(or its helper) that falls back to the session cookie when no token comes "
    "(`getServerSession`, `cookies()`, `req.cookies`, Clerk, iron-session…) signs the browser's "
    "call in: no finding. A `${…}` in the caller's URL joins only a dynamic segment, never a "
    "literal one (it may span several segments). Options built elsewhere (`...opts`, a "
    "variable) are listed as could-not-verify, never passed. Cookie-session apps have no "
    "bearer routes: the check has nothing to join there.\n\n"
    "Bad:  fetch('/api/projects', { method: 'POST', body })\n"
    "Good: fetch('/api/projects', { method: 'POST', body, headers: { Authorization: `Bearer ${token}` } })\n"
    "      or one wrapper (useApi) that sets the header for every call.",
    "Send `Authorization: Bearer <token>` on the call (or route every call through one "
    "wrapper that sets it).",
)
CODE004 = Spec(
    "CODE004", "code", "SQL is never built by interpolation into an unsafe raw API",
    "`$queryRawUnsafe`, `$executeRawUnsafe` (Prisma), `sql.raw` (drizzle), `.unsafe` "
    "(postgres.js) and `.query`/`.execute` (pg, mysql2, neon) run their first argument as "
    "SQL text. A template with `${…}` or a `+` concatenation there, or a variable built that "
    "way or read from the request (`await req.json()`, `searchParams.get()`, route params) "
    "in the same function, is SQL injection. `.query`/`.execute` count only on a receiver "
    "known to be a SQL client (named pool/client/db/sql/knex/tx…, made by a SQL client's "
    "factory, or imported from a SQL package): elsewhere they are another library's verb, and "
    "SQL-like text built into one is listed as could-not-verify. Text built only from constants and "
    "placeholders is no injection and passes: `${marks}` of `ids.map((_, i) => `$${i + 1}`).join(\", \")` "
    "or `ids.map(() => '?')`, a module constant (`const TABLE = \"users\"`, a constant map's fixed key, an "
    "enum, `for (const t of [\"a\", \"b\"])`), `$${params.length}` after `params.push(…)`, names followed "
    "through their assignments and pushes in the file, and a name imported from another module of the "
    "app into that module's export (one hop: `import TABLE from \"./tables\"`, `generateInClause(ids)`). "
    "What cannot be settled is listed as could-not-verify: a lookup in a module constant "
    "(`${SQL_OPERATORS[op]}`), an imported name no module of the app answers for (an imported call "
    "still fails unless its name says it builds placeholders), a parameter typed as a union of "
    "literals (TypeScript does not check a request's JSON against it). Tagged templates "
    "(prisma.$queryRaw`…${x}`, drizzle sql`…`) send the values as parameters and are never "
    "flagged.\n\n"
    "Bad:  await prisma.$queryRawUnsafe(`SELECT * FROM users WHERE email = '${email}'`)\n"
    "Good: await prisma.$queryRaw`SELECT * FROM users WHERE email = ${email}`\n"
    "      or: await pool.query('SELECT * FROM users WHERE email = $1', [email])",
    "Pass values as parameters: a tagged template (prisma.$queryRaw`…`, sql`…`) or "
    "`.query(text, [values])` with $1 placeholders.",
)
CODE005 = Spec(
    "CODE005", "code", "Client code holds no server secret or salt",
    "A 'use client' module, or a local module it imports, that reads `process.env.X` where X "
    "names a secret (SECRET, PASSWORD, TOKEN, SALT, CREDENTIAL, SIGNING, PASS, …_KEY; not a "
    "public or publishable key, nor a setting such as …_URL, …_ID, …_MAX_AGE, nor a word that "
    "only masks, such as AUTH or SESSION alone) and not NEXT_PUBLIC_ fails: "
    "Next.js inlines only NEXT_PUBLIC_ values, so it is undefined in the browser today and a "
    "leak the day someone renames it. In an imported module, only its top level and the "
    "functions the client imports (or they call) run in the browser; a function only server "
    "files import does not. What the parser cannot follow (`import * as`), or a read as the "
    "module loads whose value feeds only functions the client does not use, is listed as "
    "could-not-verify. A t3-env `createEnv({ runtimeEnv: { X: process.env.X } })` map is not "
    "a read: t3-env throws on a server variable read in the browser; nor is a read inside its "
    "`server: {…}` schema, which t3-env parses on the server only. A NEXT_PUBLIC_ value named SALT or SECRET used in a "
    "hash or cohort computation fails too: anyone can read it from the bundle and forge the "
    "result.\n\n"
    "Bad:  'use client' … hash(process.env.NEXT_PUBLIC_COHORT_SALT + userId)\n"
    "Good: the cohort is computed in a route handler or server action with COHORT_SALT "
    "(server-only) and sent to the client.",
    "Move the computation to the server (a route handler, server action or server "
    "component) and read the secret there, without the NEXT_PUBLIC_ prefix.",
)
CODE006 = Spec(
    "CODE006", "code", "Totals never come from a limited query",
    "In one function, a query with `.limit(`, `LIMIT`, `take:` or `first:` whose result is "
    "summed or counted (`.reduce(…)`, `.length`, a loop that accumulates) into a name like "
    "total*/sum*/count* warns: the headline number is right until the table outgrows the "
    "page, then silently too small.\n\n"
    "Bad:  const rows = await db.select().from(orders).limit(50)\n"
    "      const totalRevenue = rows.reduce((s, r) => s + r.amount, 0)\n"
    "Good: const [{ totalRevenue }] = await db.select({ totalRevenue: sum(orders.amount) }).from(orders)",
    "Compute totals with a separate aggregate query over the full scope (SUM/COUNT), and "
    "keep the LIMIT for the page of rows shown.",
)
