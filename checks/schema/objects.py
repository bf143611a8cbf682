"""Statements about named objects that may exist before the apply (issue 20's allow-list,
for what additive.py does not decide itself): what this apply created, renamed and dropped
so far, and for a DROP, RENAME or ALTER of anything else, how provision/schemaguard.py looks
it up to settle it against the database.

In a migration history such a statement runs when its object does not exist before the apply
(`Verdict.gone`): a `DROP … IF EXISTS` of nothing, or of what an earlier migration of the same
apply made under a name not followed here (an unnamed PRIMARY KEY's index, a serial's
sequence), loses nothing. A publication that publishes no table counts as not there: it holds
nothing to lose (Supabase's own `supabase_realtime` starts empty)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.schema.calls import _parts
from checks.schema.names import CURRENT_PATH, CURRENT_SCHEMA, TableName, quoted, relation_name

_KINDS = {"OBJECT_TABLE": "table", "OBJECT_INDEX": "index", "OBJECT_VIEW": "view",
          "OBJECT_MATVIEW": "view", "OBJECT_SEQUENCE": "sequence", "OBJECT_TYPE": "type",
          "OBJECT_DOMAIN": "type", "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "function",
          "OBJECT_ROUTINE": "function", "OBJECT_TRIGGER": "trigger", "OBJECT_POLICY": "policy",
          "OBJECT_SCHEMA": "schema", "OBJECT_PUBLICATION": "publication", "OBJECT_EXTENSION": "extension"}
# How provision/schemaguard.py looks an object of each kind up (MISSING_OBJECTS' kinds); a
# publication counts only while it publishes some table.
_LOOKUP = {"index": "relation", "view": "relation", "sequence": "relation", "type": "type",
           "function": "function", "schema": "schema", "extension": "extension",
           "publication": "published", "trigger": "trigger", "policy": "policy"}
_UNQUALIFIED = {"schema", "extension", "publication"}
Key = tuple[str, str, str]  # (kind, schema, name) of an object this apply creates
Lookup = tuple[str, str, str, str]  # (kind, schema or "", name, table or ""), as MISSING_OBJECTS takes it


@dataclass(frozen=True)
class Verdict:
    additive: bool
    why: str  # the allow-list rule it meets, or why it is not additive
    empty: tuple[TableName, ...] = ()  # a history may run it when these hold no rows then
    triggers: bool = False  # with `empty`: a write, so the tables must have no trigger or rule either
    absent: tuple[Lookup, ...] = ()  # additive only if these do not exist yet
    # A history may run it when none of these exists before the apply (keys as `absent`;
    # ("published", "", name, ""): a publication that publishes some table).
    gone: tuple[Lookup, ...] = ()
    # It calls functions this apply creates, which only compute: it runs only when no function
    # of those names exists anywhere before the apply (("any function", "", name, "")), so no
    # call can reach another (an overload, another schema's, whatever the search_path).
    calls: tuple[Lookup, ...] = ()


def _ok(why: str, absent: tuple[Lookup, ...] = ()) -> Verdict:
    return Verdict(True, why, absent=absent)


def _no(why: str, empty: tuple[TableName, ...] = (), triggers: bool = False,
        gone: tuple[Lookup, ...] = ()) -> Verdict:
    return Verdict(False, why, empty, triggers, gone=gone)


def _kind(node: Any) -> str:
    return type(node).__name__


@dataclass
class Objects:
    """The named objects this apply has created so far (and the tables it renamed)."""

    created: set[Key] = field(default_factory=set)
    moved: dict[TableName, TableName] = field(default_factory=dict)  # renamed table -> its new name

    def _new(self, kind: str, schema: str | None, name: str) -> bool:
        return (kind, schema or CURRENT_SCHEMA.get(), name) in self.created

    def _table_new(self, table: TableName) -> bool:
        return ("table", table.schema, table.name) in self.created

    def _add(self, kind: str, schema: str | None, name: str, if_not_exists: bool = False) -> None:
        """Record an object this apply creates. `CREATE … IF NOT EXISTS` of one it did not
        create may create nothing: the object may be the database's own, and a later DROP
        of it is judged as of one that existed (a schema, sequence or index with rows
        behind it)."""
        if if_not_exists and not self._new(kind, schema, name):
            return
        self.created.add((kind, schema or CURRENT_SCHEMA.get(), name))

    def _split(self, parts: list[str]) -> tuple[str, str]:
        return (parts[-2] if len(parts) > 1 and parts[-2] else CURRENT_SCHEMA.get(), parts[-1] if parts else "")

    def _schemas(self, parts: list[str]) -> list[str]:
        """Where the object `parts` names may be before the apply: its own schema when the name
        is qualified; else every schema of the search_path in force at the statement (a `SET
        search_path TO audit, public` in the file reaches public's objects too), and "" — the
        name as the checking session's own path resolves it ("$user" included)."""
        if len(parts) > 1 and parts[-2]:
            return [parts[-2]]
        path = [p for p in CURRENT_PATH.get() if p != "$user"]
        return list(dict.fromkeys([CURRENT_SCHEMA.get(), *path, ""]))

    def _existing(self, kind: str, parts: list[str], what: str) -> Verdict:
        schema, name = self._split(parts)
        if not name:  # a name that could not be read is never looked up as absent
            return _no(f"{what}: {kind or 'an object'} whose name could not be read")
        if kind and ((kind, schema, name) in self.created or (kind, "", name) in self.created):
            return _ok(f"alters {kind} {name}, which this apply created")
        lookup = _LOOKUP.get(kind) if kind not in ("trigger", "policy") else None
        schemas = [""] if kind in _UNQUALIFIED else self._schemas(parts)
        gone = tuple((lookup, where, name, "") for where in schemas) if lookup else ()
        return _no(f"{what}: {kind or 'an object'} {name} exists before this apply", gone=gone)

    def _constraint_indexes(self, table: TableName, elements: Any) -> None:
        """The index a named PRIMARY KEY, UNIQUE or EXCLUDE constraint creates under its own
        name (Prisma names each: `CONSTRAINT "User_pkey" PRIMARY KEY`): a later ALTER INDEX …
        RENAME or DROP INDEX of it is about what this apply created."""
        from pglast import ast  # start-up: only runs that read SQL load pglast
        from pglast.enums import ConstrType  # start-up: only runs that read SQL load pglast

        indexed = {ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_EXCLUSION}
        # A constraint is a table element or in a column's own list (CreateStmt.tableElts,
        # ColumnDef.constraints): only those are read, not every node of every column.
        for element in elements if isinstance(elements, tuple) else (elements,):
            found = element.constraints or () if isinstance(element, ast.ColumnDef) else (element,)
            for item in found:
                if isinstance(item, ast.Constraint) and item.contype in indexed and item.conname:
                    self._add("index", table.schema, str(item.conname))

    def _publication(self, node: Any) -> Verdict:
        name = str(node.pubname)
        if _kind(node) == "CreatePublicationStmt":
            self.created.add(("publication", "", name))
            return _ok("creates a publication")
        if ("publication", "", name) in self.created:
            return _ok(f"alters publication {name}, which this apply created")
        return _no(f"alters publication {name}, which exists before this apply",
                   gone=(("published", "", name, ""),))

    def _drop(self, node: Any, denied: str | None) -> Verdict:
        from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

        kind = _KINDS.get(ObjectType(int(node.removeType or 0)).name, "")
        names = [self._split(_parts(item)) for item in node.objects or ()]
        if kind == "table":
            # What takes the name next (a view over another table) is no longer the apply's own.
            self.created.difference_update(("table", s, n) for s, n in names)
            return _no(denied or "DROP TABLE", tuple(TableName(s, n) for s, n in names))
        keys = [(kind, "", n) if kind in ("trigger", "policy", "publication") else (kind, s, n) for s, n in names]
        if kind and names and all(key in self.created for key in keys):
            self.created.difference_update(keys)
            return _ok(f"drops {kind} {', '.join(n for _, n in names)}, which this apply created")
        return _no(denied or f"DROP of {kind or 'an object'} that exists before this apply",
                   gone=self._dropped(node, kind))

    def _dropped(self, node: Any, kind: str) -> tuple[Lookup, ...]:
        """How to look up each object a DROP names, to settle that none exists before the
        apply; () when one cannot be looked up, or CASCADE could reach past them."""
        from pglast.enums import DropBehavior  # start-up: only runs that read SQL load pglast

        lookup = _LOOKUP.get(kind)
        if lookup is None or node.behavior == DropBehavior.DROP_CASCADE:
            return ()
        keys = []
        for item in node.objects or ():
            parts = _parts(item)
            if not parts:
                return ()
            if kind in ("trigger", "policy"):  # [schema.]table.name
                if len(parts) < 2:
                    return ()
                on = parts[:-1]
                keys += [(lookup, "", parts[-1], str(TableName(where, on[-1])) if where else quoted(on[-1]))
                         for where in self._schemas(on)]
            elif kind in _UNQUALIFIED:
                keys.append((lookup, "", parts[-1], ""))
            else:
                keys += [(lookup, where, parts[-1], "") for where in self._schemas(parts)]
        return tuple(keys)

    def _rename(self, node: Any, denied: str | None) -> Verdict:
        from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

        kind = _KINDS.get(ObjectType(int(node.renameType)).name, "")
        if node.relation is not None:
            table = relation_name(node.relation)
            if kind == "table":
                self.moved[table] = TableName(table.schema, str(node.newname))
            if kind == "table" and self._table_new(table):
                self.created.discard(("table", table.schema, table.name))
                self._add("table", table.schema, str(node.newname))
                return _ok(f"alters table {table}, which this apply created")
            if self._table_new(table) or (kind in ("index", "view", "sequence")
                                          and (kind, table.schema, table.name) in self.created):
                if kind in ("index", "view", "sequence"):
                    self.created.discard((kind, table.schema, table.name))
                    self._add(kind, table.schema, str(node.newname))
                return _ok(f"alters {table}, which this apply created")
            if kind in ("table", "column"):  # the rows are at stake
                return _no(denied or f"renames in {table}, which exists before this apply", (table,))
            # An index, a constraint or trigger of a table: nothing to lose if it is not there
            # before the apply (an earlier migration made it: a PRIMARY KEY's index).
            written = [node.relation.schemaname or "", table.name]
            return _no(denied or f"renames in {table}, which exists before this apply",
                       gone=tuple(("relation", where, table.name, "") for where in self._schemas(written)))
        # ALTER SCHEMA … RENAME names its schema in `subname`, not `object`.
        parts = _parts(node.object) if node.object is not None else [str(node.subname or "")]
        verdict = self._existing(kind, parts, "a rename")
        if verdict.additive:
            schema, _name = self._split(parts)
            self._add(kind, schema, str(node.newname))
        return verdict
