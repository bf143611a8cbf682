"""Looking a name up within a bound, and telling a missing host from a machine without
DNS: shared by the database, auth and Sentry checks. Apart from hosts.py, so that a run
which never resolves a name (env-only) does not load asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

# Reserved for documentation and kept resolving by IANA (RFC 2606 §3): it says DNS works
# here, and asking it tells nobody anything about the app.
CONTROL = "example.com"

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


async def resolves_other_names(host: str, timeout: float) -> bool:
    """Whether this machine resolves names, asked after `host` did not resolve, within
    `timeout` in all. Yes: the resolver works, so the host itself is missing (misspelled,
    deleted). No: this machine resolves nothing (an air-gapped CI runner, no DNS), which
    proves nothing about the app. `a.b.example.com` asks `b.example.com`, then
    `example.com` (never a top-level name alone); then a name that always resolves where
    DNS works (CONTROL): a misspelled domain (`acme-crop.com`) has no domain above it that
    resolves, and a two-label host (`sentyr.io`, `locahost`) none to ask."""
    labels = host.rstrip(".").split(".")
    names = [".".join(labels[start:]) for start in range(1, len(labels) - 1)] + [CONTROL]
    deadline = asyncio.get_running_loop().time() + timeout  # one bound for every name asked
    for name in names:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return False
        try:
            await lookup(name, 443, left)
        except OSError:
            continue
        return True
    return False
