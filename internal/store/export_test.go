package store

import (
	"context"
	"database/sql"
)

// Recording returns a view of s that also passes every statement it sends
// outside a transaction, with its arguments, to record before sending it.
// The plan test uses it to explain the statements the store really runs,
// not copies of their text. s itself is unchanged; the view shares its pool
// and must not be closed.
func (s *Store) Recording(record func(query string, args []any)) *Store {
	view := *s
	view.queries.db = recorder{db: s.queries.db, record: record}
	return &view
}

// recorder is a querier that reports each statement before running it.
type recorder struct {
	db     querier
	record func(query string, args []any)
}

func (r recorder) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.record(query, args)
	return r.db.ExecContext(ctx, query, args...)
}

func (r recorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.record(query, args)
	return r.db.QueryContext(ctx, query, args...)
}

func (r recorder) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.record(query, args)
	return r.db.QueryRowContext(ctx, query, args...)
}
