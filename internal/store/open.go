package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteConns is the SQLite pool size: readers run in parallel under WAL,
// writers queue on the write lock, and more connections than a few per
// core only add memory.
const sqliteConns = 8

// Open connects to the database cfg names and checks that it answers. It
// does not migrate: call MigrateUp.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s := &Store{logger: cfg.Logger, slow: cfg.SlowQuery, tracer: cfg.Tracer, observe: cfg.Observe}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://") {
		s.dialect = Postgres
		s.db, err = openPostgres(cfg)
	} else {
		s.dialect = SQLite
		s.db, err = openSQLite(cfg.SQLitePath)
	}
	if err != nil {
		return nil, err
	}
	if s.dialect == SQLite {
		// The pool settings are PostgreSQL's. A SQLite connection is a file
		// handle whose prepared statements are worth keeping: a fixed set,
		// all kept open, so none is closed and re-prepared under load.
		s.db.SetMaxOpenConns(sqliteConns)
		s.db.SetMaxIdleConns(sqliteConns)
	} else {
		// Every open connection may wait idle (database/sql keeps only two
		// by default, so a busy pool would close and reopen connections
		// on every burst); ConnMaxIdleTime retires the ones a quiet period
		// leaves unused.
		if cfg.MaxConns > 0 {
			s.db.SetMaxOpenConns(cfg.MaxConns)
			s.db.SetMaxIdleConns(cfg.MaxConns)
		}
		s.db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
		s.db.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	}
	// sql.Open connects lazily; connect now so a wrong URL or path fails
	// at start-up, not on the first request.
	if err := s.db.PingContext(ctx); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", s.dialect, err)
	}
	if s.dialect == Postgres {
		warm(ctx, s.db, cfg.MinConns)
	}
	var pool querier = s.db
	if s.dialect == SQLite {
		s.stmts = newStmtCache(s.db)
		pool = s.stmts
	}
	s.queries = s.queriesOn(pool, false)
	return s, nil
}

// openPostgres builds the pool through pgx's own parser, so runtime
// parameters such as search_path in the URL are honoured. pgx redacts the
// password from its parse errors; ours never quote the URL.
func openPostgres(cfg Config) (*sql.DB, error) {
	pgCfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse PostgreSQL URL: %w", err)
	}
	if cfg.StatementTimeout > 0 {
		// In milliseconds, at least one: zero would mean no timeout at all.
		ms := max(cfg.StatementTimeout.Milliseconds(), 1)
		pgCfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(ms, 10)
	}
	return stdlib.OpenDB(*pgCfg), nil
}

// openSQLite opens the file with the settings Coffer relies on: WAL so
// readers never wait for the writer, synchronous=FULL so a committed write
// survives power loss, foreign keys for the cascades, a busy timeout so a
// writer waits for another instead of failing, and BEGIN IMMEDIATE so a
// transaction takes the write lock up front (a deferred one that tries to
// upgrade while another writes fails at once, whatever the timeout).
func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, fmt.Errorf("open SQLite database: no path given")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create SQLite directory: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	// A plain path, not a file: URI, so that no character of it needs
	// escaping; the driver strips the parameters after the first "?".
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	return db, nil
}

// warm opens n connections at start (DB_MIN_CONNS), so the first requests
// after a deploy do not pay for connection set-up. database/sql has no
// minimum; connections idle past ConnMaxIdleTime are closed again later.
func warm(ctx context.Context, db *sql.DB, n int) {
	conns := make([]*sql.Conn, 0, n)
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			break // the pool works without; Ping already proved the server answers
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.Close() // back to the idle pool
	}
}
