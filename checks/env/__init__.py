"""Env family: `.env.local` against `.env.local.example` (DESIGN.md ENV001–ENV008)."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

from checks.core.context import Context, _load
from checks.core.evidence import git_toplevel, run_git
from checks.core.model import Outcome, failed, listed, passed, plural, skipped, warned
from checks.core.registry import check
from checks.env.catalogue import ENV001, ENV002, ENV003, ENV004, ENV005, ENV006, ENV007, ENV008
from checks.env.gitignore import untrack_and_ignore
from checks.project.detectors import EXAMPLE_FILES, NEXT_DEV_ENV_FILES, SECRET_ENV_FILES
from checks.support.lazyre import lazy
from checks.support.placeholders import is_placeholder
from checks.support.secrets import has_token_shape, is_secret_name, secret_by_name, url_password

PUBLIC_SECRET_NAME = lazy(
    r"SECRET|SALT|TOKEN|PASSWORD|PASSWD|PRIVATE|SERVICE_ROLE|CREDENTIAL|JWT|SIGNING|(?:^|_)SK(?:_|$)",
    re.IGNORECASE,
)


def _jwt_role(value: str) -> str | None:
    """The `role` claim of a Supabase key (a JWT): anon is public by design."""

    parts = value.strip().split(".")
    if len(parts) != 3 or not parts[0].startswith("eyJ"):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    role = payload.get("role") if isinstance(payload, dict) else None
    return role if isinstance(role, str) else None


def public_by_design(value: str) -> bool:
    """Values made to be shipped to browsers: Stripe and Clerk publishable keys (pk_),
    Supabase's anon key, a Firebase web API key (AIza…), a Sentry DSN (a public key and no
    secret), a Stack publishable client key (pck_)."""
    value = value.strip()
    if value.startswith(("pk_live_", "pk_test_", "pck_", "AIza", "sb_publishable_")):
        return True
    if _jwt_role(value) == "anon":
        return True
    return bool(re.fullmatch(r"https://[0-9a-f]{32}@[\w.-]+/\d+", value))


def secret_by_value(value: str) -> bool:
    if not value.strip() or public_by_design(value):
        return False
    return bool(has_token_shape(value) or url_password(value) or _jwt_role(value) == "service_role")
MONITORING_KEY = lazy(r"SENTRY", re.IGNORECASE)


def copied_from_example(ctx: Context, key: str) -> bool:
    """A secret-named value identical to the committed example's is published, not secret
    (`NEXTAUTH_SECRET=my-superstrong-secret` copied from .env.example). A value that is no
    secret (a region under NEXT_PRIVATE_, a JWT issuer, an id, a NEXT_PUBLIC_ key such as the
    local Supabase anon key) may be copied as is."""

    example = ctx.example.parsed
    if example is None:
        return False
    shown = (example.values.get(key) or "").strip()
    return (bool(shown) and ctx.value(key) == shown and secret_by_name(key, shown)
            and not public_by_design(shown))


def names(ctx: Context) -> tuple[str, str]:
    """(env file, example file) as messages name them: the files really in use."""
    return ctx.rel(ctx.env_path), ctx.rel(ctx.example_path)


_plural = plural


def monitoring_waived(ctx: Context) -> bool:
    """One rule for every kind of waiver of the Sentry requirements: a Decisions Log
    deferral, `[sentry] required = false`, or an active `[[waivers]]` covering SENTRY001."""

    return (ctx.monitoring_deferral is not None or ctx.config.sentry_required is False
            or any(fnmatch.fnmatchcase("SENTRY001", w.check) and not w.expired(ctx.today)
                   for w in ctx.config.waivers))


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
    env_name, example_name = names(ctx)
    errors = [f.error for f in ctx.env_files if f.error]
    if ctx.env_local.error and ctx.env_local.error not in errors:
        errors.append(ctx.env_local.error)
    if errors:
        return failed("; ".join(errors), file=env_name)
    loaded = [f for f in ctx.env_files if f.parsed is not None]
    if loaded:
        files = ", ".join(f"{ctx.rel(f.path)} ({_plural(len(f.parsed.keys), 'key')})"
                          for f in loaded if f.parsed is not None)
        return passed(f"loaded, highest priority first: {files}",
                      files=[ctx.rel(f.path) for f in loaded])
    required = required_keys(ctx)
    missing = [key for key in required if not ctx.environ.get(key, "").strip()]
    if ctx.example.parsed is not None and not missing:
        return passed(f"no env file; the process environment supplies all "
                      f"{_plural(len(required), 'required key')}", source="process environment")
    looked = env_name if ctx.env_pinned else ", ".join(NEXT_DEV_ENV_FILES)
    if ctx.example.parsed is None:
        # Without an example only the variables the app's own files name are known to be
        # needed (its database client's); an app that reads none from an env file (Sentry's
        # wizard writes the DSN into its config files) has no gap deploy-check can prove.
        model = ctx.model
        known = [var for var in (model.database_var, model.second_database_var) if var]
        missing = [var for var in known if not ctx.environ.get(var, "").strip()]
        hint = (f"Create {env_name} with the variables the app reads, and commit {example_name} "
                "listing them (without values) for the next engineer.")
        if not missing:
            return skipped(f"no env file in {ctx.project} (looked for {looked}) and no env example "
                           "to say which variables the app reads; none that deploy-check knows of "
                           "is needed from one", hint=hint, file=env_name)
        # `provision env` starts from an example: without one it would only fail when pasted.
        return failed(f"no env file in {ctx.project} (looked for {looked}), and no env example "
                      f"to create one from; the app needs {', '.join(missing)} "
                      f"({model.database_var_why or 'its database client'})", fix="",
                      hint=hint, file=env_name, missing=missing)
    return failed(f"no env file in {ctx.project} (looked for {looked}), and the process "
                  f"environment does not supply the required keys",
                  hint=f"Create {env_name} from {example_name}.", file=env_name, missing=missing)


@check(ENV002)
def example_present(ctx: Context) -> Outcome:
    loaded = ctx.example
    example_name = ctx.rel(ctx.example_path)
    if loaded.error:
        return failed(loaded.error, file=example_name)
    if loaded.parsed is None:
        looked = example_name if (ctx.example_file_override or ctx.config.example_file) else \
            ", ".join(EXAMPLE_FILES)
        return warned(f"no env example in {ctx.project} (looked for {looked}): required "
                      "variables cannot be checked", file=example_name)
    example = loaded.parsed
    return passed(f"{example_name} documents {_plural(len(example.keys), 'key')} "
                  f"({len(example.optional_keys)} optional)", file=example_name,
                  keys=len(example.keys), optional=sorted(example.optional_keys))


@check(ENV003)
def required_filled(ctx: Context) -> Outcome:
    env_name, example_name = names(ctx)
    if ctx.example.parsed is None:
        return skipped(f"no env example ({example_name}) to say which keys are required")
    required = required_keys(ctx)
    absent = [key for key in required if key not in ctx.env]
    empty = [key for key in required if key in ctx.env and not ctx.value(key)]
    waived_keys = sorted(set(ctx.example.parsed.required_keys) - set(required))
    gaps = absent + empty
    # `missing` names every gap (DESIGN.md's example); `absent`/`empty` tell them apart.
    details: dict[str, Any] = {"missing": gaps, "absent": absent, "empty": empty,
                               "example": example_name}
    if waived_keys:
        details["waived"] = waived_keys
    if gaps:
        return failed(f"{_plural(len(gaps), 'required variable')} "
                      f"{'is' if len(gaps) == 1 else 'are'} missing or empty: {listed(gaps)}",
                      hint=f"Fill them in {env_name} (see {example_name}).", **details)
    note = f" ({len(waived_keys)} Sentry keys waived: monitoring is waived for this gate)" if waived_keys else ""
    return passed(f"all {_plural(len(required), 'required variable')} of {example_name} are "
                  f"filled{note}", **details)


def _keys_in_play(ctx: Context) -> list[str]:
    """Keys the project itself names: those in the env files and the example."""
    keys: dict[str, None] = {}
    for loaded in (*ctx.env_files, ctx.example):
        if loaded.parsed:
            keys.update(dict.fromkeys(loaded.parsed.keys))
    return list(keys)


@check(ENV004)
def no_placeholders(ctx: Context) -> Outcome:
    keys = [key for key in _keys_in_play(ctx) if key in ctx.env]
    if not keys:
        return skipped("no variables to inspect")
    offending = [key for key in keys if is_placeholder(ctx.env[key]) or copied_from_example(ctx, key)]
    if monitoring_waived(ctx):
        # Filled-but-deferred Sentry keys are validated as warnings (DESIGN.md waivers).
        deferred = [key for key in offending if MONITORING_KEY.search(key)]
        offending = [key for key in offending if key not in deferred]
        if deferred and not offending:
            return warned(f"{_plural(len(deferred), 'Sentry value')} "
                          f"{'is a placeholder' if len(deferred) == 1 else 'are placeholders'}: "
                          f"{', '.join(deferred)} (monitoring is waived for this gate)", keys=deferred)
    copied = [key for key in offending if copied_from_example(ctx, key)]
    if copied:
        return failed(f"{_plural(len(offending), 'value')} "
                      f"{'is a placeholder' if len(offending) == 1 else 'are placeholders'}: "
                      f"{listed(offending)} ({listed(copied)}: the same value as the "
                      f"committed {ctx.rel(ctx.example_path)}, so it is public)",
                      keys=offending, copied_from_example=copied)
    if offending:
        return failed(f"{_plural(len(offending), 'value')} "
                      f"{'is a placeholder' if len(offending) == 1 else 'are placeholders'}: "
                      f"{listed(offending)}", keys=offending)
    return passed(f"none of {_plural(len(keys), 'value')} is a placeholder", keys=[])


@check(ENV005)
def documented(ctx: Context) -> Outcome:
    example = ctx.example.parsed
    loaded = [f for f in ctx.env_files if f.parsed is not None]
    if not loaded:
        return skipped("no env file to compare")
    if example is None:
        return skipped(f"no env example ({ctx.rel(ctx.example_path)}) to compare with")
    documented_keys = set(example.keys)
    undocumented: dict[str, str] = {}
    for f in loaded:
        for key in f.parsed.keys if f.parsed else []:
            if key not in documented_keys:
                undocumented.setdefault(key, ctx.rel(f.path))
    if undocumented:
        where = ", ".join(f"{key} ({file})" for key, file in undocumented.items())
        return warned(f"{_plural(len(undocumented), 'key')} "
                      f"{'is' if len(undocumented) == 1 else 'are'} not in "
                      f"{ctx.rel(ctx.example_path)}: {where}", keys=list(undocumented),
                      hint=f"Add the keys to {ctx.rel(ctx.example_path)} (mark them `# Optional` "
                      "if they are).")
    return passed(f"every key in {', '.join(ctx.rel(f.path) for f in loaded)} is documented", keys=[])


def _secret_keys(ctx: Context, path: Path) -> list[str]:
    """Keys of `path` whose values are real secrets (by name, filled, not placeholders)."""

    parsed = _load(path).parsed
    if parsed is None:
        return []
    return [key for key, value in parsed.values.items()
            if value.strip() and not is_placeholder(value)
            and (is_secret_name(key) or url_password(value))]


# blocking: git runs in a thread when other checks share the event loop.
@check(ENV006, blocking=True)
def ignored_by_git(ctx: Context) -> Outcome:
    top = git_toplevel(ctx)
    if top is None:
        return skipped("git is not available to ask")
    if top.returncode != 0:
        return skipped(f"{ctx.project} is not inside a git work tree")
    candidates = [ctx.path(name) for name in SECRET_ENV_FILES]
    if ctx.env_path not in candidates:
        candidates.insert(0, ctx.env_path)
    present = [path for path in candidates if path.is_file()]
    if not present:
        return skipped(f"no env file that holds secrets ({', '.join(SECRET_ENV_FILES)})")
    rel = [ctx.rel(path) for path in present]
    listed = run_git(ctx.project, "ls-files", "--", *map(str, present))
    ignored = run_git(ctx.project, "check-ignore", "--no-index", "--", *map(str, present))
    if listed is None or ignored is None or ignored.returncode not in (0, 1):
        return skipped(f"git could not say which env files are tracked or ignored: "
                       f"{(ignored.stderr if ignored else '').strip()}")
    tracked = {ctx.rel(ctx.project / line) for line in listed.stdout.splitlines() if line.strip()}
    ignored_names = {ctx.rel((ctx.project / line).resolve()) for line in ignored.stdout.splitlines()
                     if line.strip()}
    problems: list[str] = []
    details: dict[str, Any] = {"files": {}}
    untracked_needed: list[str] = []
    unignored: list[str] = []
    for path, name in zip(present, rel, strict=True):
        secrets = _secret_keys(ctx, path)
        is_tracked, is_ignored = name in tracked, name in ignored_names
        details["files"][name] = {"tracked": is_tracked, "ignored": is_ignored, "secret_keys": secrets}
        holds = f" (holds {', '.join(secrets)})" if secrets else ""
        if is_tracked:
            problems.append(f"{name} is tracked by git{holds}: its values are in the repository history")
            untracked_needed.append(name)
        elif not is_ignored:
            problems.append(f"{name} is not ignored by git{holds}: `git add .` would commit it")
            unignored.append(name)
    if problems:
        # Untracked but not ignored, the next `git add -A` tracks it again: the fix does both.
        return failed("; ".join(problems), fix=untrack_and_ignore(untracked_needed, unignored),
                      hint="The fix untracks each file (`git rm --cached`) and adds it to .gitignore "
                      "unless git already ignores it; commit that, and rotate every secret a tracked "
                      "file held.", **details)
    return passed(f"{', '.join(rel)} {'is' if len(rel) == 1 else 'are'} ignored by git and not tracked",
                  **details)


@check(ENV007)
def no_public_secrets(ctx: Context) -> Outcome:
    names = set(_keys_in_play(ctx)) | {k for k in ctx.environ if k.startswith("NEXT_PUBLIC_")}
    public = sorted(key for key in names if key.startswith("NEXT_PUBLIC_"))
    exposed = [key for key in public
               if (PUBLIC_SECRET_NAME.search(key.removeprefix("NEXT_PUBLIC_"))
                   and not public_by_design(ctx.env.get(key, "")))
               or secret_by_value(ctx.env.get(key, ""))]
    if exposed:
        return failed(f"{_plural(len(exposed), 'NEXT_PUBLIC_ key')} "
                      f"{'looks' if len(exposed) == 1 else 'look'} like a server secret: "
                      f"{', '.join(exposed)}", keys=exposed)
    return passed(f"{_plural(len(public), 'NEXT_PUBLIC_ key')} checked, none looks secret", keys=[])


@check(ENV008)
def well_formed(ctx: Context) -> Outcome:
    problems: dict[str, dict[str, object]] = {}
    findings: list[str] = []
    for loaded in (*ctx.env_files, ctx.example):
        parsed = loaded.parsed
        if parsed is None:
            continue
        name = ctx.rel(loaded.path)
        if parsed.malformed:
            lines = ", ".join(str(n) for n in parsed.malformed)
            findings.append(f"{name} has malformed {plural(len(parsed.malformed), 'line').split(' ', 1)[1]} {lines}")
        for key, lines_of_key in parsed.duplicates.items():
            findings.append(f"{name} assigns {key} {len(lines_of_key)} times "
                            f"(lines {', '.join(map(str, lines_of_key))})")
        if parsed.malformed or parsed.duplicates:
            problems[name] = {"malformed_lines": parsed.malformed, "duplicates": parsed.duplicates}
    if findings:
        return failed("; ".join(findings), files=problems)
    if not any(f.parsed for f in ctx.env_files) and ctx.example.parsed is None:
        return skipped("no env file to read")
    return passed("env files parse cleanly, each key assigned once", files={})
