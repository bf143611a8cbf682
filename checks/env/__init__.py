"""Env family: `.env.local` against `.env.local.example` (DESIGN.md ENV001–ENV008); with
two examples, each against the file it is named after (checks/env/required.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checks.core.context import Context, _load
from checks.core.evidence import git_toplevel, run_git
from checks.core.model import (
    Outcome,
    every,
    failed,
    listed,
    passed,
    plural,
    skipped,
    verb_for,
    warned,
)
from checks.core.registry import check
from checks.env.catalogue import ENV001, ENV002, ENV003, ENV004, ENV005, ENV006, ENV007, ENV008
from checks.env.gitignore import untrack_and_ignore
from checks.env.required import (
    MONITORING_KEY,
    documented_keys,
    example_names,
    filled_for_the_build_plugin,
    monitoring_waived,
    required_keys,
    requirements,
    where_to_fill,
)
from checks.env.values import (
    PUBLIC_SECRET_NAME,
    PUBLIC_TOKEN_NAME,
    copied_from,
    loopback_url,
    placeholder_hint,
    public_by_design,
    secret_by_value,
)
from checks.project.detectors import EXAMPLE_FILES, SECRET_ENV_FILES, SENTRY_WIZARD_ENV_FILE
from checks.support.placeholders import is_placeholder
from checks.support.secrets import is_secret_name, url_password


def names(ctx: Context) -> tuple[str, str]:
    """(env file, example file) as messages name them: the files really in use."""
    return ctx.rel(ctx.env_path), ctx.rel(ctx.example_path)


_plural = plural


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
    looked = env_name if ctx.env_pinned else ", ".join(ctx.looked_env_names)
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
    errors = [e.error for e in ctx.examples[1:] if e.error]
    if errors:
        return failed("; ".join(errors), file=example_name)
    examples = [e for e in ctx.examples if e.parsed is not None]
    said = "; ".join(f"{ctx.rel(e.path)} documents {_plural(len(e.parsed.keys), 'key')} "
                     f"({len(e.parsed.optional_keys)} optional)"
                     + (f" for {ctx.rel(ctx.example_target(e))}" if len(examples) > 1 else "")
                     for e in examples if e.parsed is not None)
    documented = documented_keys(ctx)
    optional = {key for e in examples if e.parsed is not None for key in e.parsed.optional_keys}
    return passed(said, file=example_name, files=[ctx.rel(e.path) for e in examples],
                  keys=len(documented), optional=sorted(optional))


@check(ENV003)
def required_filled(ctx: Context) -> Outcome:
    example_name = example_names(ctx)
    if ctx.example.parsed is None:
        return skipped(f"no env example ({example_name}) to say which keys are required")
    reqs = requirements(ctx)
    required = reqs.keys
    by_plugin = filled_for_the_build_plugin(ctx, [key for key in required if not ctx.value(key)])
    absent = [key for key in required if key not in ctx.env and key not in by_plugin]
    empty = [key for key in required if key in ctx.env and not ctx.value(key) and key not in by_plugin]
    gaps = absent + empty
    # `missing` names every gap (DESIGN.md's example); `absent`/`empty` tell them apart.
    details: dict[str, Any] = {"missing": gaps, "absent": absent, "empty": empty,
                               "example": ctx.rel(ctx.example_path)}
    if len(ctx.examples) > 1:
        details["examples"] = [ctx.rel(e.path) for e in ctx.examples]
    if reqs.waived:
        details["waived"] = sorted(reqs.waived)
    if reqs.relaxed:
        details["optional_in_schema"] = reqs.relaxed
    if reqs.by_schema:
        details["required_by_schema"] = reqs.by_schema
    if by_plugin:
        details["filled_by"] = {key: SENTRY_WIZARD_ENV_FILE for key in by_plugin}
    if gaps:
        schema_gaps = [key for key in gaps if key in reqs.by_schema]
        why = (f" ({listed(schema_gaps)}: required by {', '.join(sorted({reqs.by_schema[k] for k in schema_gaps}))})"
               if schema_gaps else "")
        return failed(f"{_plural(len(gaps), 'required variable')} "
                      f"{'is' if len(gaps) == 1 else 'are'} missing or empty: {listed(gaps)}{why}",
                      hint=where_to_fill(ctx, gaps, reqs), **details)
    notes = []
    if reqs.waived:
        notes.append(f"{len(reqs.waived)} Sentry keys waived: monitoring is waived for this gate")
    if reqs.relaxed:
        notes.append(f"{listed(list(reqs.relaxed))} optional in "
                     f"{', '.join(sorted(set(reqs.relaxed.values())))}")
    if by_plugin:
        notes.append(f"{listed(by_plugin)} from {SENTRY_WIZARD_ENV_FILE}, which the Sentry build plugin loads itself")
    note = f" ({'; '.join(notes)})" if notes else ""
    return passed(f"{every(len(required), 'required variable')} of {example_name} "
                  f"{verb_for(len(required), 'is', 'are')} filled{note}", **details)


def _keys_in_play(ctx: Context) -> list[str]:
    """Keys the project itself names: those in the env files and the example."""
    keys: dict[str, None] = {}
    for loaded in (*ctx.env_files, *ctx.examples):
        if loaded.parsed:
            keys.update(dict.fromkeys(loaded.parsed.keys))
    return list(keys)


@check(ENV004)
def no_placeholders(ctx: Context) -> Outcome:
    keys = [key for key in _keys_in_play(ctx) if key in ctx.env]
    if not keys:
        return skipped("no variables to inspect")
    offending = [key for key in keys if is_placeholder(ctx.env[key]) or copied_from(ctx, key) is not None]
    if monitoring_waived(ctx):
        # Filled-but-deferred Sentry keys are validated as warnings (DESIGN.md waivers).
        deferred = [key for key in offending if MONITORING_KEY.search(key)]
        offending = [key for key in offending if key not in deferred]
        if deferred and not offending:
            return warned(f"{_plural(len(deferred), 'Sentry value')} "
                          f"{'is a placeholder' if len(deferred) == 1 else 'are placeholders'}: "
                          f"{', '.join(deferred)} (monitoring is waived for this gate)", keys=deferred)
    copied = {key: where for key in offending if (where := copied_from(ctx, key)) is not None}
    hint = placeholder_hint(ctx, offending) if offending else None
    if copied:
        return failed(f"{_plural(len(offending), 'value')} "
                      f"{'is a placeholder' if len(offending) == 1 else 'are placeholders'}: "
                      f"{listed(offending)} ({listed(list(copied))}: the same value as the "
                      f"committed {' and '.join(sorted(set(copied.values())))}, so it is public)",
                      hint=hint, keys=offending, copied_from_example=list(copied))
    if offending:
        return failed(f"{_plural(len(offending), 'value')} "
                      f"{'is a placeholder' if len(offending) == 1 else 'are placeholders'}: "
                      f"{listed(offending)}", hint=hint, keys=offending)
    return passed(f"none of {_plural(len(keys), 'value')} is a placeholder", keys=[])


@check(ENV005)
def documented(ctx: Context) -> Outcome:
    loaded = [f for f in ctx.env_files if f.parsed is not None]
    if not loaded:
        return skipped("no env file to compare")
    if ctx.example.parsed is None:
        return skipped(f"no env example ({ctx.rel(ctx.example_path)}) to compare with")
    documented = documented_keys(ctx)
    undocumented: dict[str, str] = {}
    for f in loaded:
        for key in f.parsed.keys if f.parsed else []:
            if key not in documented:
                undocumented.setdefault(key, ctx.rel(f.path))
    if undocumented:
        where = ", ".join(f"{key} ({file})" for key, file in undocumented.items())
        return warned(f"{_plural(len(undocumented), 'key')} "
                      f"{'is' if len(undocumented) == 1 else 'are'} not in "
                      f"{example_names(ctx)}: {where}", keys=list(undocumented),
                      hint=f"Add the keys to {ctx.rel(ctx.example_path)} (mark them `# Optional` "
                      "if they are).")
    return passed(f"every key in {', '.join(ctx.rel(f.path) for f in loaded)} is documented", keys=[])


# Next.js: ".env, .env.development, and .env.production files should be included in your
# repository as they define defaults. .env*.local should be added to .gitignore"
# (nextjs.org/docs/basic-features/environment-variables, 9.4 to 13).
COMMITTED_DEFAULTS = frozenset({".env", ".env.development", ".env.production", ".env.test"})


def _secret_keys(ctx: Context, path: Path) -> list[str] | None:
    """Keys of `path` whose values are real secrets: filled, not placeholders, not made for
    browsers (a publishable key, any NEXT_PUBLIC_ value Next.js inlines unless its shape says
    secret), not a URL to this machine only; then secret by name, by shape or by a password.
    None: the file could not be read, so what it holds is unknown."""

    parsed = _load(path).parsed
    if parsed is None:
        return None
    return [key for key, value in parsed.values.items()
            if value.strip() and not is_placeholder(value) and not public_by_design(value)
            and not loopback_url(value)
            and (secret_by_value(value) or url_password(value)
                 or (is_secret_name(key) and not key.startswith("NEXT_PUBLIC_")))]


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
    # Every other file the app loads values from, also one outside its folder (a dev script's
    # `dotenv -e ../.env`, next.config's `../../.env`, the schema tool's packages/db/.env).
    # One outside the repository (a config's `../../../profile`) is no file of it, and would
    # make git refuse the whole question.
    repository = Path(top.stdout.strip()).resolve()
    loaded = dict.fromkeys(f.path for f in [*ctx.env_files, *ctx.tool_env_files])
    candidates += [path for path in loaded if path not in candidates and path.is_relative_to(repository)]
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
    defaults: list[str] = []  # Next.js's defaults, committed or committable, holding no secret
    for path, name in zip(present, rel, strict=True):
        read = _secret_keys(ctx, path)
        secrets = read or []
        is_tracked, is_ignored = name in tracked, name in ignored_names
        details["files"][name] = {"tracked": is_tracked, "ignored": is_ignored, "secret_keys": secrets}
        holds = f" (holds {', '.join(secrets)})" if secrets else ""
        # Only a file read to its end is known to hold no secret (one byte that is not UTF-8,
        # or a file over the limit, leaves what it holds unread: judged as any env file).
        # An untracked one that git would add is a gap still where it is the file the user is
        # told to fill (the app's tools read `.env`): the secrets go there next.
        committable = not is_ignored and path != ctx.env_path
        if path.name in COMMITTED_DEFAULTS and read == [] and (is_tracked or committable):
            details["files"][name]["committed_defaults"] = True
            defaults.append(name)
            continue  # Next.js's defaults, meant to be committed: only a secret in one leaks
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
    if defaults:
        # Not a leak today, and what Next.js asks for; but a secret added there later is
        # committed with it: seen, not blocking.
        one = len(defaults) == 1
        return warned(f"{', '.join(defaults)} {'is' if one else 'are'} committed or committable and "
                      f"{'holds' if one else 'hold'} no secret (Next.js's defaults files, which may be "
                      f"committed); a secret put there later would be committed with {'it' if one else 'them'}",
                      hint="Keep secrets in .env.local (git-ignored); ENV006 fails the day one of these "
                      "holds a secret.", **details)
    return passed(f"{', '.join(rel)} {'is' if len(rel) == 1 else 'are'} ignored by git and not tracked",
                  **details)


@check(ENV007)
def no_public_secrets(ctx: Context) -> Outcome:
    names = set(_keys_in_play(ctx)) | {k for k in ctx.environ if k.startswith("NEXT_PUBLIC_")}
    public = sorted(key for key in names if key.startswith("NEXT_PUBLIC_"))
    exposed = [key for key in public
               if (PUBLIC_SECRET_NAME.search(key.removeprefix("NEXT_PUBLIC_"))
                   and not PUBLIC_TOKEN_NAME.search(key) and not public_by_design(ctx.env.get(key, "")))
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
    for loaded in (*ctx.env_files, *ctx.examples):
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
