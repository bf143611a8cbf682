"""What the parser learns of one source file (plain, picklable data: a process pool sends
it back and the cache stores it as JSON), and what a rule reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Auth = Literal["yes", "no", "unknown"]


@dataclass(frozen=True)
class Site:
    line: int  # 1-based, as editors and SARIF count
    column: int  # 1-based


@dataclass(frozen=True)
class AwaitedCall:
    callee: str  # `posthog.capture`, `captureServerEvent`
    site: Site
    deferred: bool  # inside after()/unstable_after()/waitUntil(): runs after the response
    # Its value is kept (`return await f()`, `const x = await f()`): a read the response needs,
    # never fire-and-forget (inbox-zero's admin route returns Tinybird's analytics rows).
    value_used: bool = False


@dataclass(frozen=True)
class FetchCall:
    url: str  # `*` for each `${…}`
    auth: Auth  # does the call carry an Authorization header
    why: str  # when unknown: where the options come from
    site: Site


@dataclass(frozen=True)
class RawSql:
    api: str
    why: str
    site: Site
    certain: bool = True  # False: could be SQL, could be not (a receiver not known to be a SQL client)
    # Names other modules of the app export, which may settle the verdict (the judge follows
    # them): (specifier, exported name, strict, why open); and the other open reasons.
    imports: tuple[tuple[str, str, bool, str], ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnvRead:
    name: str
    site: Site
    # The top-level declaration whose function body holds the read ("default" for the
    # default export); None when it runs as the module loads.
    within: str | None = None
    held_by: str | None = None  # when it runs as the module loads: the declaration it is part of


@dataclass(frozen=True)
class LimitedTotal:
    total: str
    rows: str
    site: Site


@dataclass
class FileFacts:
    # local name -> (module specifier, imported name; "default" or "*" for those forms)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    import_sources: list[str] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    reads_authorization: Site | None = None
    # a session lookup (getServerSession, a session cookie by its name) in the same function as
    # the Authorization read: the token's fallback
    reads_session: Site | None = None
    answers_401: bool = False
    awaited: list[AwaitedCall] = field(default_factory=list)
    fetches: list[FetchCall] = field(default_factory=list)
    raw_sql: list[RawSql] = field(default_factory=list)
    env_reads: list[EnvRead] = field(default_factory=list)
    # a function that reads env (exported or not) -> the top-level declarations that use it (None:
    # the module's top level), so CODE005 can follow it to what a client module imports
    used_by: dict[str, list[str | None]] = field(default_factory=dict)
    hashes: bool = False  # computes a hash or a cohort
    limited_totals: list[LimitedTotal] = field(default_factory=list)
    # a session lookup (or what may be one) anywhere else: not known to be the token's fallback
    session_elsewhere: Site | None = None
    # local names imported as types only (`import type { A }`, `import { type B }`), and the
    # names this module exports as types (type aliases, interfaces, `export type { C }`): the
    # compiler erases such imports, so they carry no code into a client bundle
    type_names: list[str] = field(default_factory=list)
    type_exports: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Empty fields left out: most files have few facts, and the cache of a large tree
        is read back on every run."""
        return {key: value for key, value in asdict(self).items() if value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        """Straight-line, an absent field costing one dict lookup: an unchanged tree of
        5,000 files loads every entry on every run (bench/code.py)."""
        get = data.get
        imports, reader, session = get("imports"), get("reads_authorization"), get("reads_session")
        awaited, fetches, raw_sql = get("awaited"), get("fetches"), get("raw_sql")
        env_reads, totals, used_by = get("env_reads"), get("limited_totals"), get("used_by")
        return cls(
            {k: (v[0], v[1]) for k, v in imports.items()} if imports else {},
            list(get("import_sources") or ()),
            list(get("exports") or ()),
            _site(reader) if reader else None,
            _site(session) if session else None,
            bool(get("answers_401")),
            [AwaitedCall(a["callee"], _site(a["site"]), a["deferred"], a.get("value_used", False))
             for a in awaited] if awaited else [],
            [FetchCall(f["url"], f["auth"], f["why"], _site(f["site"])) for f in fetches] if fetches else [],
            [_raw_sql(r) for r in raw_sql] if raw_sql else [],
            [EnvRead(e["name"], _site(e["site"]), e.get("within"), e.get("held_by")) for e in env_reads] if env_reads else [],
            {k: list(v) for k, v in used_by.items()} if used_by else {},
            bool(get("hashes")),
            [LimitedTotal(t["total"], t["rows"], _site(t["site"])) for t in totals] if totals else [],
            _site(elsewhere) if (elsewhere := get("session_elsewhere")) else None,
            list(get("type_names") or ()),
            list(get("type_exports") or ()),
        )


def _raw_sql(raw: dict[str, Any]) -> RawSql:
    return RawSql(raw["api"], raw["why"], _site(raw["site"]), raw.get("certain", True),
                  tuple((m, n, bool(s), w) for m, n, s, w in raw.get("imports", ())), tuple(raw.get("reasons", ())))


def _site(raw: Any) -> Site:
    return Site(raw["line"], raw["column"])


@dataclass(frozen=True)
class Finding:
    file: str
    site: Site
    what: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.site.line}:{self.site.column}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.site.line, "column": self.site.column,
                "location": self.location, "what": self.what}
