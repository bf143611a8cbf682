"""CODE005's judgement: server secrets read by client code, public salts used in hashes."""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.code.collect import CodeFacts
from checks.code.facts import EnvRead, FileFacts, Finding
from checks.support.secrets import names_a_secret

PUBLIC = "NEXT_PUBLIC_"


@dataclass
class Reach:
    """How a file gets into the browser bundle: why, and which of its exports client modules
    import (`opaque` when one imports it whole: `import * as x`)."""

    why: str
    client: bool = False  # a 'use client' module itself: all of it runs in the browser
    names: set[str] = field(default_factory=set)
    opaque: bool = False


def client_reach(code: CodeFacts) -> dict[str, Reach]:
    """Each file that ends up in the browser bundle: a 'use client' module, or a local module
    one imports (one hop) that is not itself 'use server', unless it imports only types from it
    (`import type`, or names the module exports as types: the compiler erases the import)."""
    reach: dict[str, Reach] = {}
    for source in code.files:
        if source.said == "client":
            reach[source.path] = Reach("a 'use client' module", client=True)
    for source in code.files:
        if source.said != "client":
            continue
        facts = code.parsed[source.path]
        for specifier in facts.import_sources:
            local = code.resolve(source.path, specifier)
            if not local or code.by_path[local].said == "server":
                continue
            imported = [(alias, name) for alias, (origin, name) in facts.imports.items() if origin == specifier]
            type_exports = code.parsed[local].type_exports if local in code.parsed else []
            values = [name for alias, name in imported
                      if alias not in facts.type_names and name not in type_exports]
            if imported and not values:
                continue  # types only: erased by the compiler, nothing of the module is bundled
            entry = reach.setdefault(local, Reach(f"imported by the client module {source.path}"))
            for name in values:
                entry.opaque |= name == "*"
                entry.names.add(name)
    return reach


def client_secrets(code: CodeFacts) -> tuple[list[Finding], list[Finding], int]:
    """(findings, could-not-verify, client-side files)."""
    findings: dict[tuple[str, int, int], Finding] = {}
    unsure: dict[tuple[str, int, int], Finding] = {}
    reach = client_reach(code)
    for path, facts in code.parsed.items():
        for read in facts.env_reads:
            key = (path, read.site.line, read.site.column)
            if path in reach and names_a_secret(read.name) and not read.name.startswith(PUBLIC):
                entry = reach[path]
                verdict = _read_in_the_browser(read, entry, facts)
                what = f"process.env.{read.name} is a server secret, read in client code ({entry.why})"
                if verdict is True:
                    findings[key] = Finding(path, read.site, what)
                elif verdict is None:
                    where = f"{read.within}()" if read.within else f"`{read.held_by}` as the module loads"
                    unsure[key] = Finding(path, read.site, f"process.env.{read.name}, a server secret, is read in "
                                          f"{where}, in a module shared with client code ({entry.why}); "
                                          "whether the client uses it is not known")
            elif read.name.startswith(PUBLIC) and ("SALT" in read.name or "SECRET" in read.name) and facts.hashes:
                findings[key] = Finding(path, read.site, f"process.env.{read.name} is public (in the bundle), "
                                        "used in a hash or cohort computation")

    def ordered(found: dict[tuple[str, int, int], Finding]) -> list[Finding]:
        return sorted(found.values(), key=lambda f: (f.file, f.site.line, f.site.column))

    return ordered(findings), ordered(unsure), len(reach)


def _read_in_the_browser(read: EnvRead, reach: Reach, facts: FileFacts) -> bool | None:
    """A read in a function: whether that function runs in the browser. A read as the module
    loads runs there whenever a client imports the module; it is a fail when its value is
    the client's to take (the top level itself, an export, what the client imports), and
    could-not-verify when it feeds only functions the client does not use (papermark's
    `const analytics = process.env.JITSU_WRITE_KEY ? …` behind server-only trackAnalytics):
    undefined in the browser, yet there."""
    if read.within is not None or reach.client or read.held_by is None or read.held_by in facts.exports:
        return _runs_in_the_browser(read.within, reach, facts)
    return True if _runs_in_the_browser(read.held_by, reach, facts) else None


def _runs_in_the_browser(within: str | None, reach: Reach, facts: FileFacts,
                         seen: frozenset[str] = frozenset()) -> bool | None:
    """Whether a read in a client-side file runs in the browser: True, False, or None (the
    parser cannot tell). A module a client imports runs its top level there, and whatever
    function the client imports; a function it does not import, exported or not, runs where its
    callers are (papermark's lib/utils.ts: the client takes `cn`, only API routes call
    generateEncryptedPassword). Next.js inlines only NEXT_PUBLIC_ variables into the client
    bundle (nextjs.org/docs/app/guides/environment-variables#bundling-environment-variables-for-the-browser),
    so such a read is undefined in the browser, not a leak: no fail without certainty."""
    if reach.client or within is None or within in reach.names:
        return True
    if reach.opaque:
        return None  # `import * as utils`: which of its functions the client calls is not followed
    users = facts.used_by.get(within)
    if within in seen:
        return None
    if users is None:  # an export the client does not import, and that nothing here calls
        return False if within in facts.exports else None
    verdicts = [_runs_in_the_browser(user, reach, facts, seen | {within}) for user in users]
    return True if True in verdicts else None if None in verdicts else False
