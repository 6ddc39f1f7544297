package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The schema of each dialect, applied in order by goose. The two
// directories hold the same migrations, version for version.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// provider returns a goose provider for this store's dialect and schema.
func (s *Store) provider(ctx context.Context) (*goose.Provider, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(s.logger),
	}
	if s.dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		locker, err := s.migrationLocker(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	// SQLite needs no lock: one process owns the file, and its immediate
	// transactions already serialize writers.
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, s.db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// migrationLocker returns a PostgreSQL advisory lock that instances
// starting together take in turn, so only one of them migrates. The lock
// id is derived from the schema: migrations of different schemas in one
// database (parallel tests) need not wait for each other.
func (s *Store) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var schema string
	if err := s.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("migrations: read current schema: %w", err)
	}
	id := int64(crc32.ChecksumIEEE([]byte("coffer migrations " + schema)))
	// Poll every second (goose's minimum) for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return locker, nil
}

// MigrateUp applies every pending migration.
func (s *Store) MigrateUp(ctx context.Context) error {
	p, err := s.provider(ctx)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back the last steps migrations; steps <= 0 rolls back
// all of them, leaving an empty database.
func (s *Store) MigrateDown(ctx context.Context, steps int) error {
	p, err := s.provider(ctx)
	if err != nil {
		return err
	}
	if steps <= 0 {
		if _, err := p.DownTo(ctx, 0); err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		return nil
	}
	for range steps {
		if _, err := p.Down(ctx); errors.Is(err, goose.ErrNoNextVersion) {
			return nil // already at zero
		} else if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
	}
	return nil
}

// MigrationStatus lists every migration the binary knows, oldest first,
// with the time it was applied (nil when pending).
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := s.provider(ctx)
	if err != nil {
		return nil, err
	}
	list, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(list))
	for _, m := range list {
		st := MigrationStatus{Version: m.Source.Version, Name: path.Base(m.Source.Path)}
		if m.State == goose.StateApplied {
			at := m.AppliedAt.UTC()
			st.AppliedAt = &at
		}
		out = append(out, st)
	}
	return out, nil
}

// PendingMigrations returns how many migrations are not applied yet; the
// readiness check and `coffer migrate status` use it.
func (s *Store) PendingMigrations(ctx context.Context) (int, error) {
	list, err := s.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range list {
		if m.AppliedAt == nil {
			n++
		}
	}
	return n, nil
}
