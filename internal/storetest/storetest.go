// Package storetest is the conformance suite that the store must pass on
// every dialect, and the helpers that open a fresh, migrated store for a
// test: a temporary SQLite file, or a PostgreSQL schema of its own so that
// tests run in parallel against one server.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for schema set-up
)

// EnvPostgresURL names the variable holding the PostgreSQL server the
// tests use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgresURL = "COFFER_TEST_DATABASE_URL"

// Run runs every behaviour of the suite. Each group gets its own store
// from open, which must return a migrated, empty store that the test owns.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, s *store.Store)
	}{
		{"Meta", testMeta},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"RefreshTokens", testRefreshTokens},
		{"Tokens", testTokens},
		{"Projects", testProjects},
		{"Keys", testKeys},
		{"Members", testMembers},
		{"Invitations", testInvitations},
		{"ListInvitations", testListInvitations},
		{"DeleteInvitation", testDeleteInvitation},
		{"Environments", testEnvironments},
		{"BumpRevision", testBumpRevision},
		{"Secrets", testSecrets},
		{"Audit", testAudit},
		{"Leases", testLeases},
		{"Tx", testTx},
		{"Migrations", testMigrations},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open(t))
		})
	}
}

// OpenSQLite returns a migrated store in a fresh SQLite file that is
// removed after the test.
func OpenSQLite(t *testing.T) *store.Store {
	t.Helper()
	s := Open(t, store.Config{SQLitePath: filepath.Join(t.TempDir(), "coffer.db")})
	Migrate(t, s)
	return s
}

// OpenPostgres returns a migrated store in a fresh PostgreSQL schema that
// is dropped after the test. It skips the test when EnvPostgresURL is not
// set.
func OpenPostgres(t *testing.T) *store.Store {
	t.Helper()
	s := Open(t, store.Config{URL: PostgresURL(t), MaxConns: 8})
	Migrate(t, s)
	return s
}

// Open opens a store with cfg and closes it after the test.
func Open(t *testing.T, cfg store.Config) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// Migrate applies every migration to s.
func Migrate(t *testing.T, s *store.Store) {
	t.Helper()
	if err := s.MigrateUp(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// SkipIfNoPostgres returns the URL in EnvPostgresURL, or skips the test,
// saying so, when it is not set: a PostgreSQL test that cannot run must
// show as skipped, never as passed.
func SkipIfNoPostgres(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgresURL)
	if u == "" {
		t.Skip("PostgreSQL was not tested: " + EnvPostgresURL + " is not set")
	}
	return u
}

// PostgresURL creates an empty schema with a random name on the server
// that EnvPostgresURL names, drops it after the test, and returns a URL
// whose connections use it (search_path). It skips the test when the
// variable is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := SkipIfNoPostgres(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvPostgresURL) // the error would quote it, password and all
	}
	schema := "coffer_test_" + randomHex(8)

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		// t.Context is done by the time cleanups run.
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
