"""What a statement runs that its own text does not show (the allow-list guard, additive.py):
a view's query when the view is read, a function the apply creates under a safe-listed name,
a forced row-level security policy, and where a temporary relation really is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.schema.calls import _walk, body_writes, unsafe_call
from checks.schema.names import TableName, relation_name
from checks.schema.objects import _KINDS, Objects, _kind
from checks.schema.safelist import COMPUTING_EXTENSIONS


@dataclass
class Hidden(Objects):
    """Besides the objects created so far, what reading or calling them would run."""

    # A view this apply created whose query calls a function off the safe list, by bare name
    # (a temporary one shadows any schema's): reading it runs that function.
    views: dict[str, str] = field(default_factory=dict)
    # A function this apply created under a safe-listed name whose body is not proven harmless:
    # a call of that name may be it (PostgreSQL takes the exact match of any schema on the
    # path, docs 10.3: `round(1)` calls public.round(integer) over pg_catalog.round(numeric)).
    shadowing: dict[str, str] = field(default_factory=dict)
    # Row-level security binds a table's owner (the apply's role, for a new table) only under
    # FORCE ROW LEVEL SECURITY: then each seed into, or read of, the table runs its policies.
    policies: dict[TableName, list[Any]] = field(default_factory=dict)
    forced: set[TableName] = field(default_factory=set)
    # The functions this apply creates, by exact name: whether every one of that name only
    # computes (False once one does not). A call of one runs unasked where no function of that
    # name exists before the apply (Verdict.calls). None: no function of the apply is trusted
    # any more (one was renamed, moved or altered, or an extension that may bring functions of
    # any name was created).
    computing: dict[str, bool] | None = field(default_factory=dict)
    called: list[str] = field(default_factory=list)  # what the statement being judged calls of them
    # A new function's body, as the statements it runs: a trigger's is judged again at each seed.
    kept: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def unsafe(self, node: Any, own: bool = True) -> str | None:
        """Why `node` is not proven harmless: unsafe_call's reason, or a read or call of what
        this apply created that runs a function off the safe list. `own`: a call of a function
        this apply creates that only computes is harmless (the code runs now); not for code
        kept to run later (a function body, a view, a domain's check), which a later
        CREATE OR REPLACE of that function would change."""
        why = unsafe_call(node, self._own if own and self.computing else None)
        if why is not None or not (self.views or self.shadowing or self.forced):
            return why
        for item in _walk(node):
            if _kind(item) == "RangeVar" and str(item.relname) in self.views:
                return f"it reads the view {item.relname}, which {self.views[str(item.relname)]}"
            if _kind(item) == "RangeVar" and (policy := self._policy_risk(relation_name(item))):
                return f"it reads {relation_name(item)}, whose {policy}"
            if _kind(item) == "FuncCall":
                name = str(getattr(item.funcname[-1], "sval", "")).lower()
                if name in self.shadowing:
                    return f"it calls {name}(), which this apply also creates, and that one: {self.shadowing[name]}"
        return None

    def distrust(self, node: Any) -> None:
        """No function of the apply is trusted to only compute after one of them is renamed,
        moved to another schema or altered (a SET search_path, a swap of two names), or after
        an extension is created that is not known to bring only computing functions: it may
        bring one under the name of the app's."""
        from pglast.enums import ObjectType  # start-up: only runs that read SQL load pglast

        kind = _kind(node)
        if kind == "CreateExtensionStmt" and str(node.extname) in COMPUTING_EXTENSIONS:
            return
        target = getattr(node, "renameType", None) if kind == "RenameStmt" else getattr(node, "objectType", None)
        routine = target is not None and _KINDS.get(ObjectType(int(target)).name) == "function"
        if kind in ("CreateExtensionStmt", "AlterFunctionStmt") or (
                routine and kind in ("RenameStmt", "AlterObjectSchemaStmt")):
            self.computing = None

    def keeping(self, schema: str, name: str) -> Callable[[Any], str | None]:
        """How body_writes judges each statement of the new function `schema.name`: as code
        kept to run later (no function of the apply's trusted), and kept for a seed to judge
        again with what the apply has created by then (a view the body reads)."""
        statements = self.kept.setdefault((schema, name), [])
        statements.clear()

        def judged(part: Any) -> str | None:
            statements.append(part)
            return self.unsafe(part, own=False)

        return judged

    def computes(self, node: Any) -> bool:
        """Whether a call of the new function `node` may be trusted to only compute: its body
        calls only safe functions and reads no relation at all (a view or a forced policy
        created or replaced after it, or a table dropped for a view, would change what the
        read runs, and the body was judged before)."""
        def judged(part: Any) -> str | None:
            read = next((item for item in _walk(part) if _kind(item) == "RangeVar"), None)
            return self.unsafe(part, own=False) or (f"it reads {read.relname}" if read is not None else None)

        return body_writes(node, judged) is None

    def _own(self, schema: str, name: str) -> bool:
        if not (self.computing or {}).get(name):
            return False
        self.called.append(name)
        return True

    def _target(self, rel: Any) -> TableName:
        """Where a CREATE puts its relation: a temporary one in pg_temp, never the table of
        that name in the path (`CREATE TEMP TABLE users` is not public.users)."""
        return TableName("pg_temp", str(rel.relname)) if rel.relpersistence == "t" else relation_name(rel)

    def _resolved(self, rel: Any) -> TableName:
        """A name as PostgreSQL resolves it: unqualified, a temporary table or view of this
        apply first (pg_temp leads the search_path for relations)."""
        name = str(rel.relname)
        if rel.schemaname is None and any((kind, "pg_temp", name) in self.created for kind in ("table", "view")):
            return TableName("pg_temp", name)
        return relation_name(rel)

    def _policy_risk(self, table: TableName) -> str | None:
        if table not in self.forced:
            return None
        for expressions in self.policies.get(table, ()):
            why = unsafe_call(expressions)
            if why:
                return f"row-level security policy (forced on its owner) runs: {why}"
        return None
