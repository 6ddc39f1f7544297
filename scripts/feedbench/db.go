package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
)

// database creates a fresh database on the PostgreSQL server of adminURL
// and returns its URL; it is dropped when the run ends.
func (b *bench) database(ctx context.Context, adminURL string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", errors.New("-pg is not a URL") // the error would quote it, password and all
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("coffer_feedbench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	b.cleanups = append(b.cleanups, func() {
		// WITH (FORCE): a server that was killed may leave sessions behind.
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "feedbench: drop database %s: %v\n", name, err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String(), nil
}
