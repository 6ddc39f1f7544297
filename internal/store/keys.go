package store

import (
	"bytes"
	"context"

	"github.com/cofferhq/coffer"
)

// ProjectKey is a project's data-encryption key as stored: wrapped, with
// the id of the key-encryption key that wrapped it. KEK rotation reads and
// rewrites only these two columns.
type ProjectKey struct {
	ProjectID  string
	WrappedDEK []byte
	KEKID      string
}

// ListProjectKeys returns the wrapped key of every project whose id sorts
// after afterID, at most limit of them (0: 1000), ordered by id, so that a
// rotation walks any number of projects a page at a time. The projects'
// primary key serves it.
func (q queries) ListProjectKeys(ctx context.Context, afterID string, limit int) ([]ProjectKey, error) {
	if limit <= 0 {
		limit = 1000
	}
	// Ids are UUIDs in PostgreSQL, where '' is not one: start from the
	// smallest UUID instead.
	if afterID == "" {
		afterID = "00000000-0000-0000-0000-000000000000"
	}
	return queryList(ctx, q, "list project keys", func(row scanner) (ProjectKey, error) {
		var k ProjectKey
		err := row.Scan(&k.ProjectID, &k.WrappedDEK, &k.KEKID)
		return k, err
	}, `
		SELECT id, wrapped_dek, kek_id FROM projects
		WHERE id > $1
		ORDER BY id
		LIMIT $2`, afterID, limit)
}

// CountProjectsByKEK returns how many projects have their key wrapped by
// each key-encryption key id. It reads every project row: it serves
// `coffer keys status` and one check at start-up, never a request, and
// projects are few.
func (q queries) CountProjectsByKEK(ctx context.Context) (map[string]int, error) {
	type count struct {
		id string
		n  int
	}
	list, err := queryList(ctx, q, "count projects by key", func(row scanner) (count, error) {
		var c count
		err := row.Scan(&c.id, &c.n)
		return c, err
	}, `SELECT kek_id, COUNT(*) FROM projects GROUP BY kek_id`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(list))
	for _, c := range list {
		out[c.id] = c.n
	}
	return out, nil
}

// ReplaceProjectKey stores a re-wrapped key for a project, but only if the
// stored key is still old (same bytes and KEK id): two rotations running at
// once, or a rotation racing anything else that rewrites the key, can then
// never overwrite a newer key with a stale one. It touches nothing else of
// the project, not even its update time: the key is the same key. It
// returns ENOTFOUND if the project is gone and ECONFLICT if its key changed
// since old was read.
func (q queries) ReplaceProjectKey(ctx context.Context, old ProjectKey, wrapped []byte, kekID string) error {
	n, err := q.exec(ctx, `
		UPDATE projects SET wrapped_dek = $4, kek_id = $5
		WHERE id = $1 AND kek_id = $2 AND wrapped_dek = $3`,
		old.ProjectID, old.KEKID, old.WrappedDEK, wrapped, kekID)
	if err != nil {
		return dbError(err, "replace project key", msgProjectNotFound, "")
	}
	if n == 1 {
		return nil
	}
	// Nothing matched: tell a deleted project from a changed key.
	var cur ProjectKey
	err = q.db.QueryRowContext(ctx, `SELECT id, wrapped_dek, kek_id FROM projects WHERE id = $1`, old.ProjectID).
		Scan(&cur.ProjectID, &cur.WrappedDEK, &cur.KEKID)
	if err != nil {
		return dbError(err, "replace project key", msgProjectNotFound, "")
	}
	if cur.KEKID == kekID && bytes.Equal(cur.WrappedDEK, wrapped) {
		return nil // the same write, already made
	}
	return coffer.Errorf(coffer.ECONFLICT, "The key of this project changed during the rotation.")
}
