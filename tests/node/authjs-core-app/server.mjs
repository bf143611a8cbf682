// Real Auth.js: @auth/core's own `Auth(request, config)` (what next-auth 5's route handlers call,
// nextauthjs/next-auth packages/next-auth/src/lib/index.ts) behind a node:http server, with the
// Nodemailer provider (packages/core/src/providers/nodemailer.ts) and an in-memory adapter of the
// Adapter interface (packages/core/src/adapters.ts). Used as a dev server by deploy-check's AUTH003
// tests; Next.js itself is left out (too heavy for the suite), the auth routes are @auth/core's.
//
// Env: PORT; AUTH_SECRET (required by @auth/core); EMAIL_SERVER or AUTH_EMAIL_SERVER (smtp://host:port,
// where nodemailer sends the link); EMAIL_FROM.
import http from "node:http";
import { randomUUID } from "node:crypto";

import { Auth } from "@auth/core";
import Nodemailer from "@auth/core/providers/nodemailer";

const port = Number(process.env.PORT || 3000);

// The Adapter methods email sign-in and database sessions use (adapters.ts), in memory.
function memoryAdapter() {
  const users = new Map();
  const sessions = new Map();
  const tokens = new Map();
  const key = (identifier, token) => `${identifier}\u0000${token}`;
  return {
    async createUser(user) {
      const created = { ...user, id: randomUUID() };
      users.set(created.id, created);
      return created;
    },
    async getUser(id) { return users.get(id) ?? null; },
    async getUserByEmail(email) { return [...users.values()].find((u) => u.email === email) ?? null; },
    async getUserByAccount() { return null; },
    async updateUser(user) {
      const updated = { ...users.get(user.id), ...user };
      users.set(updated.id, updated);
      return updated;
    },
    async linkAccount(account) { return account; },
    async createSession(session) {
      sessions.set(session.sessionToken, session);
      return session;
    },
    async getSessionAndUser(sessionToken) {
      const session = sessions.get(sessionToken);
      const user = session && users.get(session.userId);
      return session && user ? { session, user } : null;
    },
    async updateSession(session) {
      const updated = { ...sessions.get(session.sessionToken), ...session };
      sessions.set(updated.sessionToken, updated);
      return updated;
    },
    async deleteSession(sessionToken) { sessions.delete(sessionToken); },
    async createVerificationToken(token) {
      tokens.set(key(token.identifier, token.token), token);
      return token;
    },
    async useVerificationToken({ identifier, token }) {
      const found = tokens.get(key(identifier, token)) ?? null;
      tokens.delete(key(identifier, token)); // a link works once
      return found;
    },
  };
}

const config = {
  basePath: "/api/auth", // next-auth 5's default route, app/api/auth/[...nextauth]/route.ts
  secret: process.env.AUTH_SECRET,
  trustHost: true, // next dev trusts localhost (next-auth's env.ts sets it off Vercel only with AUTH_TRUST_HOST)
  adapter: memoryAdapter(),
  providers: [
    Nodemailer({
      server: process.env.EMAIL_SERVER || process.env.AUTH_EMAIL_SERVER,
      from: process.env.EMAIL_FROM || "Auth.js <no-reply@authjs.dev>",
    }),
  ],
};

async function toRequest(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method, headers, body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
  });
}

async function send(res, response) {
  const headers = {};
  response.headers.forEach((value, name) => { if (name !== "set-cookie") headers[name] = value; });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

const server = http.createServer(async (req, res) => {
  const started = Date.now();
  const path = new URL(req.url, "http://app.invalid").pathname;
  res.on("finish", () => console.log(` ${req.method} ${path} ${res.statusCode} in ${Date.now() - started}ms`));
  try {
    if (path.startsWith("/api/auth/")) return await send(res, await Auth(await toRequest(req), config));
    if (req.method === "GET" && path === "/") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end('{"ok":true}');
    }
    res.writeHead(404).end();
  } catch (err) {
    console.error(`error: ${err?.message ?? err}`);
    if (!res.headersSent) res.writeHead(500).end();
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
