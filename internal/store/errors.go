package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/cofferhq/coffer"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dbError turns a driver error into the domain's terms. A missing row
// becomes ENOTFOUND with notFound as its message and a unique violation
// becomes ECONFLICT with conflict as its message, when the caller gives
// those messages; anything else is wrapped with op for the logs.
func dbError(err error, op, notFound, conflict string) error {
	switch {
	case notFound != "" && isNotFound(err):
		return coffer.Errorf(coffer.ENOTFOUND, "%s", notFound)
	case conflict != "" && isUniqueViolation(err):
		return coffer.Errorf(coffer.ECONFLICT, "%s", conflict)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isNotFound reports whether err means there is no such row. On
// PostgreSQL an id that is not a UUID cannot name a row either, but fails
// to parse (22P02) instead of matching nothing; a path parameter of the
// API can be any string, so both dialects must answer it the same way.
func isNotFound(err error) bool {
	if errors.Is(err, sql.ErrNoRows) {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "22P02" // invalid_text_representation
}

// isUniqueViolation reports whether err is a unique or primary key
// violation in either dialect.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
