-- +goose Up
-- The cleanup job finds the secrets deleted before the retention window to
-- destroy their old values; the index holds the deleted ones only.
CREATE INDEX secrets_deleted_idx ON secrets (updated_at) WHERE deleted;

-- +goose Down
DROP INDEX secrets_deleted_idx;
