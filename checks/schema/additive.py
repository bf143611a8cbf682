"""The allow-list guard (issue 20): a statement runs unasked only when its parse tree proves
it additive (safelist.py ALLOW_LIST); every other statement gets a verdict that says what
it is and why it is not additive, and needs --allow-destructive.

Some verdicts are settled only against the database, by `provision schema` (provision/
schemaguard.py): CREATE OR REPLACE (and a seed into a `CREATE TABLE IF NOT EXISTS` table) is
additive only when the object does not exist before the apply (`absent`), and in a migration
history a statement whose only risk is to the rows of some tables (DROP TABLE, DROP COLUMN,
UPDATE…) runs when those tables hold no rows at that point (`empty`), and a DROP, RENAME or
ALTER of an object this apply does not create runs when that object does not exist before the
apply (`gone`, objects.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from checks.schema.calls import _parts, body_writes, path_set
from checks.schema.guard import _option, _parse_query, _plpgsql_queries, _truthy, input_types
from checks.schema.names import TableName, relation_name
from checks.schema.objects import _KINDS, Verdict, _kind, _no, _ok
from checks.schema.safelist import SAFE_FUNCTIONS, SAFE_SETTINGS
from checks.schema.seeds import Seeds

__all__ = ["Classifier", "Verdict"]

_ANY_TABLE = {"AT_AddColumn", "AT_AddConstraint", "AT_ValidateConstraint", "AT_SetNotNull",
              "AT_EnableRowSecurity", "AT_ForceRowSecurity"}
_ADDITIVE = {"CreatePolicyStmt": "creates a policy", "CreateEnumStmt": "creates an enum type",
             "CompositeTypeStmt": "creates a type", "CreateExtensionStmt": "creates an extension",
             "CreateSeqStmt": "creates a sequence", "CreateRoleStmt": "creates a role",
             "CommentStmt": "a comment", "CreateStatsStmt": "creates statistics",
             # Changes nothing; held until the apply's transaction ends (formbricks locks
             # both tables while it swaps ApiKeyNew in for ApiKey).
             "LockStmt": "a table lock, released when the transaction ends"}
_INSERT, _UPDATE = 4, 16  # pg_trigger.h TRIGGER_TYPE_INSERT, TRIGGER_TYPE_UPDATE


@dataclass
class Classifier(Seeds):
    """What earlier statements of the same apply created, so a later one can be judged."""

    bodies: dict[tuple[str, str], str | None] = field(default_factory=dict)  # new function -> why it writes

    def _runs_on(self, table: TableName, node: Any, what: str, fresh: bool = False) -> Verdict | None:
        """An expression evaluated for each row of `table`: harmless on a new table until a
        seed runs it (remembered), else it must call only safe functions now."""
        if fresh or self._table_new(table):
            self.risks.setdefault(table, []).append((node, what))
            if fresh or table not in self.seeded:
                return None
        why = self.unsafe(node)
        if why is None:
            return None
        held = "holds the rows seeded above" if self._table_new(table) else "exists"
        return _no(f"{what} runs for every row of {table}, which {held}: {why}")

    def classify(self, node: Any, denied: str | None = None) -> Verdict:
        outer, self.called = self.called, []
        names = self.naming_begins(node)
        try:
            verdict = self._judged(node, denied)
        finally:
            called, self.called = self.called, outer + self.called  # a DO's, a schema's: the outer runs them
            self.naming_ends(names)
        # Functions of this apply's it runs now: none of their names may exist before it.
        keys = tuple(("any function", "", name, "") for name in dict.fromkeys(called))
        return replace(verdict, calls=keys) if keys else verdict

    def _judged(self, node: Any, denied: str | None) -> Verdict:
        self.distrust(node)
        verdict = self._classify(node, denied)
        if denied and verdict.additive and not verdict.why.startswith(("drops", "alters", "replaces")):
            # The guard's CREATE TABLE after RENAME TO: what is at stake are the rows of the
            # renamed table, which a history applied to an empty database has none of.
            moved = self.moved.get(relation_name(node.relation)) if _kind(node) == "CreateStmt" else None
            return _no(denied, (moved,) if moved else ())
        return verdict

    def _classify(self, node: Any, denied: str | None) -> Verdict:
        from pglast import ast  # start-up: only runs that read SQL load pglast
        from pglast.enums import (  # start-up: only runs that read SQL load pglast
            DropBehavior,
            ObjectType,
        )

        kind = _kind(node)
        if kind in _ADDITIVE:
            self._track_simple(node)
            return _ok(_ADDITIVE[kind])
        if kind in ("CreatePublicationStmt", "AlterPublicationStmt"):
            return self._publication(node)
        if isinstance(node, ast.CreateStmt):
            table = self._target(node.relation)
            if node.if_not_exists and not self._table_new(table):
                self.maybe_created(table)  # a seed into it is one only if it did not exist before
            else:
                self._add("table", table.schema, table.name)
            self._constraint_indexes(table, node.tableElts)
            self._runs_on(table, node.tableElts, "a default, check or generated column", fresh=True)
            for parent in map(relation_name, node.inhRelations or ()):
                if not self._table_new(parent):  # PARTITION OF / INHERITS: its rows are the parent's too
                    self.risks.setdefault(table, []).append(
                        f"the triggers and defaults of {parent}, which this apply does not create and "
                        "whose rows the seed adds to")
            return _ok("creates a new table")
        if isinstance(node, ast.IndexStmt):
            table = relation_name(node.relation)
            if node.idxname:
                self._add("index", table.schema, str(node.idxname), bool(node.if_not_exists))
            return self._runs_on(table, (node.indexParams, node.whereClause), "the index expression") or \
                _ok("creates a new index")
        if isinstance(node, ast.AlterTableStmt):
            return self._alter_table(node, denied)
        if isinstance(node, ast.InsertStmt):
            return self._insert(node)
        if isinstance(node, (ast.UpdateStmt, ast.DeleteStmt)):
            table = relation_name(node.relation)
            what = "changes rows" if isinstance(node, ast.UpdateStmt) else "deletes rows"
            # Every part that is evaluated, a read-only WITH and the FROM/USING tables too
            # (inbox-zero's `WITH "rankedSplits" AS (SELECT …) UPDATE "MailSplit" …`); a
            # data-modifying WITH is a write inside it.
            why = self.unsafe(tuple(getattr(node, part, None) for part in (
                "relation", "withClause", "targetList", "fromClause", "usingClause", "whereClause",
                "returningClause")))
            if why:
                return _no(denied or f"{what} of {table}: {why}")
            return _no(denied or f"{what} of {table} (not a seed into a new table)", (table,), True)
        if isinstance(node, ast.TruncateStmt):
            if node.behavior == DropBehavior.DROP_CASCADE:
                # It empties every table whose foreign key references these, rows or not.
                return _no(denied or "TRUNCATE … CASCADE empties every table that references these")
            return _no(denied or "TRUNCATE", tuple(relation_name(r) for r in node.relations or ()), True)
        if isinstance(node, ast.SelectStmt):
            if node.intoClause is not None:  # CREATE TABLE … AS, written the other way
                why = self.unsafe(node)
                if why or denied:
                    return _no(denied or f"a table made from a query (SELECT … INTO), and {why}")
                into = self._target(node.intoClause.rel)
                self._add("table", into.schema, into.name)
                self.seeded.add(into)
                return _ok("creates a new table from a query")
            why = self.unsafe(node)
            return _no(denied or why) if why else _ok("reads only, calls only safe functions")
        if isinstance(node, (ast.CreateTableAsStmt, ast.ViewStmt)):
            return self._view(node, denied)
        if isinstance(node, ast.CreateFunctionStmt):
            return self._function(node)
        if isinstance(node, ast.CreateTrigStmt):
            return self._trigger(node)
        if isinstance(node, ast.CreateDomainStmt):
            self._add("type", *self._split(_parts(node.domainname)))
            why = self.unsafe(node.constraints, own=False)  # kept: it runs on every later cast
            return _no(f"the domain's check {why}") if why else _ok("creates a domain")
        if isinstance(node, ast.CreateSchemaStmt):
            self._add("schema", "", str(node.schemaname or ""), bool(node.if_not_exists))
            inner = [self.classify(e) for e in node.schemaElts or ()]
            return next((v for v in inner if not v.additive), _ok("creates a schema"))
        if isinstance(node, (ast.GrantStmt, ast.GrantRoleStmt)):
            return _ok("GRANT") if node.is_grant else _no("REVOKE takes privileges away")
        if _kind(node) == "AlterDefaultPrivilegesStmt":
            return _ok("GRANT") if node.action.is_grant else _no("REVOKE takes privileges away")
        if isinstance(node, ast.VariableSetStmt):
            name = str(node.name or "").lower()
            ahead = path_set(node)
            if ahead:
                return _no(f"SET search_path puts {ahead} ahead of pg_catalog: an unqualified call of a "
                           f"safe function may then run {ahead}'s function of that name")
            if not name or name in SAFE_SETTINGS:
                return _ok("a session setting")
            return _no(f"SET {name} is not a plain session setting")
        if isinstance(node, ast.ExplainStmt):
            if not _truthy(_option(node.options, "analyze")):
                return _ok("EXPLAIN plans, it runs nothing")
            return self.classify(node.query, denied)
        if isinstance(node, ast.DoStmt):
            return self._do(node, denied)
        if isinstance(node, ast.AlterEnumStmt):
            if node.newVal and not node.oldVal:
                return _ok("adds an enum value")
            return self._existing("type", _parts(node.typeName), "renames an enum value")
        if _kind(node) == "AlterSeqStmt":
            options = {o.defname for o in node.options or ()}
            if "restart" in options:
                return _no("resets a sequence: later inserts can collide with existing primary keys")
            if options <= {"owned_by"}:
                return _ok("ALTER SEQUENCE … OWNED BY")
            return self._existing("sequence", [node.sequence.schemaname or "", node.sequence.relname],
                                  "changes a sequence")
        if isinstance(node, ast.CopyStmt):
            if node.is_program:
                return _no("COPY … PROGRAM runs a shell command on the database server")
            if node.filename:
                return _no("COPY … a file on the database server")
            return _no("COPY through the client connection")
        if isinstance(node, ast.RuleStmt):
            return _no(f"a rule rewrites every later statement on {relation_name(node.relation)}")
        if isinstance(node, ast.CreateEventTrigStmt):
            return _no("an event trigger runs its function on every later DDL statement")
        if isinstance(node, ast.DropStmt):
            return self._drop(node, denied)
        if isinstance(node, ast.RenameStmt):
            return self._rename(node, denied)
        if _kind(node) in ("AlterOwnerStmt", "AlterObjectSchemaStmt"):
            kind_name = _KINDS.get(ObjectType(int(node.objectType)).name, "")
            target = node.object if node.object is not None else getattr(node, "relation", None)
            parts = ([str(target.schemaname or ""), str(target.relname)] if isinstance(target, ast.RangeVar)
                     else _parts(target))
            verdict = self._existing(kind_name, parts, "changes the owner or schema of an object")
            if verdict.additive and _kind(node) == "AlterObjectSchemaStmt":  # its name is free again here
                schema, name = self._split(parts)
                self.created.discard((kind_name, schema, name))
                self._add(kind_name, str(node.newschema), name)
            return verdict
        if isinstance(node, ast.AlterFunctionStmt):
            return self._existing("function", _parts(node.func), "ALTER FUNCTION")
        return _no(denied or f"{kind.removesuffix('Stmt')} is not on the allow-list")

    def _track_simple(self, node: Any) -> None:
        if _kind(node) == "CreateSeqStmt":
            self._add("sequence", node.sequence.schemaname, str(node.sequence.relname), bool(node.if_not_exists))
        elif _kind(node) == "CreateEnumStmt":
            self._add("type", *self._split(_parts(node.typeName)))
        elif _kind(node) == "CompositeTypeStmt":
            self._add("type", node.typevar.schemaname, str(node.typevar.relname))
        elif _kind(node) == "CreatePolicyStmt":
            self.created.add(("policy", "", str(node.policy_name)))
            self.policies.setdefault(relation_name(node.table), []).append((node.qual, node.with_check))

    def _alter_table(self, node: Any, denied: str | None) -> Verdict:
        from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

        table = self._resolved(node.relation)
        if node.objtype != ObjectType.OBJECT_TABLE:
            kind = _KINDS.get(ObjectType(int(node.objtype)).name, "")
            return self._existing(kind, [table.schema, table.name], "ALTER of an existing object")
        new = self._table_new(table)
        for command in node.cmds or ():
            subtype = command.subtype.name
            if subtype == "AT_AddConstraint":
                self._constraint_indexes(table, command.def_)
            if subtype == "AT_ForceRowSecurity":
                self.forced.add(table)
            if subtype == "AT_AddInherit" and not self._table_new(parent := relation_name(command.def_)):
                self.risks.setdefault(table, []).append(
                    f"rows read as {parent}'s (INHERIT {parent}, which this apply does not create)")
            if subtype == "AT_AttachPartition" and not self._table_new(part := relation_name(command.def_.name)):
                # Its rows become the new table's, and its triggers fire on a seed routed to it.
                return _no(f"ALTER TABLE … ATTACH PARTITION {part}, which exists before this apply: its rows "
                           f"become {table}'s", (part,), True)
            found = self._runs_on(table, command.def_, "the new column's default or the constraint's check")
            if found is not None:
                return found
            if denied:
                return _no(denied, () if self.unsafe(node) else (table,))
            if subtype not in _ANY_TABLE and not new:
                shown = subtype.removeprefix("AT_")
                return _no(f"ALTER TABLE … {shown} changes {table}, which exists before this apply",
                           () if self.unsafe(node) else (table,))
        return _ok("alters a table this apply created" if new else "ALTER TABLE … ADD")

    def _view(self, node: Any, denied: str | None) -> Verdict:
        if _kind(node) == "CreateTableAsStmt":
            into = self._target(node.into.rel)
            why = self.unsafe(node.query)
            self.seeded.add(into)  # made with the query's rows
            if node.if_not_exists and not self._new("table", into.schema, into.name):
                self.maybe.add(into)  # `IF NOT EXISTS` of a table there (with rows) creates nothing
            else:
                self._add("table" if node.objtype.name == "OBJECT_TABLE" else "view", into.schema, into.name)
            return _no(denied or f"the query it runs now: {why}") if why else _ok("creates a table or view from a query")
        view = self._target(node.view)
        schema, name = view.schema, view.name
        reads = self.unsafe(node.query, own=False)
        if reads:  # runs nothing now, but every later read of it runs that
            self.views[name] = reads
        replaced = ("view", schema, name) in self.created
        self._add("view", schema, name)
        if node.replace and not replaced:
            return _ok("creates a new view", tuple(("relation", where, name, "")
                                                   for where in self._schemas([node.view.schemaname or "", name])))
        return _ok("replaces a view this apply created" if replaced else "creates a new view")

    def _function(self, node: Any) -> Verdict:
        schema, name = self._split(_parts(node.funcname))
        replaced = ("function", schema, name) in self.created
        self._add("function", schema, name)
        why = body_writes(node, self.keeping(schema, name))
        if not input_types(node):  # what a trigger runs: a trigger function takes no arguments
            self.bodies[(schema, name)] = why
        if self.computing is not None:  # every function of that name, in any schema, any overload
            self.computing[name] = self.computes(node) and self.computing.get(name, True)
        if why and name.lower() in SAFE_FUNCTIONS:
            self.shadowing[name.lower()] = why
        if node.replace and not replaced:
            raw = _parts(node.funcname)
            return _ok("creates a new function", tuple(("function", where, name, "") for where in self._schemas(raw)))
        return _ok("replaces a function this apply created" if replaced else "creates a new function")

    def _trigger(self, node: Any) -> Verdict:
        table = relation_name(node.relation)
        name = str(node.trigname)
        replaced = ("trigger", "", name) in self.created
        self.created.add(("trigger", "", name))
        schema, function = self._split(_parts(node.funcname))
        events = int(node.events or 0)
        if events & (_INSERT | _UPDATE) and (self._table_new(table) or table in self.maybe):
            # An INSERT trigger fires on every seed; an UPDATE one on an upsert's DO UPDATE.
            found = self.risks if events & _INSERT else self.upsert_risks
            if node.whenClause is not None:  # evaluated for every row, before the function
                found.setdefault(table, []).append((node.whenClause, f"the WHEN condition of trigger {name}"))
            if (schema, function) not in self.bodies:
                found.setdefault(table, []).append(f"trigger {name}, whose function {function}() this apply does not create")
            elif self.bodies[(schema, function)]:
                found.setdefault(table, []).append(f"trigger {name}, whose function {function}(): {self.bodies[(schema, function)]}")
            else:  # what its body reads is judged at the seed: a view may come after the function
                found.setdefault(table, []).append((self.kept[(schema, function)], f"trigger {name}, whose function {function}()"))
        if node.replace and not replaced:
            table_name = str(table) if node.relation.schemaname else str(node.relation.relname)
            return _ok("creates a new trigger", (("trigger", "", name, table_name),))
        return _ok("creates a new trigger")

    def _do(self, node: Any, denied: str | None) -> Verdict:
        options = {o.defname: getattr(o.arg, "sval", None) for o in node.args or ()}
        language = (options.get("language") or "plpgsql").lower()
        if denied or language != "plpgsql":
            return _no(denied or f"DO block in {language} (its code cannot be inspected)")
        queries = _plpgsql_queries(options.get("as") or "", returns_trigger=False)
        if isinstance(queries, str):
            return _no(f"DO block with {queries}")
        before = set(self.created)
        try:
            for query in queries:
                statements = _parse_query(query)
                if statements is None:
                    return _no("DO block (a statement in it could not be parsed)")
                for statement in statements:
                    inner = self.classify(statement)
                    if not inner.additive or inner.absent or inner.calls:
                        return _no(f"DO block running a statement that is not additive: {inner.why}")
            return _ok("a DO block whose statements are all additive")
        finally:
            # What it creates it may not (`EXCEPTION WHEN duplicate_table THEN NULL`, an IF):
            # a table of it may have existed, and nothing else counts as the apply's own.
            self.maybe.update(TableName(schema, name) for kind, schema, name in self.created - before
                              if kind == "table")
            self.created &= before
