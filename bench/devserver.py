"""Dev-server readiness: how long after the server can first answer does deploy-check
notice (goal: median under 100 ms; wait-on polls every 250 ms by default), and what
the DEV family costs beyond the server's own boot (routes, log grace, teardown)."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks.core.context import Context
from checks.project.config import Config
from checks.runtime.session import run_dev_server

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figure

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
# Boots after a random 0.2–0.7 s, records the moment its socket listens (CLOCK_MONOTONIC is
# system-wide on Linux, so both processes read the same clock), then serves.
SERVER = """
import os, random, socket, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
time.sleep(random.uniform(0.2, 0.7))
class App(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
server = HTTPServer(("127.0.0.1", int(os.environ["PORT"])), App)
open(sys.argv[1], "w").write(repr(time.monotonic()))
server.serve_forever()
"""


async def one_run(project: Path, stamp: Path) -> tuple[float, float]:
    script = project / "server.py"
    script.write_text(SERVER)
    config = Config(dev_command=f"{sys.executable} {script} {stamp}", ready_timeout=30)
    ctx = Context(project=project, config=config, environ={"PATH": os.environ.get("PATH", "")})
    began = time.monotonic()
    facts = await run_dev_server(ctx)
    total = time.monotonic() - began
    listening = float(stamp.read_text())
    assert facts.ready and facts.ready_monotonic is not None, facts
    return facts.ready_monotonic - listening, total - (listening - began)


def measure() -> tuple[list[float], list[float]]:
    notice: list[float] = []
    overhead: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(RUNS):
            stamp = Path(tmp) / f"stamp{index}"
            delay, extra = asyncio.run(one_run(Path(tmp), stamp))
            notice.append(delay * 1000)
            overhead.append(extra * 1000)
    return notice, overhead


def figures() -> list[Figure]:
    notice, overhead = measure()
    median_notice = statistics.median(notice)
    return [
        Figure("readiness noticed after the server listens", median_notice, "ms",
               target_text="< 100 ms (wait-on polls every 250 ms)", met=median_notice < 100,
               note=f"max {max(notice):.1f} ms, {RUNS} boots"),
        Figure("DEV family beyond the server's boot", statistics.median(overhead), "ms",
               note="GET /, log grace, teardown"),
    ]


def main() -> None:
    notice, overhead = measure()
    median_notice = statistics.median(notice)
    print(f"devserver readiness ({RUNS} boots)")
    print(f"  first possible answer → noticed: median {median_notice:.1f} ms, "
          f"max {max(notice):.1f} ms (goal < 100 ms: {'met' if median_notice < 100 else 'MISSED'})")
    print(f"  DEV family beyond the server's boot (GET /, log grace, teardown): "
          f"median {statistics.median(overhead):.0f} ms")
    print(json.dumps({"notice_ms": [round(n, 1) for n in notice]}))


if __name__ == "__main__":
    main()
