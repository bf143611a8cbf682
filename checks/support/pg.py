"""Opening a PostgreSQL connection, bounded in time as a whole: name lookup in a thread
nobody waits for, then psycopg's connect under one deadline.

psycopg is imported inside the functions that need it: an env-only run never loads it."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING

from checks.support.resolve import lookup

if TYPE_CHECKING:
    import psycopg


async def connect(url: str, timeout: float, *, autocommit: bool = True,
                  dbname: str | None = None) -> psycopg.AsyncConnection[tuple[object, ...]]:
    """Open an async connection; the whole attempt (DNS, TCP, TLS, auth) is bounded
    by `timeout`. libpq's own connect_timeout has a 2 s floor and counts per host."""
    import psycopg  # start-up: only runs that reach a database load psycopg

    # Keyword parameters override the URL's (psycopg.conninfo.make_conninfo).
    conninfo = psycopg.conninfo.make_conninfo(
        url, connect_timeout=max(2, int(timeout + 0.999)), **({"dbname": dbname} if dbname else {})
    )
    return await asyncio.wait_for(
        psycopg.AsyncConnection.connect(conninfo, autocommit=autocommit), timeout
    )


async def resolve_hosts(conninfo: str, timeout: float) -> str:
    """`conninfo` with its host names resolved into `hostaddr`, one attempt per address as
    psycopg itself does (psycopg/_conninfo_attempts_async.py), but bounded; libpq still
    uses `host` for TLS verification and SNI. Sockets, IP addresses and an explicit
    hostaddr are left to libpq."""
    import psycopg  # start-up: only runs that reach a database load psycopg
    from psycopg.conninfo import (  # start-up: only runs that reach a database load psycopg
        conninfo_to_dict,
        make_conninfo,
    )

    params = conninfo_to_dict(conninfo)
    hosts = str(params.get("host") or "").split(",")
    if params.get("hostaddr") or not all(hosts) or any(
            host.startswith("/") or _is_ip_address(host) for host in hosts):
        return conninfo
    ports = str(params.get("port") or "").split(",")
    if len(ports) == 1:
        ports *= len(hosts)
    attempts: list[tuple[str, str, str]] = []
    failure = ""
    for host, port in zip(hosts, ports, strict=False):
        try:
            found = await lookup(host, int(port or 5432), timeout)
        except OSError as exc:
            failure = f"failed to resolve host {host!r}: {exc}"
            continue
        attempts += [(host, address, port) for address in found]
    if not attempts:
        raise psycopg.OperationalError(failure)
    extra = {"host": ",".join(a[0] for a in attempts), "hostaddr": ",".join(a[1] for a in attempts)}
    if any(a[2] for a in attempts):
        extra["port"] = ",".join(a[2] for a in attempts)
    return make_conninfo(conninfo, **extra)



def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True
