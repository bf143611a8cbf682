-- Demo app schema: accounts own projects, projects hold notes.
CREATE TABLE accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE CHECK (position('@' in email) > 1),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        varchar(120) NOT NULL,
    archived    boolean NOT NULL DEFAULT false,
    UNIQUE (account_id, name)
);

CREATE TABLE notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    body        text NOT NULL,
    pinned      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notes_project_created_idx ON notes (project_id, created_at DESC);
