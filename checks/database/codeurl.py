"""What the database family says of an app that builds its database URL in code instead of
reading one variable (checks/project/urlbuild.py; sebnun/langturbo's `getDatabaseUri()` from
POSTGRES_PASSWORD): deploy-check does not run the app's code, so it cannot connect as the app
does. DB001 fails when a variable the code needs (read with no fallback) is unset, and is
unverified otherwise, naming the code; it never judges a DATABASE_URL the app does not read.
And the runtime driver that cannot reach a plain PostgreSQL (checks/project/neondriver.py):
DB002 fails for it, naming the driver, its file, and what makes it work locally."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from checks.core.context import Context
from checks.core.model import Outcome, Status, failed, unverified
from checks.core.readings import Reading
from checks.project.model import RuntimeDriverFact
from checks.support.pgurl import InvalidDatabaseUrl, parse_database_url

# `next dev` sets NODE_ENV=development itself (Next.js docs, "Environment Variables": "Good to
# know: … NODE_ENV"): never a variable the user has to set.
SET_BY_THE_RUNTIME = frozenset({"NODE_ENV"})
# Hosts where Neon's proxy answers the serverless driver: Neon's endpoints (neon.com/docs/connect:
# ep-…<region>.aws.neon.tech) and Vercel Postgres's, which are Neon endpoints
# (ep-…-pooler.<region>.postgres.vercel-storage.com, Vercel's POSTGRES_URL).
NEON_HOST_SUFFIXES = (".neon.tech", ".postgres.vercel-storage.com")


def one_variable(builder: str) -> str:
    return f"for DB001–DB006 to check the database, have {builder} read one variable (`process.env.DATABASE_URL`)"


def judge_built_url(ctx: Context) -> Outcome:
    """DB001 where the URL is built in code (model.database_url_builder)."""
    model = ctx.model
    builder = str(model.database_url_builder)
    details: dict[str, Any] = {"builder": builder, "caller": model.database_url_caller,
                               "reads": model.database_url_reads}
    if not model.database_url_reads:
        return replace(unverified(f"database: {model.database_var_why}", **details),
                       hint=f"Read {builder} and set the variables it reads; {one_variable(builder)}.", fix="")
    needed = [name for name in model.database_url_reads
              if name not in model.database_url_defaulted and name not in SET_BY_THE_RUNTIME]
    missing = [name for name in needed if not ctx.value(name)]
    files = ", ".join(ctx.rel(loaded.path) for loaded in ctx.env_files) or ctx.rel(ctx.env_path)
    if missing:
        names = ", ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        return failed(f"{builder}, which {model.database_url_caller} calls for the database URL, reads {names}, "
                      f"which {verb} not set (neither in the process environment nor in {files}): the URL it "
                      f"builds has no {names}",
                      hint=f"Set {names} in {ctx.rel(ctx.env_path)} to the value of the database {builder} names "
                           f"(`deploy-check provision local-db` cannot: the app reads no one variable); "
                           f"{one_variable(builder)}.",
                      fix="", missing=missing, **details)
    return replace(unverified(
        f"database: {model.database_var_why.removesuffix(': there is no one variable to check')}; deploy-check "
        "does not run the app's code, so it cannot connect as the app does", **details),
        hint=f"Check that database with the app's own tools; {one_variable(builder)}.", fix="")


def neon_host(raw: str) -> bool | None:
    """Whether the URL `raw` names a Neon endpoint; None when it is no URL (DB001 says so)."""
    try:
        url = parse_database_url(raw)
    except InvalidDatabaseUrl:
        return None
    return all(host.lower().endswith(NEON_HOST_SUFFIXES) for host in url.hosts)


def driver_problem(driver: RuntimeDriverFact, name: str, host: str = "<host>") -> tuple[str, str]:
    """(what fails, what makes it work locally) for Neon's serverless driver on a URL that is
    not Neon's, where the app sets no proxy of its own."""
    if driver.transport == "http":
        reaches = (f"sends each query as an HTTPS request to https://{host}/sql on port 443 (the driver's "
                   "default fetchEndpoint)")
        local = ("or run an HTTP proxy for Neon's SQL-over-HTTP in front of this PostgreSQL and point "
                 "neonConfig.fetchEndpoint at it")
    else:
        reaches = (f"opens a WebSocket to wss://{host}/v2 on port 443 (the driver's default wsProxy), "
                   "where Neon's proxy listens")
        local = ("or run Neon's WebSocket proxy (github.com/neondatabase/wsproxy) in front of this PostgreSQL "
                 "and set neonConfig.wsProxy to it with neonConfig.useSecureWebSocket = false and "
                 "neonConfig.pipelineConnect = false")
    said = (f"the app's runtime client cannot use it: {driver.file} uses {driver.package} ({driver.what}), "
            f"which {reaches}, not PostgreSQL's port, and the app sets no neonConfig proxy option")
    hint = (f"Set {name} to a Neon database's URL (…neon.tech), {local} (the driver's CONFIG.md and "
            f"DEPLOY.md); or use a TCP driver (pg, postgres) for a plain PostgreSQL.")
    return said, hint


def judge_runtime_driver(ctx: Context, readings: list[Reading], said: list[Outcome]) -> list[Outcome]:
    """DB002's outcome per reading, failed where the app's runtime client (the only reading, or
    the runtime's) is Neon's serverless driver and the URL is not Neon's."""
    driver = ctx.model.runtime_driver
    if driver is None or driver.local_proxy is not None:
        return said
    runtime = [r for r in readings if r.reader == "the app's runtime"] or readings[:1]
    judged = []
    for reading, outcome in zip(readings, said, strict=True):
        if reading in runtime and outcome.status is Status.PASS and neon_host(reading.value) is False:
            host = str(outcome.details.get("host") or "<host>")
            problem, hint = driver_problem(driver, reading.name, host)
            outcome = failed(f"{outcome.message}, but {problem}", hint=hint, fix="",
                             **{**outcome.details, "driver": driver.package, "driver_file": driver.file})
        judged.append(outcome)
    return judged
