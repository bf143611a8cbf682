"""Migration histories as each tool's own migrator sees them (DESIGN.md "Migrations").

One module per tool (drizzle.py, drizzle_v1.py, prisma.py, supabase.py, dbmate.py, golang_migrate.py), each
a `Migrator`: it lists the files in the tool's order, reads the tool's own history table
(read-only, one round trip) and records applied migrations in it exactly as the tool does.
DB006 judges `HistoryFacts`; `provision schema` applies `facts.pending` and calls `record`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from checks.support.files import SCHEMA_LIMIT, Confinement, at_most


class Migration(NamedTuple):  # a tuple: made once per file of a 5,000-file history, 0.25 µs against 0.6
    name: str  # as DB006 names it: the file's tag, the folder, `<version>_<name>`
    path: Path  # the SQL file
    key: str  # what the history records for it: drizzle's journal `when`, the version…
    checksum: str = ""  # the hash the tool records ('' where it records none)


@dataclass
class HistoryFacts:
    tool: str
    table: str  # the migrator's own history table
    apply_command: str  # how the app applies its migrations itself
    table_exists: bool = False
    pending: list[Migration] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # applied, but the file changed since
    missing_locally: list[str] = field(default_factory=list)  # applied, no such file here
    failed: list[str] = field(default_factory=list)  # started and not finished, or dirty
    applied: int = 0
    files: int = 0
    foreign: str = ""  # the table is there, but in another tool's shape: not read, never written
    blocked: str = ""  # why the app's own migrator refuses this history outright
    columns: frozenset[str] = frozenset()  # the history table's columns, where it exists

    @property
    def readable(self) -> bool:
        return self.table_exists and not self.foreign

    @property
    def pending_names(self) -> list[str]:
        return [m.name for m in self.pending]


class Migrator(Protocol):
    tool: str
    apply_command: str
    single_transaction: bool

    @property
    def table(self) -> str: ...

    def migrations(self, folder: Path) -> list[Migration]: ...

    async def before_apply(self, connection: Any) -> None: ...

    async def history(self, connection: Any, migrations: list[Migration]) -> HistoryFacts: ...

    async def record(self, connection: Any, applied: list[Migration]) -> None: ...


class HistoryTable:
    """What every migrator shares: its history table (schema "" = the search_path's first),
    and the first step of reading it — no table yet means every migration is pending."""

    tool = ""
    apply_command = ""
    # The tool's migrator runs every pending migration in one transaction, so it cannot run
    # what PostgreSQL refuses inside one (CREATE INDEX CONCURRENTLY…) either.
    single_transaction = False
    schema = ""
    name = ""
    reads: frozenset[str] = frozenset()  # the columns this tool's table has and we read
    # Columns that mark another tool's table of the same name: golang-migrate's and dbmate's
    # (and Rails') are all `schema_migrations`; golang-migrate's alone has `dirty`.
    marks: tuple[tuple[str, str], ...] = ()  # (column, the tool whose table has it)
    blocked = ""  # why the app's own migrator would refuse the files (then nothing is judged)
    # Where the files may lie (migrator_for: the project, its workspace root); none set: the
    # migrations folder itself. A file resolving elsewhere is refused before it is read.
    roots: tuple[Path, ...] = ()
    confinement: Confinement | None = None  # the run's, shared with schema_paths (migrator_for)
    # How a file's checksum is taken: sha256_text, or (migrator_for, always with the run's
    # confinement) from the run's one read of each file, which the report's digests and the
    # parse cache share, opened through that confinement (a file leading out is refused).
    hasher: Callable[[Path], str] = staticmethod(lambda path: sha256_text(path))

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def _identifier(self) -> Any:
        from psycopg import sql  # start-up: only runs that reach a database load psycopg

        return sql.Identifier(*([self.schema] if self.schema else []), self.name)

    async def _start(self, connection: Any, migrations: list[Migration]) -> HistoryFacts:
        facts = HistoryFacts(self.tool, self.table, self.apply_command, files=len(migrations),
                             blocked=self.blocked)
        columns = await table_columns(connection, self.schema, self.name)
        facts.table_exists = columns is not None
        if columns is None:
            facts.pending = list(migrations)
        else:
            facts.columns, facts.foreign = columns, self._foreign(columns)
        return facts

    def listed(self, folder: Path, glob: str) -> list[Path]:
        """The folder's files matching `glob`, at most MAX_MIGRATION_FILES (else refused)."""
        return at_most(folder.glob(glob), self._shown(folder, folder))

    def _shown(self, folder: Path, path: Path) -> str:
        roots = self.roots or (folder.parent,)
        return next((path.relative_to(root).as_posix() for root in roots if path.is_relative_to(root)),
                    str(path))

    def inside(self, folder: Path, path: Path) -> Path:
        """`path` (a file of the history in `folder`), when it stays inside the project."""
        confinement = self.confinement or self._confinements.get(folder)
        if confinement is None:
            # One per folder: its roots and folders resolved once for all its files.
            confinement = self._confinements[folder] = Confinement(self.roots or (folder,))
        confinement(path, lambda: self._shown(folder, path))
        return path

    @cached_property
    def _confinements(self) -> dict[Path, Confinement]:
        return {}

    def _foreign(self, columns: frozenset[str]) -> str:
        """Why the table is not this tool's history ("" when it is)."""
        shape = f"({', '.join(sorted(columns))})"
        for column, tool in self.marks:
            if column in columns:
                return (f"{self.table} has {tool}'s columns {shape}, not {self.tool}'s: this database's "
                        f"migrations were recorded by {tool}")
        missing = sorted(self.reads - columns)
        if missing:
            return (f"{self.table} has the columns {shape}, without {', '.join(missing)}: it is not "
                    f"{self.tool}'s history (another tool's table of the same name)")
        return ""

    async def before_apply(self, connection: Any) -> None:
        """What the tool does before it reads its history for an apply (nothing, mostly)."""

    async def _create_schema(self, connection: Any) -> None:
        if self.schema:
            from psycopg import sql  # start-up: only runs that reach a database load psycopg

            await connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))


def versioned_files(table: HistoryTable, folder: Path, glob: str, pattern: re.Pattern[str],
                    suffix: str = ".sql") -> list[Migration]:
    """`<version>_<name><suffix>` files named by their stem, the version being the pattern's
    first group, in file-name order (dbmate, Supabase; golang-migrate re-sorts by number)."""
    found = []
    for path in sorted(table.listed(folder, glob), key=lambda p: p.name):
        match = pattern.match(path.name)
        if match:
            found.append(Migration(path.name.removesuffix(suffix), table.inside(folder, path), match.group(1)))
    return found


def sha256_text(path: Path) -> str:
    """sha256 hex of a file's text as a Node or Go tool hashes it: the bytes read as UTF-8."""

    data = path.read_bytes()
    if len(data) > SCHEMA_LIMIT:
        raise OSError(f"{path.name} is over the size limit")
    return hashlib.sha256(data.decode("utf-8", "replace").encode("utf-8")).hexdigest()


async def table_columns(connection: Any, schema: str, name: str) -> frozenset[str] | None:
    """The table's column names, None when there is no such table; `schema` "" looks it up
    on the session's search_path. One round trip."""
    row = await (await connection.execute(
        "SELECT t.oid IS NOT NULL, ARRAY(SELECT attname::text FROM pg_attribute "
        "WHERE attrelid = t.oid AND attnum > 0 AND NOT attisdropped) "
        "FROM (SELECT to_regclass(CASE WHEN %s = '' THEN quote_ident(%s) "
        "ELSE quote_ident(%s) || '.' || quote_ident(%s) END)::oid AS oid) t",
        (schema, name, schema, name))).fetchone()
    if not row or not row[0]:
        return None
    return frozenset(row[1])


def compare_by_key(facts: HistoryFacts, migrations: list[Migration],
                   recorded: dict[str, str | None]) -> None:
    """The common rule (prisma, supabase, dbmate): a migration is applied when its key has
    a row; `recorded` maps key → the checksum the row holds (None where the tool keeps none)."""
    facts.files = len(migrations)
    facts.applied = len(recorded)
    local = {m.key: m for m in migrations}
    facts.pending = [m for m in migrations if m.key not in recorded]
    for key, checksum in recorded.items():
        migration = local.get(key)
        if migration is None:
            facts.missing_locally.append(key)
        elif checksum and migration.checksum and checksum != migration.checksum:
            facts.changed.append(migration.name)


