// The demo app's dev server: Node's http module, `pg` for PostgreSQL, `nodemailer` for the dev mailer.
// Listens on $PORT like `next dev`, prints the same kind of "Local:" and "Ready" lines.
//
// Sign-in is an email one-time code on Better Auth's email-OTP routes (same paths, bodies and
// answers), so deploy-check's AUTH003 signs in with its defaults; the code is mailed over SMTP when
// SMTP_HOST is set (deploy-check hands it a sink on 127.0.0.1) and logged otherwise.
const http = require("node:http");
const crypto = require("node:crypto");
const { Pool } = require("pg");
const nodemailer = require("nodemailer");

const port = Number(process.env.PORT || 3000);
const secret = process.env.SESSION_SECRET;
if (!secret || secret.length < 32) {
  console.error("Error: SESSION_SECRET is missing or shorter than 32 characters");
  process.exit(1);
}
if (!process.env.DATABASE_URL) {
  console.error("Error: DATABASE_URL is not set");
  process.exit(1);
}
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const mailer = process.env.SMTP_HOST
  ? nodemailer.createTransport({ host: process.env.SMTP_HOST, port: Number(process.env.SMTP_PORT || 25), secure: false, ignoreTLS: true })
  : null;

// Fault switches for deploy-check's own DEV005 tests, off unless set: DEMO_OWNERSHIP_BUG=read (a
// note is read by id alone), patch (updated by id alone), copy (a foreign noteId is copied).
const bug = process.env.DEMO_OWNERSHIP_BUG || "";
// DEMO_SIGNIN_LIMIT=n: a rate limit on code requests; the one after the n-th answers 429 (RFC 6585 §4).
const signInLimit = Number(process.env.DEMO_SIGNIN_LIMIT || 0);
let codeRequests = 0;
const CODE_TTL_MS = 5 * 60 * 1000;
const codes = new Map(); // email -> { code, expires }
const sign = (id) => `${id}.${crypto.createHmac("sha256", secret).update(String(id)).digest("base64url")}`;
const accountOf = (req) => {
  const cookie = (req.headers.cookie || "").split(/;\s*/).find((c) => c.startsWith("sid="));
  if (!cookie) return null;
  const value = decodeURIComponent(cookie.slice(4));
  const id = value.split(".")[0];
  return sign(id) === value ? id : null;
};
const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};
const readJson = (req) =>
  new Promise((resolve, reject) => {
    let raw = "";
    req.on("data", (chunk) => {
      raw += chunk;
      if (raw.length > 65536) req.destroy();
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(raw || "{}"));
      } catch (error) {
        reject(error);
      }
    });
  });

async function deliver(email, code) {
  if (!mailer) {
    console.log(`[dev mailer] sign-in code for ${email}: ${code}`);
    return;
  }
  await mailer.sendMail({ from: "notes@example.test", to: email, subject: "Your sign-in code", text: `Your sign-in code is ${code}` });
}

const routes = {
  "GET /": async (req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>Notes</title><h1>Notes demo</h1>");
  },
  "GET /api/health": async (req, res) => {
    await pool.query("SELECT 1");
    send(res, 200, { ok: true, database: "up" });
  },
  "POST /api/auth/email-otp/send-verification-otp": async (req, res) => {
    const { email } = await readJson(req);
    if (signInLimit && ++codeRequests > signInLimit) return send(res, 429, { message: "Too many requests" }, { "retry-after": "60" });
    if (typeof email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(email)) return send(res, 400, { code: "INVALID_EMAIL", message: "Invalid email" });
    const code = String(crypto.randomInt(1000000)).padStart(6, "0");
    codes.set(email.toLowerCase(), { code, expires: Date.now() + CODE_TTL_MS });
    await deliver(email.toLowerCase(), code);
    send(res, 200, { success: true });
  },
  "POST /api/auth/sign-in/email-otp": async (req, res) => {
    const { email, otp } = await readJson(req);
    const pending = typeof email === "string" && codes.get(email.toLowerCase());
    if (!pending || pending.expires < Date.now() || pending.code !== otp) return send(res, 400, { code: "INVALID_OTP", message: "Invalid OTP" });
    codes.delete(email.toLowerCase());
    const { rows } = await pool.query(
      "INSERT INTO accounts (email) VALUES ($1) ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id",
      [email.toLowerCase()],
    );
    const id = rows[0].id;
    await pool.query("INSERT INTO projects (account_id, name) VALUES ($1, 'Inbox') ON CONFLICT DO NOTHING", [id]);
    send(res, 200, { user: { id, email: email.toLowerCase() } }, { "set-cookie": `sid=${encodeURIComponent(sign(id))}; HttpOnly; Path=/; SameSite=Lax` });
  },
  "POST /api/auth/sign-out": async (req, res) => {
    send(res, 200, { success: true }, { "set-cookie": "sid=; HttpOnly; Path=/; SameSite=Lax; Max-Age=0" });
  },
  "GET /api/auth/get-session": async (req, res) => {
    const id = accountOf(req);
    if (!id) return send(res, 200, null);
    const { rows } = await pool.query("SELECT id, email FROM accounts WHERE id = $1", [id]);
    send(res, 200, rows[0] ? { user: rows[0] } : null);
  },
  "POST /api/notes": async (req, res, id) => {
    const { body } = await readJson(req);
    if (typeof body !== "string" || !body) return send(res, 400, { error: "body is required" });
    const { rows } = await pool.query(
      "INSERT INTO notes (project_id, body) SELECT p.id, $2 FROM projects p WHERE p.account_id = $1 AND p.name = 'Inbox' RETURNING id, body",
      [id, body],
    );
    send(res, 201, rows[0]);
  },
  "GET /api/notes/:id": async (req, res, id, noteId) => {
    const { rows } = await pool.query(
      bug === "read"
        ? "SELECT n.id, n.body FROM notes n WHERE n.id = $1 AND $2::bigint IS NOT NULL"
        : "SELECT n.id, n.body FROM notes n JOIN projects p ON p.id = n.project_id WHERE n.id = $1 AND p.account_id = $2",
      [noteId, id],
    );
    rows[0] ? send(res, 200, rows[0]) : send(res, 404, { error: "not found" });
  },
  // Every query names the signed-in account: another account's note is "not found".
  "PATCH /api/notes/:id": async (req, res, id, noteId) => {
    const { body } = await readJson(req);
    if (typeof body !== "string" || !body) return send(res, 400, { error: "body is required" });
    const { rows } = await pool.query(
      bug === "patch"
        ? "UPDATE notes SET body = $2 WHERE id = $1 AND $3::bigint IS NOT NULL RETURNING id, body"
        : "UPDATE notes n SET body = $2 FROM projects p WHERE n.id = $1 AND p.id = n.project_id AND p.account_id = $3 RETURNING n.id, n.body",
      [noteId, body, id],
    );
    rows[0] ? send(res, 200, rows[0]) : send(res, 404, { error: "not found" });
  },
  "POST /api/notes/copies": async (req, res, id) => {
    const { noteId } = await readJson(req);
    // Two whole statements, not one built by interpolation (deploy-check's CODE004).
    const copy = bug === "copy"
      ? `INSERT INTO notes (project_id, body)
         SELECT inbox.id, n.body FROM notes n JOIN projects p ON p.id = n.project_id
         JOIN projects inbox ON inbox.account_id = $2 AND inbox.name = 'Inbox'
         WHERE n.id = $1 RETURNING id, body`
      : `INSERT INTO notes (project_id, body)
         SELECT inbox.id, n.body FROM notes n JOIN projects p ON p.id = n.project_id
         JOIN projects inbox ON inbox.account_id = $2 AND inbox.name = 'Inbox'
         WHERE n.id = $1 AND p.account_id = $2 RETURNING id, body`;
    const { rows } = await pool.query(copy, [String(noteId), id]);
    rows[0] ? send(res, 201, rows[0]) : send(res, 404, { error: "not found" });
  },
};
const signedIn = new Set(["POST /api/notes", "GET /api/notes/:id", "PATCH /api/notes/:id", "POST /api/notes/copies"]);

const server = http.createServer(async (req, res) => {
  const started = Date.now();
  res.on("finish", () => console.log(` ${req.method} ${req.url.split("?")[0]} ${res.statusCode} in ${Date.now() - started}ms`));
  const note = req.url.match(/^\/api\/notes\/(\d+)$/);
  const key = note ? `${req.method} /api/notes/:id` : `${req.method} ${req.url.split("?")[0]}`;
  const handler = routes[key];
  if (!handler) return send(res, 404, { error: "not found" });
  const id = accountOf(req);
  if (signedIn.has(key) && !id) return send(res, 401, { error: "sign in first" });
  try {
    await handler(req, res, id, note && note[1]);
  } catch (error) {
    console.error(`Error: ${key}: ${error.message}`);
    if (!res.headersSent) send(res, 500, { error: "internal error" });
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`  ▲ Notes demo (dev)\n  - Local:        http://127.0.0.1:${port}\n`);
  console.log(" ✓ Ready");
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => pool.end().then(() => process.exit(0))));
