"""Where the known secrets stand in a text, in any of their forms (secretforms.forms) and in the
disguises a reader sees through (folding): another case, a tab or an invisible character
inside, an entity or an escape for one of their characters, the line breaks of a wrapping
logger or a MIME encoder. A secret shorter than FORMS_FROM counts only as written: in another
case or cut by a line break it is most often an ordinary word or number."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from checks.support.folding import JOINT, LINE_START, Folded, fold, lowered
from checks.support.secretforms import (
    FORMS_FROM,
    PARTIAL_MIN,
    WHOLE_TOKEN_BELOW,
    WORD,
    alternation,
    forms,
)

# A form longer than this still is found whole in one text; split over the dev server's lines,
# its own parts are (a PEM key's lines are secrets of their own): the lines kept to look back
# into stay a few KiB.
REACH_MOST = 512

Span = tuple[int, int]


class KnownForms:
    """Every form of the known secrets, lowered and folded (the keys), matched through one
    trie-shaped pattern over the lowered text and, when it has disguises, over its folded view.
    The pattern is compiled on first use after a change, and not before a text holds a key."""

    def __init__(self, shortest: int) -> None:
        self._shortest = shortest  # a shorter key would mask ordinary text
        self._keys: dict[str, set[str]] = {}  # a key → the forms it stands for
        self._loose: set[str] = set()  # keys of secrets of FORMS_FROM or more: any case, any disguise
        self._long: set[str] = set()  # keys of a form of WHOLE_TOKEN_BELOW or more: found inside words too
        self._as_written = False  # a key is looked for in the lowered text whatever the view
        self._pattern: re.Pattern[str] | None = None
        self._stale = False
        self._heads: tuple[dict[str, set[str]], re.Pattern[str], set[str]] | None = None
        self.reach = 0  # view characters a form may span back into the lines before

    def __bool__(self) -> bool:
        return bool(self._keys)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            loose = len(secret) >= FORMS_FROM
            for form in forms(secret):
                folded = fold(form)
                written = lowered(form)
                for key in {written, folded.view} if folded else {written}:
                    if folded and key != written:
                        # What a form drops at its ends falls outside a span found in the view:
                        # looked for as written too. A secret of little but disguises would mask
                        # ordinary text: only as written.
                        too_short = not key or (loose and len(key) < self._shortest)
                        self._as_written = self._as_written or too_short or folded.drops_edge
                        if too_short:
                            continue
                    self._keys.setdefault(key, set()).add(form)
                    if len(form) >= WHOLE_TOKEN_BELOW:
                        self._long.add(key)
                    if loose:
                        self._loose.add(key)
                        self.reach = max(self.reach, min(len(key), REACH_MOST))
            self._stale = True
            self._heads = None

    @property
    def window(self) -> int:
        """Characters of the lines before a line worth looking back into (a disguise takes
        more characters than the one it stands for)."""
        return 2 * self.reach + 64

    def _compiled(self) -> re.Pattern[str]:
        if self._pattern is None or self._stale:
            self._pattern = re.compile(alternation(self._keys))
            self._stale = False
        return self._pattern

    def _holds(self, *views: str) -> bool:
        """Whether a key occurs, by plain substring tests: until a text holds one, the pattern
        is not compiled (40 secrets cost ~20 ms to compile, more than an env-only run's checks,
        and most texts hold none)."""
        return any(key in view for key in self._keys for view in views)

    def spans(self, text: str) -> list[Span]:
        """Where a form of a known secret stands in `text`, as written or disguised."""
        if not self._keys or not text:
            return []
        low = lowered(text)
        folded = fold(text)
        if self._pattern is None and not self._holds(low, *([folded.view] if folded else [])):
            return []
        pattern = self._compiled()
        found = self._find(pattern, folded.view if folded else low, folded, text)
        if folded is not None and (folded.risky or self._as_written):
            found += self._find(pattern, low, None, text)  # as written too: see Folded.risky
        return [part for span in found for part in cut(text, span)]

    def _find(self, pattern: re.Pattern[str], view: str, folded: Folded | None, text: str) -> list[Span]:
        """The text's spans behind the keys `pattern` finds in `view` that stand there."""
        found: list[Span] = []
        at = 0
        while (match := pattern.search(view, at)) is not None:
            start, end = match.span()
            span = folded.span(start, end) if folded else (start, end)
            if self._stands(match.group(), text, span):
                found.append(span)
                at = end
            else:  # a shorter key refused here must not hide a longer one starting inside it
                at = start + 1
        return found

    def _stands(self, key: str, text: str, span: Span) -> bool:
        """A short secret's form counts only as written, and a short key only as a whole token
        ("short" must not become "****er")."""
        start, end = span
        if key not in self._loose and text[start:end] not in self._keys[key]:
            return False
        return key in self._long or (
            (start == 0 or not WORD.match(text[start - 1])) and (end == len(text) or not WORD.match(text[end])))

    def wrapped(self, lines: Sequence[str], *, open_before: bool = True) -> tuple[list[list[Span]], bool]:
        """For consecutive lines of one output, the last just printed: the spans of each line
        that hold part of a form the lines hold together (a wrapping logger or a MIME encoder
        split it over them), or that start a form at the last line's end (its rest is still to
        come: live progress must not show it in the meantime); and whether the last line ends
        with a form's start, masked or not (`open_before` of the next call). Lines are looked
        back into only as far as a form reaches, and only when the line before ended with a
        form's start or the last line starts with a form's inside."""
        found: list[list[Span]] = [[] for _ in lines]
        if not self._loose or not lines:
            return found, False
        bound = self.window
        last = lines[-1]
        parts: list[tuple[int, int, str]] = []  # (line, where the part starts in it, the part)
        if len(lines) > 1 and (open_before or self._continues(last)):
            room = bound
            for index in range(len(lines) - 2, -1, -1):
                if room <= 0:
                    break
                line = lines[index]
                part = line[-room:]
                parts.append((index, len(line) - len(part), part))
                room -= len(part) + 1
            parts.reverse()
        parts.append((len(lines) - 1, 0, last[:bound]))
        joined = "\n".join(part for _, _, part in parts)
        folded = fold(joined)
        view = folded.view if folded else lowered(joined)
        spans: list[Span] = []
        if len(parts) > 1 and (self._pattern is not None or self._holds(view)):
            begins = len(joined) - len(parts[-1][2])
            spans = [part for span in self._find(self._compiled(), view, folded, joined)
                     if span[0] < begins < span[1] for part in cut(joined, span)]
        if len(last) <= bound:
            started, still_open = self._open_end(view, folded, joined)
            spans += cut(joined, started) if started else []
        else:  # the last line alone holds a form's start
            tail = last[-bound:]
            folded_tail = fold(tail)
            tail_view = folded_tail.view if folded_tail else lowered(tail)
            started, still_open = self._open_end(tail_view, folded_tail, tail)
            if started:  # on one line: cut nowhere
                shift = len(last) - len(tail)
                found[-1].append((started[0] + shift, started[1] + shift))
        at = 0
        for index, offset, part in parts:
            for start, end in spans:
                start, end = max(start, at), min(end, at + len(part))
                if start < end:
                    found[index].append((offset + start - at, offset + end - at))
            at += len(part) + 1
        return found, still_open

    def _continues(self, line: str) -> bool:
        """Whether `line` may go on with a form the lines before started, though they did not
        end with PARTIAL_MIN characters of it: then it starts with what follows a form's first
        few characters."""
        prefix = LINE_START.match(line)
        head = line[prefix.end() if prefix else 0:][:64]
        folded = fold(head)
        view = folded.view if folded else lowered(head)
        insides = self._index()[2]
        # A line shorter than that may be all inside a form.
        return len(view) < PARTIAL_MIN or any(view[:size] in insides for size in range(4, PARTIAL_MIN + 1))

    def _open_end(self, view: str, folded: Folded | None, text: str) -> tuple[Span | None, bool]:
        """The longest end of `text` that starts a form (PARTIAL_MIN characters or more; a piece
        shorter than WHOLE_TOKEN_BELOW only as written and standing as a token of its own), and
        whether any end of PARTIAL_MIN characters or more starts one."""
        heads, pattern, _ = self._index()
        end = len(view.rstrip())
        at = max(0, end - self.reach)
        started = False
        while (match := pattern.search(view, at, end)) is not None:
            at = match.start() + 1
            piece = view[match.start():end]
            if len(piece) < PARTIAL_MIN:
                break
            keys = [key for key in heads[match.group()] if len(key) > len(piece) and key.startswith(piece)]
            if not keys:
                continue
            started = True
            start, stop = folded.span(match.start(), end) if folded else (match.start(), end)
            if len(piece) >= WHOLE_TOKEN_BELOW or (
                    (start == 0 or not WORD.match(text[start - 1]))
                    and any(form.startswith(JOINT.sub("", text[start:stop])) for key in keys for form in self._keys[key])):
                return (start, stop), True
        return None, started

    def _index(self) -> tuple[dict[str, set[str]], re.Pattern[str], set[str]]:
        """The keys by their first PARTIAL_MIN characters, a pattern finding those, and what
        follows a key's first one to PARTIAL_MIN - 1 characters (PARTIAL_MIN of it, or all of a
        short key's rest from 4 on)."""
        if self._heads is None:
            heads: dict[str, set[str]] = {}
            insides: set[str] = set()
            for key in self._loose:
                if len(key) > PARTIAL_MIN:
                    heads.setdefault(key[:PARTIAL_MIN], set()).add(key)
                for cut in range(1, min(PARTIAL_MIN, len(key) - 3)):
                    insides.add(key[cut:cut + PARTIAL_MIN])
            self._heads = heads, re.compile(alternation(heads) if heads else r"(?!)"), insides
        return self._heads


def cut(text: str, span: Span) -> list[Span]:
    """`span` without the line breaks it holds, the next line's indentation and prefix kept out
    of it: a mask on each line."""
    start, end = span
    if text.find("\n", start, end) < 0:
        return [span]
    parts: list[Span] = []
    for joint in JOINT.finditer(text, start, end):
        if joint.start() > start:
            parts.append((start, joint.start()))
        start = joint.end()
    return [*parts, (start, end)] if end > start else parts
