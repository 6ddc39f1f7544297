-- The first schema of Coffer on PostgreSQL. It mirrors migrations/sqlite
-- statement for statement; only the types differ (UUID ids, BIGINT Unix
-- microseconds, BOOLEAN, BYTEA).

-- +goose Up

-- Small named values the server keeps for itself, such as the key check
-- value that proves ENCRYPTION_KEY is the key the data was sealed with.
CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value BYTEA NOT NULL
);

CREATE TABLE users (
	id            UUID PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE, -- sign-in looks users up by email
	name          TEXT NOT NULL,
	password_hash BYTEA NOT NULL,
	is_admin      BOOLEAN NOT NULL DEFAULT false,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
	id           UUID PRIMARY KEY,
	user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	user_agent   TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	revoked_at   BIGINT
);
-- A user's sessions, newest first (the sessions page, sign out everywhere,
-- and the cascade when a user is deleted).
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at);
-- The periodic purge of expired sessions.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE refresh_tokens (
	hash       BYTEA PRIMARY KEY, -- every refresh looks its token up by hash
	session_id UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	used_at    BIGINT
);
-- The cascade when a session is purged.
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE projects (
	id          UUID PRIMARY KEY,
	slug        TEXT NOT NULL UNIQUE, -- every project URL names its slug
	name        TEXT NOT NULL,
	wrapped_dek BYTEA NOT NULL,
	kek_id      TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);

CREATE TABLE members (
	project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
	created_at BIGINT NOT NULL,
	-- The key serves the authorization check of every request (MemberRole),
	-- the member list and the owner count.
	PRIMARY KEY (project_id, user_id)
);
-- A user's projects, the sole-owner check before erasure, and the cascade
-- when a user is deleted.
CREATE INDEX members_user_idx ON members (user_id, project_id);

CREATE TABLE environments (
	id         UUID PRIMARY KEY,
	project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	slug       TEXT NOT NULL,
	name       TEXT NOT NULL,
	revision   BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	-- Serves the lookup by slug on every secrets request and the list of a
	-- project's environments.
	UNIQUE (project_id, slug)
);

CREATE TABLE tokens (
	id           UUID PRIMARY KEY,
	kind         TEXT NOT NULL CHECK (kind IN ('personal', 'service')),
	name         TEXT NOT NULL,
	hash         BYTEA NOT NULL UNIQUE, -- every bearer request looks its token up by hash
	-- The owner of a personal token, the creator of a service token. Service
	-- tokens outlive their creator, so the reference is dropped, not the
	-- row; DeleteUser deletes personal tokens itself, and the CHECK below
	-- makes sure no personal token is ever left without its owner.
	user_id      UUID REFERENCES users (id) ON DELETE SET NULL,
	project_id   UUID REFERENCES projects (id) ON DELETE CASCADE,
	access       TEXT NOT NULL DEFAULT '' CHECK (access IN ('', 'read', 'read_write')),
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	last_used_at BIGINT,
	revoked_at   BIGINT,
	CHECK (kind <> 'personal' OR user_id IS NOT NULL),
	CHECK (kind <> 'service' OR project_id IS NOT NULL)
);
-- A user's personal tokens, newest first, and the SET NULL when a user is deleted.
CREATE INDEX tokens_user_idx ON tokens (user_id, created_at);
-- A project's service tokens, newest first, and the cascade when a project is deleted.
CREATE INDEX tokens_project_idx ON tokens (project_id, created_at);
-- The periodic purge of expired tokens.
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

-- The environments a service token may reach, in the order they were given.
-- Deleting an environment drops it from every scope.
CREATE TABLE token_environments (
	token_id       UUID NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
	environment_id UUID NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
	pos            INTEGER NOT NULL,
	PRIMARY KEY (token_id, environment_id) -- the scope read after each token lookup
);
-- The cascade when an environment is deleted.
CREATE INDEX token_environments_env_idx ON token_environments (environment_id);

-- The current state of each key; its value lives in the version row whose
-- number is secrets.version.
CREATE TABLE secrets (
	id              UUID PRIMARY KEY,
	environment_id  UUID NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
	key             TEXT NOT NULL,
	version         INTEGER NOT NULL,
	revision        BIGINT NOT NULL,
	deleted         BOOLEAN NOT NULL DEFAULT false,
	updated_at      BIGINT NOT NULL,
	updated_by_type TEXT NOT NULL,
	updated_by_id   TEXT NOT NULL,
	-- The bulk read of an environment (the hot path of the product) walks
	-- this index in key order; single-key reads and writes use it too.
	UNIQUE (environment_id, key)
);
-- ?since=N: what changed in an environment after a revision.
CREATE INDEX secrets_revision_idx ON secrets (environment_id, revision);

CREATE TABLE secret_versions (
	secret_id       UUID NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
	version         INTEGER NOT NULL,
	revision        BIGINT NOT NULL,
	deleted         BOOLEAN NOT NULL DEFAULT false,
	comment         TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	created_by_type TEXT NOT NULL,
	created_by_id   TEXT NOT NULL,
	ciphertext      BYTEA, -- NULL for a version that records a deletion
	-- Serves the join from secrets to their current value and the history
	-- newest first.
	PRIMARY KEY (secret_id, version)
);

-- The audit trail. No foreign keys: events outlive the users, tokens and
-- projects they name.
CREATE TABLE audit_events (
	seq            BIGINT PRIMARY KEY, -- the chain order; global listing and verification walk it
	id             UUID NOT NULL,
	occurred_at    BIGINT NOT NULL,
	actor_type     TEXT NOT NULL,
	actor_id       TEXT NOT NULL,
	action         TEXT NOT NULL,
	outcome        TEXT NOT NULL,
	project_id     TEXT NOT NULL, -- may be empty, so not a UUID
	environment_id TEXT NOT NULL,
	target         TEXT NOT NULL,
	keys           TEXT NOT NULL, -- JSON array of secret keys
	ip             TEXT NOT NULL,
	user_agent     TEXT NOT NULL,
	request_id     TEXT NOT NULL,
	prev_hash      BYTEA NOT NULL,
	hash           BYTEA NOT NULL
);
-- A project's audit log, newest first; the other filters are applied while
-- walking it.
CREATE INDEX audit_events_project_idx ON audit_events (project_id, seq);
-- What one user or token did, newest first (user export, investigations).
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);

-- The end of the audit chain: the row every audit writer locks, so events
-- get contiguous sequence numbers whichever instance writes them.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ''::bytea);

-- Named leases that let one instance at a time run a background job.
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE secret_versions;
DROP TABLE secrets;
DROP TABLE token_environments;
DROP TABLE tokens;
DROP TABLE environments;
DROP TABLE members;
DROP TABLE projects;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE meta;
