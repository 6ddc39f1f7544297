package store

import (
	"context"
	"database/sql"
	"math"
	"time"

	"github.com/cofferhq/coffer"
)

const (
	msgSecretNotFound  = "Secret not found."
	msgVersionNotFound = "Secret version not found."
)

// secretSelect reads a secret with the comment and sealed value of its
// current version: one join on the version table's primary key.
const secretSelect = `
	SELECT s.id, s.environment_id, s.key, s.version, s.revision, s.deleted, s.updated_at,
		s.updated_by_type, s.updated_by_id, v.comment, v.ciphertext
	FROM secrets s
	JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version`

func scanSecret(row scanner) (*coffer.Secret, error) {
	var s coffer.Secret
	var updated int64
	err := row.Scan(&s.ID, &s.EnvironmentID, &s.Key, &s.Version, &s.Revision, &s.Deleted, &updated,
		&s.UpdatedBy.Type, &s.UpdatedBy.ID, &s.Comment, &s.Ciphertext)
	if err != nil {
		return nil, err
	}
	s.UpdatedAt = fromMicros(updated)
	return &s, nil
}

// SecretByKey returns the current state of a key, deleted or not (Deleted
// tells); ENOTFOUND if the key never existed in the environment.
func (q queries) SecretByKey(ctx context.Context, envID, key string) (*coffer.Secret, error) {
	s, err := scanSecret(q.db.QueryRowContext(ctx, secretSelect+`
		WHERE s.environment_id = $1 AND s.key = $2`, envID, key))
	if err != nil {
		return nil, dbError(err, "read secret", msgSecretNotFound, "")
	}
	return s, nil
}

// ListSecrets returns the secrets of an environment that are not deleted,
// ordered by key, with their sealed values: the bulk read that services
// make on every start. One query, walking the (environment_id, key) index.
func (q queries) ListSecrets(ctx context.Context, envID string) ([]*coffer.Secret, error) {
	return queryList(ctx, q, "list secrets", scanSecret, secretSelect+`
		WHERE s.environment_id = $1 AND NOT s.deleted
		ORDER BY s.key`, envID)
}

// SecretBundle returns an environment's revision with the secrets that are
// not deleted, ordered by key, with their sealed values — the bulk read that
// services make on every start. One statement reads both, so the rows are
// exactly those of the revision, which makes the pair safe to cache under
// it. ENOTFOUND if the environment does not exist.
func (q queries) SecretBundle(ctx context.Context, envID string) (int64, []*coffer.Secret, error) {
	const op = "read secret bundle"
	rows, err := q.db.QueryContext(ctx, `
		SELECT e.revision, s.id, s.key, s.version, s.revision, s.updated_at,
			s.updated_by_type, s.updated_by_id, v.comment, v.ciphertext
		FROM environments e
		LEFT JOIN secrets s ON s.environment_id = e.id AND NOT s.deleted
		LEFT JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
		WHERE e.id = $1
		ORDER BY s.key`, envID)
	if err != nil {
		return 0, nil, dbError(err, op, msgEnvNotFound, "")
	}
	defer rows.Close()
	var (
		revision int64
		found    bool
		list     []*coffer.Secret
	)
	for rows.Next() {
		// An environment without secrets is one row of NULLs after its
		// revision.
		var (
			id, key, byType, byID, comment sql.Null[string]
			version                        sql.Null[int]
			secRevision, updated           sql.Null[int64]
			ciphertext                     []byte
		)
		err := rows.Scan(&revision, &id, &key, &version, &secRevision, &updated, &byType, &byID, &comment, &ciphertext)
		if err != nil {
			return 0, nil, dbError(err, op, msgEnvNotFound, "")
		}
		found = true
		if !id.Valid {
			continue
		}
		list = append(list, &coffer.Secret{
			ID: id.V, EnvironmentID: envID, Key: key.V, Version: version.V, Revision: secRevision.V,
			Comment: comment.V, UpdatedAt: fromMicros(updated.V),
			UpdatedBy: coffer.Actor{Type: coffer.ActorType(byType.V), ID: byID.V}, Ciphertext: ciphertext,
		})
	}
	if err := rows.Err(); err != nil {
		return 0, nil, dbError(err, op, msgEnvNotFound, "")
	}
	if !found {
		return 0, nil, dbError(sql.ErrNoRows, op, msgEnvNotFound, "")
	}
	return revision, list, nil
}

// SecretsSince returns the secrets of an environment changed after
// revision, deleted ones included (with no ciphertext), ordered by
// revision then key: what a client that saw revision has missed.
func (q queries) SecretsSince(ctx context.Context, envID string, revision int64) ([]*coffer.Secret, error) {
	return queryList(ctx, q, "list secrets since revision", scanSecret, secretSelect+`
		WHERE s.environment_id = $1 AND s.revision > $2
		ORDER BY s.revision, s.key`, envID, revision)
}

// DeletedSecrets returns up to limit deleted keys of an environment whose
// values are still kept, ordered by key, starting after the key after (""
// for the first): what can be restored. It walks the (environment_id, key)
// index and each key's versions by their primary key.
func (q queries) DeletedSecrets(ctx context.Context, envID, after string, limit int) ([]*coffer.DeletedSecret, error) {
	return queryList(ctx, q, "list deleted secrets", func(row scanner) (*coffer.DeletedSecret, error) {
		var d coffer.DeletedSecret
		var at int64
		if err := row.Scan(&d.Key, &d.Version, &at, &d.DeletedBy.Type, &d.DeletedBy.ID, &d.RestoreVersion); err != nil {
			return nil, err
		}
		d.DeletedAt = fromMicros(at)
		return &d, nil
	}, `
		SELECT key, version, updated_at, updated_by_type, updated_by_id, restore FROM (
			SELECT s.key, s.version, s.updated_at, s.updated_by_type, s.updated_by_id,
				(SELECT max(v.version) FROM secret_versions v WHERE v.secret_id = s.id AND NOT v.deleted) AS restore
			FROM secrets s
			WHERE s.environment_id = $1 AND s.deleted AND s.key > $2
		) d
		WHERE restore IS NOT NULL
		ORDER BY key
		LIMIT $3`, envID, after, limit)
}

// InsertSecret stores the current state of a new key; ECONFLICT if the
// environment has the key already (deleted or not). Its value goes in with
// InsertSecretVersion, in the same transaction.
func (q queries) InsertSecret(ctx context.Context, s *coffer.Secret) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO secrets (id, environment_id, key, version, revision, deleted, updated_at, updated_by_type, updated_by_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.ID, s.EnvironmentID, s.Key, s.Version, s.Revision, s.Deleted, micros(s.UpdatedAt),
		s.UpdatedBy.Type, s.UpdatedBy.ID)
	if err != nil {
		return dbError(err, "insert secret", "", "The secret already exists.")
	}
	return nil
}

// UpdateSecret saves a key's current version, revision, deleted flag, and
// who changed it when; ENOTFOUND if the secret is gone.
func (q queries) UpdateSecret(ctx context.Context, s *coffer.Secret) error {
	err := q.execOne(ctx, `
		UPDATE secrets SET version = $2, revision = $3, deleted = $4, updated_at = $5,
			updated_by_type = $6, updated_by_id = $7
		WHERE id = $1`,
		s.ID, s.Version, s.Revision, s.Deleted, micros(s.UpdatedAt), s.UpdatedBy.Type, s.UpdatedBy.ID)
	if err != nil {
		return dbError(err, "update secret", msgSecretNotFound, "")
	}
	return nil
}

// InsertSecretVersion appends a version to a secret's history; ECONFLICT if
// that version number exists.
func (q queries) InsertSecretVersion(ctx context.Context, v *coffer.SecretVersion) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO secret_versions (secret_id, version, revision, deleted, comment, created_at,
			created_by_type, created_by_id, ciphertext)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		v.SecretID, v.Version, v.Revision, v.Deleted, v.Comment, micros(v.CreatedAt),
		v.CreatedBy.Type, v.CreatedBy.ID, v.Ciphertext)
	if err != nil {
		return dbError(err, "insert secret version", "", "This version of the secret already exists.")
	}
	return nil
}

// PurgeDeletedValues destroys the values of secrets deleted before before:
// it deletes every version of such a secret but the one that records the
// deletion, which ?since reads and the history still show. It returns how
// many versions it deleted.
func (q queries) PurgeDeletedValues(ctx context.Context, before time.Time) (int, error) {
	n, err := q.exec(ctx, `
		DELETE FROM secret_versions
		WHERE secret_id IN (SELECT id FROM secrets WHERE deleted AND updated_at < $1)
			AND version < (SELECT s.version FROM secrets s WHERE s.id = secret_versions.secret_id)`,
		micros(before))
	if err != nil {
		return 0, dbError(err, "purge deleted secret values", "", "")
	}
	return n, nil
}

const versionColumns = `secret_id, version, revision, deleted, comment, created_at, created_by_type, created_by_id, ciphertext`

func scanVersion(row scanner) (*coffer.SecretVersion, error) {
	var v coffer.SecretVersion
	var created int64
	err := row.Scan(&v.SecretID, &v.Version, &v.Revision, &v.Deleted, &v.Comment, &created,
		&v.CreatedBy.Type, &v.CreatedBy.ID, &v.Ciphertext)
	if err != nil {
		return nil, err
	}
	v.CreatedAt = fromMicros(created)
	return &v, nil
}

// SecretVersions returns up to limit versions of a secret older than
// beforeVersion, newest first; beforeVersion <= 0 starts from the newest.
// limit <= 0 means coffer.DefaultPageSize.
func (q queries) SecretVersions(ctx context.Context, secretID string, beforeVersion, limit int) ([]*coffer.SecretVersion, error) {
	if beforeVersion <= 0 {
		beforeVersion = math.MaxInt32
	}
	if limit <= 0 {
		limit = coffer.DefaultPageSize
	}
	return queryList(ctx, q, "list secret versions", scanVersion, `
		SELECT `+versionColumns+` FROM secret_versions
		WHERE secret_id = $1 AND version < $2
		ORDER BY version DESC
		LIMIT $3`, secretID, beforeVersion, limit)
}

// SecretVersion returns one version of a secret; ENOTFOUND if there is none.
func (q queries) SecretVersion(ctx context.Context, secretID string, version int) (*coffer.SecretVersion, error) {
	v, err := scanVersion(q.db.QueryRowContext(ctx, `
		SELECT `+versionColumns+` FROM secret_versions WHERE secret_id = $1 AND version = $2`, secretID, version))
	if err != nil {
		return nil, dbError(err, "read secret version", msgVersionNotFound, "")
	}
	return v, nil
}
