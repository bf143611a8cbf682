"""Which statements PostgreSQL runs only outside a transaction block: a history holding one
cannot be applied in the one transaction `provision schema` opens (DB006 and `provision`
name the app's own migrator instead). Each kind was checked against a real server
(tests/migrations/test_outside_transaction.py)."""

from __future__ import annotations

from typing import Any

# Statements PostgreSQL refuses inside a transaction block ("cannot run inside a transaction
# block": PreventInTransactionBlock's callers in its sources; docs of each command).
_OUTSIDE = {"CreatedbStmt", "DropdbStmt", "AlterSystemStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
            # DROP SUBSCRIPTION: when it has a replication slot, which the file cannot tell
            "DropSubscriptionStmt"}
# REINDEX SCHEMA / SYSTEM / DATABASE (ExecReindex, ReindexObjectType 2-4)
_REINDEX_MANY = {"REINDEX_OBJECT_SCHEMA", "REINDEX_OBJECT_SYSTEM", "REINDEX_OBJECT_DATABASE"}


def outside_transaction(node: Any) -> bool:
    kind = type(node).__name__
    if kind in ("IndexStmt", "DropStmt"):
        return bool(node.concurrent)
    if kind == "ReindexStmt":
        return getattr(node.kind, "name", "") in _REINDEX_MANY or any(
            str(option.defname).lower() == "concurrently" for option in node.params or ())
    if kind == "VacuumStmt":
        return bool(node.is_vacuumcmd)
    if kind == "DiscardStmt":
        return getattr(node.target, "name", "") == "DISCARD_ALL"
    if kind == "ClusterStmt":
        return node.relation is None  # CLUSTER of every table clustered before
    if kind == "AlterDatabaseStmt":  # ALTER DATABASE … SET TABLESPACE
        return any(str(option.defname).lower() == "tablespace" for option in node.options or ())
    if kind == "AlterTableStmt":  # ALTER TABLE … DETACH PARTITION … CONCURRENTLY
        return any(getattr(getattr(cmd, "def_", None), "concurrent", False) is True for cmd in node.cmds or ())
    if kind == "CreateSubscriptionStmt":
        # create_slot defaults to connect's value, true: only a subscription that makes no
        # slot runs inside one (docs, CREATE SUBSCRIPTION).
        options = {str(o.defname).lower(): _option_text(o.arg) for o in node.options or ()}
        off = ("false", "off", "0", "no")
        return not (options.get("connect") in off or options.get("create_slot") in off)
    return kind in _OUTSIDE


def _option_text(arg: Any) -> str:
    """A WITH option's value as written: `off` parses as a type name, `0` as an integer, a
    bare option (`WITH (connect)`) is true."""
    if arg is None:
        return "true"
    if type(arg).__name__ == "TypeName":
        arg = arg.names[-1]
    for field in ("sval", "ival", "boolval"):
        value = getattr(arg, field, None)
        if value is not None:
            return str(value).lower()
    return ""
