"""Helpers shared by the tests: build a project on disk, run the real CLI."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from checks.core.context import Context
from checks.core.model import Report, Status
from checks.core.registry import select
from checks.core.runner import run
from checks.project.config import load_config
from checks.support.pgembed import EmbeddedPostgres

REPO = Path(__file__).resolve().parent.parent


def app_fixture(tmp_path: Path, name: str, files: dict[str, str] | None = None, *, at: str | None = None) -> Path:
    """tests/fixtures/apps/<name> copied to tmp_path/<at or name>, `files` written over it
    (relative to its root); the copy's root returned."""
    import shutil

    root = Path(shutil.copytree(REPO / "tests" / "fixtures" / "apps" / name, tmp_path / (at or name)))
    return write_project(root, files or {})


def add_drizzle_migration(project: Path, tag: str, sql: str, folder: str = "drizzle") -> None:
    """One more migration in a drizzle-kit history: its file, and an entry at the end of
    meta/_journal.json (drizzle-kit 0.31 generate's shape: idx, version, when, tag, breakpoints)."""
    import json

    (project / folder / f"{tag}.sql").write_text(sql)
    journal_path = project / folder / "meta" / "_journal.json"
    journal = json.loads(journal_path.read_text())
    journal["entries"].append({"idx": len(journal["entries"]), "version": "7", "when": 1760000000000,
                               "tag": tag, "breakpoints": True})
    journal_path.write_text(json.dumps(journal, indent=2))


def provision_local_db(project: Path) -> tuple[int, str]:
    """`deploy-check provision local-db` on `project` with a bare environment (its HOME the
    project), the local database stopped after whatever it did: (exit code, stdout + stderr)."""
    import os
    import subprocess
    import sys

    from provision.database import stop_local_db

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project), "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([sys.executable, "-m", "checks", "provision", "local-db", "--project", str(project)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        stop_local_db(project)
    return done.returncode, done.stdout + done.stderr


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def clean_environ(**extra: str) -> dict[str, str]:
    """A process environment without the developer's own variables."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")}
    return {**keep, **extra}


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    environ = clean_environ() if env is None else env
    environ = {**environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "checks", *args],
        cwd=cwd or REPO, env=environ, capture_output=True, text=True, timeout=timeout, check=False,
    )
    formats = {args[i + 1] for i, arg in enumerate(args[:-1]) if arg in ("-f", "--format")}
    if "json" in formats and args and args[0] == "check" and done.stdout.startswith("{"):
        validate_report(json.loads(done.stdout))  # every JSON report a test makes
    return done


def run_python(program: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -c PROGRAM` with this checkout on its path, from the repository, in a clean
    environment: a test that watches a run from inside (its imports, opens, exit)."""
    return subprocess.run([sys.executable, "-c", program], env={**clean_environ(), "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=timeout, check=check, cwd=os.fspath(REPO))


def validate_report(report: dict[str, Any]) -> None:
    """Every JSON report a test makes is checked against the published schema, so the
    contract cannot drift silently."""
    import jsonschema

    schema = json.loads((REPO / "checks" / "report" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)


def run_json(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    done = run_cli("check", "--project", str(project), "--format", "json", *args, env=env)
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    validate_report(report)
    return done.returncode, report


def check_in_process(project: Path, only: str | None = None, environ: dict[str, str] | None = None,
                     fail_level: Status = Status.FAIL) -> Report:
    ctx = Context(project=project, config=load_config(project), environ=environ or {})
    return asyncio.run(run(select(only), ctx, fail_level))


def result(report: Report, check_id: str) -> Any:
    return next(r for r in report.checks if r.id == check_id)


NPM_TIMEOUT = 600


def node_packages(name: str | Path) -> Path:
    """tests/node/<name>'s packages (or those of the app folder `name`), installed from its lockfile (`npm ci`) into a cache
    directory keyed by the hash of its files, so a second run installs nothing. Skips, saying
    why, where node/npm are missing or the npm registry is unreachable; fails on any other
    install error."""
    import hashlib
    import shutil

    import pytest

    source = name if isinstance(name, Path) else REPO / "tests" / "node" / name
    name = source.name
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not on PATH")
    # Keyed by every file copied (the lockfile and the scripts run beside node_modules), so
    # an edited script never runs from a stale copy.
    digest = hashlib.sha256()
    for item in sorted(source.iterdir()):
        if item.is_file() and item.suffix in (".json", ".mjs", ".js", ".cjs", ".sql"):  # not an editor's swap file
            digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deploy-check-tests" / "npm"
    target = base / f"{name}-{digest.hexdigest()[:16]}"
    if (target / ".installed").is_file():
        return target
    base.mkdir(parents=True, exist_ok=True)
    # pytest-xdist's workers may ask for the same packages at once: one installs, the
    # others wait for it (bounded) and then find them installed.
    with (base / f"{target.name}.lock").open("a") as lock:
        deadline = time.monotonic() + NPM_TIMEOUT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.skip(f"another test worker held the npm install of {name} for over {NPM_TIMEOUT} s")
                time.sleep(0.2)
        try:
            if (target / ".installed").is_file():
                return target
            return _npm_install(source, target, name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _npm_install(source: Path, target: Path, name: str) -> Path:
    import shutil

    import pytest

    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name != "node_modules" and item.is_file():
            shutil.copy2(item, target / item.name)
    try:
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target,
                              capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False)
        if done.returncode != 0 and "EUSAGE" in done.stderr:
            # npm 11 leaves other platforms' optional packages (dbmate's @dbmate/darwin-arm64…)
            # out of the lockfile it writes, then `npm ci` calls the lockfile out of sync:
            # `npm install` still takes every locked version from it.
            done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                                  cwd=target, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm ci for tests/node/{name} took over {NPM_TIMEOUT} s (is the npm registry reachable?)")
    if done.returncode != 0:
        unreachable = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ENETUNREACH", "network")
        if any(word in done.stderr for word in unreachable):
            pytest.skip(f"the npm registry is unreachable: {done.stderr.strip().splitlines()[-1]}")
        raise AssertionError(f"npm ci for tests/node/{name} failed:\n{done.stderr}")
    (target / ".installed").write_text("ok\n")
    return target


def locations(check: dict[str, Any]) -> list[str]:
    """A code check's findings as `file:line:column what`."""
    return [f"{f['location']} {f['what']}" for f in check["details"]["findings"]]

# Canaries: these must never appear in any output.
PG_PASSWORD = "pg-canary-Vx82kQ"
PG_TLS_PASSWORD = "tls-canary-Jm47wR"


@dataclass(frozen=True)
class TlsPostgres:
    server: EmbeddedPostgres
    ca_file: Path
    password: str

    def url(self, dbname: str = "postgres", sslmode: str = "verify-full", **params: str) -> str:
        if sslmode in ("verify-ca", "verify-full"):
            params.setdefault("sslrootcert", str(self.ca_file))
        return self.server.url(dbname, sslmode=sslmode, **params)


def run_on_a_terminal(*args: str, typed: bytes = b"", columns: int = 80,
                      stderr_too: bool = True) -> tuple[int, bytes]:
    """The CLI with a real pseudo-terminal of `columns` columns as its controlling terminal
    (as in a shell): `typed` answers the first prompt, and everything the terminal shows
    comes back (without stderr, and so without the live progress, unless `stderr_too`)."""
    import pty
    import select
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))

    def take_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    run = subprocess.Popen([sys.executable, "-m", "checks", *args], cwd=REPO,
                           env={**clean_environ(), "PYTHONPATH": str(REPO)},
                           stdin=follower, stdout=follower,
                           stderr=follower if stderr_too else subprocess.DEVNULL, close_fds=True,
                           preexec_fn=take_terminal)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if typed and b"(Enter to leave empty)" in seen:
                os.write(leader, typed)
                typed = b""
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif run.poll() is not None:
                break
        return run.wait(timeout=10), seen
    finally:
        run.kill()
        os.close(leader)


def detect(project: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`deploy-check detect --format json`: the project model as a user's run sees it."""
    done = run_cli("detect", "--project", str(project), "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    model: dict[str, Any] = json.loads(done.stdout)
    return model


def checks_by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"]}


def git(project: Path, *args: str) -> str:
    """git in `project` with a throwaway identity, bounded; what it printed."""
    return subprocess.run(["git", "-C", str(project), "-c", "user.email=t@example.test", "-c", "user.name=t",
                           *args], check=True, capture_output=True, text=True, timeout=30).stdout


def committed(project: Path) -> None:
    """`project` as a clone: a repository holding every file as one commit."""
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "init"]):
        git(project, *args)


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    """One statement on `url` in autocommit, its rows ([] for a statement that returns none)."""
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


class ProgressRecorder:
    """A run's progress sink that keeps every live update: what a terminal would have shown."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def started(self, check_id: str, title: str) -> None:
        pass

    def update(self, check_id: str, text: str) -> None:
        self.shown.append(text)

    def finished(self, check_id: str, status: str) -> None:
        pass
