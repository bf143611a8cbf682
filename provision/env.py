"""`deploy-check provision env`: create or complete `.env.local` from the example.

Never overwrites a value that is there; fills empty and missing keys only; generates
random values only for secrets the app chooses itself (AUTH_SECRET, BETTER_AUTH_SECRET,
session and cookie secrets, `*_SALT`), never for provider-issued ones; asks for
the others on a terminal, leaves them empty otherwise and lists them. The secret the
auth library is handed (AUTH001's plan: BETTER_AUTH_SECRET, AUTH_SECRET, the app's own
`secret:` variable…) is generated too when it is empty and no example lists it, since
AUTH001 names this command as its fix (Dokploy's .env.example has no BETTER_AUTH_SECRET). The
file is written atomically with mode 0600 (DESIGN.md "Provisioning rules")."""

from __future__ import annotations

import dataclasses
import getpass
import os
import re
import shlex
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from checks.auth.plan import plan as auth_plan
from checks.core.context import Context, LoadedEnvFile
from checks.core.evidence import run_git
from checks.env.required import requirements
from checks.project.detectors import EXAMPLE_FILES
from checks.project.examples import in_workspace
from checks.project.model import ValueShape
from checks.support.appsecrets import app_chosen_secret
from checks.support.envfile import EnvFile, parse_env_text
from checks.support.lazyre import lazy
from checks.support.placeholders import is_placeholder
from checks.support.secrets import is_secret_name
from provision import Options, Provisioned, ProvisionFailed
from provision.files import write_atomically
from provision.secretshape import generated_value, unfit
from provision.supabaselocal import LocalKeys, local_keys

HEADER = "# Added by `deploy-check provision env` from {example}"


def _empty_assignment(key: str) -> re.Pattern[str]:
    return re.compile(rf"""^(\s*(?:export\s+)?{re.escape(key)}\s*=)\s*(?:""|'')?\s*(#.*)?$""")


# A URL may carry a password (postgresql://app:pw@host/db): typed without echo too.
CREDENTIAL_CARRIER = lazy(r"(?:URL|URI|DSN|CONNECTION_STRING|CONN)$", re.IGNORECASE)
PUBLIC_PREFIX = ("NEXT_PUBLIC_", "VITE_", "PUBLIC_")  # values shipped to every browser


def echoes(key: str) -> bool:
    """Whether the prompt for `key` may show what is typed: never for a secret, nor for a
    URL that may hold a password (a public browser variable's URL holds none)."""
    if is_secret_name(key):
        return False
    return key.upper().startswith(PUBLIC_PREFIX) or not CREDENTIAL_CARRIER.search(key)


def _ask(key: str) -> str:
    prompt = f"{key} (Enter to leave empty): "
    return (input(prompt) if echoes(key) else getpass.getpass(prompt)).strip()


@dataclass
class Completion:
    text: str  # the new text of the env file
    generated: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)  # copied from the example, or typed
    left_empty: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)  # the local Supabase stack's keys
    unfit: dict[str, str] = field(default_factory=dict)  # secrets left empty: why no random value fits


def complete_env(example: EnvFile, current_text: str | None, current: EnvFile | None, *,
                 example_name: str, ask: bool | Callable[[str], str] = False,
                 elsewhere: dict[str, str] | None = None, local: LocalKeys | None = None,
                 generate: frozenset[str] = frozenset(),
                 shapes: dict[str, ValueShape] | None = None) -> Completion:
    """The new text of the env file, and the keys generated, copied/asked, left empty.

    Only the lines it fills change, byte for byte: lines are split on "\n" alone (a
    U+2028, form feed or NEL inside a quoted value is the value's), and a CRLF file stays
    CRLF. `elsewhere`: values the app already gets from another env file or the process
    environment; such a key is never written (an empty line here would hide it). `ask`:
    False (leave empty), True (prompt), or a function giving the value for a key. `local`:
    the local Supabase stack's keys, decided last, once the Supabase URL the app will see is
    known (provision/supabaselocal.py). `generate`: keys generated whatever their name (the
    secret the auth library is handed, which AUTH001 names). `shapes`: what the app's env
    schema asks of a value (its length; a format no random value meets leaves the key empty)."""
    answer: Callable[[str], str] = (ask if callable(ask) else (_ask if ask else (lambda key: "")))
    text = current_text or ""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split("\n") if text else []
    existing = current.values if current else {}
    elsewhere = elsewhere or {}
    done = Completion("")
    wanted = [key for key in example.keys if not existing.get(key, "").strip()  # a value is there: never touch it
              and not (key not in existing and elsewhere.get(key, "").strip())]  # filled elsewhere
    values: dict[str, str] = {}
    later = [key for key in wanted if local is not None and local.claims(key)]
    for key in [key for key in wanted if key not in later]:
        example_value = example.values.get(key, "")
        if (app_chosen_secret(key) or key in generate) and (why := unfit((shapes or {}).get(key))):
            values[key] = ""
            done.left_empty.append(key)
            done.unfit[key] = why
        elif app_chosen_secret(key) or key in generate:
            shape = (shapes or {}).get(key)
            values[key] = answer(f"generate:{key}") if callable(ask) else generated_value(shape)
            done.generated.append(key)
        elif example_value.strip() and not (is_secret_name(key) and not _public_url(key, example_value)) \
                and not is_placeholder(example_value):
            values[key] = example_value  # a real default, such as a public URL
            done.filled.append(key)
        else:
            values[key] = answer(key)
            (done.filled if values[key] else done.left_empty).append(key)
    for key in later:
        assert local is not None
        seen = {**elsewhere, **{k: v for k, v in existing.items() if v.strip()}, **values}
        value = local.value(key, seen)
        if value is not None:
            values[key] = value
            done.local.append(key)
        else:
            values[key] = answer(key)
            (done.filled if values[key] else done.left_empty).append(key)
    appended: list[str] = []
    for key in wanted:
        value = values[key]
        if key in existing and current is not None:
            # Present but empty: fill it in place, keeping its comment and line ending.
            line_number = max(e.line for e in current.entries if e.key == key)
            raw = lines[line_number - 1] if line_number <= len(lines) else ""
            ending = "\r" if raw.endswith("\r") else ""
            match = _empty_assignment(key).match(raw.removesuffix("\r"))
            if match is None:  # an unusual line (multi-line quote…): leave it be
                for said in (done.generated, done.filled, done.local):
                    if key in said:
                        said.remove(key)
                if key not in done.left_empty:
                    done.left_empty.append(key)
                continue
            comment = f" {match.group(2)}" if match.group(2) else ""
            lines[line_number - 1] = f"{match.group(1)}{_quote(value)}{comment}{ending}"
        else:
            appended.append(f"{key}={_quote(value)}")
    result = "\n".join(lines)
    if appended:
        block = newline.join([HEADER.format(example=example_name), *appended]) + newline
        if result and not result.endswith("\n"):
            result += newline
        if result.strip() and not result.endswith(newline * 2):
            result += newline
        result += block
    done.text = result
    return done


def _public_url(key: str, value: str) -> bool:
    """An http(s) URL under a URL-named key, with no credentials and no query: a default such as
    typebot.io's `NEXTAUTH_URL=http://localhost:3000`, masked for its AUTH, but no secret."""
    if not re.search(r"_UR[LI]$", key, re.IGNORECASE):
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.username is None \
        and parts.password is None and not parts.query and not parts.fragment


def _quote(value: str) -> str:
    if value == "" or re.fullmatch(r"[A-Za-z0-9_./:@%+=,~-]*", value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _named_target(ctx: Context, example: LoadedEnvFile | None) -> Path:
    """The env file `example` describes (Context.example_target), before symlinks are followed;
    with no example, the app's env file."""
    if example is None or len(ctx.examples) < 2 or ctx.env_pinned:
        return ctx.env_file_override or ctx.project / (ctx.config.env_file or ctx.default_env_name)
    return ctx.project / (".env.local" if example.path.name == EXAMPLE_FILES[0] else ".env")


def _by_hand(ctx: Context, empty: list[str], said: str) -> list[str]:
    """What the user must still fill: the empty keys ENV003 requires by name, the optional
    ones (by the example's markers or the app's createEnv) only counted: formbricks'
    .env.example leaves 31 optional keys empty, which its lib/env.ts lets be missing."""
    required = set(requirements(ctx).keys)
    must = [key for key in empty if key in required]
    optional = len(empty) - len(must)
    lines = [f"{said}: {', '.join(must)}"] if must else []
    if optional:
        lines.append(f"{optional} optional {'key' if optional == 1 else 'keys'} left empty")
    return lines


def _target(ctx: Context, path: Path) -> Path:
    """The file to write. A symlink is written through only when it stays inside the
    project or its workspace root (its target keeps its owner and mode; formbricks links
    apps/web/.env to the root's ../../.env); one that leaves them is refused: deploy-check does
    not write secrets to places outside the app it was pointed at. Nor does deploy-check.toml's
    `env_file` (committed with the app) name a file outside its repository (a shell profile
    would run the example's `$(…)`), and no file under a `.git` folder is ever written."""
    resolved = path.resolve()
    if not path.is_symlink():
        if path.exists() and not path.is_file():
            raise ProvisionFailed(f"{ctx.rel(path)} is not a regular file")
        if path != ctx.env_file_override and not _ours(ctx, resolved):
            raise ProvisionFailed(f"{ctx.rel(path)} (deploy-check.toml's env_file) is outside the project's "
                                  "repository, or in its .git folder; refusing to write there (point env_file "
                                  "at a file of the repository)")
        return resolved
    if not in_workspace(ctx.project, resolved) or ".git" in resolved.parts:
        raise ProvisionFailed(f"{ctx.rel(path)} is a symlink to {resolved}, outside the project; "
                              "refusing to write through it (replace the link with a file, or "
                              "run provision env where that file lives)")
    return resolved


def _ours(ctx: Context, resolved: Path) -> bool:
    """Whether `resolved` lies in the app, its workspace root or its git repository, outside
    any `.git` folder."""
    if ".git" in resolved.parts:
        return False
    top = next((folder for folder in [ctx.project, *ctx.project.parents] if (folder / ".git").exists()), None)
    return in_workspace(ctx.project, resolved) or (top is not None and resolved.is_relative_to(top.resolve()))


def _exposed(ctx: Context, path: Path) -> str | None:
    """Why a secret written to `path` would reach the repository (git tracks it, or does not
    ignore it), None when it would not or git cannot say (no git, not a work tree)."""
    top = run_git(ctx.project, "rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0:
        return None
    listed = run_git(ctx.project, "ls-files", "--", str(path))
    if listed is not None and listed.returncode == 0 and listed.stdout.strip():
        return "is tracked by git"
    ignored = run_git(ctx.project, "check-ignore", "-q", "--no-index", "--", str(path))
    return "is not ignored by git" if ignored is not None and ignored.returncode == 1 else None


def _read(path: Path) -> str | None:
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as stream:  # CRLF stays CRLF
        return stream.read()


async def provision(ctx: Context, options: Options) -> Provisioned:
    """Each example completes the env file it describes (with two examples, `.env.local` from
    `.env.local.example` and `.env` from `.env.example`; else the one env file), a key listed
    by both only in the first."""
    example = ctx.example
    wanted = auth_plan(ctx).wanted_secret  # AUTH001's fix: generated even when no example lists it
    if example.parsed is None and (example.error or wanted is None):
        raise ProvisionFailed(example.error or f"no env example in {ctx.project} to start from "
                              f"(looked for {', '.join(EXAMPLE_FILES)}; --example names another)")
    errors = [e.error for e in ctx.examples if e.error]
    if errors or ctx.env_local.error:
        raise ProvisionFailed("; ".join(errors) or str(ctx.env_local.error))
    local = local_keys(ctx.path(ctx.model.supabase_config) if ctx.model.supabase_config else None)
    # Answers (typed or generated) are kept, so the merge below asks nothing twice.
    answers: dict[str, str] = {}

    def answer(key: str) -> str:
        if key not in answers:
            shape = ctx.model.env_schema_shapes.get(key.removeprefix("generate:"))
            answers[key] = generated_value(shape) if key.startswith("generate:") else (
                _ask(key) if options.interactive else "")
        return answers[key]

    result = Provisioned("env", changed=False)
    handled: set[str] = set()
    written: dict[str, str] = {}  # values this run wrote to an earlier file
    first: Path | None = None
    for each in ctx.examples:
        if each.parsed is None:
            continue
        entries = [e for e in each.parsed.entries if e.key not in handled]
        handled |= set(each.parsed.keys)
        named = _named_target(ctx, each)
        if first is not None and named != first and (exposed := _exposed(ctx, named)):
            # A generated secret in a file git tracks (or would add) is one commit from the
            # repository: the keys go in the first file, which Next.js loads above `.env`.
            result.lines.append(f"{ctx.rel(named)} {exposed}: the keys of {ctx.rel(each.path)} go in "
                                f"{ctx.rel(first)}, which Next.js loads above it")
            named = first
        first = first or named
        target = _target(ctx, named)
        written |= await _complete_file(ctx, options, EnvFile(each.parsed.path, entries), ctx.rel(each.path),
                                        target, answer, local, written, result)
    if wanted and not (written.get(wanted) or ctx.value(wanted)).strip():
        first = first or _named_target(ctx, None)
        target = _target(ctx, first)
        listed = [ctx.rel(each.path) for each in ctx.examples if each.parsed is not None]
        source = f"AUTH001: the secret {ctx.model.auth_provider} is handed"
        written |= await _complete_file(ctx, options, parse_env_text(f"{wanted}=\n", target), source, target,
                                        answer, None, written, result, generate=frozenset([wanted]))
        if listed:
            result.lines.append(f"{wanted} is not in {' or '.join(listed)}: add it there, empty, so the next "
                                "developer is told (ENV005 warns until then)")
    # Keys the app's createEnv requires that no example lists: nothing here can fill them, and
    # ENV003, which names this command as its fix, fails on them.
    unfilled: dict[str, list[str]] = {}
    for key, schema_file in requirements(ctx).by_schema.items():
        if not (written.get(key) or ctx.value(key) or "").strip():
            unfilled.setdefault(schema_file, []).append(key)
    result.lines += [f"still empty, required by {schema_file} (createEnv), fill them by hand in "
                     f"{ctx.rel(first or ctx.env_path)}: {', '.join(keys)}" for schema_file, keys in unfilled.items()]
    return result


async def _complete_file(ctx: Context, options: Options, example: EnvFile, example_name: str, target: Path,
                         answer: Callable[[str], str], local: LocalKeys | None, written: dict[str, str],
                         result: Provisioned, generate: frozenset[str] = frozenset()) -> dict[str, str]:
    """Create or complete `target` from `example`; its values afterwards."""
    name = ctx.rel(target)
    elsewhere = {key: value for key, value in ctx.env.items() if ctx.source_of(key) not in (None, name)}
    elsewhere |= {key: value for key, value in written.items() if value.strip()}

    def complete(text: str | None) -> Completion:
        parsed = parse_env_text(text, target) if text is not None else None
        fresh = dataclasses.replace(local, derived=[], unknown=[], not_local=[]) if local else None
        done = complete_env(example, text, parsed, example_name=example_name, ask=answer,
                            elsewhere=elsewhere, local=fresh, generate=generate, shapes=ctx.model.env_schema_shapes)
        said["local"] = fresh
        return done

    said: dict[str, LocalKeys | None] = {}
    current_text = _read(target)
    done = complete(current_text)
    if done.text == (current_text or ""):  # nothing to write (an empty file is not created)
        if done.left_empty:
            # ENV003's fix run where nothing can be copied or generated: the keys it names are
            # still the user's to fill, never hidden behind "nothing to do".
            result.lines += _by_hand(ctx, done.left_empty, f"still empty in {name}, fill them by hand "
                                     "(nothing to copy or generate)")
            result.lines += [f"{key} not generated: {why}" for key, why in done.unfit.items()]
        return parse_env_text(current_text, target).values if current_text is not None else {}
    secret_keys = [key for key in (*done.generated, *done.filled) if is_secret_name(key)]
    if secret_keys and _exposed(ctx, target) == "is tracked by git":
        raise ProvisionFailed(
            f"{name} is tracked by git: {', '.join(secret_keys)} written there would be one commit from the "
            f"repository history; nothing was written. Untrack it first (`git -C {shlex.quote(str(ctx.project))} "
            f"rm --cached -- {shlex.quote(name)}`, "
            f"then add it to .gitignore: ENV006's fix) and run this again")
    result.changed = True
    if options.dry_run:
        result.lines.append(f"would write {name}")
    else:
        # What an editor saved while we were asking is merged in, never overwritten.
        latest = _read(target)
        if latest != current_text:
            current_text = latest
            done = complete(latest)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
        owner = (target.stat().st_uid, target.stat().st_gid) if target.exists() else None
        write_atomically(target, done.text, mode=mode)
        if owner is not None and os.geteuid() == 0:
            os.chown(target, *owner)
        result.lines.append(f"{'created' if current_text is None else 'completed'} {name} "
                            f"from {example_name} (mode {mode:04o})")
    if done.generated:
        result.lines.append(f"generated random values for {', '.join(done.generated)}")
    if done.local and local is not None:
        result.lines.append(f"filled {', '.join(done.local)} with the local Supabase stack's keys "
                            f"(what `supabase start` prints for {local.api_url})")
    if done.filled:
        result.lines.append(f"filled {', '.join(done.filled)}")
    if done.left_empty:
        result.lines += _by_hand(ctx, done.left_empty, "left empty, fill them by hand")
    result.lines += [f"{key} not generated: {why}" for key, why in done.unfit.items()]
    stack = said.get("local")
    if stack is not None and (unknown := [k for k in stack.unknown if k in done.left_empty]):
        result.lines.append(f"{', '.join(unknown)}: run `supabase status` and copy the local stack's keys "
                            f"({stack.why_unknown})")
    return parse_env_text(done.text, target).values
