// A dependency-free stand-in for a Next.js app on next-auth 5 with the Nodemailer provider
// (Auth.js email sign-in), used as a dev server by deploy-check's AUTH003 tests. Node 20 builtins
// only, everything in memory. It is a stand-in, not next-auth: a real next-auth app needs `next dev`
// and an adapter database, too heavy for this suite. The routes imitate @auth/core
// (nextauthjs/next-auth packages/core/src):
//   lib/index.ts                       GET csrf {csrfToken}; POST signin/signout need the verified
//                                      CSRF token, else redirect to <base>/signin?csrf=true
//   lib/actions/signin/send-token.ts   the mail link <base>/callback/<id>?callbackUrl&token&email,
//                                      the answer redirects to <base>/verify-request?provider&type=email
//   lib/actions/callback/index.ts      an unknown token redirects to <base>/error?error=Verification
//   lib/actions/session.ts             GET session: {user, expires} or null
//   lib/utils/cookie.ts                cookies authjs.csrf-token ("token|hash"), authjs.session-token
//   X-Auth-Return-Redirect: 1          a redirect becomes 200 {url} (next-auth/react's signIn)
//   providers/nodemailer.ts            id "nodemailer", subject "Sign in to <host>", text with the URL
//
// Env: PORT; EMAIL_SERVER=smtp://host:port (where the link is mailed; else it is printed);
// fault switches: AUTHJS_ANY_TOKEN=1 (the callback takes any token), AUTHJS_SESSION_ANYONE=1
// (the session route answers the last user without a cookie).
import http from "node:http";
import net from "node:net";
import { createHash, randomBytes } from "node:crypto";

const port = Number(process.env.PORT || 3000);
const base = "/api/auth";
const secret = process.env.AUTH_SECRET || randomBytes(32).toString("hex");
const tokens = new Map(); // sha256(token + secret) -> {email, expires}
const sessions = new Map(); // session token -> {email, expires}
let lastEmail = null;

const hash = (value) => createHash("sha256").update(`${value}${secret}`).digest("hex");

function cookies(req) {
  return Object.fromEntries((req.headers.cookie || "").split(";").filter(Boolean).map((c) => {
    const at = c.indexOf("=");
    return [c.slice(0, at).trim(), decodeURIComponent(c.slice(at + 1).trim())];
  }));
}

async function form(req) {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 64 * 1024) throw new Error("body too large");
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

// A redirect as Auth.js answers it: 302 Location, or 200 {url} under X-Auth-Return-Redirect.
function redirect(req, res, url, headers = {}) {
  if (req.headers["x-auth-return-redirect"]) return json(res, 200, { url }, headers);
  res.writeHead(302, { location: url, ...headers }).end();
}

function origin(req) {
  return `http://${req.headers.host}`;
}

function csrfVerified(req, body) {
  const [token, tokenHash] = (cookies(req)["authjs.csrf-token"] || "").split("|");
  return Boolean(token) && body.csrfToken === token && tokenHash === hash(token);
}

// A minimal SMTP client (RFC 5321): EHLO, MAIL FROM, RCPT TO, DATA, QUIT.
function smtpSend(server, to, subject, text) {
  const { hostname, port: smtpPort } = new URL(server);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(smtpPort || 25) });
    socket.setTimeout(10_000, () => socket.destroy(new Error("SMTP timeout")));
    socket.on("error", reject);
    socket.setEncoding("utf8");
    const from = "Auth.js <no-reply@authjs.dev>";
    const message = [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8", "", ...text.split("\n")].join("\r\n");
    const steps = [[null, [220]], ["EHLO localhost", [250]], ["MAIL FROM:<no-reply@authjs.dev>", [250]],
      [`RCPT TO:<${to}>`, [250, 251]], ["DATA", [354]], [`${message}\r\n.`, [250]], ["QUIT", [221]]];
    let step = 0;
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\r\n");
      const last = lines.findIndex((line) => /^\d{3}( |$)/.test(line));
      if (last === -1) return;
      buffer = lines.slice(last + 1).join("\r\n");
      const code = Number(lines[last].slice(0, 3));
      if (!steps[step][1].includes(code)) {
        socket.destroy();
        return reject(new Error(`SMTP answered ${lines[last]}`));
      }
      step += 1;
      if (step === steps.length) {
        socket.end();
        return resolve();
      }
      socket.write(`${steps[step][0]}\r\n`);
    });
  });
}

async function csrf(req, res) {
  const existing = (cookies(req)["authjs.csrf-token"] || "").split("|");
  const token = existing[0] && existing[1] === hash(existing[0]) ? existing[0] : randomBytes(32).toString("hex");
  json(res, 200, { csrfToken: token }, {
    "set-cookie": `authjs.csrf-token=${encodeURIComponent(`${token}|${hash(token)}`)}; Path=/; HttpOnly; SameSite=Lax`,
  });
}

async function signin(req, res) {
  const body = await form(req);
  if (!csrfVerified(req, body)) {
    return redirect(req, res, `${origin(req)}${base}/signin?csrf=true`);
  }
  const email = String(body.email || "").toLowerCase().trim();
  const token = randomBytes(32).toString("hex");
  tokens.set(hash(token), { email, expires: Date.now() + 86400 * 1000 });
  const url = `${origin(req)}${base}/callback/nodemailer?${new URLSearchParams({
    callbackUrl: body.callbackUrl || origin(req), token, email })}`;
  const host = new URL(url).host;
  const text = `Sign in to ${host}\n${url}\n\n`;
  const server = process.env.EMAIL_SERVER || process.env.AUTH_EMAIL_SERVER;
  if (server) await smtpSend(server, email, `Sign in to ${host}`, text);
  else console.log(`[dev mailer] ${text}`);
  redirect(req, res, `${origin(req)}${base}/verify-request?provider=nodemailer&type=email`);
}

async function callback(req, res, url) {
  const token = url.searchParams.get("token") || "";
  const email = url.searchParams.get("email") || "";
  const invite = tokens.get(hash(token));
  const valid = process.env.AUTHJS_ANY_TOKEN === "1" || (invite && invite.email === email && invite.expires > Date.now());
  if (!valid) return redirect(req, res, `${origin(req)}${base}/error?error=Verification`);
  tokens.delete(hash(token)); // a link works once (useVerificationToken deletes it)
  const sessionToken = randomBytes(32).toString("hex");
  sessions.set(sessionToken, { email, expires: Date.now() + 30 * 86400 * 1000 });
  lastEmail = email;
  redirect(req, res, url.searchParams.get("callbackUrl") || origin(req), {
    "set-cookie": `authjs.session-token=${sessionToken}; Path=/; HttpOnly; SameSite=Lax`,
  });
}

function session(req, res) {
  const found = sessions.get(cookies(req)["authjs.session-token"] || "");
  if (found) return json(res, 200, { user: { email: found.email }, expires: new Date(found.expires).toISOString() });
  if (process.env.AUTHJS_SESSION_ANYONE === "1" && lastEmail) return json(res, 200, { user: { email: lastEmail } });
  json(res, 200, null);
}

async function signout(req, res) {
  const body = await form(req);
  if (!csrfVerified(req, body)) return redirect(req, res, `${origin(req)}${base}/signout?csrf=true`);
  sessions.delete(cookies(req)["authjs.session-token"] || "");
  redirect(req, res, origin(req), { "set-cookie": "authjs.session-token=; Path=/; Max-Age=0" });
}

const server = http.createServer(async (req, res) => {
  const started = Date.now();
  const url = new URL(req.url, "http://app.invalid");
  res.on("finish", () => console.log(` ${req.method} ${url.pathname} ${res.statusCode} in ${Date.now() - started}ms`));
  try {
    const route = `${req.method} ${url.pathname}`;
    if (route === `GET ${base}/csrf`) return await csrf(req, res);
    if (route === `POST ${base}/signin/nodemailer`) return await signin(req, res);
    if (route === `GET ${base}/callback/nodemailer`) return await callback(req, res, url);
    if (route === `GET ${base}/session`) return session(req, res);
    if (route === `POST ${base}/signout`) return await signout(req, res);
    if (route === "GET /") return json(res, 200, { ok: true });
    res.writeHead(404).end();
  } catch (err) {
    console.error(`error: ${err?.message ?? err}`);
    if (!res.headersSent) json(res, 500, { error: "internal error" });
    else res.end();
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`  - Local:        http://127.0.0.1:${server.address().port}`);
  console.log(" ✓ Ready");
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
