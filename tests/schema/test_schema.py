"""DB004/DB005 and `provision schema` against a real PostgreSQL (the `pg` fixture)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from checks.core.sources import SchemaSource
from checks.schema.names import TableName
from checks.schema.sqlmodel import SchemaSyntaxError, parse_sources

from helpers import REPO, clean_environ, query, run_cli, write_project

SCHEMA = """\
-- accounts and their notes
CREATE SCHEMA IF NOT EXISTS billing;

CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    nickname varchar(40)
);

CREATE TABLE billing."Invoice Lines" (
    id serial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    amount_cents integer NOT NULL CHECK (amount_cents >= 0)
);

CREATE INDEX accounts_email_idx ON accounts (lower(email));
"""


def project_for(root: Path, url: str, schema: str = SCHEMA, **files: str) -> Path:
    return write_project(root, {"schema.sql": schema, ".env.local": f"DATABASE_URL={url}\n", **files})



def tables_in(url: str) -> set[str]:
    rows = query(url, "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                      "WHERE table_schema IN ('public', 'billing')")
    return {str(row[0]) for row in rows}


def provision(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("provision", "schema", "--project", str(project), *args)


def checks(project: Path, only: str = "schema") -> dict[str, dict[str, object]]:
    done = run_cli("check", "--project", str(project), "--only", only, "-f", "json")
    assert done.stdout, done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["checks"]}


# -- parsing ---------------------------------------------------------------------------------

def test_parsing_finds_schema_qualified_and_quoted_tables_with_lines() -> None:
    parsed = parse_sources([SchemaSource(Path("schema.sql"), SCHEMA, 1)])
    assert list(parsed.tables) == [TableName("public", "accounts"), TableName("billing", "Invoice Lines")]
    assert [c.name for c in parsed.tables[TableName("public", "accounts")]] == ["id", "email", "nickname"]
    assert [(s.line, s.kind) for s in parsed.statements] == [
        (2, "CreateSchemaStmt"), (4, "CreateStmt"), (10, "CreateStmt"), (16, "IndexStmt")]
    assert str(TableName("billing", "Invoice Lines")) == 'billing."Invoice Lines"'


def test_a_comment_that_mentions_create_table_is_not_a_table() -> None:
    parsed = parse_sources([SchemaSource(Path("s.sql"), "-- CREATE TABLE ghost (id int);\n"
                                         "/* CREATE TABLE ghost2 (id int); */\nCREATE TABLE real (id int);", 1)])
    assert list(parsed.tables) == [TableName("public", "real")]


def test_migrations_track_added_dropped_and_renamed_tables() -> None:
    parsed = parse_sources([
        SchemaSource(Path("0001.sql"), "CREATE TABLE a (id int); CREATE TABLE b (id int);", 1),
        SchemaSource(Path("0002.sql"), "ALTER TABLE a ADD COLUMN x text NOT NULL; DROP TABLE b;"
                                       " ALTER TABLE a RENAME TO c; CREATE TEMP TABLE t (id int);", 1),
    ])
    assert {str(t): [c.name for c in cols] for t, cols in parsed.tables.items()} == {"public.c": ["id", "x"]}
    assert [reason for _, reason in parsed.destructive] == ["DROP"]


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(SchemaSyntaxError) as error:
        parse_sources([SchemaSource(Path("schema.sql"), "CREATE TABLE a (\n  id int,\n  oops oops oops\n);", 1)])
    assert (error.value.line, error.value.column) == (3, 13)
    assert str(error.value) == 'schema.sql:3:13: syntax error at or near "oops"'


def test_dbmate_files_contribute_only_their_up_part(tmp_path: Path) -> None:
    from checks.core.context import Context
    from checks.core.sources import schema_sources

    write_project(tmp_path, {"db/migrations/20260101_init.sql":
                             "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n"})
    sources = schema_sources(Context(project=tmp_path, environ={}))
    parsed = parse_sources(sources)
    assert list(parsed.tables) == [TableName("public", "a")]
    assert parsed.destructive == []
    assert parsed.statements[0].line == 2


def test_renamed_columns_are_tracked() -> None:
    parsed = parse_sources([SchemaSource(Path("s.sql"), "CREATE TABLE a (id int, old_name text NOT NULL);"
                                         " ALTER TABLE a RENAME COLUMN old_name TO new_name;", 1)])
    columns = parsed.tables[TableName("public", "a")]
    assert [(c.name, c.not_null) for c in columns] == [("id", False), ("new_name", True)]


@pytest.mark.parametrize(("sql", "reason"), [
    ("DROP OWNED BY app;", "DROP (Owned)"),
    ("DROP ROLE app;", "DROP (Role)"),
    ("DROP DATABASE other;", "DROP (db)"),
    ("REASSIGN OWNED BY app TO postgres;", "REASSIGN OWNED"),
    ("DO $$ BEGIN DELETE FROM accounts; END $$;", "DO block running DELETE"),
    ("DO $$ BEGIN IF true THEN DROP TABLE accounts; END IF; END $$;", "DO block running DROP"),
    ("DO $$ BEGIN EXECUTE 'drop table ' || 'accounts'; END $$;",
     "DO block with dynamic EXECUTE (its SQL cannot be inspected)"),
    ("DO LANGUAGE plpython3u $$ plpy.execute('drop table a') $$;",
     "DO block in plpython3u (its code cannot be inspected)"),
])
def test_destructive_statements_hidden_in_other_forms_are_found(sql: str, reason: str) -> None:
    parsed = parse_sources([SchemaSource(Path("s.sql"), sql, 1)])
    assert [r for _, r in parsed.destructive] == [reason]


def test_a_do_block_that_only_creates_is_not_destructive() -> None:
    # What drizzle-kit generates for enums.
    sql = ("DO $$ BEGIN\n CREATE TYPE \"public\".\"role\" AS ENUM('admin', 'member');\n"
           "EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;")
    assert parse_sources([SchemaSource(Path("s.sql"), sql, 1)]).destructive == []


def test_begin_and_commit_are_left_out_other_transaction_control_is_unsupported() -> None:
    parsed = parse_sources([SchemaSource(Path("s.sql"), "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"
                                         "SAVEPOINT x;\nROLLBACK;\n", 1)])
    assert [s.kind for s in parsed.statements] == ["CreateStmt"]
    assert [s.line for s in parsed.skipped] == [1, 3]
    assert [s.first_line for s in parsed.unsupported] == ["SAVEPOINT x", "ROLLBACK"]


# -- provision schema ------------------------------------------------------------------------

def test_apply_then_reapply_is_a_no_op(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    first = provision(project)
    assert first.returncode == 0, first.stderr
    assert "applied 4 statements from schema.sql in one transaction" in first.stdout
    assert tables_in(fresh_db) == {"public.accounts", "billing.Invoice Lines"}
    again = provision(project)
    assert again.returncode == 0, again.stderr
    assert "schema already applied" in again.stdout


def test_dry_run_leaves_nothing(tmp_path: Path, fresh_db: str) -> None:
    done = provision(project_for(tmp_path, fresh_db), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would apply 4 statements" in done.stdout and "rolled back" in done.stdout
    assert tables_in(fresh_db) == set()


def test_failure_in_statement_k_rolls_back_everything_and_names_it(tmp_path: Path, fresh_db: str) -> None:
    broken = SCHEMA + "\nCREATE TABLE notes (\n    id int,\n    account_id bigint REFERENCES nowhere (id)\n);\n"
    done = provision(project_for(tmp_path, fresh_db, broken))
    assert done.returncode == 1
    assert "statement 5 of 5 failed at schema.sql:18" in done.stderr
    assert 'relation "nowhere" does not exist' in done.stderr
    assert "rolled back" in done.stderr
    assert tables_in(fresh_db) == set()
    assert query(fresh_db, "SELECT 1 FROM pg_namespace WHERE nspname = 'billing'") == []


@pytest.mark.parametrize(("schema", "said"), [
    ("CREATE TABLE a (\n id int,,\n);", "schema.sql:2:9: syntax error"),
    ("CREATE TABLE a (id int);\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\n",
     "schema.sql:2 `SAVEPOINT s`; schema.sql:3 `ROLLBACK TO SAVEPOINT s`"),
], ids=["syntax error", "transaction control"])
def test_refused_before_anything_is_sent(tmp_path: Path, schema: str, said: str) -> None:
    # An unreachable URL proves nothing is sent: the refusal comes before any connection.
    done = provision(project_for(tmp_path, "postgresql://app:pw@127.0.0.1:1/app", schema))
    assert done.returncode == 1
    assert said in done.stderr
    assert "nothing was sent" in done.stderr


def test_destructive_statements_are_refused_unless_allowed(tmp_path: Path, fresh_db: str) -> None:
    schema = "CREATE TABLE a (id int, old text);\nALTER TABLE a DROP COLUMN old;\nDELETE FROM a;\n"
    project = project_for(tmp_path, fresh_db, schema)
    refused = provision(project)
    assert refused.returncode == 1
    assert "schema.sql:2 ALTER TABLE … DROP COLUMN old; schema.sql:3 DELETE" in refused.stderr
    assert tables_in(fresh_db) == set()
    assert provision(project, "--allow-destructive").returncode == 0
    assert tables_in(fresh_db) == {"public.a"}


def test_commit_inside_the_file_does_not_break_rollback_or_dry_run(tmp_path: Path, fresh_db: str) -> None:
    schema = "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int REFERENCES nowhere (id));\n"
    project = project_for(tmp_path, fresh_db, schema)
    failed = provision(project)
    assert failed.returncode == 1
    assert "schema.sql:4" in failed.stderr and "rolled back" in failed.stderr
    assert tables_in(fresh_db) == set()  # table a was not committed half-way
    (project / "schema.sql").write_text("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n")
    dry = provision(project, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "left out 2 BEGIN/COMMIT statements (schema.sql:1, schema.sql:3)" in dry.stdout
    assert tables_in(fresh_db) == set()
    assert provision(project).returncode == 0
    assert tables_in(fresh_db) == {"public.a"}


def test_new_indexes_types_functions_and_triggers_are_applied_on_an_applied_schema(
        tmp_path: Path, fresh_db: str) -> None:
    base = 'CREATE TABLE "Users" (id serial PRIMARY KEY, email text NOT NULL);\n'
    project = project_for(tmp_path, fresh_db, base)
    assert provision(project).returncode == 0
    (project / "schema.sql").write_text(base + (
        'CREATE UNIQUE INDEX users_email_key ON "Users" (email);\n'
        "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
        'CREATE TRIGGER users_touch BEFORE UPDATE ON "Users" FOR EACH ROW EXECUTE FUNCTION touch();\n'
        'CREATE VIEW user_emails AS SELECT email FROM "Users";\n'))
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert "plan for schema.sql against the live database (5 additive steps):" in done.stdout
    assert "  CREATE UNIQUE INDEX users_email_key" in done.stdout
    assert "applied 5 statements" in done.stdout and "left out 1 about what already exists" in done.stdout
    assert query(fresh_db, "SELECT 1 FROM pg_indexes WHERE indexname = 'users_email_key'") == [(1,)]
    assert query(fresh_db, "SELECT to_regtype('mood') IS NOT NULL")[0] == (True,)
    again = provision(project)
    assert again.returncode == 0, again.stderr
    assert "schema already applied" in again.stdout


def test_re_applying_after_a_column_rename_is_a_no_op(tmp_path: Path, fresh_db: str) -> None:
    schema = "CREATE TABLE a (id int, old_name text);\nALTER TABLE a RENAME COLUMN old_name TO new_name;\n"
    project = project_for(tmp_path, fresh_db, schema)
    assert provision(project).returncode == 0
    again = provision(project)
    assert again.returncode == 0, again.stderr
    assert "schema already applied" in again.stdout


def test_a_new_table_applies_on_top_of_the_applied_schema(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    (project / "schema.sql").write_text(SCHEMA + "\nCREATE TABLE tags (id int PRIMARY KEY);\n")
    done = provision(project)
    assert done.returncode == 0, done.stderr
    # Only the new table is created; the schema, the tables and the index already exist.
    assert "(1 additive step):\n  CREATE TABLE public.tags\n" in done.stdout
    assert "applied 1 statement" in done.stdout and "left out 4 about what already exists" in done.stdout
    assert "public.tags" in tables_in(fresh_db)


def test_two_concurrent_applies_do_not_both_apply(tmp_path: Path, fresh_db: str) -> None:
    # pg_sleep inside the schema keeps the first transaction open while the second starts.
    schema = SCHEMA + "\nSELECT pg_sleep(1.5);\n"
    project = project_for(tmp_path, fresh_db, schema)
    env = {**clean_environ(), "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "checks", "provision", "schema", "--project", str(project)]
    runs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    stdout = [out for out, _ in outputs]
    assert sum("applied 5 statements" in out for out in stdout) == 1
    assert sum("schema already applied" in out for out in stdout) == 1


# -- DB004 / DB005 ---------------------------------------------------------------------------

def test_db004_names_the_missing_tables_and_its_fix(tmp_path: Path, fresh_db: str) -> None:
    found = checks(project_for(tmp_path, fresh_db))
    db004 = found["DB004"]
    assert db004["status"] == "fail"
    assert db004["details"]["missing"] == ["public.accounts", 'billing."Invoice Lines"']
    assert db004["fix"] == "deploy-check provision schema"
    assert found["DB005"]["status"] == "skip"


def test_db004_and_db005_pass_after_provisioning(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    found = checks(project)
    assert found["DB004"]["status"] == "pass"
    assert found["DB005"]["status"] == "pass", found["DB005"]["message"]
    assert str(found["DB005"]["details"]["method"]).startswith("a scratch database on our embedded PostgreSQL")
    # the scratch database is gone
    assert query(fresh_db, "SELECT datname FROM pg_database WHERE datname LIKE 'deploy_check_scratch_%'") == []


def test_expected_tables_from_config_are_required_too(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db,
                          **{"deploy-check.toml": "[database]\nexpected_tables = ['audit.events']\n"})
    assert provision(project).returncode == 0
    db004 = checks(project, "DB004")["DB004"]
    assert db004["status"] == "fail"
    assert db004["details"]["missing"] == ["audit.events"]


@pytest.mark.parametrize(
    ("alter", "expected"),
    [
        ("ALTER TABLE accounts DROP COLUMN nickname", "public.accounts: missing nickname"),
        ("ALTER TABLE accounts ALTER COLUMN nickname TYPE text",
         "nickname is text, schema says character varying(40)"),
        ('ALTER TABLE billing."Invoice Lines" ALTER COLUMN amount_cents DROP NOT NULL',
         "amount_cents is integer, schema says integer NOT NULL"),
    ],
    ids=["dropped-column", "type-changed", "nullability-changed"],
)
def test_db005_detects_drift(tmp_path: Path, fresh_db: str, alter: str, expected: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    query(fresh_db, alter)
    db005 = checks(project)["DB005"]
    assert db005["status"] == "fail"
    assert expected in db005["message"]


def test_db005_warns_on_columns_the_schema_does_not_declare(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    query(fresh_db, "ALTER TABLE accounts ADD COLUMN legacy_flag boolean")
    db005 = checks(project)["DB005"]
    assert db005["status"] == "warn"
    assert "public.accounts: legacy_flag" in db005["message"]


def test_db005_falls_back_to_names_when_the_scratch_url_role_may_not_create_databases(
        tmp_path: Path, pg: object, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    query(fresh_db, "DROP ROLE IF EXISTS app_reader; CREATE ROLE app_reader LOGIN PASSWORD 'reader-pw-123' NOCREATEDB;"
                    "GRANT USAGE ON SCHEMA billing TO app_reader;"
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO app_reader")
    reader_url = fresh_db.replace(f"{fresh_db.split('://')[1].split('@')[0]}@", "app_reader:reader-pw-123@")
    (project / "deploy-check.toml").write_text(f'[database]\nscratch_url = "{reader_url}"\n')
    query(fresh_db, "ALTER TABLE accounts DROP COLUMN nickname")
    db005 = checks(project)["DB005"]
    assert db005["status"] == "fail"
    assert "the role of [database] scratch_url may not create databases" in db005["message"]
    assert "public.accounts: missing nickname" in db005["message"]


def test_db005_scratch_apply_leaves_no_cluster_wide_trace(tmp_path: Path, fresh_db: str) -> None:
    role = f"dc_scratch_{tmp_path.name[-8:].lower().replace('-', '_')}"
    schema = f"BEGIN;\nCREATE ROLE {role} NOLOGIN;\nCOMMIT;\nCREATE TABLE a (id int);\n"
    project = project_for(tmp_path, fresh_db, schema)
    query(fresh_db, "CREATE TABLE a (id int)")
    results = checks(project)
    assert results["DB005"]["status"] == "pass", results["DB005"]
    assert query(fresh_db, f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'") == []
    assert query(fresh_db, "SELECT datname FROM pg_database WHERE datname LIKE 'deploy_check_scratch_%'") == []


def test_db005_accepts_a_role_that_already_exists_in_the_cluster(tmp_path: Path, fresh_db: str) -> None:
    role = f"dc_existing_{tmp_path.name[-8:].lower().replace('-', '_')}"
    project = project_for(tmp_path, fresh_db, f"CREATE ROLE {role} NOLOGIN;\nCREATE TABLE a (id int);\n")
    assert provision(project).returncode == 0
    try:
        results = checks(project)
        assert results["DB005"]["status"] == "pass", results["DB005"]
    finally:
        query(fresh_db, f"DROP ROLE IF EXISTS {role}")


def test_a_materialized_view_is_not_an_expected_table(tmp_path: Path, fresh_db: str) -> None:
    schema = "CREATE TABLE users (id int);\nCREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;\n"
    project = project_for(tmp_path, fresh_db, schema)
    assert provision(project).returncode == 0
    assert checks(project)["DB004"]["status"] == "pass"
    assert "schema already applied" in provision(project).stdout


def test_a_table_the_role_may_not_see_is_named_as_such(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db, "CREATE TABLE users (id int);\n")
    assert provision(project).returncode == 0
    role = f"dc_noprivs_{tmp_path.name[-8:].lower().replace('-', '_')}"
    query(fresh_db, f"CREATE ROLE {role} LOGIN PASSWORD 'noprivs-pw-123'")
    try:
        owner = fresh_db.split("://")[1].split("@")[0]
        (project / ".env.local").write_text(
            "DATABASE_URL=" + fresh_db.replace(f"{owner}@", f"{role}:noprivs-pw-123@") + "\n")
        db004 = checks(project)["DB004"]
        assert db004["status"] == "fail"
        assert "public.users exists but the role of DATABASE_URL has no privilege on it" in db004["message"]
        assert not db004["fix"]  # provision schema would change nothing
    finally:
        query(fresh_db, f"DROP ROLE IF EXISTS {role}")


def test_verification_is_one_round_trip_for_any_table_count(fresh_db: str) -> None:
    from checks.schema.facts import present_tables

    many = [TableName("public", f"t{i}") for i in range(300)]
    query(fresh_db, "".join(f"CREATE TABLE t{i} (id int);" for i in range(0, 300, 2)))

    class Counting(psycopg.AsyncConnection):  # type: ignore[type-arg]
        executed = 0

        async def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            Counting.executed += 1
            return await super().execute(*args, **kwargs)

    async def verify() -> set[TableName]:
        async with await Counting.connect(fresh_db, autocommit=True) as connection:
            return await present_tables(connection, many)

    present = asyncio.run(verify())
    assert len(present) == 150
    assert Counting.executed == 1


def test_check_fix_applies_the_schema_then_checks_again(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    done = run_cli("check", "--project", str(project), "--only", "schema", "--fix", "-f", "json")
    assert "running `deploy-check provision schema`" in done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "ready", report
    # DB006 has no migration history to read for a schema.sql: a skip that says so
    assert {c["id"]: c["status"] for c in report["checks"]} == {"DB004": "pass", "DB005": "pass",
                                                                 "DB006": "skip"}
    assert tables_in(fresh_db) == {"public.accounts", "billing.Invoice Lines"}


# -- the destructive-statement guard, against a real table with rows ---------------------------

USERS = "CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, email text UNIQUE);\n"
WIPE_SQL = "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$;\n"
WIPE_PLPGSQL = ("CREATE FUNCTION wipe() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
                "  TRUNCATE users;\nEND $$;\n")
PRUNE_TRIGGER = ("CREATE FUNCTION keep_newest() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
                 "  DELETE FROM users WHERE id <> NEW.id;\n  RETURN NEW;\nEND $$;\n"
                 "CREATE TRIGGER keep_newest AFTER INSERT ON users FOR EACH ROW "
                 "EXECUTE FUNCTION keep_newest();\n")

GUARDED = [
    ("cte", "WITH gone AS (DELETE FROM users RETURNING *) SELECT count(*) FROM gone;\n",
     "schema.sql:2 DELETE (from users) inside WITH gone"),
    ("explain analyze", "EXPLAIN ANALYZE DELETE FROM users;\n",
     "schema.sql:2 EXPLAIN ANALYZE DELETE (from users)"),
    ("prepare execute", "PREPARE w AS DELETE FROM users;\nEXECUTE w;\n",
     "schema.sql:3 EXECUTE w (prepared as DELETE (from users))"),
    ("merge", "MERGE INTO users u USING (SELECT id FROM users) s ON u.id = s.id "
              "WHEN MATCHED THEN DELETE;\n", "schema.sql:2 MERGE INTO users … THEN DELETE"),
    ("sql function", WIPE_SQL + "SELECT wipe();\n", "schema.sql:3 wipe(), which runs DELETE"),
    ("plpgsql function", WIPE_PLPGSQL + "SELECT wipe();\n", "schema.sql:6 wipe(), which runs TRUNCATE"),
    ("trigger", PRUNE_TRIGGER + "INSERT INTO users (email) VALUES ('seed@example.test');\n",
     "schema.sql:8 INSERT on users fires trigger keep_newest, whose function keep_newest() runs DELETE"),
    ("do perform", WIPE_SQL + "DO $$ BEGIN PERFORM wipe(); END $$;\n",
     "schema.sql:3 DO block running wipe(), which runs DELETE"),
    ("rename and recreate", "ALTER TABLE users RENAME TO users_old;\n"
                            "CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE);\n",
     "schema.sql:3 CREATE TABLE users after RENAME TO users_old (schema.sql:2)"),
    ("update without where", "UPDATE users SET email = NULL;\n",
     "schema.sql:2 UPDATE users without WHERE (every row)"),
]
EMAILS = ["a@example.test", "b@example.test", "c@example.test"]
SEED = "INSERT INTO users (email) VALUES " + ", ".join(f"('{e}')" for e in EMAILS) + ";\n"


def users_table_with_rows(url: str) -> None:
    query(url, USERS + SEED)


def emails(url: str) -> list[object]:
    return [row[0] for row in query(url, "SELECT email FROM users ORDER BY id")]


@pytest.mark.parametrize(("case", "statement", "said"), GUARDED, ids=[c[0] for c in GUARDED])
def test_the_guard_refuses_what_loses_rows_anywhere_in_the_tree(
        tmp_path: Path, fresh_db: str, case: str, statement: str, said: str) -> None:
    users_table_with_rows(fresh_db)
    # The file seeds the table itself (line 1), so that its effect can be shown below.
    project = project_for(tmp_path, fresh_db, USERS.rstrip("\n") + " " + SEED + statement)
    refused = provision(project)
    assert refused.returncode == 1, refused.stdout
    assert "destructive statements that touch data (" + said in refused.stderr
    assert emails(fresh_db) == EMAILS
    # The same file really loses rows when allowed (applied whole to an empty database, seed
    # first): the refusal is what kept them.
    query(fresh_db, "DROP TABLE users CASCADE; DROP TABLE IF EXISTS users_old")
    allowed = provision(project, "--allow-destructive")
    assert allowed.returncode == 0, allowed.stderr
    assert emails(fresh_db) != EMAILS


def test_dry_run_never_refuses_it_shows_what_would_be_refused_and_exits_as_the_real_run(
        tmp_path: Path, fresh_db: str) -> None:
    users_table_with_rows(fresh_db)
    project = project_for(tmp_path, fresh_db, USERS + GUARDED[0][1] + "CREATE TABLE marker (id int);\n")
    done = provision(project, "--dry-run")
    assert done.returncode == 1, done.stderr  # a CI job gating on --dry-run sees the refusal
    assert "--dry-run: a real run would refuse what is named above (exit 1, as it would)" in done.stderr
    assert ("without --dry-run this would refuse destructive statements that touch data "
            "(schema.sql:2 DELETE (from users) inside WITH gone)") in done.stdout
    assert "rolled back" in done.stdout
    assert emails(fresh_db) == EMAILS


def test_irreversible_statements_that_lose_no_rows_are_reported_apart(tmp_path: Path, fresh_db: str) -> None:
    users_table_with_rows(fresh_db)
    schema = (USERS + "ALTER TABLE users DROP CONSTRAINT users_email_key;\n"
              "DROP PUBLICATION IF EXISTS app_changes;\n")
    project = project_for(tmp_path, fresh_db, schema)
    refused = provision(project)
    assert refused.returncode == 1
    assert ("refusing irreversible statements that lose no rows (schema.sql:2 ALTER TABLE … DROP "
            "CONSTRAINT users_email_key; schema.sql:3 DROP PUBLICATION IF EXISTS app_changes)") in refused.stderr
    assert "touch data" not in refused.stderr
    assert provision(project, "--allow-destructive").returncode == 0
    assert emails(fresh_db) == EMAILS


@pytest.mark.parametrize(("statement", "said"), [
    ("COPY users (email) FROM stdin;\nd@example.test\n\\.\n",
     "schema.sql:3:1: `COPY users (email) FROM stdin;` reads its rows from the client"),
    ("COPY users TO STDOUT;\n", "COPY through the client connection (schema.sql:3 `COPY users TO STDOUT`)"),
], ids=["from stdin", "to stdout"])
def test_copy_through_the_client_is_refused_before_anything_is_sent(
        tmp_path: Path, fresh_db: str, statement: str, said: str) -> None:
    users_table_with_rows(fresh_db)
    done = provision(project_for(tmp_path, fresh_db, USERS + "DELETE FROM users;\n" + statement),
                     "--allow-destructive")
    assert done.returncode == 1
    assert said in done.stderr and "nothing was sent" in done.stderr
    assert emails(fresh_db) == EMAILS


def test_a_function_that_deletes_but_is_never_called_is_no_refusal() -> None:
    sql = ("CREATE FUNCTION purge_expired() RETURNS void LANGUAGE sql AS "
           "$$ DELETE FROM sessions WHERE expires_at < now() $$;\n"
           "UPDATE settings SET value = 'x' WHERE key = 'y';\nEXPLAIN DELETE FROM sessions;\n")
    parsed = parse_sources([SchemaSource(Path("s.sql"), sql, 1)])
    assert parsed.destructive == [] and parsed.irreversible == []


# -- a changed schema.sql: the additive plan, never a replay ----------------------------------

GROWN_BASE = ("CREATE TABLE plans (id int PRIMARY KEY, name text NOT NULL, legacy text);\n"
              "INSERT INTO plans VALUES (1, 'free', NULL), (2, 'pro', NULL);\n")


def test_a_grown_schema_gets_only_what_is_missing_and_seeds_run_once(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db, GROWN_BASE)
    assert provision(project).returncode == 0
    grown = ("CREATE TABLE plans (id int PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL DEFAULT 0);\n"
             "INSERT INTO plans VALUES (1, 'free', 0), (2, 'pro', 900);\n"
             "ALTER TABLE plans ADD COLUMN note text;\n"
             "CREATE INDEX plans_name_idx ON plans (name);\n"
             "CREATE TABLE seats (id int PRIMARY KEY, plan_id int REFERENCES plans (id));\n"
             "INSERT INTO seats VALUES (1, 2);\n")
    (project / "schema.sql").write_text(grown)
    dry = provision(project, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    plan = ("plan for schema.sql against the live database (5 additive steps):\n"
            "  ALTER TABLE public.plans ADD COLUMN price_cents\n"
            "  ALTER TABLE public.plans ADD COLUMN note\n"
            "  CREATE INDEX plans_name_idx ON plans (name)\n"
            "  CREATE TABLE public.seats\n"
            "  INSERT INTO seats VALUES (1, 2)\n")
    assert plan in dry.stdout
    assert "not done: public.plans has column legacy that the schema no longer declares" in dry.stdout
    assert "dry run: rolled back" in dry.stdout
    assert tables_in(fresh_db) == {"public.plans"}
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert plan in done.stdout and "seed INSERTs not re-run (schema.sql:2)" in done.stdout
    assert query(fresh_db, "SELECT id, name, price_cents, legacy FROM plans ORDER BY id") == [
        (1, "free", 0, None), (2, "pro", 0, None)]  # two rows, not four: the seed ran once
    assert query(fresh_db, "SELECT * FROM seats") == [(1, 2)]
    again = provision(project)
    assert again.returncode == 0, again.stderr
    assert "schema already applied" in again.stdout


def test_a_failing_step_is_named_without_a_savepoint_per_statement(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db, GROWN_BASE)
    assert provision(project).returncode == 0
    # NOT NULL without a default cannot be added to a table that has rows.
    (project / "schema.sql").write_text(GROWN_BASE + "CREATE TABLE tags (id int);\n"
                                        "ALTER TABLE plans ADD COLUMN owner text NOT NULL;\n")
    done = provision(project)
    assert done.returncode == 1
    assert "statement 2 of 2 failed at schema.sql:4" in done.stderr
    assert 'column "owner" of relation "plans" contains null values' in done.stderr
    assert "rolled back" in done.stderr and "public.tags" not in tables_in(fresh_db)


# -- search_path: unqualified names follow the app's ------------------------------------------

ITEMS = "CREATE SCHEMA IF NOT EXISTS app;\nCREATE TABLE items (id int PRIMARY KEY, title text NOT NULL);\n"


@pytest.mark.parametrize("suffix", ["options=-csearch_path%3Dapp", "schema=app"], ids=["libpq options", "prisma"])
def test_a_stale_public_table_is_no_false_pass_under_the_apps_search_path(
        tmp_path: Path, fresh_db: str, suffix: str) -> None:
    query(fresh_db, "CREATE TABLE public.items (id int PRIMARY KEY, title text NOT NULL)")
    url = fresh_db + ("&" if "?" in fresh_db else "?") + suffix
    project = project_for(tmp_path, url, ITEMS)
    before = checks(project)
    assert before["DB004"]["status"] == "fail", before["DB004"]
    assert "app.items" in str(before["DB004"]["message"])
    done = provision(project)
    assert done.returncode == 0, done.stderr
    assert query(fresh_db, "SELECT to_regclass('app.items') IS NOT NULL")[0] == (True,)
    after = checks(project)
    assert after["DB004"]["status"] == "pass", after["DB004"]
    assert after["DB005"]["status"] == "pass", after["DB005"]


def test_set_search_path_in_the_file_moves_unqualified_names(tmp_path: Path, fresh_db: str) -> None:
    parsed = parse_sources([SchemaSource(Path("s.sql"), "CREATE TABLE a (id int);\nCREATE SCHEMA app;\n"
                                         "SET search_path TO app, public;\nCREATE TABLE b (id int);\n", 1)])
    assert set(parsed.tables) == {TableName("public", "a"), TableName("app", "b")}
    project = project_for(tmp_path, fresh_db, "CREATE SCHEMA app;\nSET search_path TO app, public;\n"
                                              "CREATE TABLE b (id int);\n")
    assert provision(project).returncode == 0
    assert checks(project)["DB004"]["status"] == "pass"


# -- DB005 builds its scratch database on a server of our own ---------------------------------

def test_db005_never_writes_to_the_apps_server(tmp_path: Path, fresh_db: str) -> None:
    # The app's role may not create databases; the comparison still has types, and the
    # app's server sees no scratch database, no role, nothing.
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    query(fresh_db, "DROP ROLE IF EXISTS app_only; CREATE ROLE app_only LOGIN PASSWORD 'only-pw-123' NOCREATEDB;"
                    "GRANT USAGE ON SCHEMA billing TO app_only;"
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO app_only;"
                    "ALTER TABLE accounts ALTER COLUMN nickname TYPE text")
    app_url = fresh_db.replace(f"{fresh_db.split('://')[1].split('@')[0]}@", "app_only:only-pw-123@")
    (project / ".env.local").write_text(f"DATABASE_URL={app_url}\n")
    db005 = checks(project)["DB005"]
    assert db005["status"] == "fail"
    assert "nickname is text, schema says character varying(40)" in str(db005["message"])
    assert "scratch database on our embedded PostgreSQL" in str(db005["message"])
    assert query(fresh_db, "SELECT datname FROM pg_database WHERE datname LIKE 'deploy_check_scratch_%'") == []


def test_an_extension_the_embedded_server_lacks_is_named_and_names_are_compared(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, "CREATE TABLE docs (id int PRIMARY KEY, body text)")
    schema = "CREATE EXTENSION IF NOT EXISTS deploy_check_no_such_ext;\nCREATE TABLE docs (id int PRIMARY KEY, body text);\n"
    db005 = checks(project_for(tmp_path, fresh_db, schema))["DB005"]
    assert db005["status"] == "pass", db005
    assert "column names from the parsed statements (our embedded PostgreSQL" in str(db005["message"])
    assert "lacks the extension deploy_check_no_such_ext the schema creates" in str(db005["message"])


def test_a_scratch_database_left_by_a_killed_run_is_swept(tmp_path: Path, pg: object, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    admin = fresh_db.rsplit("/", 1)[0] + "/postgres"
    query(admin, "CREATE DATABASE deploy_check_scratch_0123456789ab")
    (project / "deploy-check.toml").write_text(f'[database]\nscratch_url = "{admin}"\n')
    db005 = checks(project)["DB005"]
    assert db005["status"] == "pass", db005
    assert "scratch database on [database] scratch_url" in str(db005["message"])
    assert query(admin, "SELECT datname FROM pg_database WHERE datname LIKE 'deploy_check_scratch_%'") == []


# -- platform schemas ---------------------------------------------------------------------------

# The shapes Supabase gives them (supabase/postgres migrations: auth.users, auth.uid()).
SUPABASE_AUTH = """
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid NOT NULL PRIMARY KEY, email varchar(255), created_at timestamptz);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
"""
PROFILES = """CREATE TABLE profiles (
    id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
    display_name text NOT NULL
);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_profile ON profiles FOR SELECT TO authenticated USING (auth.uid() = id);
GRANT SELECT ON profiles TO anon;
"""


def test_db005_passes_on_an_app_referencing_auth_users_on_a_live_db_that_has_it(
        tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, SUPABASE_AUTH)
    project = project_for(tmp_path, fresh_db, PROFILES)
    applied = provision(project)
    assert applied.returncode == 0, applied.stderr
    results = checks(project)
    assert results["DB004"]["status"] == "pass", results["DB004"]
    assert results["DB005"]["status"] == "pass", results["DB005"]
    assert "scratch database on our embedded PostgreSQL" in str(results["DB005"]["message"])
    # Read-only on the live side: the auth schema is as it was.
    assert query(fresh_db, "SELECT count(*) FROM auth.users") == [(0,)]


def test_a_failed_apply_names_the_platform_of_the_missing_schema(tmp_path: Path, fresh_db: str) -> None:
    done = provision(project_for(tmp_path, fresh_db, PROFILES))
    assert done.returncode == 1
    assert 'schema "auth" does not exist' in done.stderr
    assert "`auth` is Supabase's schema" in done.stderr


def test_an_unchanged_schema_reuses_the_cached_target_and_a_changed_one_rebuilds_it(
        tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    first = checks(project)["DB005"]
    assert first["status"] == "pass" and "cached" not in str(first["message"])
    assert (project / ".deploy-check" / "schema-target.json").is_file()
    second = checks(project)["DB005"]
    assert second["status"] == "pass" and "cached for this schema" in str(second["message"])
    # Drift is still found from the cached target: it holds types, not just names.
    query(fresh_db, "ALTER TABLE accounts ALTER COLUMN nickname TYPE text")
    drifted = checks(project)["DB005"]
    assert drifted["status"] == "fail" and "cached for this schema" in str(drifted["message"])
    assert "nickname is text, schema says character varying(40)" in str(drifted["message"])
    (project / "schema.sql").write_text(SCHEMA.replace("varchar(40)", "text"))
    rebuilt = checks(project)["DB005"]
    assert rebuilt["status"] == "pass" and "cached" not in str(rebuilt["message"]), rebuilt


NEON_APP = ("CREATE TABLE todos (id serial PRIMARY KEY, owner_id text NOT NULL "
            "REFERENCES neon_auth.users_sync (id), title text NOT NULL);\n")


@pytest.mark.parametrize(("platform", "schema", "made"), [
    ("supabase", PROFILES, "auth.users, auth.uid()"),
    ("neon-auth", NEON_APP, "neon_auth.users_sync"),
])
def test_local_db_with_platform_stand_ins_takes_the_apps_schema(
        tmp_path: Path, platform: str, schema: str, made: str) -> None:
    from provision.database import stop_local_db

    project = write_project(tmp_path, {"schema.sql": schema, ".env.local": "DATABASE_URL=\n"})
    try:
        local = run_cli("provision", "local-db", "--project", str(project), "--platform", platform)
        assert local.returncode == 0, local.stderr
        assert f"stand-ins for local development: {made}" in local.stdout
        assert "not the platform itself" in local.stdout
        applied = provision(project)
        assert applied.returncode == 0, applied.stderr
        assert checks(project)["DB004"]["status"] == "pass"
        again = run_cli("provision", "local-db", "--project", str(project), "--platform", platform)
        assert again.returncode == 0, again.stderr  # idempotent
    finally:
        stop_local_db(project)


def test_only_a_schema_the_guard_accepts_is_cached_and_a_change_is_seen(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db)
    assert provision(project).returncode == 0
    cache = project / ".deploy-check" / "schema-parse.json"
    assert cache.is_file()
    assert "schema already applied" in provision(project).stdout  # from the cached model
    (project / "schema.sql").write_text(SCHEMA + "DELETE FROM accounts;\n")
    refused = provision(project)
    assert refused.returncode == 1 and "schema.sql:17 DELETE" in refused.stderr
    assert provision(project).returncode == 1  # never served from a cache


def test_db004_a_view_of_the_same_name_is_not_the_table(tmp_path: Path, fresh_db: str) -> None:
    query(fresh_db, "CREATE VIEW notes AS SELECT 1 AS id, 'x'::text AS body")
    project = project_for(tmp_path, fresh_db, "CREATE TABLE notes (id int PRIMARY KEY, body text);\n")
    db004 = checks(project)["DB004"]
    assert db004["status"] == "fail"
    assert "public.notes exists as a view, not as a table" in str(db004["message"])
    assert db004["details"]["wrong_kind"] == {"public.notes": "a view"}


def test_dry_run_names_what_it_would_create(tmp_path: Path, fresh_db: str) -> None:
    schema = ("CREATE TABLE notes (id serial PRIMARY KEY, body text);\n"
              "CREATE INDEX notes_body ON notes (body);\nCREATE TYPE mood AS ENUM ('ok');\n")
    done = provision(project_for(tmp_path, fresh_db, schema), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "creates 1 table: public.notes" in done.stdout
    assert "notes_body" in done.stdout and "mood" in done.stdout
    assert tables_in(fresh_db) == set()  # and nothing was created


def test_a_missing_neon_auth_schema_on_the_users_own_local_database_gets_stand_ins_there(
        tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db, NEON_APP)
    db004 = checks(project)["DB004"]
    assert db004["status"] == "fail"
    assert db004["fix"] == "deploy-check provision schema --platform neon-auth", db004
    plain = provision(project)
    assert plain.returncode == 1
    assert "provision schema --platform neon-auth" in plain.stderr and "local-db" not in plain.stderr
    fixed = provision(project, "--platform", "neon-auth")  # the fix, as pasted
    assert fixed.returncode == 0, fixed.stderr
    assert "stand-ins for local development: neon_auth.users_sync" in fixed.stdout
    assert checks(project)["DB004"]["status"] == "pass"
    assert provision(project, "--platform", "neon-auth").returncode == 0  # idempotent


def test_platform_stand_ins_never_go_into_a_remote_database(tmp_path: Path) -> None:
    project = project_for(tmp_path, "postgresql://app:pw@db.example.com:5432/app", NEON_APP)
    done = provision(project, "--platform", "neon-auth")
    assert done.returncode == 1
    assert "only to a database on this machine" in done.stderr


@pytest.mark.parametrize(("env_local", "said"), [
    (None, "no database variable found (no prisma datasource, no drizzle.config dbCredentials, "
           "none of DATABASE_URL"),
    ("DATABASE_URL=hello\n", "DATABASE_URL is not a URL"),
    ("DATABASE_URL=\n", "DATABASE_URL is empty"),
])
def test_provision_schema_sentences_name_their_subject(tmp_path: Path, env_local: str | None, said: str) -> None:
    files = {"schema.sql": "CREATE TABLE notes (id int);\n", "package.json": '{"dependencies": {"next": "15"}}\n'}
    if env_local is not None:
        files[".env.local"] = env_local
    done = provision(write_project(tmp_path, files))
    assert done.returncode == 1
    assert said in done.stderr, done.stderr
    assert ": is not a URL" not in done.stderr


def test_db005_hint_says_what_provision_schema_does_to_tables(tmp_path: Path, fresh_db: str) -> None:
    # provision schema adds columns (provision/schemaplan.py): "never alters tables" was untrue.
    project = project_for(tmp_path, fresh_db, "CREATE TABLE notes (id int PRIMARY KEY, body text);\n")
    query(fresh_db, "CREATE TABLE notes (id int PRIMARY KEY)")
    assert provision(project).returncode == 0
    assert {name for (name,) in query(fresh_db, "SELECT column_name FROM information_schema.columns "
                                                "WHERE table_name = 'notes'")} == {"id", "body"}
    explained = run_cli("explain", "DB005").stdout
    assert "never alters tables" not in explained
    assert "never changes or drops an existing column" in " ".join(explained.split())
    assert "from schema.sql it adds missing tables and columns" in " ".join(explained.split())


def test_an_app_that_pushes_its_schema_is_told_its_own_push_script(tmp_path: Path, fresh_db: str) -> None:
    # No migrations folder, no schema.sql: `provision schema` would exit 1 when pasted.
    project = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "drizzle-push", project)
    (project / ".env").write_text(f"DATABASE_URL={fresh_db}\n")
    db004 = checks(project)["DB004"]
    assert db004["status"] == "fail"
    assert db004["fix"] == "npm run db:push", db004
    assert "db:push" in db004["hint"]
    assert provision(project).returncode == 1  # what the fix used to promise


def test_a_push_script_name_with_a_space_is_quoted_when_pasted(tmp_path: Path, fresh_db: str) -> None:
    project = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "drizzle-push-empty-journal", project)
    package = json.loads((project / "package.json").read_text())
    package["scripts"] = {"dev": "next dev", "push db": "dotenv drizzle-kit push"}
    (project / "package.json").write_text(json.dumps(package))
    (project / ".env").write_text(f"DATABASE_URL={fresh_db}\n")
    assert checks(project)["DB004"]["fix"] == "npm run 'push db'"


def test_a_monorepo_apps_push_script_in_its_db_package_is_named(tmp_path: Path, fresh_db: str) -> None:
    # t3-oss/create-t3-turbo: apps/nextjs has no push script, packages/db/package.json has
    # `"push": "pnpm with-env drizzle-kit push"`; the hint said "no db:push script".
    root = shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "t3-turbo-with-env", tmp_path / "t3")
    (root / ".env").write_text(f"POSTGRES_URL={fresh_db}\n")
    db004 = checks(root / "apps" / "nextjs")["DB004"]
    assert db004["status"] == "fail"
    assert db004["fix"] == "cd ../../packages/db && pnpm run push", db004
    assert "its own `cd ../../packages/db && pnpm run push`" in str(db004["hint"])


@pytest.mark.parametrize("fixture", ["drizzle-push", "drizzle-push-empty-journal"])
def test_a_pushed_schema_whose_tables_exist_is_unverified_not_failed(
        tmp_path: Path, fresh_db: str, fixture: str) -> None:
    # skateshop: `out: "./drizzle"` holds only an empty meta/_journal.json; after the app's own
    # `pnpm run db:push` (DB004's fix) its tables are there, and DB004 still failed.
    project = tmp_path / "app"
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / fixture, project)
    (project / ".env").write_text(f"DATABASE_URL={fresh_db}\n")
    assert checks(project)["DB004"]["status"] == "fail"  # nothing pushed yet
    refused = provision(project)  # nothing to apply: it names the app's own push instead
    assert refused.returncode == 1
    assert ("the app creates its tables from its schema code with `npm run db:push`, which deploy-check does "
            "not run") in refused.stderr, refused.stderr
    query(fresh_db, "CREATE TABLE skateshop_stores (id varchar(30) PRIMARY KEY, name text NOT NULL)")
    db004 = checks(project)["DB004"]
    assert db004["status"] == "skip", db004
    assert "not verified" in db004["message"], db004["message"]
    assert "schema:" in db004["message"]


def test_check_fix_passes_the_platform_of_db004s_fix_on(tmp_path: Path, fresh_db: str) -> None:
    project = project_for(tmp_path, fresh_db, NEON_APP)
    done = run_cli("check", "--project", str(project), "--only", "schema", "--fix")
    assert "running `deploy-check provision schema --platform neon-auth`" in done.stderr + done.stdout
    assert checks(project)["DB004"]["status"] == "pass"


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("layout", ["schema.sql", "drizzle", "none"])
def test_only_schema_with_the_database_down_leaves_the_schema_clause_unverified(tmp_path: Path, layout: str) -> None:
    """`check --only schema` leaves DB002 out, so the schema checks meet the dead database
    themselves: their skips must name the clause, or a CI step of that form turns green."""
    files = {".env.local": f"DATABASE_URL=postgresql://app:pw-canary-7@127.0.0.1:{_closed_port()}/notes\n",
             "package.json": '{"dependencies": {"pg": "8.13.0"}}\n'}
    if layout == "schema.sql":
        files["schema.sql"] = "CREATE TABLE notes (id serial PRIMARY KEY);\n"
    elif layout == "drizzle":
        files.update({"drizzle.config.ts": 'export default { dialect: "postgresql", out: "./drizzle", '
                                           'dbCredentials: { url: process.env.DATABASE_URL! } }\n',
                      "drizzle/0000_init.sql": "CREATE TABLE notes (id serial PRIMARY KEY);\n",
                      "drizzle/meta/_journal.json": json.dumps({"version": "7", "dialect": "postgresql", "entries": [
                          {"idx": 0, "version": "7", "when": 1700000000000, "tag": "0000_init", "breakpoints": True}]})})
    project = write_project(tmp_path, files)
    done = run_cli("check", "--project", str(project), "--only", "schema", "-f", "json")
    report = json.loads(done.stdout)
    schema = [clause for clause in report["unverified"] if clause.startswith("schema:")]
    assert schema and all("not reachable" in clause for clause in schema), report["unverified"]
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert set(statuses.values()) == {"skip"}, statuses
    assert "pw-canary-7" not in done.stdout


def test_an_app_with_no_schema_source_is_told_what_would_let_its_tables_be_verified(
        tmp_path: Path, fresh_db: str) -> None:
    # vercel/nextjs-postgres-nextauth-tailwindcss-template keeps its CREATE TABLE in README.md
    # and its pgTable() calls in lib/db.ts: no schema.sql, no migrations, no push script, and
    # the hint "Apply the schema to this database." named nothing that applies it.
    project = write_project(tmp_path / "app", {
        ".env": f"POSTGRES_URL={fresh_db}\n",
        "package.json": '{"dependencies": {"next": "15.1.0", "drizzle-orm": "0.38.3", "postgres": "3.4.5"}}\n',
    })
    db004 = checks(project)["DB004"]
    assert db004["status"] == "fail", db004
    assert not db004["fix"], db004  # `provision schema` has nothing to apply
    assert db004["hint"].startswith("Nothing in the project says how the app creates its tables"), db004
    assert "[project] schema" in str(db004["hint"])
