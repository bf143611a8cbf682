"""Reading env files the way python-dotenv (and so Next.js) reads them, plus what
dotenv throws away: comments (for `# Optional` markers), malformed lines, duplicates.

DESIGN.md "`.env.local.example` semantics": a key is optional when its own line
has an inline comment starting with "optional", or when a comment line starting
with "optional" stands above its block (no blank line, no other comment between). A comment
that marks itself "(Optional)", "(Optional: …)" or "[optional]" is such a marker too: block
headings are written that way (mckaywrigley/chatbot-ui: "# API Keys (Optional: …)"). A
section banner whose title starts with "optional" makes every key optional up to the next
banner, blank lines and all (dub's apps/web/.env.example: "###### OPTIONAL ENV VARS ######"
between two rows of #, then 20 blocks of keys, then "###### DUB.CO INTERNAL USE ONLY ######").
"""

from __future__ import annotations

import functools
import importlib.util
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from checks.support.files import ENV_FILE_LIMIT, read_text
from checks.support.lazyre import lazy

KEY_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_.]*")
_OPTIONAL_COMMENT = lazy(r"^[\s#-]*optional\b|[(\[]\s*optional\b", re.IGNORECASE)
# A section banner's title: a title framed by three or more #, =, * or - on each side
# ("###### OPTIONAL ENV VARS ######", "# ===== Optional =====", "# ---- Payments ----").
_SECTION = lazy(r"^#+\s*[#=*-]{3,}\s*(\w[^#=*\n]*?)\s*[#=*-]{3,}\s*$")
# A comment that says its keys are required ("# Required", "# --- Required for auth ---",
# "# Database (required)") ends an optional section whatever its style: a section's end is
# not left to the next banner alone.
_REQUIRED_COMMENT = lazy(r"^[\s#-]*required\b|[(\[]\s*required\b", re.IGNORECASE)
# `# DEFAULT_LLMS=…`: an example that comments a key out documents it all the same.
_COMMENTED_KEY = lazy(r"^#+[^\S\r\n]*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)[^\S\r\n]*=")
_KEY_PREFIX = lazy(r"""\s*(?:export\s+)?(?:'[^']+'|[^=#\s]+)\s*=[^\S\r\n]*""")
_QUOTED = {
    "'": re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL),
    '"': re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL),
}


@dataclass(frozen=True)
class Entry:
    key: str
    value: str | None  # None: a bare `KEY` line without `=`
    line: int
    optional: bool


@dataclass
class EnvFile:
    path: Path
    entries: list[Entry] = field(default_factory=list)
    malformed: list[int] = field(default_factory=list)  # line numbers
    commented: set[str] = field(default_factory=set)  # keys of `# KEY=value` lines

    @property
    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for entry in self.entries:
            seen.setdefault(entry.key)
        return list(seen)

    @property
    def values(self) -> dict[str, str]:
        """Last assignment wins, as in python-dotenv."""
        return {e.key: e.value or "" for e in self.entries}

    @property
    def duplicates(self) -> dict[str, list[int]]:
        lines: dict[str, list[int]] = {}
        for entry in self.entries:
            lines.setdefault(entry.key, []).append(entry.line)
        return {key: found for key, found in lines.items() if len(found) > 1}

    @property
    def optional_keys(self) -> set[str]:
        return {e.key for e in self.entries if e.optional}

    @property
    def required_keys(self) -> list[str]:
        optional = self.optional_keys
        return [key for key in self.keys if key not in optional]


def _inline_comment(binding_text: str) -> str | None:
    """The comment after the value on a `KEY=value # comment` line, if any."""
    prefix = _KEY_PREFIX.match(binding_text)
    if prefix is None:
        return None
    rest = binding_text[prefix.end() :]
    quoted = _QUOTED.get(rest[:1])
    if quoted is not None:
        closing = quoted.match(rest)
        if closing is None:
            return None
        rest = rest[closing.end() :]
        comment = re.match(r"[^\S\r\n]*#([^\r\n]*)", rest)
    else:
        # dotenv: an unquoted value ends where whitespace + '#' starts a comment,
        # and `KEY= # comment` is an empty value with a comment.
        comment = re.search(r"(?:^|[^\S\r\n])#([^\r\n]*)", rest.split("\n", 1)[0])
    return comment.group(1) if comment else None


def parse_env_text(text: str, path: Path) -> EnvFile:
    parsed = EnvFile(path)
    block_optional = False
    section_optional = False  # under an "optional" section banner, until the next banner
    in_pem = False  # inside the lines of an unquoted multi-line PEM value
    for binding in _dotenv_parser().parse_stream(io.StringIO(text)):
        raw = binding.original.string
        leading = raw[: len(raw) - len(raw.lstrip())]
        # The binding's own line: dotenv counts the leading blank lines in `line`.
        line = binding.original.line + leading.count("\n")
        if "\n" in leading:
            block_optional = False  # a blank line ends an Optional block
        body = raw.strip()
        if in_pem:
            # An unquoted PEM spills its base64 lines out as "keys": they are the secret,
            # so they are malformed lines (by number), never names to list.
            parsed.malformed.append(line)
            in_pem = "-----END" not in body
            continue
        if binding.error or (binding.key is not None and binding.value is None):
            # No `=`: Next.js's dotenv ignores the line; so does the app.
            parsed.malformed.append(line)
            block_optional = False
            continue
        if binding.key is not None and not KEY_NAME.fullmatch(binding.key):
            # Not a key (DESIGN.md: [A-Za-z_][A-Za-z0-9_.]*): `AUTH_SECRET:value`, a base64
            # line of a pasted key. Reported by its number only, never by its text.
            parsed.malformed.append(line)
            block_optional = False
            continue
        if binding.key is not None and _spilled_base64(binding.key, binding.value):
            parsed.malformed.append(line)
            continue
        if binding.key is None:
            if body.startswith("#"):
                # Any comment line ends the previous block; an "Optional" one starts a new one.
                block_optional = bool(_OPTIONAL_COMMENT.search(body))
                for title in filter(None, map(_SECTION.match, body.splitlines())):
                    section_optional = title[1].lower().startswith("optional")
                if section_optional and _REQUIRED_COMMENT.search(body):
                    section_optional = False
                parsed.commented.update(m[1] for m in map(_COMMENTED_KEY.match, body.splitlines()) if m)
            continue
        value = binding.value or ""
        if value.startswith("-----BEGIN") and "-----END" not in value:
            in_pem = True
        comment = _inline_comment(body)
        inline_optional = comment is not None and bool(_OPTIONAL_COMMENT.search(comment))
        parsed.entries.append(
            Entry(binding.key, binding.value, line, optional=block_optional or inline_optional or section_optional)
        )
    return parsed


def _spilled_base64(key: str, value: str | None) -> bool:
    """A base64 line of an unquoted key that ends in `=`/`==` parses as KEY=value: a long
    mixed-case, digit-bearing "key" with an empty or `=` value is that, not a variable."""
    return (value in ("", "=") and len(key) >= 40 and bool(re.search(r"[a-z]", key))
            and bool(re.search(r"[A-Z]", key)) and bool(re.search(r"\d", key)) and "_" not in key)


def read_env_file(path: Path) -> EnvFile:
    return parse_env_text(read_text(path, ENV_FILE_LIMIT, encoding="utf-8-sig"), path)


@functools.cache
def _dotenv_parser() -> ModuleType:
    """python-dotenv's own parser (the rules Next.js's loader shares), loaded without its
    package: `import dotenv.parser` first runs dotenv/__init__.py, whose main.py imports
    logging, tempfile and more (~10 ms of an env-only run's start-up) for functions never
    called here. parser.py itself imports only codecs, re and typing."""
    loaded = sys.modules.get("dotenv.parser")
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec("dotenv")  # finds the package without running it
    if package is None or not package.submodule_search_locations:
        # start-up: the ordinary import, where the package is not a plain folder
        import dotenv.parser

        return dotenv.parser
    location = Path(next(iter(package.submodule_search_locations))) / "parser.py"
    spec = importlib.util.spec_from_file_location("dotenv.parser", location)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
