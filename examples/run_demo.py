"""`make demo`: the full gate on the bundled demo app, against an embedded PostgreSQL.

Copies examples/demo-app to a temporary directory, provisions it the way a user
would (env file, local database, schema), runs every check, prints the report,
and stops everything it started. Exit code: the gate's (0 ready, 1 not ready)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEMO = Path(__file__).resolve().parent / "demo-app"
REPO = DEMO.parent.parent
STEP_TIMEOUT = 300


def program() -> list[str]:
    """The command a user of this checkout types: the venv's `deploy-check` (what `make
    venv` installs), else `python -m checks`. The fix lines of the report name the same
    one (checks/core/runner.py `pasteable`), so what the demo shows can be pasted."""
    installed = Path(sys.executable).parent / "deploy-check"
    if installed.is_file() and os.access(installed, os.X_OK):
        return [str(installed.resolve())]
    return [sys.executable, "-m", "checks"]


def step(title: str, *args: str, project: Path, check: bool = True) -> int:
    command = [*program(), *args]
    shown = " ".join(shlex.quote(a) for a in command)
    print(f"\n\033[1m==> {title}\033[0m\n$ {shown}", flush=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # The demo's own variables come from its .env.local only, never from this shell.
    for key in ("DATABASE_URL", "SESSION_SECRET", "NEXT_PUBLIC_APP_URL", "PORT", "SMTP_HOST", "SMTP_PORT"):
        env.pop(key, None)
    done = subprocess.run(command, cwd=project, env=env, timeout=STEP_TIMEOUT, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"demo: `{shown}` failed with exit code {done.returncode}")
    return done.returncode


def main() -> int:
    if shutil.which("node") is None:
        print("demo: node is not on PATH; the dev-server checks will be skipped or fail", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="deploy-check-demo-"))
    project = workdir / "demo-app"
    shutil.copytree(DEMO, project)
    if shutil.which("git"):
        git = ["git", "-c", "user.name=demo", "-c", "user.email=demo@example.invalid", "-C", str(project)]
        subprocess.run([*git, "init", "-q"], check=True, timeout=30)
        subprocess.run([*git, "add", "-A"], check=True, timeout=30)
        subprocess.run([*git, "commit", "-q", "-m", "demo app"], check=True, timeout=30)
    print(f"demo app copied to {project}")
    if shutil.which("npm"):
        # The app's own dependencies (pg, nodemailer), from its lockfile, as a developer would.
        print("\n\033[1m==> Install the app's packages\033[0m\n$ npm ci", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=project,
                       check=True, timeout=STEP_TIMEOUT)
    try:
        step("Before provisioning: what is missing?", "check", "--only", "env,database", project=project,
             check=False)
        # --no-input: the demo fills what it can and asks nothing (a typed DATABASE_URL
        # would make the next step refuse to replace it).
        step("Scaffold .env.local from the example", "provision", "env", "--no-input", project=project)
        step("Start an embedded PostgreSQL and write DATABASE_URL", "provision", "local-db",
             project=project)
        step("Apply schema.sql (dry run first)", "provision", "schema", "--dry-run", project=project)
        step("Apply schema.sql", "provision", "schema", project=project)
        step("Apply schema.sql again: a no-op", "provision", "schema", project=project)
        return step("The full gate", "check", project=project, check=False)
    finally:
        sys.path.insert(0, str(REPO))
        from provision.database import stop_local_db

        stop_local_db(project)
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"\ndemo: stopped the local database and removed {workdir}")


if __name__ == "__main__":
    sys.exit(main())
