"""A stand-in dev server that prints the secrets it hands out, as careless apps do.

    python leaks.py MODE VALUES_FILE

cookie: GET /session prints the session cookie it is about to set (`sid=…`) before the
answer carries it; GET /login sets another cookie and GET /later prints that one's bare
value. Both printing routes then take a while, so live progress shows the line. echo: logs the request bodies and
queries it receives, and answers them back. The values it invents go to VALUES_FILE
(one `name=value` a line) so the test can look for them. Listens on $PORT like `next dev`."""

from __future__ import annotations

import os
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE, VALUES_FILE = sys.argv[1], sys.argv[2]
# Random per run: what the test looks for cannot be in any list of known values.
SESSION_SID = secrets.token_urlsafe(24)
LEARNED = secrets.token_urlsafe(24)
SHOWN_FOR = 1.2  # seconds /later takes: several frames of the live view (8 a second)


class App(BaseHTTPRequestHandler):
    def log_message(self, fmt: str, *args: object) -> None:
        print(f" {self.command} {self.path} {args[1] if len(args) > 1 else ''}", flush=True)

    def reply(self, status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/session":
            print(f"Error: new session cookie sid={SESSION_SID}", flush=True)
            time.sleep(SHOWN_FOR)
            self.reply(200, b"{}", {"Set-Cookie": f"sid={SESSION_SID}; Path=/; HttpOnly"})
        elif self.path == "/login":
            # A cookie name no value shape knows: only learning it from the answer masks it.
            self.reply(200, b"{}", {"Set-Cookie": f"id={LEARNED}; Path=/; HttpOnly"})
        elif self.path == "/later":
            print(f"Error: no entry in the store for {LEARNED}", flush=True)
            time.sleep(SHOWN_FOR)
            self.reply(200)
        elif MODE == "echo":
            print(f"Error: unexpected query {self.path}", flush=True)
            self.reply(500, self.path.encode())
        else:
            self.reply(200, b"<h1>home</h1>")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        print(f"Error: sign-up refused for {body.decode()}", flush=True)
        self.reply(500, body)


def main() -> None:
    with open(VALUES_FILE, "w") as values:
        values.write(f"session_sid={SESSION_SID}\nlearned={LEARNED}\n")
    port = int(os.environ["PORT"])
    server = ThreadingHTTPServer(("127.0.0.1", port), App)
    print(f"  - Local:        http://localhost:{port}", flush=True)
    print(" ✓ Ready in 12ms", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
