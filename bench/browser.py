"""What a second user (DEV005) and a real browser (DEV006) cost, against a stand-in app that
counts every request it answers (who sent it, and whether a browser did).

Targets (issue 23): DEV005 adds at most one sign-in plus one request per probed route;
DEV006 takes at most 2 s to launch the browser plus 1 s per page, on these 2 cores.
DEV005's cost is the difference between a run of AUTH003,DEV004 and one with DEV005 too
(deploy-check's own requests only; the browser's are told apart by their User-Agent).

`verdicts()` returns each figure with its target and whether it is met; `main()` prints them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from figures import Figure  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))

# A notes app on Better Auth's email-OTP paths (the demo's), its code printed as the demo's dev
# mailer prints it; every request is logged as "METHOD PATH WHO AGENT" to $REQUEST_LOG.
SERVER = r'''
import json, os, re, secrets, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
codes, sessions, notes = {}, {}, {}
log = open(os.environ["REQUEST_LOG"], "a", buffering=1)
PAGE = b"<!doctype html><title>Notes</title><h1>Notes</h1><script>document.body.append('ok')</script>"
class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def who(self):
        sid = re.search(r"(?:^|;\s*)sid=(\w+)", self.headers.get("Cookie") or "")
        return sessions.get(sid.group(1)) if sid else None
    def reply(self, status, body=None, headers=(), kind="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind); self.send_header("Content-Length", str(len(data)))
        for key, value in headers: self.send_header(key, value)
        self.end_headers(); self.wfile.write(data)
    def handle_one(self):
        path, user = self.path.split("?")[0], self.who()
        agent = "browser" if "Chrome" in (self.headers.get("User-Agent") or "") else "deploy-check"
        log.write(f"{self.command} {path} {user or '-'} {agent}\n")
        size = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(size) or b"{}") if size else {}
        note = re.fullmatch(r"/api/notes/(\d+)", path)
        if self.command == "GET" and path in ("/", "/about") or path == "/notes" and user:
            return self.reply(200, PAGE, kind="text/html")
        if path == "/notes":
            return self.reply(307, b"", [("Location", "/")], kind="text/plain")
        if path == "/api/auth/email-otp/send-verification-otp":
            codes[body["email"]] = code = f"{secrets.randbelow(10**6):06d}"
            print(f"[dev mailer] sign-in code for {body['email']}: {code}", flush=True)
            return self.reply(200, {"success": True})
        if path == "/api/auth/sign-in/email-otp":
            if codes.get(body.get("email")) != body.get("otp"):
                return self.reply(400, {"code": "INVALID_OTP"})
            sid = secrets.token_hex(16); sessions[sid] = body["email"]
            return self.reply(200, {"user": {"email": body["email"]}}, [("Set-Cookie", f"sid={sid}; Path=/; HttpOnly")])
        if path == "/api/auth/get-session":
            return self.reply(200, {"user": {"email": user}} if user else None)
        if path == "/api/auth/sign-out":
            return self.reply(200, {"success": True}, [("Set-Cookie", "sid=; Path=/; Max-Age=0")])
        if not user:
            return self.reply(401, {"error": "sign in"})
        if self.command == "POST" and path == "/api/notes":
            number = str(len(notes) + 1); notes[number] = {"id": number, "owner": user, "body": body["body"]}
            return self.reply(201, {"id": number, "body": body["body"]})
        if note and notes.get(note.group(1), {}).get("owner") == user:
            if self.command == "PATCH":
                notes[note.group(1)]["body"] = body["body"]
            return self.reply(200, {"id": note.group(1), "body": notes[note.group(1)]["body"]})
        return self.reply(404, {"error": "not found"})
    do_GET = do_POST = do_PATCH = handle_one
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), App)
print(f"  - Local:        http://127.0.0.1:{server.server_address[1]}", flush=True)
print(" ✓ Ready", flush=True)
server.serve_forever()
'''

CONFIG = """[auth]
provider = "none"
[auth.login]
send = { path = "/api/auth/email-otp/send-verification-otp", json = { email = "{email}", type = "sign-in" } }
verify = { path = "/api/auth/sign-in/email-otp", json = { email = "{email}", otp = "{otp}" } }
session = { path = "/api/auth/get-session" }
[dev_server]
ready_timeout = 30
routes = [
    { path = "/", status = 200 },
    { path = "/about", status = 200 },
    { path = "/api/notes", method = "POST", status = 201, json = { body = "note {run}" }, signed_in = true, capture = { note_id = "$.id" } },
    { path = "/api/notes/{note_id}", status = 200, signed_in = true },
    { path = "/api/notes/{note_id}", method = "PATCH", status = 200, json = { body = "edited {run}" }, signed_in = true, owned = true },
    { path = "/notes", status = 200, signed_in = true },
]
"""
SIGN_IN = "/api/auth/email-otp/send-verification-otp"


@dataclass(frozen=True)
class Verdict:
    name: str
    figure: float
    target: float  # the figure must be at most this
    unit: str
    note: str = ""

    @property
    def met(self) -> bool:
        return self.figure <= self.target


def _run(project: Path, only: str) -> tuple[dict[str, dict[str, Any]], Counter[tuple[str, str, str, str]]]:
    """The report's checks, and the app's requests as (method, path, who: the session's
    address or -, agent: deploy-check or browser) → how many."""
    log = project / "requests.log"
    log.write_text("")
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root"),
               "PYTHONPATH": str(ROOT), "REQUEST_LOG": str(log)}
    done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project), "--only", only,
                           "-f", "json"], env=environ, capture_output=True, text=True, timeout=300, check=False)
    if not done.stdout.startswith("{"):
        raise RuntimeError(f"deploy-check gave no report: {done.stderr[-2000:]}")
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    requests: Counter[tuple[str, str, str, str]] = Counter()
    for line in log.read_text().splitlines():
        method, path, who, agent = line.split(" ")
        requests[(method, path, who, agent)] += 1
    return checks, requests


def _ours(requests: Counter[tuple[str, str, str, str]]) -> int:
    """deploy-check's own requests to the app, the sign-ins' left out."""
    return sum(n for (_, path, _, agent), n in requests.items()
               if agent == "deploy-check" and not path.startswith("/api/auth/"))


def _second_users(requests: Counter[tuple[str, str, str, str]]) -> int:
    return sum(n for (_, path, who, _), n in requests.items() if who.endswith("-b@example.test")
               and not path.startswith("/api/auth/"))


def verdicts() -> list[Verdict]:
    signins, requests, second_user, seconds, allowed = [], [], [], [], []
    launch, per_page, pages_seen = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "server.py").write_text(SERVER)
        (project / "package.json").write_text('{"name": "bench", "private": true}\n')
        (project / "deploy-check.toml").write_text(CONFIG.replace(
            "[dev_server]\n", f'[dev_server]\ncommand = "{sys.executable} server.py"\n'))
        for _ in range(RUNS):
            _, before = _run(project, "AUTH003,DEV004")
            checks, after = _run(project, "AUTH003,DEV004,DEV005,DEV006")
            for check_id in ("AUTH003", "DEV004", "DEV005", "DEV006"):
                if checks[check_id]["status"] != "pass":
                    raise RuntimeError(f"{check_id}: {checks[check_id]['message']}")
            details = _details(checks, "DEV005")
            probes = len(details["probes"])
            signins.append(after[("POST", SIGN_IN, "-", "deploy-check")] - before[("POST", SIGN_IN, "-", "deploy-check")])
            requests.append((_ours(after) - _ours(before)) / probes)
            second_user.append(_second_users(after) / probes)
            seconds.append(float(details["elapsed_s"]))
            # In time: one more sign-in (AUTH003's took this long) and one flow step per probed route.
            steps = [s["elapsed_ms"] / 1000 for s in _details(checks, "DEV004")["steps"]]
            allowed.append(float(_details(checks, "AUTH003")["elapsed_s"]) + probes * statistics.mean(steps))
            browser = _details(checks, "DEV006")
            launch.append(float(browser["launch_s"]))
            per_page += [p["elapsed_ms"] / 1000 for p in browser["pages"]]
            pages_seen = len(browser["pages"])
    return [
        Verdict("DEV005 extra sign-ins", max(signins), 1, "sign-in(s)"),
        Verdict("DEV005 second user's requests per probed route", max(second_user), 1, "request(s)"),
        Verdict("DEV005 app requests per probed route, the first user's read-backs included",
                statistics.median(requests), 1, "request(s)",
                "the PATCH has no sql read-back, so the first user's GET runs before and after it"),
        Verdict("DEV005 time (second sign-in, probes, sign-out)", statistics.median(seconds),
                round(statistics.median(allowed), 3), "s", "target: AUTH003's sign-in + one DEV004 step per route"),
        Verdict("DEV006 browser launch", statistics.median(launch), 2, "s"),
        Verdict(f"DEV006 per page (median of {pages_seen} pages x {RUNS} runs)", statistics.median(per_page), 1, "s"),
    ]


def figures() -> list[Figure]:
    """For `make bench` (bench/figures.py's shape)."""
    return [Figure(v.name, v.figure, v.unit, target_text=f"<= {v.target:g} {v.unit}", met=v.met, note=v.note)
            for v in verdicts()]


def _details(checks: dict[str, dict[str, Any]], check_id: str) -> dict[str, Any]:
    details = checks[check_id]["details"]
    assert isinstance(details, dict)
    return details


def main() -> int:
    found = verdicts()
    print(f"second user and browser ({RUNS} runs, Chromium from the system or Playwright)")
    for verdict in found:
        note = f"  ({verdict.note})" if verdict.note else ""
        print(f"  {verdict.name}: {verdict.figure:.2f} {verdict.unit}, target <= {verdict.target:g} "
              f"{'met' if verdict.met else 'NOT MET'}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
