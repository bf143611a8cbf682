"""Concurrency of the network checks: every endpoint (Sentry API, Neon Auth JWKS, the
PostgreSQL server behind a proxy) answers only after DELAY seconds. Run together, the
whole gate should take about as long as its slowest check, not the sum.
Goal: total ≤ 1.2 × slowest + 0.3 s."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks.core.context import Context
from checks.core.registry import select
from checks.core.runner import run
from checks.project.config import load_config
from checks.support.pgembed import EmbeddedPostgres

DELAY = float(os.environ.get("BENCH_DELAY", "1.0"))
PUBLIC_KEY = "a785682ddda742d7a8a4088810e67791"
ANSWERS = {
    "/api/0/projects/acme/web/": {"id": "42", "slug": "web"},
    "/api/0/projects/acme/web/keys/": [{"public": PUBLIC_KEY, "id": PUBLIC_KEY}],
    "/auth/.well-known/jwks.json": {"keys": [{"kty": "OKP", "kid": "k1", "x": "abc"}]},
}


class SlowApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(DELAY)
        body = json.dumps(ANSWERS.get(self.path, {})).encode()
        self.send_response(200 if self.path in ANSWERS else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


async def slow_proxy(upstream_port: int, ready: asyncio.Future[int]) -> None:
    """A TCP proxy to PostgreSQL that waits DELAY before connecting each client."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(DELAY)
        server_r, server_w = await asyncio.open_connection("127.0.0.1", upstream_port)
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    ready.set_result(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main() -> None:
    api = ThreadingHTTPServer(("127.0.0.1", 0), SlowApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{api.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        database = EmbeddedPostgres(Path(tmp) / "pg", password="bench-password", durable=False, timeout=60)
        database.start()
        try:
            loop = asyncio.new_event_loop()
            ready: asyncio.Future[int] = loop.create_future()
            threading.Thread(target=loop.run_until_complete, args=(slow_proxy(database.port, ready),),
                             daemon=True).start()
            while not ready.done():
                time.sleep(0.01)
            proxy_port = ready.result()
            project = Path(tmp) / "app"
            project.mkdir()
            (project / ".env.local").write_text(
                f"DATABASE_URL=postgresql://{database.user}:bench-password@127.0.0.1:{proxy_port}/postgres\n"
                f"NEXT_PUBLIC_SENTRY_DSN=https://{PUBLIC_KEY}@o1.ingest.sentry.io/42\n"
                "SENTRY_AUTH_TOKEN=sntryu_benchtoken\nSENTRY_ORG=acme\nSENTRY_PROJECT=web\n"
                f"SENTRY_URL={base}\nNEON_AUTH_BASE_URL={base}/auth\nNEON_AUTH_COOKIE_SECRET={'s' * 40}\n")
            ctx = Context(project=project, config=load_config(project), environ={}, timeout=10)
            started = time.perf_counter()
            report = asyncio.run(run(select("env,database,auth,sentry"), ctx))
            total = time.perf_counter() - started
        finally:
            database.stop()
            api.shutdown()
    network = {r.id: r.duration_ms / 1000 for r in report.checks if r.family != "env"}
    slowest_id = max(network, key=lambda k: network[k])
    slowest = network[slowest_id]
    not_passing = [f"{r.id}={r.status.value}" for r in report.checks if r.status.value != "pass"]
    serial = sum(DELAY for r in report.checks if r.id in ("DB002", "AUTH002", "SENTRY002"))
    print(f"concurrency (each endpoint delayed {DELAY:g} s; database, auth and Sentry checks together)")
    for check_id, seconds in network.items():
        print(f"  {check_id:<10} {seconds:6.2f} s")
    print(f"  slowest check: {slowest_id} {slowest:.2f} s; whole run {total:.2f} s "
          f"(run one after another: ≥ {serial:.0f} s)")
    goal = 1.2 * slowest + 0.3
    print(f"  goal total ≤ 1.2 × slowest + 0.3 s = {goal:.2f} s: {'met' if total <= goal else 'MISSED'}")
    if not_passing:
        print(f"  note: not passing: {', '.join(not_passing)}")


if __name__ == "__main__":
    main()
