package store

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestPostgresIndexesOnLiveTablesAreConcurrent: on PostgreSQL a plain
// CREATE INDEX blocks writes to its table while it builds, which on a large
// database stalls sign-ins or secret writes during an upgrade. An index on
// a table an earlier migration created is therefore built CONCURRENTLY, in
// a migration goose runs outside a transaction (docs/deployment.md, zero-
// downtime upgrades). Indexes on a table the same migration creates are
// built before anyone writes to it.
func TestPostgresIndexesOnLiveTablesAreConcurrent(t *testing.T) {
	createTable := regexp.MustCompile(`(?i)CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(\w+)`)
	createIndex := regexp.MustCompile(`(?i)CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF NOT EXISTS\s+)?\w+\s+ON\s+(\w+)`)
	files, err := fs.Glob(migrations, "migrations/postgres/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no PostgreSQL migrations: %v", err)
	}
	existing := map[string]bool{} // tables created by earlier migrations
	for _, name := range files {
		raw, err := fs.ReadFile(migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(raw), "-- +goose Down")
		noTx := strings.Contains(up, "-- +goose NO TRANSACTION")
		for _, m := range createIndex.FindAllStringSubmatch(up, -1) {
			concurrent, table := m[1] != "", m[2]
			if existing[table] && (!concurrent || !noTx) {
				t.Errorf("%s: %q locks %s, created by an earlier migration: build it CONCURRENTLY under -- +goose NO TRANSACTION", name, m[0], table)
			}
		}
		for _, m := range createTable.FindAllStringSubmatch(up, -1) {
			existing[m[1]] = true
		}
	}
	if len(existing) == 0 {
		t.Fatal("found no CREATE TABLE: the patterns no longer match the migrations")
	}
}
