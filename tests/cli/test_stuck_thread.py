"""A run ended by SIGTERM (a CI job cancelled) exits even when a worker thread is stuck in
a library call: asyncio.run joined the default executor's threads, and the process then
joined them again at exit, so a regex backtracking for minutes (dub's vendored
lib/qr/codegen.ts) kept the job alive until SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from helpers import REPO, clean_environ

# A check-like coroutine whose blocking work never ends, then the signal, then the CLI's
# own exit (entry's).
PROGRAM = """
import asyncio, os, signal, sys, time
from checks.cli import entry
import checks.cli as cli

async def stuck():
    await asyncio.to_thread(time.sleep, 120)

def main(argv=None):
    from checks.cli.shared import run_until_signalled
    from checks.support.errors import Terminated
    print("running", flush=True)
    try:
        run_until_signalled(stuck())
    except Terminated:
        print("terminated", flush=True)
        sys.exit(130)

cli.main = main
entry()
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signalled_run_exits_though_a_worker_thread_is_stuck(sig: signal.Signals) -> None:
    run = subprocess.Popen([sys.executable, "-c", PROGRAM], cwd=REPO, env={**clean_environ(), "PYTHONPATH": str(REPO)},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None and run.stdout.readline() == "running\n"
        time.sleep(0.3)  # the thread is in its sleep
        began = time.monotonic()
        run.send_signal(sig)
        out, err = run.communicate(timeout=20)
    finally:
        run.kill()
    assert out == "terminated\n", err
    assert run.returncode == 130
    assert time.monotonic() - began < 10  # not the stuck thread's 120 s
