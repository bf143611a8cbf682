// The demo app's dev server: Node's http module only, so `npm run dev` needs no install.
// Listens on $PORT like `next dev`, prints the same kind of "Local:" and "Ready" lines.
const http = require("node:http");
const crypto = require("node:crypto");

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

const notes = new Map(); // session id -> notes
const sign = (id) => `${id}.${crypto.createHmac("sha256", secret).update(id).digest("base64url")}`;
const session = (req) => {
  const cookie = (req.headers.cookie || "").split(/;\s*/).find((c) => c.startsWith("sid="));
  if (!cookie) return null;
  const value = cookie.slice(4);
  const id = value.split(".")[0];
  return sign(id) === value ? id : null;
};
const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};

const server = http.createServer((req, res) => {
  const started = Date.now();
  res.on("finish", () => console.log(` ${req.method} ${req.url} ${res.statusCode} in ${Date.now() - started}ms`));
  if (req.method === "GET" && req.url === "/") {
    res.writeHead(200, { "content-type": "text/html" });
    return res.end("<!doctype html><title>Notes</title><h1>Notes demo</h1>");
  }
  if (req.method === "GET" && req.url === "/api/health") {
    return send(res, 200, { ok: true, database: "configured" });
  }
  if (req.method === "POST" && req.url === "/api/session") {
    const id = crypto.randomUUID();
    notes.set(id, []);
    return send(res, 204, undefined, { "set-cookie": `sid=${sign(id)}; HttpOnly; Path=/; SameSite=Lax` });
  }
  if (req.url === "/api/notes") {
    const id = session(req);
    if (!id || !notes.has(id)) return send(res, 401, { error: "sign in first" });
    if (req.method === "GET") return send(res, 200, { notes: notes.get(id) });
    if (req.method === "POST") {
      let raw = "";
      req.on("data", (chunk) => (raw += chunk));
      req.on("end", () => {
        try {
          const { body } = JSON.parse(raw || "{}");
          if (typeof body !== "string" || !body) return send(res, 400, { error: "body is required" });
          const note = { id: notes.get(id).length + 1, body };
          notes.get(id).push(note);
          send(res, 201, note);
        } catch {
          send(res, 400, { error: "invalid JSON" });
        }
      });
      return;
    }
  }
  send(res, 404, { error: "not found" });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`  ▲ Notes demo (dev)\n  - Local:        http://127.0.0.1:${port}\n`);
  console.log(" ✓ Ready");
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
