// Package store keeps Coffer's state in SQLite or PostgreSQL through one set
// of plain SQL statements. It stores what it is given: secret values arrive
// sealed by the barrier and are never seen in the clear here.
//
// The same SQL text serves both dialects: both bind $1-style placeholders by
// position (modernc.org/sqlite reads $N as the N-th argument), both support
// RETURNING and ON CONFLICT, and timestamps are plain integers (Unix
// microseconds, UTC) so no date function of either dialect is involved.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/cofferhq/coffer"
)

// Config says where the store lives and how its pool behaves.
type Config struct {
	// URL is a postgres:// or postgresql:// URL; empty selects SQLite.
	URL string
	// SQLitePath is the database file used when URL is empty.
	SQLitePath string

	MaxConns         int           // PostgreSQL pool size
	MinConns         int           // idle connections kept open
	ConnMaxLifetime  time.Duration // recycle connections after this long
	ConnMaxIdleTime  time.Duration
	StatementTimeout time.Duration // PostgreSQL statement_timeout
	SlowQuery        time.Duration // log statements slower than this (0: never)
	Logger           *slog.Logger
	// Tracer, when set, wraps every statement in a span holding its text
	// (never its arguments); nil creates no spans.
	Tracer trace.Tracer
	// Observe, when set, receives every statement's kind ("select",
	// "insert"…) and duration, for the query latency metric.
	Observe func(op string, d time.Duration)
}

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ProjectRole is a project with the caller's role in it.
type ProjectRole struct {
	Project *coffer.Project
	Role    coffer.Role
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	AppliedAt *time.Time
}

// Store is an open database. Its query methods run outside any transaction;
// Tx runs a function with the same methods inside one.
type Store struct {
	queries
	db      *sql.DB
	dialect string
	logger  *slog.Logger
	slow    time.Duration                    // Config.SlowQuery
	tracer  trace.Tracer                     // Config.Tracer
	observe func(op string, d time.Duration) // Config.Observe
	stmts   *stmtCache                       // SQLite only: statements prepared once
}

// Tx is a write transaction. Methods return *coffer.Error with ENOTFOUND or
// ECONFLICT where the domain expects them, and wrapped driver errors
// otherwise.
type Tx struct {
	queries
	tx *sql.Tx
}

// Dialect returns SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// DB returns the connection pool, for pool metrics. Queries go through the
// store's methods, never through it.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.dialect, err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	if s.stmts != nil {
		_ = s.stmts.Close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s database: %w", s.dialect, err)
	}
	return nil
}

// Tx runs fn in a transaction: it commits when fn returns nil and rolls back
// when fn returns an error or panics (the panic goes on). fn's error is
// returned as is, so its code reaches the caller.
//
// On SQLite the transaction takes the write lock at BEGIN, so concurrent
// writers wait their turn (up to the busy timeout) instead of failing when
// they would have to upgrade a read lock.
func (s *Store) Tx(ctx context.Context, fn func(*Tx) error) error {
	// On PostgreSQL the transaction runs on a connection of its own, so that
	// a statement needing pgx's protocol access (see rawPG) can join it.
	var conn *sql.Conn
	begin := s.db.BeginTx
	if s.dialect == Postgres {
		var err error
		if conn, err = s.db.Conn(ctx); err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		defer conn.Close()
		begin = conn.BeginTx
	}
	sqlTx, err := begin(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		// Runs on error and during a panic alike; the panic then goes on.
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	q := s.queriesOn(sqlTx, true)
	q.conn = conn
	if err := fn(&Tx{queries: q, tx: sqlTx}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	committed = true
	return nil
}

// atomic runs fn with queries that are inside one transaction: the current
// one inside a Tx, a new one otherwise. Methods that write more than one row
// use it so they never leave half their work behind.
func (q queries) atomic(ctx context.Context, fn func(queries) error) error {
	if q.store == nil {
		return fn(q)
	}
	return q.store.Tx(ctx, func(tx *Tx) error { return fn(tx.queries) })
}
