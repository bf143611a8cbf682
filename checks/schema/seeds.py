"""Seeds, for the allow-list guard (additive.py): an INSERT runs unasked when it puts rows
into a table this apply creates and copies rows only from tables this apply creates.

A table made by `CREATE TABLE IF NOT EXISTS` may have existed (with rows) before the apply.
It counts as the apply's own, for a seed into it and for a copy of its rows, when it does not
exist before the apply (`absent`, settled by provision/schemaguard.py) and nothing else of the
apply may have put a relation under its name before it, or dropped, renamed or moved one away
from it since (`fresh`): then the name is that table's, and its rows are the apply's. Old
drizzle-kit output makes every table so (Dokploy's drizzle/0000_reflective_puck.sql creates
`admin` and `project`; 0066_yielding_echo.sql and 0107_loud_kang.sql copy their rows).

Each INSERT of an INSERT's WITH is a seed of its own, by the same rules (0066's data migration
is one statement of six INSERTs); a later part of the statement reads the rows it RETURNs
under the CTE's name, which is no table. Any other write in a WITH stays refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.schema.calls import _walk
from checks.schema.hidden import Hidden
from checks.schema.names import TableName, relation_name
from checks.schema.objects import Lookup, Verdict, _kind, _no, _ok
from checks.schema.safelist import COMPUTING_EXTENSIONS
from checks.support.sqltree import children

# The 4th field of an `absent` key for a table a seed reads (MISSING_OBJECTS ignores it for a
# relation): provision/schemaguard.py says why it refuses the seed when that table exists.
READ = "read"
ANY_NAME = "*"  # a statement that may put a relation under any name (an extension's script)
# Statements that cannot give a relation a name, nor take one away: the rest name what they
# may (`naming`). A DO block's and a CREATE SCHEMA's own statements are classified one by one;
# an ALTER TABLE cannot rename (RenameStmt) nor move (AlterObjectSchemaStmt) its table.
_NAME_NOTHING = {"InsertStmt", "UpdateStmt", "DeleteStmt", "CommentStmt", "GrantStmt", "GrantRoleStmt",
                 "AlterDefaultPrivilegesStmt", "VariableSetStmt", "CreatePolicyStmt", "CreateTrigStmt",
                 "CreateFunctionStmt", "CreateEnumStmt", "AlterEnumStmt", "LockStmt", "TruncateStmt",
                 "CreateRoleStmt", "AlterTableStmt", "DoStmt", "CreateSchemaStmt", "ExplainStmt",
                 "CreateDomainStmt", "CreateStatsStmt", "AlterSeqStmt", "CreatePublicationStmt",
                 "AlterPublicationStmt", "AlterFunctionStmt"}
# Renames of a part of a relation, which keeps its name (`ALTER TABLE "project" RENAME COLUMN`).
_RENAMES_PART = {"OBJECT_COLUMN", "OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY",
                 "OBJECT_DOMCONSTRAINT", "OBJECT_ATTRIBUTE", "OBJECT_RULE"}


def naming(node: Any) -> set[str]:
    """The relation names `node` may create, drop, rename or move a relation under or away
    from: exact where the statement says (a CREATE's own name), else every name in it."""
    from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

    kind = _kind(node)
    if kind in _NAME_NOTHING or (kind == "SelectStmt" and node.intoClause is None):
        return set()
    target = {"CreateStmt": "relation", "ViewStmt": "view", "CreateSeqStmt": "sequence",
              "CompositeTypeStmt": "typevar"}.get(kind)
    if target is not None:
        return {str(getattr(node, target).relname)}
    if kind in ("CreateTableAsStmt", "SelectStmt"):
        into = node.into if kind == "CreateTableAsStmt" else node.intoClause
        return {str(into.rel.relname)}
    if kind == "IndexStmt":
        return {str(node.idxname)} if node.idxname else set()
    if kind == "CreateExtensionStmt":
        return set() if str(node.extname) in COMPUTING_EXTENSIONS else {ANY_NAME}
    if kind == "RenameStmt":
        renamed = ObjectType(int(node.renameType)).name
        if renamed == "OBJECT_SCHEMA":  # every relation in it moves
            return {ANY_NAME}
        if renamed in _RENAMES_PART:
            return set()
    # A DROP (of a schema too: what is in it goes), a rename, a move to another schema, and
    # any statement not known here: every name it holds.
    names = {str(value) for item in _walk(node) for slot in type(item).__slots__
             if isinstance(value := getattr(item, slot, None), str)}
    return names | ({ANY_NAME} if kind == "DropStmt" and node.removeType == ObjectType.OBJECT_SCHEMA else set())


@dataclass
class Seeds(Hidden):
    """What an INSERT may read and write, from what earlier statements of the apply did."""

    maybe: set[TableName] = field(default_factory=set)  # CREATE TABLE IF NOT EXISTS: may have existed
    # Of those, the ones whose name nothing else of the apply took, gave or moved so far.
    fresh: set[TableName] = field(default_factory=set)
    named: set[str] = field(default_factory=set)  # every relation name a statement so far may have bound
    # What an INSERT into a new table may run, in statement order: a reason, or (expression,
    # what it is) to judge once a seed comes (most new tables get none).
    risks: dict[TableName, list[str | tuple[Any, str]]] = field(default_factory=dict)
    # What an upsert's DO UPDATE fires on a new table besides its INSERT risks: UPDATE triggers.
    upsert_risks: dict[TableName, list[str | tuple[Any, str]]] = field(default_factory=dict)
    seeded: set[TableName] = field(default_factory=set)  # new tables holding rows: an index or default runs now

    def naming_begins(self, node: Any) -> set[str]:
        """Before `node` is judged: a fresh table whose name it may take, drop or move is no
        longer known to be the one its CREATE made. Returns the names, for naming_ends."""
        names = naming(node)
        if names:
            self.fresh = {t for t in self.fresh if t.name not in names and ANY_NAME not in names}
        return names

    def naming_ends(self, names: set[str]) -> None:
        self.named |= names

    def maybe_created(self, table: TableName) -> None:
        """`CREATE TABLE IF NOT EXISTS table` of a table this apply did not create."""
        self.maybe.add(table)
        if table.name not in self.named and ANY_NAME not in self.named:
            self.fresh.add(table)

    def _risk(self, table: TableName, upsert: bool = False) -> str | None:
        """The first thing an INSERT into the new `table` (an upsert: also its UPDATE
        triggers) runs that is not proven harmless."""
        policy = self._policy_risk(table)
        if policy:
            return f"the {policy}"
        for entry in (*self.risks.get(table, ()), *(self.upsert_risks.get(table, ()) if upsert else ())):
            if isinstance(entry, str):
                return entry
            why = self.unsafe(entry[0])
            if why:
                return f"{entry[1]} of {table}: {why}"
        return None

    def _insert(self, node: Any, visible: frozenset[str] = frozenset(), into: list[TableName] | None = None) -> Verdict:
        """An INSERT, and each INSERT of its WITH, judged as seeds. For an INSERT of a WITH
        (`into`: the tables the statement seeds so far), `visible` names the statement's CTEs
        it sees, which are no tables; a WITH of its own may not write (PostgreSQL takes a
        data-modifying WITH only on the statement itself)."""
        from pglast.enums import OnConflictAction  # start-up: only runs that read SQL load pglast

        table = self._resolved(node.relation)
        conflict = node.onConflictClause
        upsert = conflict is not None and conflict.action == OnConflictAction.ONCONFLICT_UPDATE
        if upsert and not self._table_new(table):
            # Into a table this apply creates it overwrites only the apply's own rows; into
            # another, rows that exist, so (in a history) it runs only where that holds none.
            return _no(f"upsert into {table} (ON CONFLICT DO UPDATE): it overwrites rows that exist", (table,), True)
        # Dokploy's 0066_yielding_echo.sql: `WITH inserted_users AS (INSERT INTO user_temp … SELECT
        # … FROM admin … RETURNING *), … INSERT INTO member … FROM inserted_orgs`. Each INSERT of
        # the WITH is a seed of its own; any other write there (UPDATE, DELETE) stays refused.
        ctes = (node.withClause.ctes or ()) if node.withClause is not None else ()
        seeds = [cte for cte in ctes if into is None and _kind(cte.ctequery) == "InsertStmt"
                 and cte.search_clause is None and cte.cycle_clause is None]
        others = [cte for cte in ctes if all(cte is not seed for seed in seeds)]
        # The DO UPDATE's SET and WHERE run too, on every row that conflicts.
        why = self.unsafe((others, node.selectStmt, conflict, getattr(node, "returningClause", None)))
        if why:
            return _no(f"INSERT into {table}: {why}")
        seeded: list[TableName] = [] if into is None else into
        absent: tuple[Lookup, ...] = ()
        names = set(visible)
        for cte in ctes:
            if any(cte is seed for seed in seeds):
                own = {str(cte.ctename)} if node.withClause.recursive else set()
                inner = self._insert(cte.ctequery, frozenset(names | own), seeded)
                if not inner.additive:
                    return _no(f"{inner.why} (inside WITH {cte.ctename})")
                absent += inner.absent
            names.add(str(cte.ctename))
        # Rows copied from tables this same apply created (a history's data migration on a
        # fresh database: umami's `INSERT INTO share … SELECT … FROM website`) lose nothing.
        # Any other relation may be a view whose functions write, or hold rows the copy
        # would multiply: refused, wherever the query reads it (a UNION's arm, a subquery).
        read, fresh = self._read_elsewhere(node, visible, seeds)
        if read is not None:
            return _no(f"INSERT into {table} of rows read from {relation_name(read)}, which this apply does not "
                       "create (a seed inserts constants, or copies rows of tables this apply creates)")
        # A `CREATE TABLE IF NOT EXISTS` table counts only while nothing else of the apply may
        # have put a relation under its name: `CREATE VIEW team AS SELECT … FROM users` before
        # it makes the INSERT one into users.
        if not self._table_new(table) and table not in self.fresh:
            return _no(f"INSERT into {table}, which this apply does not create (only seeds into a "
                       "new table run unasked)")
        risk = self._risk(table, upsert)
        if risk:
            return _no(f"INSERT into {table} runs {risk}")
        # Looked up in every schema of the path: after `SET search_path TO ghost, public`, with
        # no ghost, the IF NOT EXISTS created nothing and `users` is public.users.
        if table in self.fresh:
            absent += self._absent([node.relation.schemaname or "", table.name], "")
        for relation in fresh:  # its rows are the apply's only if it did not exist before it
            absent += self._absent([relation.schemaname or "", str(relation.relname)], READ)
        self.seeded.add(table)
        seeded += [table] if table not in seeded else []
        return _ok(f"seed rows into {', '.join(map(str, seeded))}, which this apply creates",
                   tuple(dict.fromkeys(absent)))

    def _absent(self, written: list[str], why: str) -> tuple[Lookup, ...]:
        return tuple(("relation", where, written[-1], why) for where in self._schemas(written))

    def _read_elsewhere(self, node: Any, visible: frozenset[str] = frozenset(),
                        seeds: list[Any] | tuple[Any, ...] = ()) -> tuple[Any, list[Any]]:
        """The first relation an INSERT reads that is not a table this apply created, and the
        fresh `CREATE TABLE IF NOT EXISTS` tables it reads. A CTE's name is no table (rallly's
        `WITH PotentialInvites AS (…) INSERT …`; `visible`: those of the statement around it),
        except inside its own body, where (not RECURSIVE) the name is the relation's:
        `WITH v AS (SELECT * FROM v)` reads v. `seeds`: the INSERTs of its WITH, judged apart."""
        source = node.selectStmt
        ctes: set[str] = set(visible)
        pending: list[tuple[Any, frozenset[str]]] = []
        for with_clause in (node.withClause, getattr(source, "withClause", None)):
            if with_clause is None:
                continue
            if with_clause is not node.withClause:
                # The SELECT's own WITH is that SELECT's: its ON CONFLICT and RETURNING see only
                # the INSERT's CTEs (`RETURNING (SELECT … FROM audit)` reads the relation audit).
                pending.append(((node.onConflictClause, getattr(node, "returningClause", None)), frozenset(ctes)))
            for cte in with_clause.ctes or ():
                own = {str(cte.ctename)} if with_clause.recursive else set()
                if all(cte is not seed for seed in seeds):
                    pending.append((cte.ctequery, frozenset(ctes | own)))
                ctes.add(str(cte.ctename))
        rest = [child for child in (children(source) if source is not None else ())
                if child is not getattr(source, "withClause", None)]
        if getattr(source, "withClause", None) is None:
            rest += [node.onConflictClause, getattr(node, "returningClause", None)]
        pending.append((rest, frozenset(ctes)))
        fresh = []
        for part, names in pending:
            for item in _walk(part):
                if _kind(item) != "RangeVar" or (item.schemaname is None and str(item.relname) in names):
                    continue
                if self._resolved(item) in self.fresh:
                    fresh.append(item)
                elif not self._table_new(self._resolved(item)):
                    return item, fresh
        return None, fresh
