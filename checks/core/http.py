"""One bounded HTTP GET for the service checks (Sentry, auth providers): the whole
exchange has a deadline, the body a size cap, and redirects are followed by hand only
within the same origin, so a credential never travels to another host."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from checks.core.context import Context
from checks.support.hosts import is_loopback
from checks.support.resolve import resolves_other_names

MAX_BODY = 1 << 20  # 1 MiB: a JWKS or a Sentry project is a few KiB
MAX_REDIRECTS = 5


@dataclass
class Fetched:
    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    problem: str | None = None  # timeout, unreachable, too large, redirect…
    problem_kind: str | None = None

    def json(self) -> Any:
        """The body as JSON; raises ValueError with a plain message when it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            start = self.body[:60].decode("utf-8", "replace").replace("\n", " ")
            raise ValueError(f"answered {self.status} with a body that is not JSON ({start!r}…)") from None


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


async def _once(ctx: Context, url: str, headers: dict[str, str], max_body: int) -> Fetched:
    import httpx  # start-up: only runs that make a request load httpx

    fetched = Fetched(url)
    try:
        async with ctx.http().stream("GET", url, headers=headers) as response:
            fetched.status = response.status_code
            fetched.headers = {k.lower(): v for k, v in response.headers.items()}
            chunks: list[bytes] = []
            size = 0
            # Decoded bytes: the cap also holds against a compressed bomb.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_body:
                    fetched.problem_kind = "too_large"
                    fetched.problem = f"the response is larger than {max_body // 1024} KiB; not read further"
                    return fetched
                chunks.append(chunk)
            fetched.body = b"".join(chunks)
    except httpx.TimeoutException:
        fetched.problem_kind, fetched.problem = "timeout", f"no answer within {ctx.timeout:g} s"
    except httpx.HTTPError as exc:
        fetched.problem_kind = network_kind(exc)
        fetched.problem = ctx.mask(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        host = urlsplit(url).hostname or ""
        if fetched.problem_kind == "dns":
            fetched.problem_kind = "no_host" if await resolves_other_names(host, ctx.timeout) else "no_dns"
    return fetched


# What getaddrinfo and connect() say (glibc/musl/macOS texts, errno names) for the two
# failures a user fixes differently from "the credentials are wrong".
DNS_FAILURE = ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
               "no address associated", "name does not resolve", "getaddrinfo failed", "errno -2]",
               "errno -3]", "errno -5]", "errno 8]")
REFUSED = ("connection refused", "errno 111]", "errno 61]", "connect call failed")
# OpenSSL's reason codes, as Python's ssl errors print them (`[SSL: CERTIFICATE_VERIFY_FAILED] …`),
# for the TLS failures met on the way to a hosted API, each with what it usually means.
TLS_REASONS = (
    ("CERTIFICATE_VERIFY_FAILED", "the certificate it presented is not trusted here: a proxy or antivirus "
                                  "that intercepts TLS presents its own, or the server's is self-signed or expired"),
    ("WRONG_VERSION_NUMBER", "what answers there does not speak TLS: a plain-HTTP server or proxy behind an "
                             "https:// URL, or the wrong port"),
    ("HANDSHAKE_FAILURE", "no TLS version or cipher in common: an old server, or a proxy that intercepts TLS"),
)
TLS_MARKER = re.compile(r"\[SSL(?:: (\w+))?\]\s*([^(]*?)\s*(?:\(_ssl\.c:\d+\))?$", re.IGNORECASE)


def network_kind(exc: BaseException) -> str:
    """dns, refused, tls or unreachable: each has its own fix. httpx (through anyio) wraps the
    socket's error in "All connection attempts failed": the cause chain keeps it. tls: the
    connection was made and the handshake failed, so nothing (no credential) was sent."""

    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, socket.gaierror) for e in chain):
        return "dns"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "refused"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "tls"
    text = " ".join(str(e) for e in chain).lower()
    if "[ssl" in text:  # httpx's ConnectError repeats OpenSSL's text without the SSLError itself
        return "tls"
    if any(marker in text for marker in DNS_FAILURE):
        return "dns"
    if any(marker in text for marker in REFUSED):
        return "refused"
    return "unreachable"


def tls_reason(problem: str) -> str:
    """A TLS failure in plain words, with OpenSSL's own text: `certificate verify failed: unable
    to get local issuer certificate (the certificate it presented is not trusted here: …)`."""
    found = TLS_MARKER.search(problem)
    code = (found.group(1) or "").upper() if found else ""
    said = (found.group(2) if found else "") or problem
    meaning = next((words for reason, words in TLS_REASONS if reason in code or reason in problem.upper()), None)
    return f"{said} ({meaning})" if meaning else said


def network_hint(fetched: Fetched, service: str, local_start: str | None = None) -> str | None:
    """The hint for a network failure, by kind; None when the failure is not one."""

    parts = urlsplit(fetched.url)
    host = parts.hostname or "?"
    where = f"{host}:{parts.port}" if parts.port else host
    if fetched.problem_kind == "refused":
        if is_loopback(host):
            start = f" ({local_start})" if local_start else ""
            return f"Nothing listens at {where}: start the local {service}{start}, or fix the port in the URL."
        return f"{where} refused the connection: the port in the URL is wrong or {service} is down there."
    if fetched.problem_kind == "dns":
        return (f"The host name {host} does not resolve from here: it is misspelled, or this machine "
                "cannot reach that network (DNS, VPN, an air-gapped CI runner).")
    if fetched.problem_kind == "no_host":
        return (f"The host name {host} does not resolve, while this machine resolves other names: it is misspelled, "
                "what it named (a project, a tenant) was deleted, or it is a private name only a VPN resolves.")
    if fetched.problem_kind == "no_dns":
        return (f"This machine resolves neither {host} nor any other name it asked: it has no working DNS "
                "(an air-gapped CI runner, a VPN that is down), so nothing was asked; run the check where "
                f"{service} can be reached.")
    if fetched.problem_kind == "timeout":
        return (f"{service} at {where} did not answer in time: it is slow or a firewall drops the "
                "traffic; retry with a higher --timeout, or check the network path.")
    if fetched.problem_kind == "tls":
        return (f"The TLS handshake with {where} ({service}) failed, so nothing was sent and no credential was "
                "judged: run the check on a network that does not intercept TLS, or fix the URL's port or scheme.")
    if fetched.problem_kind == "unreachable":
        return f"{where} could not be reached ({service}); the message says why."
    return None


async def fetch(ctx: Context, url: str, *, headers: dict[str, str] | None = None,
                max_body: int = MAX_BODY) -> Fetched:
    """GET `url`. Same-origin redirects are followed (with the headers); a redirect to
    another origin is not (the answer says where it pointed); a loop ends after
    MAX_REDIRECTS. The whole exchange is bounded by the run's --timeout."""
    headers = headers or {}

    async def follow() -> Fetched:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            fetched = await _once(ctx, current, headers, max_body)
            if fetched.problem or fetched.status not in (301, 302, 303, 307, 308):
                return fetched
            target = urljoin(current, fetched.headers.get("location", ""))
            if origin(target) != origin(current):
                host = urlsplit(target).netloc
                fetched.problem_kind = "cross_host_redirect"
                fetched.problem = (f"redirected ({fetched.status}) to another host, {host}; not "
                                   "followed, so credentials stay with the configured host")
                return fetched
            current = target
        fetched.problem_kind = "redirect_loop"
        fetched.problem = f"more than {MAX_REDIRECTS} redirects (a redirect loop?)"
        return fetched

    try:
        return await asyncio.wait_for(follow(), ctx.timeout)
    except TimeoutError:
        return Fetched(url, problem_kind="timeout", problem=f"no complete answer within {ctx.timeout:g} s")
