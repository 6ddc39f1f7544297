package store

import "context"

// Meta returns the value stored under name; ENOTFOUND if there is none.
func (q queries) Meta(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := q.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = $1`, name).Scan(&v)
	if err != nil {
		return nil, dbError(err, "read meta "+name, "Setting not found.", "")
	}
	return v, nil
}

// SetMeta stores value under name, replacing any previous value.
func (q queries) SetMeta(ctx context.Context, name string, value []byte) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO meta (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, nonNil(value))
	if err != nil {
		return dbError(err, "write meta "+name, "", "")
	}
	return nil
}
