"""Where a host is: shared by the database, auth and dev-server checks."""

from __future__ import annotations

import ipaddress


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
