// A real Better Auth server (email-OTP plugin, PostgreSQL through pg) used as a dev server by
// deploy-check's AUTH003 / DEV004 tests. Auth routes are better-auth's own, mounted at /api/auth/*;
// the notes routes are this app's signed-in "core flow". Tables: ./schema.sql.
//
// Env: DATABASE_URL (required), BETTER_AUTH_SECRET (required, 32+ chars), PORT (default 3000),
// BETTER_AUTH_URL (default http://127.0.0.1:<port>), SMTP_HOST + SMTP_PORT (deliver codes to that
// SMTP sink; else print them), NOTES_UNPROTECTED=1, NOTES_FORGET=1, NOTES_ANY_OWNER=1 (fault switches for tests;
// the last reads a note by id alone, whoever owns it),
// DELETE_USER=1 (better-auth's user.deleteUser.enabled: a signed-in user may delete itself).
import http from "node:http";
import { Pool } from "pg";
import nodemailer from "nodemailer";
import { betterAuth } from "better-auth";
import { emailOTP } from "better-auth/plugins/email-otp";
import { fromNodeHeaders, toNodeHandler } from "better-auth/node";

const port = Number(process.env.PORT || 3000);
const host = "127.0.0.1";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

const smtp =
  process.env.SMTP_HOST && process.env.SMTP_PORT
    ? nodemailer.createTransport({
        host: process.env.SMTP_HOST,
        port: Number(process.env.SMTP_PORT),
        secure: false,
        ignoreTLS: true,
      })
    : null;

const auth = betterAuth({
  database: pool,
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL: process.env.BETTER_AUTH_URL || `http://${host}:${port}`,
  user: { deleteUser: { enabled: process.env.DELETE_USER === "1" } },
  plugins: [
    emailOTP({
      async sendVerificationOTP({ email, otp, type }) {
        if (smtp) {
          await smtp.sendMail({
            from: "noreply@example.test",
            to: email,
            subject: "Your sign-in code",
            text: `Your sign-in code is ${otp}\n\nIt expires in 5 minutes.\n`,
          });
        } else {
          console.log(`[dev mailer] ${type} code for ${email}: ${otp}`);
        }
      },
    }),
  ],
});

const authHandler = toNodeHandler(auth);

function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 64 * 1024) throw new Error("body too large");
  }
  return text ? JSON.parse(text) : {};
}

// POST /api/notes {body} -> 201 {id, body}; GET /api/notes/<id> -> 200 {id, body}; 401 signed out.
async function notes(req, res, path) {
  const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
  const unprotected = process.env.NOTES_UNPROTECTED === "1";
  if (!session && !unprotected) return sendJson(res, 401, { error: "unauthorized" });
  const userId = session?.user.id ?? "anonymous";

  if (req.method === "POST" && path === "/api/notes") {
    let input;
    try {
      input = await readJson(req);
    } catch {
      return sendJson(res, 400, { error: "invalid JSON" });
    }
    if (typeof input.body !== "string" || !input.body) {
      return sendJson(res, 400, { error: "body must be a non-empty string" });
    }
    const { rows } = await pool.query(
      "INSERT INTO notes (user_id, body) VALUES ($1, $2) RETURNING id, body",
      [userId, input.body],
    );
    return sendJson(res, 201, { id: String(rows[0].id), body: rows[0].body });
  }

  const match = /^\/api\/notes\/(\d{1,18})$/.exec(path);
  if (req.method === "GET" && match) {
    if (process.env.NOTES_FORGET === "1") return sendJson(res, 404, { error: "not found" });
    const { rows } = await pool.query(
      (unprotected && !session) || process.env.NOTES_ANY_OWNER === "1"
        ? "SELECT id, body FROM notes WHERE id = $1"
        : "SELECT id, body FROM notes WHERE id = $1 AND user_id = $2",
      (unprotected && !session) || process.env.NOTES_ANY_OWNER === "1" ? [match[1]] : [match[1], userId],
    );
    if (!rows.length) return sendJson(res, 404, { error: "not found" });
    return sendJson(res, 200, { id: String(rows[0].id), body: rows[0].body });
  }
  return sendJson(res, 404, { error: "not found" });
}

const server = http.createServer(async (req, res) => {
  const started = Date.now();
  const path = new URL(req.url, `http://${host}`).pathname;
  // Path only: query strings and headers (cookies) are never logged.
  res.on("finish", () => {
    console.log(` ${req.method} ${path} ${res.statusCode} in ${Date.now() - started}ms`);
  });
  try {
    if (path.startsWith("/api/auth/")) return await authHandler(req, res);
    if (path === "/api/notes" || path.startsWith("/api/notes/")) return await notes(req, res, path);
    if (path === "/") return sendJson(res, 200, { ok: true });
    sendJson(res, 404, { error: "not found" });
  } catch (err) {
    console.error(`error: ${err?.message ?? err}`);
    if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
    else res.end();
  }
});

server.listen(port, host, () => {
  console.log(`  - Local:        http://${host}:${server.address().port}`);
  console.log(" ✓ Ready");
});

function shutdown() {
  server.close();
  server.closeAllConnections();
  pool.end().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
