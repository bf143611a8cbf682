"""Migration histories as each tool's own migrator sees them (DESIGN.md "Migrations").
One module per tool; `history_facts` is what DB006 judges. Only drizzle is read so far:
other tools' histories are reported as unverified, never as a pass."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HistoryFacts:
    tool: str
    table: str  # the migrator's own history table
    apply_command: str  # how the app applies its migrations itself
    table_exists: bool = False
    pending: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # applied, but the file changed since
    missing_locally: list[str] = field(default_factory=list)  # applied, no such file here
    applied: int = 0
    files: int = 0
