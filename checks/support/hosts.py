"""Where a host is, and looking a name up within a bound: shared by the database, auth,
sentry and dev-server checks."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading


def is_loopback(host: str) -> bool:
    """Whether traffic to `host` (a name, an address or a socket directory) stays on
    this machine. Names other than localhost count as remote: DB002 judges the
    address actually connected to, so this sees a resolved name only as its address."""
    host = host.strip().strip("[]").lower()
    if not host or host.startswith(("/", "@")):
        return True  # a unix socket (libpq's default when no host is given)
    if host == "localhost" or host.endswith(".localhost"):
        return True  # RFC 6761 §6.3: localhost names always resolve to loopback
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


async def lookup(host: str, port: int, timeout: float) -> list[str]:
    """getaddrinfo in a daemon thread. psycopg resolves in the event loop's default
    executor, whose threads asyncio.run() joins at exit: a resolver hanging past the
    timeout would hold up the whole run. A daemon thread is simply left behind."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[list[str]] = loop.create_future()

    def deliver(addresses: list[str] | None, error: OSError | None) -> None:
        if answer.done():
            return  # timed out already
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(addresses or [])

    def work() -> None:
        addresses: list[str] | None = None
        error: OSError | None = None
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       proto=socket.IPPROTO_TCP)
            addresses = list(dict.fromkeys(str(entry[4][0]) for entry in found))
        except OSError as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(deliver, addresses, error)

    threading.Thread(target=work, name=f"resolve {host}", daemon=True).start()
    try:
        return await asyncio.wait_for(answer, timeout)
    except TimeoutError:
        raise OSError(f"no answer from the resolver within {timeout:g} s") from None


async def resolves_a_parent(host: str, timeout: float) -> bool:
    """Whether a domain above `host` (which did not resolve) resolves from here within
    `timeout` in all. Yes: the resolver works, so the host itself is missing (misspelled,
    deleted). No: this machine resolves nothing there (an air-gapped CI runner, no DNS),
    which proves nothing about the app. `a.b.example.com` asks `b.example.com`, then
    `example.com`; never a top-level name alone, so a two-label host has nothing to ask."""
    labels = host.rstrip(".").split(".")
    deadline = asyncio.get_running_loop().time() + timeout  # one bound for every domain asked
    for start in range(1, len(labels) - 1):
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return False
        try:
            await lookup(".".join(labels[start:]), 443, left)
        except OSError:
            continue
        return True
    return False
