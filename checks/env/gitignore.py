"""ENV006's fix: the shell steps that untrack an env file and git-ignore it, so that the
next `git add -A` does not track it again. Each step works pasted into a POSIX shell in the
project (the runner puts `cd <project> &&` in front and joins the steps with `&&`), and
pasting it twice changes nothing: `git rm --ignore-unmatch` exits 0 on an untracked file,
and the line is appended only while git itself says the file is not ignored (whatever
pattern, .gitignore or global excludes file ignores it)."""

from __future__ import annotations

import posixpath
import shlex


def untrack(name: str) -> str:
    """`git rm --cached` of `name` (relative to the project), a no-op once it is untracked."""
    return f"git rm --cached --ignore-unmatch -- {shlex.quote(name)}"


def ignore(name: str) -> str:
    """Append `name`'s file name to the .gitignore beside it unless git already ignores it;
    a .gitignore whose last line has no newline gets one first, so the pattern is a line of
    its own. One subshell, no `;` (the runner splits steps on "; ")."""
    folder, base = posixpath.split(name)
    gitignore = shlex.quote(posixpath.join(folder, ".gitignore") if folder else ".gitignore")
    return (f"( git check-ignore -q --no-index -- {shlex.quote(name)} || "
            f"( ( [ -z \"$(tail -c 1 {gitignore} 2>/dev/null)\" ] || echo >> {gitignore} ) && "
            f"printf '%s\\n' {shlex.quote(base)} >> {gitignore} ) )")


def untrack_and_ignore(tracked: list[str], unignored: list[str]) -> str | None:
    """The fix for the tracked files and the files that are not ignored, steps joined by
    "; " (checks/core/runner.py pasteable); None when there is nothing to do."""
    steps = [untrack(name) for name in tracked]
    steps += [ignore(name) for name in dict.fromkeys([*tracked, *unignored])]
    return "; ".join(steps) or None
