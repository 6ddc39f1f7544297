package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/redis/redistest"
	"github.com/cofferhq/coffer/internal/store"
)

// TestCanaryNeverStoredInClear writes a recognisable value through the API
// and then looks for it everywhere the database keeps bytes: the SQLite
// files (database and WAL), and every column of every row on PostgreSQL.
func TestCanaryNeverStoredInClear(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		ctx := t.Context()
		c, _ := s.signup(t, "owner")
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		canary := "CANARY-" + fmt.Sprint(os.Getpid()) + "-c0ffee-plaintext"
		if _, _, err := c.PutSecret(ctx, "shop", "dev", "CANARY", api.PutSecretRequest{Value: canary}); err != nil {
			t.Fatal(err)
		}
		ok(c.ImportDotenv(ctx, "shop", "dev", "OTHER="+canary+"-2\n", client.ImportOptions{})).get(t)
		b := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t)
		if len(b.Bundle.Secrets) != 2 {
			t.Fatalf("read back: %+v", b.Bundle)
		}

		if backend == "sqlite" {
			matches, _ := filepath.Glob(s.Config.SQLitePath + "*")
			if len(matches) == 0 {
				t.Fatal("no database files found")
			}
			for _, f := range matches {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(data, []byte("c0ffee-plaintext")) {
					t.Errorf("the canary is in %s in the clear", filepath.Base(f))
				}
			}
		}
		scanAllRows(t, s.Store.DB(), s.Store.Dialect(), "c0ffee-plaintext")
		if strings.Contains(s.Logs.String(), "c0ffee-plaintext") {
			t.Error("the canary is in the logs")
		}
	})
}

// TestCanaryNeverInRedis reads a canary value through an instance with
// Redis, which caches the environment's bundle there, and looks for the
// value in every key Coffer wrote.
func TestCanaryNeverInRedis(t *testing.T) {
	redisURL := redistest.URL(t)
	s := startServer(t, "sqlite", map[string]string{"REDIS_URL": redisURL})
	ctx := t.Context()
	c, _ := s.signup(t, "owner")
	ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	canary := "CANARY-" + fmt.Sprint(os.Getpid()) + "-c0ffee-in-redis"
	if _, _, err := c.PutSecret(ctx, "shop", "dev", "CANARY", api.PutSecretRequest{Value: canary}); err != nil {
		t.Fatal(err)
	}
	if b := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t); len(b.Bundle.Secrets) != 1 {
		t.Fatalf("read back: %+v", b.Bundle)
	}
	env := ok(c.Environment(ctx, "shop", "dev")).get(t)

	rdb := goredis.NewClient(mustParseRedisURL(t, redisURL))
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "coffer:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	bundleKey := fmt.Sprintf("coffer:bundle:%s:%d", env.ID, env.Revision)
	found := false
	for _, k := range keys {
		found = found || k == bundleKey
		if typ := rdb.Type(ctx, k).Val(); typ != "string" {
			continue // rate-limit counters are hashes of numbers
		}
		if v := rdb.Get(ctx, k).Val(); strings.Contains(v, "c0ffee-in-redis") || strings.Contains(k, "c0ffee-in-redis") {
			t.Errorf("the canary is in Redis key %s in the clear", k)
		}
	}
	if !found {
		t.Fatalf("no bundle %s in Redis: this test looked at nothing", bundleKey)
	}
}

// scanAllRows reads every column of every table as text and fails if any
// holds needle.
func scanAllRows(t *testing.T, db *sql.DB, dialect, needle string) {
	t.Helper()
	ctx := t.Context()
	rows, err := db.QueryContext(ctx, tablesQuery(dialect))
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("found only tables %v", tables)
	}
	for _, table := range tables {
		r, err := db.QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := r.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if strings.Contains(fmt.Sprintf("%s", v), needle) {
					t.Errorf("the canary is in %s.%s in the clear", table, cols[i])
				}
			}
		}
		r.Close()
	}
}

func tablesQuery(dialect string) string {
	if dialect == store.Postgres {
		return `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	return `SELECT name FROM sqlite_master WHERE type = 'table'`
}
