-- +goose Up
-- The cleanup job deletes sessions and tokens that expired or were revoked
-- long enough ago; the expiry has an index, and these serve the revocation
-- side of its OR. They hold revoked rows only.
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX tokens_revoked_idx ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
-- It also finds the secrets deleted before the retention window to destroy
-- their old values; this index holds the deleted ones only.
CREATE INDEX secrets_deleted_idx ON secrets (updated_at) WHERE deleted;

-- +goose Down
DROP INDEX secrets_deleted_idx;
DROP INDEX tokens_revoked_idx;
DROP INDEX sessions_revoked_idx;
