"""A stand-in dev server for the DEV tests, in Python so the tests run without Node.

    python scenario.py MODE PIDFILE

Writes the pid of every process it starts to PIDFILE (one per line) so a test can
prove none survives. Listens on $PORT like `next dev`, prints Next.js-style lines."""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODE, PIDFILE = sys.argv[1], sys.argv[2]


def record_pid() -> None:
    with open(PIDFILE, "a") as pids:
        pids.write(f"{os.getpid()}\n")


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
        if self.path == "/":
            self.reply(200, b"<h1>home</h1>")
        elif self.path == "/me":
            signed_in = "session=ok" in (self.headers.get("Cookie") or "")
            self.reply(200 if signed_in else 401)
        elif self.path == "/boom":
            print(" ⨯ Error: You haven't provided a project ID", flush=True)
            print("    at handler (/app/.next/server/app/page.js:12:7)", flush=True)
            self.reply(500)
        else:
            self.reply(404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/login":
            self.reply(204, b"", {"Set-Cookie": "session=ok; Path=/; HttpOnly"})
        else:
            self.reply(404)


def serve(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), App)
    print(f"  - Local:        http://localhost:{port}", flush=True)
    print(" ✓ Ready in 12ms", flush=True)
    server.serve_forever()


def wait_for_detached_listener() -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(os.environ["DETACHED_PORT"]))) == 0:
                return
        time.sleep(0.02)


def main() -> None:
    record_pid()
    port = int(os.environ["PORT"])
    if MODE == "normal":
        serve(port)
    elif MODE == "crash":
        print("Error: Cannot find module 'next'", flush=True)
        print("Module not found: Can't resolve '@/lib/db'", flush=True)
        sys.exit(3)
    elif MODE == "never":
        while True:
            print(" ○ Compiling / ...", flush=True)
            time.sleep(0.05)
    elif MODE == "never-pnpm":
        # A first compile longer than the ready timeout (Tascboard's Turbopack: 58-70 s),
        # under pnpm, which answers our SIGTERM with its own line.
        def stop_noise(signum: int, frame: object) -> None:
            print(STOP_NOISE["pnpm"][0], flush=True)
            os._exit(1)

        signal.signal(signal.SIGTERM, stop_noise)
        print(" ○ Compiling / ...", flush=True)
        while True:
            time.sleep(0.2)
    elif MODE == "slow":
        time.sleep(1.5)
        serve(port)
    elif MODE == "grandchild":
        child = subprocess.Popen([sys.executable, "-u", __file__, "normal", PIDFILE])
        child.wait()
    elif MODE == "secret":
        print(f"connecting with token {os.environ['API_SECRET']}", flush=True)
        print(f"Error: upstream refused {os.environ['API_SECRET']}", flush=True)
        serve(port)
    elif MODE == "leaky":
        secret = os.environ["API_SECRET"]
        # The secret straddles the 2,000-character cut of a long line ...
        print("x" * 1990 + secret, flush=True)
        # ... sits past the first MiB of a 2 MiB line ...
        sys.stdout.write("y" * (1 << 20) + secret + "y" * (1 << 20) + "\n")
        sys.stdout.flush()
        # ... and a PEM key is logged line by line, as a stack trace would show it.
        for line in os.environ["SIGNING_PRIVATE_KEY"].splitlines():
            print(f"  key: {line}", flush=True)
        sys.exit(1)  # DEV001 then quotes the last lines: all of the above
    elif MODE == "disguised":
        # What careless apps print: a mail body in base64 at MIME's 76 columns (RFC 2045 6.8),
        # a token a logger wraps at 40 columns, and copies in upper case, with a zero-width
        # space inside, HTML-escaped.
        url, token = os.environ["DATABASE_URL"], os.environ["API_SECRET"]
        print("Error: could not send the mail; its body was", flush=True)
        for line in base64.encodebytes(f"Cannot connect to {url}".encode()).decode().splitlines():
            print(line, flush=True)
        print(f"Error: token rejected: {token[:40]}", flush=True)
        for at in range(40, len(token), 40):
            print(f"    {token[at:at + 40]}", flush=True)
        print(f"Error: {token.upper()}", flush=True)
        print(f"Error: {token[:9]}\u200b{token[9:]}", flush=True)
        print(f"Error: {token.replace('_', '&#95;')}", flush=True)
        sys.exit(1)  # DEV001 then quotes the last lines: all of the above
    elif MODE == "control":
        # A spinner's backspaces, a bell, a stray escape: then a crash.
        print("\x1b[31mError: boot failed\x1b[0m\x08\x07\x1b(B \x00done", flush=True)
        sys.exit(2)
    elif MODE == "moved":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            other = probe.getsockname()[1]
        print(f" ⚠ Port {port} is in use, using available port {other} instead.", flush=True)
        serve(other)
    elif MODE in ("setsid", "setpgid", "node-detached"):
        # A descendant that leaves the process group, listening on DETACHED_PORT.
        detached = os.environ["DETACHED_PORT"]
        listen = (f"import os,socket,time; os.setpgid(0, 0) if {MODE == 'setpgid'} else None; "
                  f"open({PIDFILE!r}, 'a').write(str(os.getpid()) + '\\n'); s = socket.socket(); "
                  f"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', {detached})); "
                  "s.listen(); time.sleep(600)")
        if MODE == "node-detached":
            script = ("require('child_process').spawn(process.argv[1], ['-c', process.argv[2]], "
                      "{detached: true, stdio: 'ignore'}).unref()")
            subprocess.run(["node", "-e", script, sys.executable, listen], check=True)
        else:
            subprocess.Popen([sys.executable, "-c", listen], start_new_session=MODE == "setsid")
        # Ready only once the descendant listens (it has left the group by then): a SIGTERM
        # to the group before its setpgid would end it with the group, and prove no sweep.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", int(detached))) == 0:
                    break
            time.sleep(0.02)
        serve(port)
    elif MODE == "envless-daemon":
        # A daemon that drops the run's marker (`env -i`), leaves the session (`setsid`),
        # double-forks (a subshell backgrounds it, then both shells exit) and ignores
        # SIGTERM and SIGHUP. Its pid goes to PIDFILE once it runs.
        daemon = (f"trap '' TERM HUP; ( {shutil.which('sleep')} 600 </dev/null >/dev/null 2>&1 & "
                  f"echo $! >> {shlex.quote(PIDFILE)} ); exit 0")
        subprocess.run(["setsid", "env", "-i", "sh", "-c", daemon], check=True)
        deadline = time.monotonic() + 20
        while len(Path(PIDFILE).read_text().split()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        serve(port)
    elif MODE in ("hopper", "hopper-setsid"):
        # A daemon that leaves the session (`setsid`), drops the run's marker (`env -i`),
        # double-forks, ignores SIGTERM and SIGHUP, and then forks again and again, each
        # parent exiting at once, the loopback listener passed down the chain (each link also
        # leaves its session in "hopper-setsid"). The listener is free only once no link lives.
        # It hops for a minute at most, then sits still: a failed test can still end it.
        hop = ("import os,signal,socket,sys,time; port, pidfile, each = int(sys.argv[1]), sys.argv[2], sys.argv[3] == '1'; "
               "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
               "s.bind(('127.0.0.1', port)); s.listen(); "
               "os.fork() and os._exit(0); os.setsid(); os.fork() and os._exit(0); "
               "[signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGHUP)]; "
               "open(pidfile, 'a').write(str(os.getpid()) + '\\n'); end = time.monotonic() + 60\n"
               "while time.monotonic() < end:\n"
               "    if os.fork(): os._exit(0)\n"
               "    if each: os.setsid()\n"
               "time.sleep(600)\n")
        subprocess.run(["setsid", "env", "-i", sys.executable, "-c", hop, os.environ["DETACHED_PORT"], PIDFILE,
                        "1" if MODE == "hopper-setsid" else "0"], check=True)
        wait_for_detached_listener()
        serve(port)
    elif MODE in ("daemon-then-serve", "daemon-then-kill-group"):
        # A daemon as in "envless-daemon", but holding a loopback listener; then the script
        # serves, or kills its own process group (`kill -KILL 0`) with whatever shares it.
        # Its pid is written before it listens: the listener says it is there.
        daemon = ("import os,signal,socket,sys; os.fork() and os._exit(0); "
                  "[signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGHUP)]; "
                  "open(sys.argv[2], 'a').write(str(os.getpid()) + '\\n'); s = socket.socket(); "
                  "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1]))); "
                  "s.listen(); signal.pause()")
        subprocess.run(["setsid", "env", "-i", sys.executable, "-c", daemon, os.environ["DETACHED_PORT"], PIDFILE],
                       check=True)
        wait_for_detached_listener()
        if MODE == "daemon-then-kill-group":
            print("stopping everything of mine", flush=True)
            os.killpg(0, signal.SIGKILL)
        serve(port)
    elif MODE in ("proxy", "proxy-only"):
        # A dev server that names a service it talks to before (or instead of) its own URL.
        print(f"> using backend http://localhost:{os.environ['BACKEND_PORT']} for /api", flush=True)
        if MODE == "proxy":
            time.sleep(0.5)
            serve(port)
        while True:
            time.sleep(0.2)
    elif MODE in STOP_NOISE:
        # The package manager's answer to our SIGTERM, printed after the signal.
        def stopped(signum: int, frame: object) -> None:
            for line in STOP_NOISE[MODE]:
                print(line, flush=True)
            os._exit(143 if MODE != "pnpm" else 1)

        signal.signal(signal.SIGTERM, stopped)
        serve(port)
    else:
        sys.exit(f"unknown mode {MODE}")


# What each manager prints when the script it runs dies of SIGTERM: pnpm 8/9
# (@pnpm/exec "ELIFECYCLE  Command failed."), yarn classic (src/cli/index.js "Command failed
# with signal"), npm 10 (lib/utils/error-message.js "signal", "command failed"; npm ≤ 9 `npm ERR!`).
STOP_NOISE = {
    "pnpm": [" ELIFECYCLE  Command failed."],
    "yarn": ['error Command failed with signal "SIGTERM".',
             "info Visit https://yarnpkg.com/en/docs/cli/run for documentation about this command."],
    "npm": ["npm error path /app", "npm error command failed", "npm error signal SIGTERM",
            "npm error command sh -c next dev",
            "npm ERR! signal SIGTERM", "npm ERR! command failed"],
}


if __name__ == "__main__":
    main()
