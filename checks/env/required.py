"""Which variables the app needs filled, and where each one goes.

Each example describes the env file it is named after (Context.example_target); Next.js
merges the files it loads, so a key any example requires must have a value in what `next dev`
sees, whichever file holds it. The app's own t3-env schema (checks/project/t3env.py) has the
last word on the keys it declares: createEnv throws at start-up on a missing required key and
takes a missing `.optional()` / `.default(…)` one.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from checks.core.context import Context, LoadedEnvFile
from checks.project.detectors import SENTRY_BUILD_PLUGIN_KEYS, SENTRY_WIZARD_ENV_FILE
from checks.support.envfile import read_env_file
from checks.support.lazyre import lazy

MONITORING_KEY = lazy(r"SENTRY", re.IGNORECASE)
# Set by Next.js itself (`next dev` sets NODE_ENV=development; next.js packages/next/src/bin/next.ts),
# never by an env file: a createEnv `NODE_ENV: z.enum([…])` without a default needs nothing.
SET_BY_NEXT = frozenset({"NODE_ENV"})


@dataclass
class Requirements:
    keys: list[str] = field(default_factory=list)  # what must be filled, in the examples' order
    # A key no example requires that the app's createEnv requires (key -> its file).
    by_schema: dict[str, str] = field(default_factory=dict)
    # A key an example requires that the app's createEnv lets be missing (key -> its file).
    relaxed: dict[str, str] = field(default_factory=dict)
    waived: list[str] = field(default_factory=list)  # Sentry keys, while monitoring is waived
    # The example that requires each key (its first), so a gap is named with its file.
    example_of: dict[str, LoadedEnvFile] = field(default_factory=dict)


def monitoring_waived(ctx: Context) -> bool:
    """One rule for every kind of waiver of the Sentry requirements: a Decisions Log
    deferral, `[sentry] required = false`, or an active `[[waivers]]` covering SENTRY001."""

    return (ctx.monitoring_deferral is not None or ctx.config.sentry_required is False
            or any(fnmatch.fnmatchcase("SENTRY001", w.check) and not w.expired(ctx.today)
                   for w in ctx.config.waivers))


def requirements(ctx: Context) -> Requirements:
    """The keys every example in use requires, judged by the app's createEnv schema where it
    declares them, less the Sentry keys while monitoring is deferred. Nothing without an example."""
    found = Requirements()
    examples = [e for e in ctx.examples if e.parsed is not None]
    if not examples:
        return found
    model = ctx.model
    for example in examples:
        assert example.parsed is not None
        for key in example.parsed.required_keys:
            if key in model.env_schema_optional:
                found.relaxed.setdefault(key, model.env_schema_optional[key])
            else:
                found.example_of.setdefault(key, example)
    found.keys = list(found.example_of)
    for key, file_name in model.env_schema_required.items():
        if key not in found.example_of and key not in SET_BY_NEXT:
            found.keys.append(key)
            found.by_schema[key] = file_name
    if monitoring_waived(ctx):
        found.waived = [key for key in found.keys if MONITORING_KEY.search(key)]
        found.keys = [key for key in found.keys if key not in found.waived]
    return found


def filled_for_the_build_plugin(ctx: Context, keys: list[str]) -> list[str]:
    """The keys among `keys` the Sentry build plugin reads that the wizard's
    .env.sentry-build-plugin fills: the plugin loads that file itself, over the env files."""
    wanted = [key for key in keys if key in SENTRY_BUILD_PLUGIN_KEYS]
    path = ctx.path(SENTRY_WIZARD_ENV_FILE)
    if not wanted or not path.is_file():
        return []
    try:
        values = read_env_file(path).values
    except (OSError, UnicodeDecodeError):
        return []
    return [key for key in wanted if values.get(key, "").strip()]


def required_keys(ctx: Context) -> list[str]:
    return requirements(ctx).keys


def documented_keys(ctx: Context) -> set[str]:
    """Every key some example in use lists, also commented out (`# DEFAULT_LLMS=…`, the
    way inbox-zero's .env.example documents its optional settings)."""
    return {key for e in ctx.examples if e.parsed is not None for key in (*e.parsed.keys, *e.parsed.commented)}


def example_names(ctx: Context) -> str:
    """The examples in use as messages name them (`.env.local.example and .env.example`)."""
    return " and ".join(ctx.rel(e.path) for e in ctx.examples)


def where_to_fill(ctx: Context, keys: list[str], reqs: Requirements) -> str:
    """"Fill them in .env.local (see .env.local.example)", or, with two examples, each group
    of keys with the env file its example describes."""
    groups: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        example = reqs.example_of.get(key)
        target = ctx.rel(ctx.example_target(example)) if example else ctx.rel(ctx.env_path)
        source = ctx.rel(example.path) if example else reqs.by_schema.get(key, ctx.rel(ctx.example_path))
        groups.setdefault((target, source), []).append(key)
    if len(groups) == 1:
        (target, source), = groups
        return f"Fill them in {target} (see {source})."
    return "Fill " + "; ".join(f"{', '.join(group)} in {target} (see {source})"
                               for (target, source), group in groups.items()) + "."
