"""Whether the app's runtime client is Neon's serverless driver, which cannot talk to a plain
PostgreSQL by itself. `@neondatabase/serverless` sends `neon()` queries as HTTPS requests to
`https://<host>/sql` and opens `Pool`/`Client` sessions as WebSockets to `wss://<host>/v2`
(the driver's CONFIG.md: defaults of `fetchEndpoint` and `wsProxy`), both on port 443 of the
URL's host, where Neon's proxy listens; a local PostgreSQL answers neither (TECH-JBPORTALS/
Tascboard src/server/db/index.ts: `new Pool({ connectionString: env.DATABASE_URL })` under
drizzle-orm/neon-serverless failed every query with ECONNREFUSED 127.0.0.1:443). An app that
routes the driver itself (`neonConfig.wsProxy`, `fetchEndpoint`, `fetchFunction`,
`useSecureWebSocket`: CONFIG.md "Advanced configuration", for "non-Neon Postgres instances via
self-hosted WebSocket proxies") is taken at its word."""

from __future__ import annotations

from pathlib import Path

from checks.project import detectors as d
from checks.project.logins import COMMENT, MAX_SOURCE_BYTES, _sources
from checks.project.model import RuntimeDriverFact
from checks.project.reading import read_small, relative
from checks.support.lazyre import lazy

NEON_PACKAGE = "@neondatabase/serverless"
# drizzle-orm's adapters of it (orm.drizzle.team/docs/connect-neon): neon-http wraps neon(),
# neon-serverless wraps Pool/Client.
DRIZZLE_NEON = {"drizzle-orm/neon-http": "http", "drizzle-orm/neon-serverless": "websocket"}
IMPORTED = lazy(r"""(?:\bfrom\s*|\brequire\s*\(\s*)["'](?P<module>@neondatabase/serverless|drizzle-orm/neon-(?:http|serverless))["']""")
WEBSOCKET_CLIENT = lazy(r"\bnew\s+(?:Pool|Client)\s*\(")
# The neonConfig options that point the driver elsewhere than Neon's proxy (CONFIG.md).
LOCAL_PROXY = lazy(r"\bneonConfig\s*\.\s*(?P<option>wsProxy|fetchEndpoint|fetchFunction|useSecureWebSocket)\s*=(?!=)")


def runtime_driver(root: Path, homes: list[Path]) -> RuntimeDriverFact | None:
    """Neon's serverless driver as the app's runtime module (detectors.RUNTIME_DB_FILES) uses
    it, with the neonConfig option that routes it locally where the app's source sets one."""
    for home in homes:
        for name in d.RUNTIME_DB_FILES:
            text = COMMENT.sub("", read_small(home / name) or "")
            modules = [found["module"] for found in IMPORTED.finditer(text)]
            if not modules:
                continue
            adapter = next((module for module in modules if module in DRIZZLE_NEON), None)
            if adapter is not None:
                transport = DRIZZLE_NEON[adapter]
                what = f"{'neon()' if transport == 'http' else 'Pool/Client'} through {adapter}"
            else:
                transport = "websocket" if WEBSOCKET_CLIENT.search(text) else "http"
                what = "Pool/Client" if transport == "websocket" else "neon()"
            where = relative(root, home / name)
            return RuntimeDriverFact(NEON_PACKAGE, where, transport, what, _local_proxy(root, home / name, text))
    return None


def _local_proxy(root: Path, module: Path, text: str) -> str | None:
    """"neonConfig.wsProxy in lib/db.ts": where the app sets an option that routes the driver
    to a proxy of its own; the runtime module first, then any source file naming neonConfig."""
    found = LOCAL_PROXY.search(text)
    if found is not None:
        return f"neonConfig.{found['option']} in {relative(root, module)}"
    for path in _sources(root):
        source = read_small(path, MAX_SOURCE_BYTES) or ""
        if "neonConfig" in source and (found := LOCAL_PROXY.search(COMMENT.sub("", source))) is not None:
            return f"neonConfig.{found['option']} in {relative(root, path)}"
    return None
