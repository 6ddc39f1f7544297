package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/age"

	"github.com/cofferhq/coffer/internal/store"
)

// ErrNotEmpty is returned (wrapped, naming a table) when Restore is asked
// to restore into a database that already holds data.
var ErrNotEmpty = errors.New("the database is not empty")

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Force replaces whatever the database holds. Without it, a database
	// with data in any backed-up table is refused.
	Force bool
	// BeforeCommit runs inside the restore's transaction once every row
	// is in and the archive has verified to its last byte; an error rolls
	// the whole restore back. The caller checks there that its keys open
	// what was restored.
	BeforeCommit func(ctx context.Context, tx *store.Tx) error
}

// Restore writes the archive read from r into st: it migrates st to the
// archive's schema version, then, in one transaction, empties the backed-up
// tables and inserts every row, parents first, converting values to the
// target's column types; it commits only when the archive's counts and
// checksum have verified and BeforeCommit has passed. It then applies any
// newer migrations this binary has. A failure at any point before the
// commit leaves no row of the archive behind.
func Restore(ctx context.Context, st *store.Store, r io.Reader, identities []age.Identity, opts RestoreOptions) (*Summary, error) {
	rd, err := Open(r, identities...)
	if err != nil {
		return nil, err
	}
	h := rd.Header
	if err := checkSchemaVersion(ctx, st, h.SchemaVersion); err != nil {
		return nil, err
	}
	if !opts.Force {
		if err := checkEmpty(ctx, st); err != nil {
			return nil, err
		}
	}
	if err := st.MigrateTo(ctx, h.SchemaVersion); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	targets, err := targetTables(ctx, st, h)
	if err != nil {
		return nil, err
	}
	err = st.Tx(ctx, func(tx *store.Tx) error {
		for _, t := range slices.Backward(h.Tables) { // children first
			if err := tx.DeleteAllRows(ctx, t.Name); err != nil {
				return err
			}
		}
		if err := insertAll(ctx, tx, rd, targets); err != nil {
			return err
		}
		if opts.BeforeCommit != nil {
			return opts.BeforeCommit(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := st.MigrateUp(ctx); err != nil {
		return nil, fmt.Errorf("restore: the data is restored, but newer migrations failed: %w", err)
	}
	return rd.Summary(), nil
}

// checkSchemaVersion refuses an archive from a newer binary: this one
// cannot create its schema.
func checkSchemaVersion(ctx context.Context, st *store.Store, version int64) error {
	list, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if version == 0 || slices.ContainsFunc(list, func(m store.MigrationStatus) bool { return m.Version == version }) {
		return nil
	}
	return fmt.Errorf("restore: the archive's schema version %d is not one this binary has (it knows %d migrations): restore with the coffer version that made it, or a newer one", version, len(list))
}

// checkEmpty returns ErrNotEmpty if any backed-up table of st holds data,
// not counting the rows an unused database already has (seeded).
func checkEmpty(ctx context.Context, st *store.Store) error {
	cat, err := st.Catalog(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	for _, t := range cat {
		if !slices.Contains(Tables, t.Name) || seeded[t.Name] {
			continue
		}
		n, err := st.CountRows(ctx, t.Name)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%w: table %s has %d row(s); restore into an empty database, or force it to replace everything", ErrNotEmpty, t.Name, n)
		}
	}
	return nil
}

// target is a table of the archive as the target database has it.
type target struct {
	Table
	dest []store.ColumnInfo // the target's column for each archive column
}

// targetTables matches the archive's tables and columns with the target's
// catalog, now at the archive's schema version: they must be the same
// tables and columns, with types that convert.
func targetTables(ctx context.Context, st *store.Store, h Header) (map[string]target, error) {
	cat, err := st.Catalog(ctx)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	byName := map[string]store.TableInfo{}
	for _, t := range cat {
		if _, skip := Skipped[t.Name]; !skip {
			byName[t.Name] = t
		}
	}
	out := map[string]target{}
	for _, t := range h.Tables {
		info, ok := byName[t.Name]
		if !ok {
			return nil, fmt.Errorf("restore: %w: table %q is not in the schema at version %d", ErrCorrupt, t.Name, h.SchemaVersion)
		}
		if len(info.Columns) != len(t.Columns) {
			return nil, fmt.Errorf("restore: %w: table %s has %d columns in the archive and %d in the database", ErrCorrupt, t.Name, len(t.Columns), len(info.Columns))
		}
		tg := target{Table: t}
		for _, c := range t.Columns {
			dc, ok := info.Column(c.Name)
			if !ok || !convertible(c.Type, dc.Type) {
				return nil, fmt.Errorf("restore: %w: column %s.%s (%s) does not match the database", ErrCorrupt, t.Name, c.Name, c.Type)
			}
			tg.dest = append(tg.dest, dc)
		}
		out[t.Name] = tg
		delete(byName, t.Name)
	}
	for name := range byName {
		return nil, fmt.Errorf("restore: %w: the archive lacks table %s", ErrCorrupt, name)
	}
	return out, nil
}

// insertAll streams every row of rd into tx, one prepared statement per
// table, until the reader has verified the trailer.
func insertAll(ctx context.Context, tx *store.Tx, rd *Reader, targets map[string]target) error {
	var (
		ins  *store.RowInserter
		cur  string
		vals []any
	)
	defer func() {
		if ins != nil {
			_ = ins.Close()
		}
	}()
	for {
		table, values, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		tg := targets[table]
		if table != cur {
			if ins != nil {
				_ = ins.Close()
			}
			names := make([]string, len(tg.Columns))
			for i, c := range tg.Columns {
				names[i] = c.Name
			}
			if ins, err = tx.Inserter(ctx, table, names); err != nil {
				return err
			}
			cur, vals = table, make([]any, len(names))
		}
		for i, v := range values {
			if vals[i], err = convert(v, tg.Columns[i].Type, tg.dest[i].Type, tg.dest[i].NotNull); err != nil {
				return fmt.Errorf("table %s, column %s: %w", table, tg.Columns[i].Name, err)
			}
		}
		if err := ins.Insert(ctx, vals); err != nil {
			return err
		}
	}
}
