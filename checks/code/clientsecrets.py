"""CODE005's judgement: server secrets read by client code, public salts used in hashes."""

from __future__ import annotations

from checks.code.collect import CodeFacts
from checks.code.facts import Finding
from checks.support.secrets import is_secret_name

PUBLIC = "NEXT_PUBLIC_"


def client_reach(code: CodeFacts) -> dict[str, str]:
    """Each file that ends up in the browser bundle -> why: a 'use client' module, or a
    local module one imports (one hop) that is not itself 'use server'."""
    reach: dict[str, str] = {}
    for source in code.files:
        if source.said != "client":
            continue
        reach.setdefault(source.path, "a 'use client' module")
        for specifier in code.parsed[source.path].import_sources:
            local = code.resolve(source.path, specifier)
            if local and code.by_path[local].said != "server":
                reach.setdefault(local, f"imported by the client module {source.path}")
    return reach


def client_secrets(code: CodeFacts) -> tuple[list[Finding], int]:
    findings: dict[tuple[str, int, int], Finding] = {}
    reach = client_reach(code)
    for path, facts in code.parsed.items():
        for read in facts.env_reads:
            key = (path, read.site.line, read.site.column)
            if path in reach and is_secret_name(read.name) and not read.name.startswith(PUBLIC):
                findings[key] = Finding(path, read.site, f"process.env.{read.name} is a server secret, "
                                        f"read in client code ({reach[path]})")
            elif read.name.startswith(PUBLIC) and ("SALT" in read.name or "SECRET" in read.name) and facts.hashes:
                findings[key] = Finding(path, read.site, f"process.env.{read.name} is public (in the bundle), "
                                        "used in a hash or cohort computation")
    return sorted(findings.values(), key=lambda f: (f.file, f.site.line, f.site.column)), len(reach)
