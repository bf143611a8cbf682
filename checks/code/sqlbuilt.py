"""What a SQL text is made of, as CODE004 reads it (sqltext.py) and settles it across modules
(sqlimports.py): constants and placeholders only, parts this file cannot settle, or a part
nobody can vouch for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ast_grep_py import SgNode


@dataclass(frozen=True)
class Imported:
    """A part of the text that is a name another module exports."""

    module: str  # the import's specifier, as written
    name: str  # what that module exports under it ("default")
    strict: bool  # a call nothing names as placeholders: unknown unless the module is followed
    reason: str  # why it is open ("`TABLE` is imported from ./db, not followed")


@dataclass
class Built:
    """What some text is made of: `unknown` names the first part nobody can vouch for; `open`
    lists parts this file cannot settle (could-not-verify); neither: constants and placeholders."""

    unknown: str | None = None
    open: list[str] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)  # the constant maps of the `open` lookups
    # What another module of the app may settle: its `open` reason, or for an imported call no name
    # says builds placeholders, what fails unless that module shows it constant (`strict`).
    imports: list[Imported] = field(default_factory=list)

    @property
    def constant(self) -> bool:
        return self.unknown is None and not self.open and not self.imports

    @property
    def reasons(self) -> list[str]:
        """The open reasons other than imports."""
        return [o for o in self.open if o not in {i.reason for i in self.imports}]

    def add(self, other: Built) -> Built:
        self.unknown = self.unknown or other.unknown
        self.open += [o for o in other.open if o not in self.open]
        self.lookups += [t for t in other.lookups if t not in self.lookups]
        self.imports += [i for i in other.imports if i not in self.imports]
        return self


def unknown(node: SgNode) -> Built:
    return Built(unknown=node.text()[:60])
