"""A dev server of pages for DEV006: one clean, one that throws, one that logs a hydration
error, one whose fetch fails, one whose script chunk is missing. Listens on $PORT and prints
the lines `next dev` prints."""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# react-dom 18 development build, hydration mismatch warning (console.error):
# "Warning: Text content did not match. Server: %s Client: %s"
HYDRATION = 'console.error("Warning: Text content did not match. Server: \\"1\\" Client: \\"2\\"")'
PAGES = {
    # A third-party image (no network here): listed, never failed.
    "/": '<h1>Home</h1><img src="https://cdn.example.test/logo.png"><script>fetch("/api/ok")</script>',
    "/throws": '<h1>Boom</h1><script>throw new Error("Cannot read properties of undefined (reading \'map\')")</script>',
    "/hydration": f"<h1>1</h1><script>{HYDRATION}</script>",
    "/fetch": '<h1>Data</h1><script>fetch("/api/boom")</script>',
    "/chunk": '<h1>Chunk</h1><script src="/_next/static/chunks/app/page-missing.js"></script>',
}
# A page that reports to a third party the way analytics and error SDKs do: a POST with a
# token in the query, a tracking pixel, a beacon, a WebSocket, an iframe. The third party
# is a real server on another loopback port ($THIRD_PARTY_PORT), which must hear nothing.
THIRD = f"127.0.0.1:{os.environ.get('THIRD_PARTY_PORT', '9')}"
PAGES["/beacon"] = (
    "<h1>Tracked</h1>"
    '<img src="/bounce">'  # the app's own URL, redirecting to the third party: no route sees that hop
    f'<img src="http://localhost:{THIRD.split(":")[1]}/pixel.gif?user=alice%40example.com">'
    f'<iframe src="http://{THIRD}/embed"></iframe>'
    "<script>"
    f'fetch("http://{THIRD}/collect?token=tp-secret-0123456789", {{method: "POST", body: "hit", mode: "no-cors"}})'
    '.catch(() => {});'
    f'navigator.sendBeacon("http://{THIRD}/beacon?session=tp-secret-0123456789", "bye");'
    f'try {{ new WebSocket("ws://{THIRD}/socket?key=tp-secret-0123456789"); }} catch (e) {{}}'
    'fetch("/api/ok");'
    "</script>")

# An analytics call the page never catches, from the page and from a worker: blocked, its
# rejection ("Failed to fetch") is ours, not the app's.
PAGES["/uncaught"] = (
    "<h1>Counted</h1><script>"
    f'fetch("http://{THIRD}/track?token=tp-secret-0123456789");'
    f'new Worker("data:text/javascript,fetch(%22http://{THIRD}/worker%22)");'
    'fetch("/api/ok");'
    "</script>")

# A Supabase app's page reading its local API on another port, catching and logging the
# failure (vercel/next.js examples/with-supabase does `if (error) console.error(...)`): the
# error is deploy-check's block, not the app's.
PAGES["/caught"] = (
    "<h1>Todos</h1><script>"
    f'fetch("http://{THIRD}/rest/v1/todos").catch((e) => console.error("Error loading todos:", e.message));'
    'fetch("/api/ok");'
    "</script>")

# A page whose analytics call is blocked (caught, as posthog-js and Sentry's transport do) and
# which has a bug of its own: the bug is the app's, whatever else deploy-check blocked.
PAGES["/tracked-throws"] = (
    "<h1>Orders</h1><script>"
    f'fetch("http://{THIRD}/collect", {{method: "POST", body: "hit", mode: "no-cors"}}).catch(() => {{}});'
    'fetch("/api/ok");'
    'throw new Error("Cannot read properties of undefined (reading \'map\')");'
    "</script>")

# WebRTC's ICE servers (STUN, TURN over UDP), as a call or a NAT probe configures them: UDP
# neither a route nor the proxy sees. The third party listens for UDP on the same port.
PAGES["/rtc"] = (
    "<h1>Call</h1><script>"
    f'const pc = new RTCPeerConnection({{iceServers: [{{urls: "stun:{THIRD}"}}, '
    f'{{urls: "turn:{THIRD}?transport=udp", username: "u", credential: "tp-secret-0123456789"}}]}});'
    'pc.createDataChannel("x"); pc.createOffer().then((offer) => pc.setLocalDescription(offer));'
    "</script>")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in PAGES:
            body, kind, status = f"<!doctype html><title>t</title>{PAGES[path]}".encode(), "text/html", 200
        elif path in ("/bounce", "/away"):  # to the third party, as a hosted sign-in page is
            target = f"http://{THIRD}/bounced" if path == "/bounce" else f"http://{THIRD}/sign-in?ticket=tp-secret-0123456789"
            self.send_response(302)
            self.send_header("location", target)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        elif path == "/api/ok":
            body, kind, status = b'{"ok": true}', "application/json", 200
        elif path == "/api/boom":
            body, kind, status = b'{"error": "internal"}', "application/json", 500
        else:
            body, kind, status = b"not found", "text/plain", 404
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print(f" GET {self.path.split('?')[0]} {args[1] if len(args) > 1 else ''}", flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "3000"))), Handler)
    print(f"  - Local:        http://127.0.0.1:{server.server_address[1]}", flush=True)
    print(" ✓ Ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()
