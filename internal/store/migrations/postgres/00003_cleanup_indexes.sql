-- +goose NO TRANSACTION
-- Built CONCURRENTLY, outside a transaction, so that sign-ins, token
-- checks and secret writes go on while the indexes are built on a large
-- database. A build that fails leaves an INVALID index: drop it and run
-- the migration again.

-- +goose Up
-- The cleanup job deletes sessions and tokens that expired or were revoked
-- long enough ago; the expiry has an index, and these serve the revocation
-- side of its OR. They hold revoked rows only.
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS tokens_revoked_idx ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
-- It also finds the secrets deleted before the retention window to destroy
-- their old values; this index holds the deleted ones only.
CREATE INDEX CONCURRENTLY IF NOT EXISTS secrets_deleted_idx ON secrets (updated_at) WHERE deleted;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS secrets_deleted_idx;
DROP INDEX CONCURRENTLY IF EXISTS tokens_revoked_idx;
DROP INDEX CONCURRENTLY IF EXISTS sessions_revoked_idx;
