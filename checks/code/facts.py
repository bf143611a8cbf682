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


@dataclass(frozen=True)
class EnvRead:
    name: str
    site: Site


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
    answers_401: bool = False
    awaited: list[AwaitedCall] = field(default_factory=list)
    fetches: list[FetchCall] = field(default_factory=list)
    raw_sql: list[RawSql] = field(default_factory=list)
    env_reads: list[EnvRead] = field(default_factory=list)
    hashes: bool = False  # computes a hash or a cohort
    limited_totals: list[LimitedTotal] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Empty fields left out: most files have few facts, and the cache of a large tree
        is read back on every run."""
        return {key: value for key, value in asdict(self).items() if value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        def site(raw: Any) -> Site:
            return Site(**raw)

        def each(key: str) -> list[Any]:
            return list(data.get(key) or ())

        reader = data.get("reads_authorization")
        return cls(
            imports={k: (v[0], v[1]) for k, v in (data.get("imports") or {}).items()},
            import_sources=each("import_sources"),
            exports=each("exports"),
            reads_authorization=site(reader) if reader else None,
            answers_401=bool(data.get("answers_401")),
            awaited=[AwaitedCall(a["callee"], site(a["site"]), a["deferred"]) for a in each("awaited")],
            fetches=[FetchCall(f["url"], f["auth"], f["why"], site(f["site"])) for f in each("fetches")],
            raw_sql=[RawSql(r["api"], r["why"], site(r["site"])) for r in each("raw_sql")],
            env_reads=[EnvRead(e["name"], site(e["site"])) for e in each("env_reads")],
            hashes=bool(data.get("hashes")),
            limited_totals=[LimitedTotal(t["total"], t["rows"], site(t["site"])) for t in each("limited_totals")],
        )


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
