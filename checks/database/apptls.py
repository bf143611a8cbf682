"""DB002 for an app whose runtime client demands TLS in code (checks/project/runtimedb.py:
vercel/nextjs-postgres-auth-starter's app/db.ts appends `?sslmode=require` to POSTGRES_URL).
deploy-check's own connection follows the URL as it is; where that one went without TLS, it
connects once more as the app does, with sslmode=require, and fails when the server offers no TLS:
the app could not connect at all."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from checks.core.context import Context
from checks.core.db import open_connection
from checks.core.model import Outcome, Status, failed
from checks.core.readings import Reading
from checks.database.facts import ErrorKind, _server_reason, classify_error
from checks.project.model import RuntimeTlsFact
from checks.support.pgurl import InvalidDatabaseUrl


def requiring_tls(raw: str) -> str:
    """The URL `raw` with sslmode=require, as the app's client connects with it."""
    parts = urlsplit(raw)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "sslmode"]
    # quote, not urlencode's quote_plus: libpq decodes %XX only, so a space written `+` would
    # reach the server as `+` (`options=-c search_path=app` becoming `-c+search_path=app`).
    return urlunsplit(parts._replace(query=urlencode([*query, ("sslmode", "require")], quote_via=quote)))


def tls_problem(fact: RuntimeTlsFact, name: str, *, embedded: bool = False) -> tuple[str, str]:
    """(what fails, how to fix it) for a server without TLS under a client that demands it;
    `embedded`: deploy-check's own local PostgreSQL, whose binaries have no TLS to enable."""
    said = (f"the app's runtime client cannot connect to it: {fact.file} {fact.how}, so it requires TLS, "
            "which this server does not offer")
    hint = (f"For a local database, connect without TLS in {fact.file} (drop the sslmode suffix, or add it "
            f"only when {name} has no sslmode of its own)")
    server = ("; or use a PostgreSQL with TLS enabled" if embedded else
              ", or enable TLS on the server (ssl = on in postgresql.conf with a certificate)")
    return said, f"{hint}{server}."


def applies(fact: RuntimeTlsFact, reading: Reading, readings: list[Reading]) -> bool:
    """Whether the runtime client's demand concerns this reading of the app's database."""
    if reading.reader not in ("", "the app's runtime"):
        return False
    if fact.variable is not None:
        return reading.name == fact.variable
    runtime = [r for r in readings if r.reader == "the app's runtime"] or readings[:1]
    return reading in runtime


async def judge_app_tls(ctx: Context, readings: list[Reading], said: list[Outcome]) -> list[Outcome]:
    """DB002's outcome per reading, failed where the app's client demands TLS and a connection
    that requires it is refused; unchanged where deploy-check's connection already used TLS."""
    import psycopg  # start-up: only runs that reach a database load psycopg

    fact = ctx.model.runtime_tls
    if fact is None:
        return said
    judged = []
    for reading, outcome in zip(readings, said, strict=True):
        if outcome.status is Status.PASS and outcome.details.get("tls") is False and applies(fact, reading, readings):
            try:
                connection = await open_connection(ctx, reading=replace(reading, value=requiring_tls(reading.value)))
                await connection.close()
                outcome = replace(outcome, message=f"{outcome.message}; with TLS required, as {fact.file} "
                                                   "connects, it connects too")
            except (psycopg.Error, OSError, TimeoutError, InvalidDatabaseUrl) as exc:
                text = ctx.mask(str(exc))
                problem, hint = tls_problem(fact, reading.name)
                if classify_error(text) is not ErrorKind.TLS_UNAVAILABLE:
                    problem = (f"the app's runtime client, which requires TLS ({fact.file} {fact.how}), could "
                               f"not connect with TLS: {_server_reason(text) or type(exc).__name__}")
                outcome = failed(f"{outcome.message}, but {problem}", hint=hint, fix="",
                                 **{**outcome.details, "tls_required_by": fact.file})
        judged.append(outcome)
    return judged
