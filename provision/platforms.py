"""`provision local-db --platform supabase|neon-auth`: minimal stand-ins for the platform
objects an app's schema references, so the schema applies to a local database as it does
to the hosted one. They are stand-ins for local development only, and say so in a comment
on their schema: no sign-in goes through them, nothing syncs into them.
"""

from __future__ import annotations

STAND_IN_NOTE = "deploy-check stand-in for {platform} (local development only; not the real thing)"

STAND_INS: dict[str, tuple[str, str]] = {
    # Supabase: auth.users keyed by uuid, auth.uid()/auth.role()/auth.jwt() reading the
    # request.jwt.claim* settings PostgREST sets, and the API roles
    # (https://supabase.com/docs/guides/database/postgres/row-level-security#helper-functions).
    "supabase": ("Supabase", """
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email varchar(255),
    raw_user_meta_data jsonb,
    raw_app_meta_data jsonb,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('request.jwt.claim.role', true), '')::text $$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS
  $$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;
DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE service_role NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
COMMENT ON SCHEMA auth IS '{note}';
"""),
    # Neon Auth: neon_auth.users_sync, the shape a Neon database's pg_dump shows (raw_json
    # with generated id/name/email/created_at, updated_at, deleted_at; primary key id).
    "neon-auth": ("Neon Auth", """
CREATE SCHEMA IF NOT EXISTS neon_auth;
CREATE TABLE IF NOT EXISTS neon_auth.users_sync (
    raw_json jsonb NOT NULL,
    id text GENERATED ALWAYS AS ((raw_json ->> 'id')) STORED NOT NULL PRIMARY KEY,
    name text GENERATED ALWAYS AS ((raw_json ->> 'display_name')) STORED,
    email text GENERATED ALWAYS AS ((raw_json ->> 'primary_email')) STORED,
    created_at timestamptz GENERATED ALWAYS AS (to_timestamp(trunc(((raw_json ->> 'signed_up_at_millis')::bigint)::double precision / 1000))) STORED,
    updated_at timestamptz,
    deleted_at timestamptz
);
COMMENT ON SCHEMA neon_auth IS '{note}';
"""),
}
PLATFORMS = tuple(STAND_INS)


def stand_in_sql(platform: str) -> str:
    name, text = STAND_INS[platform]
    return text.replace("{note}", STAND_IN_NOTE.format(platform=name))
