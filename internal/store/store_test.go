package store_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/logtest"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.OpenSQLite)
}

func TestPostgres(t *testing.T) {
	storetest.SkipIfNoPostgres(t)
	t.Parallel()
	storetest.Run(t, storetest.OpenPostgres)
}

// TestPostgresConcurrentMigrate starts two stores on one empty schema at
// once, as two instances would: the advisory lock lets one migrate while
// the other waits, and then finds nothing to do.
func TestPostgresConcurrentMigrate(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a := storetest.Open(t, store.Config{URL: url})
	b := storetest.Open(t, store.Config{URL: url})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*store.Store{a, b} {
		wg.Go(func() { errs[i] = s.MigrateUp(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
	}
	n, err := a.PendingMigrations(t.Context())
	if err != nil || n != 0 {
		t.Fatalf("pending = %d, %v; want 0", n, err)
	}
}

func TestOpenSQLite(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s := storetest.Open(t, store.Config{SQLitePath: filepath.Join(dir, "coffer.db"), MaxConns: 4, MinConns: 2})
	if s.Dialect() != store.SQLite {
		t.Fatalf("dialect = %q", s.Dialect())
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The PostgreSQL pool settings do not apply: SQLite keeps a fixed set
	// of connections and their prepared statements.
	if got := s.DB().Stats().MaxOpenConnections; got != 8 {
		t.Fatalf("max open connections = %d, want 8", got)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Fatalf("data directory mode = %v, want 0700", perm)
	}
	var mode string
	if err := s.DB().QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.DB().QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	const password = "hunter2-canary"
	tests := []struct {
		name string
		cfg  store.Config
	}{
		{"NoSQLitePath", store.Config{}},
		{"SQLiteDirNotCreatable", store.Config{SQLitePath: "/dev/null/coffer/coffer.db"}},
		{"BadPostgresURL", store.Config{URL: "postgres://coffer:" + password + "@localhost:notaport/db"}},
		{"PostgresUnreachable", store.Config{URL: "postgres://coffer:" + password + "@127.0.0.1:1/db?connect_timeout=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := store.Open(t.Context(), tt.cfg)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), password) {
				t.Fatalf("error reveals the password: %v", err)
			}
		})
	}
}

func TestPostgresOptions(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Config{
		URL: storetest.PostgresURL(t), MaxConns: 3, MinConns: 1,
		ConnMaxLifetime: time.Minute, ConnMaxIdleTime: time.Minute, StatementTimeout: 100 * time.Millisecond,
	})
	if s.Dialect() != store.Postgres {
		t.Fatalf("dialect = %q", s.Dialect())
	}
	if got := s.DB().Stats().MaxOpenConnections; got != 3 {
		t.Fatalf("max open connections = %d, want 3", got)
	}
	var timeout string
	if err := s.DB().QueryRowContext(t.Context(), `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != "100ms" {
		t.Fatalf("statement_timeout = %q, %v; want 100ms", timeout, err)
	}
}

// TestSlowQueryLog: statements slower than the threshold are logged at
// WARN with their text, never their arguments; under it, nothing is.
func TestSlowQueryLog(t *testing.T) {
	t.Parallel()
	const canary = "sealed-canary-value"
	for _, tt := range []struct {
		name      string
		threshold time.Duration
		want      []string // in the log; nil: no slow query logged
	}{
		{"OverThreshold", time.Nanosecond, []string{"level=WARN", "slow query", "INSERT INTO meta", "SELECT value FROM meta", "FROM environments"}},
		{"UnderThreshold", time.Hour, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs logtest.Buffer
			s := storetest.Open(t, store.Config{
				SQLitePath: filepath.Join(t.TempDir(), "coffer.db"), SlowQuery: tt.threshold,
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			})
			storetest.Migrate(t, s)
			if err := s.SetMeta(t.Context(), "k", []byte(canary)); err != nil {
				t.Fatal(err)
			}
			if err := s.Tx(t.Context(), func(tx *store.Tx) error {
				_, err := tx.Meta(t.Context(), "k")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ListEnvironments(t.Context(), "no-such-project"); err != nil {
				t.Fatal(err)
			}
			out := logs.String()
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			if tt.want == nil && strings.Contains(out, "slow query") {
				t.Errorf("a fast query was logged as slow:\n%s", out)
			}
			if strings.Contains(out, canary) {
				t.Errorf("log reveals an argument:\n%s", out)
			}
		})
	}
}

// The PostgreSQL audit batch goes through pgx itself, around database/sql:
// it must still be timed, logged when slow and counted like every
// statement, outside a transaction and inside one.
func TestAuditBatchIsObservedOnPostgres(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	var mu sync.Mutex
	ops := map[string]int{}
	s := storetest.Open(t, store.Config{
		URL: storetest.PostgresURL(t), SlowQuery: time.Nanosecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Observe: func(op string, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			ops[op]++
		},
	})
	storetest.Migrate(t, s)
	ctx := t.Context()
	event := func(seq int64, prev []byte) *coffer.AuditEvent {
		return &coffer.AuditEvent{
			Seq: seq, ID: "0190b000-0000-7000-8000-00000000000" + string(rune('0'+seq)), Time: time.Now(),
			ActorType: coffer.ActorUser, ActorID: "u", Action: coffer.AuditSecretsRead, Outcome: coffer.OutcomeSuccess,
			PrevHash: prev, Hash: []byte{byte(seq)},
		}
	}
	mu.Lock()
	before := ops["with"]
	mu.Unlock()
	if ok, err := s.AppendAuditAfter(ctx, []*coffer.AuditEvent{event(1, nil)}); err != nil || !ok {
		t.Fatalf("append outside a transaction: %v, %v", ok, err)
	}
	if err := s.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertAuditEvents(ctx, []*coffer.AuditEvent{event(2, []byte{1})})
	}); err != nil {
		t.Fatalf("insert inside a transaction: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := ops["with"] - before; got != 2 {
		t.Errorf("the latency metric saw %d audit batches (statement WITH …), want 2: %v", got, ops)
	}
	if n := strings.Count(logs.String(), "INSERT INTO audit_events"); n != 2 {
		t.Errorf("the slow-query log names the audit batch %d times, want 2:\n%s", n, logs.String())
	}
}
