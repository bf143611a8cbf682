"""The dev server's addresses: a free loopback port to give it, the loopback URL a line of
its output names, and both address families for `localhost`."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

from checks.support.hosts import is_loopback

ANY_URL = re.compile(r"(https?://(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0):\d+)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def loopback_url(url: str) -> str | None:
    """The printed URL if it is a loopback one (never probe a Network: address). The whole
    URL is parsed: `http://127.0.0.1:1@192.0.2.2:4567` has a user name and goes elsewhere."""
    match = ANY_URL.match(url)
    if not match:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname or (
            parts.hostname != "0.0.0.0" and not is_loopback(parts.hostname)):  # noqa: S104
        return None
    return match.group(1).replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - a printed address


def candidates(url: str) -> list[str]:
    """`localhost` may resolve to ::1 first while the server listens on 127.0.0.1 only
    (DESIGN.md "Dev server notes"): probe both families."""
    if "://localhost" in url:
        return [url.replace("://localhost", "://127.0.0.1"), url.replace("://localhost", "://[::1]")]
    return [url]
