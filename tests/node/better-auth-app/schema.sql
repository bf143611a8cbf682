-- Tables for better-auth 1.7.25 with the email-OTP plugin on PostgreSQL, plus the app's notes.
--
-- The four auth tables are exactly what `npx @better-auth/cli generate` writes for the built-in
-- Kysely adapter on Postgres: the CLI (better-auth repo, packages/cli/src/generators/kysely.ts)
-- calls getMigrations(options).compileMigrations() (packages/better-auth/src/db/get-migration.ts)
-- over the tables of getAuthTables (packages/core/src/db/get-tables.ts; docs: "Database" >
-- "Core Schema"). The text below is that call's output, run against an empty database with this
-- app's options (the email-OTP plugin adds no table: it stores codes in "verification").

create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null);

create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null, "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade);

create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null);

create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null);

create index "session_userId_idx" on "session" ("userId");

create index "account_userId_idx" on "account" ("userId");

create index "verification_identifier_idx" on "verification" ("identifier");

-- The app's own table (not better-auth's): one row per note, owned by a better-auth user id.
create table notes (id bigserial primary key, user_id text not null, body text not null);
