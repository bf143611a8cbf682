"""`deploy-check provision env`: create or complete `.env.local` from the example.

Never overwrites a value that is there; fills empty and missing keys only; generates
random values only for secrets the app chooses itself (AUTH_SECRET, BETTER_AUTH_SECRET,
session and cookie secrets, `*_SALT`), never for provider-issued ones; asks for
the others on a terminal, leaves them empty otherwise and lists them. The file is
written atomically with mode 0600 (DESIGN.md "Provisioning rules")."""

from __future__ import annotations

import getpass
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from checks.core.context import Context
from checks.project.detectors import EXAMPLE_FILES
from checks.support.envfile import EnvFile, parse_env_text
from checks.support.placeholders import is_placeholder
from checks.support.secrets import is_secret_name
from provision import Options, Provisioned, ProvisionFailed
from provision.files import write_atomically

# Only secrets the app chooses itself are generated: a random value for a secret a
# provider issues (a webhook signing secret, an API key) would hide the gap from ENV003.
APP_CHOSEN_SECRET = re.compile(
    r"(?:^|_)SALT$|^(?:AUTH|NEXTAUTH|BETTER_AUTH|PAYLOAD|FLAGS|CRON|SESSION|COOKIE|JWT|CSRF"
    r"|IRON_SESSION|APP|ENCRYPTION|NEON_AUTH_COOKIE)_SECRET$|(?:^|_)(?:SESSION|COOKIE)_SECRET$"
    r"|^SECRET_KEY_BASE$", re.IGNORECASE)
PROVIDER_ISSUED = re.compile(
    r"CLIENT_SECRET|WEBHOOK|STRIPE|API_KEY|BYPASS|TOKEN|SECRET_KEY$|SERVER_KEY|SERVICE_ROLE"
    r"|SIGNING_SECRET|ACCESS_KEY", re.IGNORECASE)


def app_chosen_secret(key: str) -> bool:
    return bool(APP_CHOSEN_SECRET.search(key)) and not PROVIDER_ISSUED.search(key)
HEADER = "# Added by `deploy-check provision env` from {example}"


def generated_value() -> str:
    # 32 random bytes → 43 URL-safe characters: above every minimum we know of
    # (Neon Auth's cookie secret needs 32 characters).
    return secrets.token_urlsafe(32)


def _empty_assignment(key: str) -> re.Pattern[str]:
    return re.compile(rf"""^(\s*(?:export\s+)?{re.escape(key)}\s*=)\s*(?:""|'')?\s*(#.*)?$""")


# A URL may carry a password (postgresql://app:pw@host/db): typed without echo too.
CREDENTIAL_CARRIER = re.compile(r"(?:URL|URI|DSN|CONNECTION_STRING|CONN)$", re.IGNORECASE)
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


def complete_env(example: EnvFile, current_text: str | None, current: EnvFile | None, *,
                 example_name: str, ask: bool | Callable[[str], str] = False,
                 elsewhere: dict[str, str] | None = None,
                 ) -> tuple[str, list[str], list[str], list[str]]:
    """The new text of .env.local, and the keys generated, copied/asked, left empty.

    Only the lines it fills change, byte for byte: lines are split on "\n" alone (a
    U+2028, form feed or NEL inside a quoted value is the value's), and a CRLF file stays
    CRLF. `elsewhere`: values the app already gets from another env file or the process
    environment; such a key is never written (an empty line here would hide it). `ask`:
    False (leave empty), True (prompt), or a function giving the value for a key."""
    answer: Callable[[str], str] = (ask if callable(ask) else (_ask if ask else (lambda key: "")))
    text = current_text or ""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split("\n") if text else []
    existing = current.values if current else {}
    elsewhere = elsewhere or {}
    generated: list[str] = []
    filled: list[str] = []
    left_empty: list[str] = []
    appended: list[str] = []
    for key in example.keys:
        if existing.get(key, "").strip():
            continue  # a value is there: never touch it
        if key not in existing and elsewhere.get(key, "").strip():
            continue  # filled in another env file or the environment
        example_value = example.values.get(key, "")
        if app_chosen_secret(key):
            value = answer(f"generate:{key}") if callable(ask) else generated_value()
            generated.append(key)
        elif example_value.strip() and not is_secret_name(key) and not is_placeholder(example_value):
            value = example_value  # a real default, such as a public URL
            filled.append(key)
        else:
            value = answer(key)
            (filled if value else left_empty).append(key)
        if key in existing and current is not None:
            # Present but empty: fill it in place, keeping its comment and line ending.
            line_number = max(e.line for e in current.entries if e.key == key)
            raw = lines[line_number - 1] if line_number <= len(lines) else ""
            ending = "\r" if raw.endswith("\r") else ""
            match = _empty_assignment(key).match(raw.removesuffix("\r"))
            if match is None:  # an unusual line (multi-line quote…): leave it be
                for said in (generated, filled):
                    if key in said:
                        said.remove(key)
                if key not in left_empty:
                    left_empty.append(key)
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
    return result, generated, filled, left_empty


def _quote(value: str) -> str:
    if value == "" or re.fullmatch(r"[A-Za-z0-9_./:@%+=,~-]*", value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _target(ctx: Context) -> Path:
    """The file to write. A symlink is written through only when it stays inside the
    project (its target keeps its owner and mode); one that leaves the project is refused:
    deploy-check does not write secrets to places outside the app it was pointed at."""
    path = ctx.env_file_override or ctx.project / (ctx.config.env_file or ctx.default_env_name)
    if not path.is_symlink():
        return ctx.env_path
    resolved = path.resolve()
    try:
        resolved.relative_to(ctx.project)
    except ValueError:
        raise ProvisionFailed(f"{ctx.rel(path)} is a symlink to {resolved}, outside the project; "
                              "refusing to write through it (replace the link with a file, or "
                              "run provision env where that file lives)") from None
    return resolved


def _read(path: Path) -> str | None:
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as stream:  # CRLF stays CRLF
        return stream.read()


async def provision(ctx: Context, options: Options) -> Provisioned:
    example = ctx.example
    if example.parsed is None:
        raise ProvisionFailed(example.error or f"no env example in {ctx.project} to start from "
                              f"(looked for {', '.join(EXAMPLE_FILES)}; --example names another)")
    if ctx.env_local.error:
        raise ProvisionFailed(ctx.env_local.error)
    example_file = example.parsed
    target = _target(ctx)
    elsewhere = {key: value for key, value in ctx.env.items()
                 if ctx.source_of(key) not in (None, ctx.rel(ctx.env_path))}
    # Answers (typed or generated) are kept, so the merge below asks nothing twice.
    answers: dict[str, str] = {}

    def answer(key: str) -> str:
        if key not in answers:
            answers[key] = generated_value() if key.startswith("generate:") else (
                _ask(key) if options.interactive else "")
        return answers[key]

    def complete(text: str | None) -> tuple[str, list[str], list[str], list[str]]:
        parsed = parse_env_text(text, target) if text is not None else None
        return complete_env(example_file, text, parsed, example_name=ctx.rel(ctx.example_path),
                            ask=answer, elsewhere=elsewhere)

    current_text = _read(target)
    new_text, generated, filled, left_empty = complete(current_text)
    result = Provisioned("env", changed=new_text != (current_text or "") or current_text is None)
    if not result.changed:
        if left_empty:
            # ENV003's fix run where nothing can be copied or generated: the keys it names are
            # still the user's to fill, never hidden behind "nothing to do".
            result.lines.append(f"still empty in {ctx.rel(target)}, fill them by hand (nothing to copy "
                                f"or generate): {', '.join(left_empty)}")
        return result
    if options.dry_run:
        result.lines.append(f"would write {ctx.rel(target)}")
    else:
        # What an editor saved while we were asking is merged in, never overwritten.
        latest = _read(target)
        if latest != current_text:
            current_text = latest
            new_text, generated, filled, left_empty = complete(latest)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
        owner = (target.stat().st_uid, target.stat().st_gid) if target.exists() else None
        write_atomically(target, new_text, mode=mode)
        if owner is not None and os.geteuid() == 0:
            os.chown(target, *owner)
        result.lines.append(f"{'created' if current_text is None else 'completed'} {ctx.rel(target)} "
                            f"from {ctx.rel(ctx.example_path)} (mode {mode:04o})")
    if generated:
        result.lines.append(f"generated random values for {', '.join(generated)}")
    if filled:
        result.lines.append(f"filled {', '.join(filled)}")
    if left_empty:
        result.lines.append(f"left empty, fill them by hand: {', '.join(left_empty)}")
    return result
