"""The allow-list of `provision schema` (issue 20): which statements run unasked because
their parse tree proves them additive, and the built-in functions an expression that runs
during the apply may call. Everything else needs --allow-destructive (additive.py)."""

from __future__ import annotations

from checks.support.sqltree import PURE_FUNCTIONS

# What runs unasked, as `deploy-check explain` and docs/checks.md state it.
ALLOW_LIST = (
    "CREATE of a new table, index, type, enum, domain, schema, extension, sequence, view, "
    "materialized view, function, trigger, policy, publication or role (CREATE OR REPLACE only where the "
    "object does not exist yet, or this same apply created it)",
    "ALTER TABLE … ADD COLUMN / ADD CONSTRAINT / VALIDATE CONSTRAINT / SET NOT NULL / "
    "ENABLE or FORCE ROW LEVEL SECURITY, and any non-destructive ALTER of a table this apply "
    "created",
    "ALTER TYPE … ADD VALUE; ALTER SEQUENCE … OWNED BY",
    "COMMENT, GRANT, LOCK TABLE",
    "seeds: INSERT … VALUES / SELECT of constants, or of rows of tables this same apply created, "
    "into a table it created "
    "(no upsert, no INSERT trigger running a function that writes, defaults and checks "
    "calling only safe functions)",
    "SET of a session setting (search_path, timeouts, encodings…) and SELECT set_config() of one",
    "a SELECT (or EXPLAIN without ANALYZE) that writes nothing and calls only safe functions",
    "a DO block whose every statement is on this list",
    "a call (now, not kept in a view or function) of a function this same apply creates whose every "
    "body of that name only computes, where no function of that name exists before the apply",
    "DROP or ALTER of an index, type, function, view, trigger, policy, sequence or publication "
    "that this same apply created (an index also when a named PRIMARY KEY or UNIQUE made it)",
    "in a migration history only: a DROP TABLE / DROP COLUMN / UPDATE… of tables that hold no "
    "rows when it is reached, and a DROP, RENAME or ALTER of an index, sequence, type, function, "
    "trigger, policy, schema, extension or publication that does not exist before the apply "
    "(a publication that publishes no table counts as not there)",
)

# Built-in functions an expression that runs during the apply may call (a new column's
# default on existing rows, a CHECK being validated, an index expression, a seed, a top-level
# SELECT): the pure built-ins a read-back may call too (support/sqltree.py), and what an apply
# also needs. PostgreSQL resolves an unqualified built-in in pg_catalog before the search_path.
SAFE_FUNCTIONS = PURE_FUNCTIONS | frozenset({
    # identifiers, randomness and digests (pgcrypto and uuid-ossp's included)
    "gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuidv4", "uuidv7", "random", "gen_random_bytes", "digest", "hmac", "crypt", "gen_salt",
    # sequences: nextval only moves the counter forward (what every serial column's default does)
    "nextval", "currval", "lastval",
    # the session: read-only, or a wait
    "current_setting", "current_database", "current_schema", "current_schemas", "version",
    "pg_sleep", "pg_advisory_xact_lock",
})

# Settings a SET (or SELECT set_config(…)) may change unasked: how names resolve and how
# the session behaves, nothing stored (the ones pg_dump and ORMs put at the top of a file).
SAFE_SETTINGS = frozenset({
    "search_path", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
    "client_encoding", "standard_conforming_strings", "check_function_bodies", "xmloption",
    "client_min_messages", "row_security", "default_tablespace", "default_table_access_method",
    "default_with_oids", "timezone", "datestyle", "intervalstyle", "extra_float_digits",
    "transaction_timeout",
})

# Why some well-known functions are not on the list: the line names what they do.
KNOWN_HARM = {
    "setval": "sets a sequence: later inserts can collide with existing primary keys",
    "lo_unlink": "deletes a large object",
    "lo_import": "reads a file on the database server into a large object",
    "lo_export": "writes a file on the database server",
    "pg_terminate_backend": "ends other sessions",
    "pg_cancel_backend": "cancels other sessions' queries",
    "pg_reload_conf": "reloads the server's configuration",
    "pg_read_file": "reads a file on the database server",
    "pg_read_binary_file": "reads a file on the database server",
    "pg_ls_dir": "lists a directory on the database server",
    "dblink_exec": "runs SQL on another connection",
    "set_config": "changes a setting that is not a plain session setting",
}

# Extensions whose functions only compute (PostgreSQL's contrib docs, appendix F; pgvector's
# README): creating one cannot bring a function that writes under the name of one of the
# app's own. Any other extension ends the trust in the app's functions (additive.py).
COMPUTING_EXTENSIONS = frozenset({"pgcrypto", "uuid-ossp", "pg_trgm", "citext", "vector", "hstore", "btree_gin",
                                  "btree_gist", "unaccent", "fuzzystrmatch", "ltree", "cube", "earthdistance",
                                  "intarray", "isn"})
