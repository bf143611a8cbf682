"""Env family: `.env.local` against `.env.local.example` (DESIGN.md ENV001–ENV008)."""

from __future__ import annotations

import re
from typing import Any

from checks.context import Context
from checks.evidence import run_git
from checks.model import Outcome, Spec, failed, passed, skipped, warned
from checks.registry import check

FIX_ENV = "deploy-check provision env"

ENV001 = Spec(
    "ENV001", "env", "An env file supplies the app's variables",
    "The app reads its configuration from `.env.local` (or the process environment, which "
    "wins, as in Next.js). Without either, nothing else can be configured.",
    "Create .env.local from .env.local.example.", FIX_ENV,
)
ENV002 = Spec(
    "ENV002", "env", "An .env.local.example documents the variables",
    "The example file is the contract of which variables the app needs; without it no "
    "required variable can be checked.",
    "Commit a .env.local.example listing every variable, with `# Optional` markers.",
)
ENV003 = Spec(
    "ENV003", "env", "Required variables are filled",
    "Every key of the example that is not marked optional must have a non-empty value in "
    "the process environment or `.env.local`.",
    "Fill them in .env.local (see .env.local.example).", FIX_ENV,
)
ENV004 = Spec(
    "ENV004", "env", "No value is a placeholder",
    "Values such as `your-api-key`, `<password>`, `changeme`, `xxxx` or "
    "`user:password@host` are copied from docs, not provisioned.",
    "Replace each placeholder with the real value from the provider's console.",
)
ENV005 = Spec(
    "ENV005", "env", "Every variable in .env.local is documented",
    "A key in `.env.local` that the example does not list is invisible to the next "
    "engineer and to CI (warning).",
    "Add the key to .env.local.example (mark it `# Optional` if it is).",
)
ENV006 = Spec(
    "ENV006", "env", ".env.local is ignored by git",
    "`.env.local` holds secrets; it must be git-ignored and never tracked.",
    "Add `.env*.local` to .gitignore; if tracked, run `git rm --cached .env.local` and "
    "rotate every secret it held.",
)
ENV007 = Spec(
    "ENV007", "env", "No server secret is exposed through NEXT_PUBLIC_",
    "Next.js inlines every `NEXT_PUBLIC_*` variable into the browser bundle; a name that "
    "says SECRET, SALT, TOKEN, PASSWORD, PRIVATE or SERVICE_ROLE is a secret sent to "
    "every visitor.",
    "Rename the key without NEXT_PUBLIC_ and read it on the server only; rotate the value.",
)
ENV008 = Spec(
    "ENV008", "env", "Env files are well-formed",
    "A malformed line is silently dropped by dotenv and a duplicate key silently takes "
    "the last value: both hide what the app really sees.",
    "Fix or remove the listed lines so each key is assigned once.",
)

# DESIGN.md ENV004; `[YOUR-PASSWORD]` is how Supabase's dashboard shows connection strings.
PLACEHOLDER = re.compile(
    r"""\byour[-_ ]|\[your|<[^<>]*>|\bchange[-_ ]?me\b|\breplace[-_ ]?me\b|\bplaceholder\b"""
    r"""|x{4,}|\buser(?:name)?:pass(?:word)?@|@host(?:name)?(?=[:/]|$)|\.\.\.|^\s*(?:todo|tbd|fixme)\s*$""",
    re.IGNORECASE,
)
PUBLIC_SECRET_NAME = re.compile(
    r"SECRET|SALT|TOKEN|PASSWORD|PASSWD|PRIVATE|SERVICE_ROLE|CREDENTIAL", re.IGNORECASE
)
MONITORING_KEY = re.compile(r"SENTRY", re.IGNORECASE)


def is_placeholder(value: str) -> bool:
    return bool(value.strip()) and bool(PLACEHOLDER.search(value))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def monitoring_waived(ctx: Context) -> bool:
    return ctx.monitoring_deferral is not None or not ctx.config.sentry_required


def required_keys(ctx: Context) -> list[str]:
    """Keys the example requires, less the Sentry keys while monitoring is deferred."""
    example = ctx.example.parsed
    if example is None:
        return []
    keys = example.required_keys
    if monitoring_waived(ctx):
        keys = [key for key in keys if not MONITORING_KEY.search(key)]
    return keys


@check(ENV001)
def env_file_present(ctx: Context) -> Outcome:
    loaded = ctx.env_local
    name = ctx.env_path.name
    if loaded.error:
        return failed(f"{loaded.error}", file=str(ctx.env_path))
    if loaded.parsed is not None:
        return passed(f"{name} found with {_plural(len(loaded.parsed.keys), 'key')}",
                      file=str(ctx.env_path), keys=len(loaded.parsed.keys))
    required = required_keys(ctx)
    missing = [key for key in required if not ctx.environ.get(key, "").strip()]
    if ctx.example.parsed is not None and not missing:
        return passed(f"no {name}; the process environment supplies all "
                      f"{_plural(len(required), 'required key')}", source="process environment")
    return failed(f"no {name} in {ctx.project}, and the process environment does not supply "
                  f"the required keys", file=str(ctx.env_path), missing=missing)


@check(ENV002)
def example_present(ctx: Context) -> Outcome:
    loaded = ctx.example
    if loaded.error:
        return failed(loaded.error, file=str(ctx.example_path))
    if loaded.parsed is None:
        return warned(f"no {ctx.example_path.name} in {ctx.project}: required variables "
                      "cannot be checked", file=str(ctx.example_path))
    example = loaded.parsed
    return passed(f"{ctx.example_path.name} documents {_plural(len(example.keys), 'key')} "
                  f"({len(example.optional_keys)} optional)",
                  keys=len(example.keys), optional=sorted(example.optional_keys))


@check(ENV003)
def required_filled(ctx: Context) -> Outcome:
    if ctx.example.parsed is None:
        return skipped(f"no {ctx.example_path.name} to say which keys are required")
    required = required_keys(ctx)
    missing = [key for key in required if key not in ctx.env]
    empty = [key for key in required if key in ctx.env and not ctx.value(key)]
    waived_keys = sorted(set(ctx.example.parsed.required_keys) - set(required))
    details: dict[str, Any] = {"missing": missing, "empty": empty}
    if waived_keys:
        details["waived"] = waived_keys
    gaps = missing + empty
    if gaps:
        return failed(f"{_plural(len(gaps), 'required variable')} "
                      f"{'is' if len(gaps) == 1 else 'are'} missing or empty: {', '.join(gaps)}",
                      **details)
    note = f" ({len(waived_keys)} Sentry keys waived by the Decisions Log)" if waived_keys else ""
    return passed(f"all {_plural(len(required), 'required variable')} are filled{note}", **details)


def _keys_in_play(ctx: Context) -> list[str]:
    """Keys the project itself names: those in .env.local and the example."""
    keys: dict[str, None] = {}
    for loaded in (ctx.env_local, ctx.example):
        if loaded.parsed:
            keys.update(dict.fromkeys(loaded.parsed.keys))
    return list(keys)


@check(ENV004)
def no_placeholders(ctx: Context) -> Outcome:
    keys = [key for key in _keys_in_play(ctx) if key in ctx.env]
    if not keys:
        return skipped("no variables to inspect")
    offending = [key for key in keys if is_placeholder(ctx.env[key])]
    if offending:
        return failed(f"{_plural(len(offending), 'value')} "
                      f"{'is a placeholder' if len(offending) == 1 else 'are placeholders'}: "
                      f"{', '.join(offending)}", keys=offending)
    return passed(f"none of {_plural(len(keys), 'value')} is a placeholder", keys=[])


@check(ENV005)
def documented(ctx: Context) -> Outcome:
    local, example = ctx.env_local.parsed, ctx.example.parsed
    if local is None:
        return skipped(f"no {ctx.env_path.name} to compare")
    if example is None:
        return skipped(f"no {ctx.example_path.name} to compare with")
    undocumented = [key for key in local.keys if key not in set(example.keys)]
    if undocumented:
        return warned(f"{_plural(len(undocumented), 'key')} in {ctx.env_path.name} "
                      f"{'is' if len(undocumented) == 1 else 'are'} not in "
                      f"{ctx.example_path.name}: {', '.join(undocumented)}", keys=undocumented)
    return passed(f"every key in {ctx.env_path.name} is documented", keys=[])


@check(ENV006)
def ignored_by_git(ctx: Context) -> Outcome:
    top = run_git(ctx.project, "rev-parse", "--show-toplevel")
    if top is None:
        return skipped("git is not available to ask")
    if top.returncode != 0:
        return skipped(f"{ctx.project} is not inside a git work tree")
    name = ctx.env_path.name
    tracked = run_git(ctx.project, "ls-files", "--error-unmatch", "--", str(ctx.env_path))
    if tracked is not None and tracked.returncode == 0:
        return failed(f"{name} is tracked by git: its secrets are in the repository history",
                      fix=f"git rm --cached {name}", tracked=True, ignored=False)
    ignored = run_git(ctx.project, "check-ignore", "--quiet", "--no-index", "--", str(ctx.env_path))
    if ignored is not None and ignored.returncode == 1:
        return failed(f"{name} is not ignored by git: `git add .` would commit it",
                      tracked=False, ignored=False)
    if ignored is None or ignored.returncode != 0:
        return skipped(f"git check-ignore failed: {(ignored.stderr if ignored else '').strip()}")
    return passed(f"{name} is ignored by git and not tracked", tracked=False, ignored=True)


@check(ENV007)
def no_public_secrets(ctx: Context) -> Outcome:
    names = set(_keys_in_play(ctx)) | {k for k in ctx.environ if k.startswith("NEXT_PUBLIC_")}
    public = sorted(key for key in names if key.startswith("NEXT_PUBLIC_"))
    exposed = [key for key in public if PUBLIC_SECRET_NAME.search(key.removeprefix("NEXT_PUBLIC_"))]
    if exposed:
        return failed(f"{_plural(len(exposed), 'NEXT_PUBLIC_ key')} "
                      f"{'looks' if len(exposed) == 1 else 'look'} like a server secret: "
                      f"{', '.join(exposed)}", keys=exposed)
    return passed(f"{_plural(len(public), 'NEXT_PUBLIC_ key')} checked, none looks secret", keys=[])


@check(ENV008)
def well_formed(ctx: Context) -> Outcome:
    problems: dict[str, dict[str, object]] = {}
    findings: list[str] = []
    for loaded in (ctx.env_local, ctx.example):
        parsed = loaded.parsed
        if parsed is None:
            continue
        name = loaded.path.name
        if parsed.malformed:
            lines = ", ".join(str(n) for n in parsed.malformed)
            findings.append(f"{name} has malformed line{'s' if len(parsed.malformed) > 1 else ''} {lines}")
        for key, lines_of_key in parsed.duplicates.items():
            findings.append(f"{name} assigns {key} {len(lines_of_key)} times "
                            f"(lines {', '.join(map(str, lines_of_key))})")
        if parsed.malformed or parsed.duplicates:
            problems[name] = {"malformed_lines": parsed.malformed, "duplicates": parsed.duplicates}
    if findings:
        return failed("; ".join(findings), files=problems)
    if ctx.env_local.parsed is None and ctx.example.parsed is None:
        return skipped("no env file to read")
    return passed("env files parse cleanly, each key assigned once", files={})
