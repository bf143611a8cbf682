"""The allow-list of `provision schema` (issue 20): which statements run unasked because
their parse tree proves them additive, and the built-in functions an expression that runs
during the apply may call. Everything else needs --allow-destructive (additive.py)."""

from __future__ import annotations

# What runs unasked, as `deploy-check explain` and docs/checks.md state it.
ALLOW_LIST = (
    "CREATE of a new table, index, type, enum, domain, schema, extension, sequence, view, "
    "materialized view, function, trigger, policy or role (CREATE OR REPLACE only where the "
    "object does not exist yet, or this same apply created it)",
    "ALTER TABLE … ADD COLUMN / ADD CONSTRAINT / VALIDATE CONSTRAINT / SET NOT NULL / "
    "ENABLE or FORCE ROW LEVEL SECURITY, and any non-destructive ALTER of a table this apply "
    "created",
    "ALTER TYPE … ADD VALUE; ALTER SEQUENCE … OWNED BY",
    "COMMENT, GRANT",
    "seeds: INSERT … VALUES / SELECT of constants into a table this same apply created "
    "(no upsert, no INSERT trigger running a function that writes, defaults and checks "
    "calling only safe functions)",
    "SET of a session setting (search_path, timeouts, encodings…) and SELECT set_config() of one",
    "a SELECT (or EXPLAIN without ANALYZE) that writes nothing and calls only safe functions",
    "a DO block whose every statement is on this list",
    "DROP or ALTER of an index, type, function, view, trigger, policy or sequence that this "
    "same apply created",
)

# Built-in functions with no effect outside the value they return. An expression that runs
# during the apply (a new column's default on existing rows, a CHECK being validated, an
# index expression, a seed, a top-level SELECT) may call only these; PostgreSQL resolves an
# unqualified built-in in pg_catalog before the search_path.
SAFE_FUNCTIONS = frozenset({
    # date and time
    "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday",
    "date_trunc", "date_part", "date_bin", "extract", "age", "make_date", "make_time",
    "make_timestamp", "make_timestamptz", "make_interval", "to_timestamp", "to_date", "to_char",
    "to_number", "justify_days", "justify_hours", "justify_interval", "isfinite", "timezone",
    # identifiers, randomness and digests
    "gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuidv4", "uuidv7", "random", "gen_random_bytes", "md5", "sha224", "sha256", "sha384",
    "sha512", "digest", "hmac", "crypt", "gen_salt", "encode", "decode",
    # strings
    "lower", "upper", "initcap", "length", "char_length", "character_length", "octet_length",
    "bit_length", "btrim", "ltrim", "rtrim", "substr", "substring", "left", "right", "replace",
    "concat", "concat_ws", "format", "position", "strpos", "split_part", "starts_with",
    "regexp_replace", "regexp_match", "regexp_like", "regexp_count", "lpad", "rpad", "repeat",
    "reverse", "translate", "overlay", "ascii", "chr", "to_hex", "quote_ident", "quote_literal",
    "quote_nullable", "normalize", "string_to_array", "array_to_string",
    # numbers
    "abs", "ceil", "ceiling", "floor", "round", "trunc", "mod", "div", "power", "sqrt", "cbrt",
    "exp", "ln", "log", "log10", "sign", "pi", "width_bucket",
    # json and arrays
    "to_json", "to_jsonb", "json_build_object", "jsonb_build_object", "json_build_array",
    "jsonb_build_array", "json_typeof", "jsonb_typeof", "json_array_length",
    "jsonb_array_length", "jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "jsonb_extract_path",
    "jsonb_extract_path_text", "json_extract_path", "json_extract_path_text", "jsonb_path_exists",
    "array_length", "array_position", "array_append", "array_prepend", "array_cat",
    "array_remove", "array_replace", "cardinality", "unnest", "generate_series",
    # aggregates (views, seeds … SELECT)
    "count", "sum", "avg", "min", "max", "array_agg", "string_agg", "json_agg", "jsonb_agg",
    "json_object_agg", "jsonb_object_agg", "bool_and", "bool_or", "every",
    # full-text search
    "to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery",
    "setweight",
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
