// A dependency-free stand-in for a Better Auth app with the email-OTP plugin, used as a dev server
// by deploy-check's AUTH003 / DEV004 tests. Node 20 builtins only, everything in memory.
//
// The auth routes answer with the status codes, JSON bodies and session cookie of better-auth
// 1.7.25 (checked against a real server: ../better-auth-app, see ../README.md), from:
//   packages/better-auth/src/plugins/email-otp/index.ts        (6 digits, 300 s, 3 attempts)
//   packages/better-auth/src/plugins/email-otp/routes.ts       (send-verification-otp, sign-in/email-otp)
//   packages/better-auth/src/plugins/email-otp/error-codes.ts  (INVALID_OTP, OTP_EXPIRED, TOO_MANY_ATTEMPTS)
//   packages/better-auth/src/cookies/index.ts + better-call's crypto.ts (signed session_token cookie)
//   packages/better-auth/src/api/routes/session.ts             (get-session: {session, user} or null)
//
// Env: PORT (default 3000); SMTP_HOST + SMTP_PORT (mail the code to that SMTP sink, else print it);
// fault switches: OTP_BROKEN_VERIFY=1, OTP_ACCEPT_ANY=1, SESSION_ANSWERS_ANYONE=1, NOTES_UNPROTECTED=1,
// NOTES_FORGET=1, and GET /dashboard always redirects to /login; canaries: OTP_FIXED,
// SESSION_TOKEN_FIXED (known values a test looks for in every output).
import http from "node:http";
import net from "node:net";
import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1"; // HOST=::1 listens on IPv6 loopback
const secret = process.env.BETTER_AUTH_SECRET || randomBytes(32).toString("hex");
const COOKIE = "better-auth.session_token";
const OTP_TTL_MS = 300 * 1000;
const SESSION_TTL_S = 7 * 24 * 3600;
const ALLOWED_ATTEMPTS = 3;
const OTP_TYPES = ["email-verification", "sign-in", "forget-password", "change-email"];

const otps = new Map(); // "sign-in-otp-<email>" -> {otp, attempts, expiresAt}
const users = new Map(); // email -> user
const sessions = new Map(); // token -> session
const notes = new Map(); // id -> {id, userId, body}
let nextNoteId = 1;

// Like better-auth's generateRandomString(32): letters and digits.
function randomId(length = 32) {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

// better-call: value "<token>.<base64 HMAC-SHA256(token)>", then encodeURIComponent.
function sign(token) {
  return encodeURIComponent(`${token}.${createHmac("sha256", secret).update(token).digest("base64")}`);
}

function sessionFrom(req) {
  // ACCEPT_BEARER=<jwt>: plays a Clerk app, whose clerkMiddleware takes the session token as
  // `Authorization: Bearer <jwt>` on API routes (clerk/javascript packages/backend request.ts).
  // ACCEPT_BEARER_B: a second user's token (deploy-check's DEV005 signs a second user in).
  const bearer = process.env.ACCEPT_BEARER;
  if (bearer && req.headers.authorization === `Bearer ${bearer}`) {
    const user = { id: "user_clerk", email: "deploy-check+clerk_test@example.test" };
    return { session: { id: "sess_clerk", userId: user.id }, user };
  }
  const bearerB = process.env.ACCEPT_BEARER_B;
  if (bearerB && req.headers.authorization === `Bearer ${bearerB}`) {
    const user = { id: "user_clerk_b", email: "deploy-check-b+clerk_test@example.test" };
    return { session: { id: "sess_clerk_b", userId: user.id }, user };
  }
  // ACCEPT_SUPABASE_TOKEN=<access token>: plays a Supabase app reading @supabase/ssr's cookie
  // sb-<ref>-auth-token (chunked .0 .1 …) = "base64-" + base64url(JSON session).
  const supabaseToken = process.env.ACCEPT_SUPABASE_TOKEN;
  if (supabaseToken) {
    const jar = Object.fromEntries((req.headers.cookie || "").split(";").map((c) => c.trim().split("=")));
    const name = Object.keys(jar).map((k) => k.replace(/\.\d+$/, "")).find((k) => /^sb-.+-auth-token$/.test(k));
    let value = name && jar[name];
    if (name && !value) value = Object.keys(jar).filter((k) => k.startsWith(`${name}.`)).sort().map((k) => jar[k]).join("");
    if (value && value.startsWith("base64-")) {
      try {
        const stored = JSON.parse(Buffer.from(value.slice(7), "base64url").toString("utf8"));
        if (stored.access_token === supabaseToken) {
          const user = { id: "user_supabase", email: stored.user?.email };
          return { session: { id: "sess_supabase", userId: user.id }, user };
        }
        if (process.env.ACCEPT_SUPABASE_TOKEN_B && stored.access_token === process.env.ACCEPT_SUPABASE_TOKEN_B) {
          const user = { id: "user_supabase_b", email: stored.user?.email };
          return { session: { id: "sess_supabase_b", userId: user.id }, user };
        }
      } catch {
        return null;
      }
    }
  }
  const pair = (req.headers.cookie || "")
    .split(";")
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${COOKIE}=`));
  if (!pair) return null;
  let value;
  try {
    value = decodeURIComponent(pair.slice(COOKIE.length + 1));
  } catch {
    return null;
  }
  const dot = value.lastIndexOf(".");
  if (dot < 1) return null;
  const token = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const wanted = Buffer.from(createHmac("sha256", secret).update(token).digest("base64"));
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return null;
  const session = sessions.get(token);
  if (!session || new Date(session.expiresAt) < new Date()) return null;
  return { session, user: [...users.values()].find((u) => u.id === session.userId) };
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

// Better Auth's APIError body: {message, code}.
const apiError = (res, status, code, message) => sendJson(res, status, { message, code });

async function readJson(req) {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 64 * 1024) throw new Error("body too large");
  }
  const value = JSON.parse(text || "null");
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
  return value;
}

// --- delivery -------------------------------------------------------------------------------

// A minimal SMTP client (RFC 5321): EHLO (HELO if refused), MAIL FROM, RCPT TO, DATA, QUIT.
function smtpSend({ host: smtpHost, port: smtpPort, from, to, subject, text }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: smtpHost, port: smtpPort });
    socket.setTimeout(10_000, () => socket.destroy(new Error("SMTP timeout")));
    socket.on("error", reject);
    socket.setEncoding("utf8");
    const message = [
      `From: ${from}`,
      `To: ${to}`,
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString()}`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "",
      ...text.trimEnd().split("\n").map((line) => (line.startsWith(".") ? `.${line}` : line)),
    ].join("\r\n");
    // Each step: what to send once the previous reply arrived, and the reply codes that are fine.
    const steps = [
      [null, [220]],
      ["EHLO localhost", [250]],
      [`MAIL FROM:<${from}>`, [250]],
      [`RCPT TO:<${to}>`, [250, 251]],
      ["DATA", [354]],
      [`${message}\r\n.`, [250]],
      ["QUIT", [221]],
    ];
    let step = 0;
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk;
      // A reply is complete at a line "NNN text" (a "NNN-text" line means more follow).
      const lines = buffer.split("\r\n");
      const last = lines.findIndex((line) => /^\d{3}( |$)/.test(line));
      if (last === -1) return;
      buffer = lines.slice(last + 1).join("\r\n");
      const code = Number(lines[last].slice(0, 3));
      const [command, okCodes] = steps[step];
      if (!okCodes.includes(code)) {
        if (command === "EHLO localhost" && code >= 500) {
          steps[step] = ["HELO localhost", [250]];
          socket.write("HELO localhost\r\n");
          return;
        }
        socket.destroy();
        reject(new Error(`SMTP ${command ?? "greeting"} answered ${lines[last]}`));
        return;
      }
      step += 1;
      if (step === steps.length) {
        socket.end();
        resolve();
        return;
      }
      socket.write(`${steps[step][0]}\r\n`);
    });
  });
}

async function deliver(email, otp, type) {
  if (process.env.SMTP_HOST && process.env.SMTP_PORT) {
    await smtpSend({
      host: process.env.SMTP_HOST,
      port: Number(process.env.SMTP_PORT),
      from: "noreply@example.test",
      to: email,
      subject: "Your sign-in code",
      text: `Your sign-in code is ${otp}\n\nIt expires in 5 minutes.\n`,
    });
  } else {
    console.log(`[dev mailer] ${type} code for ${email}: ${otp}`);
  }
}

// --- routes ---------------------------------------------------------------------------------

// Better Auth's answers to a body that is no JSON or lacks a string field (400 BAD_REQUEST /
// VALIDATION_ERROR); null when the body is fine, after which the route goes on with it.
async function bodyWith(req, res, fields) {
  let body;
  try {
    body = await readJson(req);
  } catch {
    apiError(res, 400, "BAD_REQUEST", "Invalid JSON in request body");
    return null;
  }
  for (const field of fields) {
    if (typeof body[field] !== "string") {
      apiError(res, 400, "VALIDATION_ERROR", `[body.${field}] Invalid input: expected string`);
      return null;
    }
  }
  return body;
}

async function sendVerificationOtp(req, res) {
  const body = await bodyWith(req, res, ["email"]);
  if (!body) return;
  if (!OTP_TYPES.includes(body.type)) {
    return apiError(res, 400, "VALIDATION_ERROR", "[body.type] Invalid option");
  }
  const email = body.email.toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return apiError(res, 400, "INVALID_EMAIL", "Invalid email");
  if (body.type === "change-email") return sendJson(res, 400, { message: "Invalid OTP type" });

  // OTP_FIXED: a known code, so a test can prove it appears in no output (a canary); it also
  // plays a Clerk development instance's fixed code for +clerk_test addresses.
  const otp = process.env.OTP_FIXED || String(randomInt(1_000_000)).padStart(6, "0");
  otps.set(`${body.type}-otp-${email}`, { otp, attempts: 0, expiresAt: Date.now() + OTP_TTL_MS });
  // Better Auth mails "sign-in" codes to unknown addresses too (it signs them up on verify).
  if (body.type === "sign-in" || users.has(email)) {
    try {
      await deliver(email, otp, body.type);
    } catch (err) {
      // Better Auth logs a failed sendVerificationOTP and still answers {"success":true}.
      console.error(`ERROR [dev mailer] could not deliver the code: ${err.message}`);
    }
  }
  return sendJson(res, 200, { success: true });
}

async function signInEmailOtp(req, res) {
  const body = await bodyWith(req, res, ["email", "otp"]);
  if (!body) return;
  const email = body.email.toLowerCase();
  if (process.env.OTP_BROKEN_VERIFY === "1") return apiError(res, 400, "INVALID_OTP", "Invalid OTP");

  const key = `sign-in-otp-${email}`;
  if (process.env.OTP_ACCEPT_ANY === "1" && otps.has(key)) otps.set(key, { ...otps.get(key), otp: body.otp });
  const stored = otps.get(key);
  if (!stored) return apiError(res, 400, "INVALID_OTP", "Invalid OTP");
  otps.delete(key); // consumed; put back below only after a wrong guess
  if (stored.expiresAt < Date.now()) return apiError(res, 400, "OTP_EXPIRED", "OTP expired");
  if (stored.attempts >= ALLOWED_ATTEMPTS) return apiError(res, 403, "TOO_MANY_ATTEMPTS", "Too many attempts");
  if (body.otp !== stored.otp) {
    otps.set(key, { ...stored, attempts: stored.attempts + 1 });
    return apiError(res, 400, "INVALID_OTP", "Invalid OTP");
  }

  const now = new Date().toISOString();
  let user = users.get(email);
  if (!user) {
    user = { name: body.name || "", email, emailVerified: true, image: null, createdAt: now, updatedAt: now, id: randomId() };
    users.set(email, user);
  }
  const token = process.env.SESSION_TOKEN_FIXED || randomId(); // a canary, like OTP_FIXED
  sessions.set(token, {
    expiresAt: new Date(Date.now() + SESSION_TTL_S * 1000).toISOString(),
    token,
    createdAt: now,
    updatedAt: now,
    ipAddress: "",
    userAgent: req.headers["user-agent"] || "",
    userId: user.id,
    id: randomId(),
  });
  const cookie = `${COOKIE}=${sign(token)}; Max-Age=${SESSION_TTL_S}; Path=/; HttpOnly; SameSite=Lax`;
  lastSignedIn = { session: sessions.get(token), user };
  return sendJson(res, 200, { token, user }, { "set-cookie": cookie });
}

let lastSignedIn = null; // for SESSION_ANSWERS_ANYONE

function getSession(req, res) {
  let found = sessionFrom(req);
  // SESSION_ANON_RESET=1: a session route that drops a request without a cookie (not a refusal).
  if (!found && process.env.SESSION_ANON_RESET === "1") return req.socket.destroy();
  if (!found && process.env.SESSION_ANSWERS_ANYONE === "1") found = lastSignedIn;
  const headers = { "cache-control": "no-store", pragma: "no-cache" };
  return sendJson(res, 200, found ? { session: found.session, user: found.user } : null, headers);
}

async function notesRoute(req, res, path) {
  const found = sessionFrom(req);
  if (!found && process.env.NOTES_UNPROTECTED !== "1") return sendJson(res, 401, { error: "unauthorized" });
  const userId = found?.user.id ?? "anonymous";

  if (req.method === "POST" && path === "/api/notes") {
    let body;
    try {
      body = await readJson(req);
    } catch {
      return sendJson(res, 400, { error: "invalid JSON" });
    }
    if (typeof body.body !== "string" || !body.body) {
      return sendJson(res, 400, { error: "body must be a non-empty string" });
    }
    const note = { id: String(nextNoteId++), userId, body: body.body };
    notes.set(note.id, note);
    return sendJson(res, 201, { id: note.id, body: note.body });
  }
  const match = /^\/api\/notes\/([^/]+)$/.exec(path);
  if (req.method === "GET" && match) {
    const note = notes.get(match[1]);
    const visible = note && (!found || note.userId === userId);
    if (process.env.NOTES_FORGET === "1" || !visible) return sendJson(res, 404, { error: "not found" });
    return sendJson(res, 200, { id: note.id, body: note.body });
  }
  return sendJson(res, 404, { error: "not found" });
}

const routes = {
  "POST /api/auth/email-otp/send-verification-otp": sendVerificationOtp,
  "POST /api/auth/sign-in/email-otp": signInEmailOtp,
  "GET /api/auth/get-session": getSession,
};

const server = http.createServer(async (req, res) => {
  const started = Date.now();
  const path = new URL(req.url, "http://app.invalid").pathname;
  // Path only: query strings and headers (cookies) are never logged.
  res.on("finish", () => {
    console.log(` ${req.method} ${path} ${res.statusCode} in ${Date.now() - started}ms`);
  });
  try {
    const route = routes[`${req.method} ${path}`];
    if (route) return await route(req, res);
    if (path === "/api/notes" || path.startsWith("/api/notes/")) return await notesRoute(req, res, path);
    if (req.method === "GET" && path === "/") return sendJson(res, 200, { ok: true });
    // A page whose middleware never sees the session: it always sends the user to sign in.
    if (req.method === "GET" && path === "/dashboard") return res.writeHead(307, { location: "/login" }).end();
    res.writeHead(404).end();
  } catch (err) {
    console.error(`error: ${err?.message ?? err}`);
    if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
    else res.end();
  }
});

server.listen(port, host, () => {
  const shown = host.includes(":") ? `[${host}]` : host;
  console.log(`  - Local:        http://${shown}:${server.address().port}`);
  console.log(" ✓ Ready");
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
