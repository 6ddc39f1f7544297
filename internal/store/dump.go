package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Canonical column types: what a value is, whichever dialect stores it.
// Backups record these, so that a row read from SQLite can be written to
// PostgreSQL (where a flag is a BOOLEAN, not an INTEGER, and an id a UUID,
// not TEXT).
const (
	TypeText  = "text"
	TypeInt   = "int"
	TypeBool  = "bool"
	TypeBytes = "bytes"
)

// TableInfo describes one table as the database's own catalog has it.
type TableInfo struct {
	Name       string
	Columns    []ColumnInfo // in table order
	PrimaryKey []string     // in key order
	References []string     // tables its foreign keys point at
}

// ColumnInfo describes one column.
type ColumnInfo struct {
	Name    string
	Type    string // one of the Type* constants
	NotNull bool
}

// Column returns the column named name, or false.
func (t TableInfo) Column(name string) (ColumnInfo, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ColumnInfo{}, false
}

// identifier is what a table or column name must look like before it is
// put into SQL text; every name also comes from the catalog.
var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func quoteIdent(name string) (string, error) {
	if !identifier.MatchString(name) {
		return "", fmt.Errorf("invalid SQL identifier %q", name)
	}
	return `"` + name + `"`, nil
}

// Snapshot is a read-only transaction that sees the database as it was
// when it began, whatever is written meanwhile: what a consistent backup
// reads.
type Snapshot struct {
	queries
	tx *sql.Tx
}

// ReadSnapshot runs fn inside a Snapshot. On PostgreSQL it is a READ ONLY,
// REPEATABLE READ transaction; on SQLite a deferred read transaction, which
// in WAL mode reads one snapshot and, unlike the store's writing
// transactions, takes no write lock, so the server keeps writing.
func (s *Store) ReadSnapshot(ctx context.Context, fn func(*Snapshot) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to commit
	return fn(&Snapshot{queries: s.queriesOn(tx, true), tx: tx})
}

// Catalog lists the tables of the database (of the current schema on
// PostgreSQL), sorted by name, leaving out SQLite's internal ones.
func (q queries) Catalog(ctx context.Context) ([]TableInfo, error) {
	var (
		tables []TableInfo
		err    error
	)
	if q.dialect == Postgres {
		tables, err = q.catalogPostgres(ctx)
	} else {
		tables, err = q.catalogSQLite(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	slices.SortFunc(tables, func(a, b TableInfo) int { return strings.Compare(a.Name, b.Name) })
	return tables, nil
}

func (q queries) names(ctx context.Context, query string, args ...any) ([]string, error) {
	return queryList(ctx, q, "read catalog", func(row scanner) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	}, query, args...)
}

func (q queries) catalogSQLite(ctx context.Context) ([]TableInfo, error) {
	names, err := q.names(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return nil, err
	}
	tables := make([]TableInfo, 0, len(names))
	for _, name := range names {
		t := TableInfo{Name: name}
		type col struct {
			ColumnInfo
			pk int
		}
		cols, err := queryList(ctx, q, "read columns of "+name, func(row scanner) (col, error) {
			var c col
			var typ string
			err := row.Scan(&c.Name, &typ, &c.NotNull, &c.pk)
			c.Type = sqliteType(typ)
			return c, err
		}, `SELECT name, type, "notnull", pk FROM pragma_table_info($1) ORDER BY cid`, name)
		if err != nil {
			return nil, err
		}
		pk := map[int]string{}
		for _, c := range cols {
			t.Columns = append(t.Columns, c.ColumnInfo)
			if c.pk > 0 {
				pk[c.pk] = c.Name
			}
		}
		for i := 1; i <= len(pk); i++ {
			t.PrimaryKey = append(t.PrimaryKey, pk[i])
		}
		if t.References, err = q.names(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list($1) ORDER BY 1`, name); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// sqliteType maps a declared type of a STRICT table; anything else is
// returned as is and refused by whoever needs to convert it.
func sqliteType(t string) string {
	switch strings.ToUpper(t) {
	case "TEXT":
		return TypeText
	case "INTEGER", "INT":
		return TypeInt
	case "BLOB":
		return TypeBytes
	}
	return strings.ToLower(t)
}

func (q queries) catalogPostgres(ctx context.Context) ([]TableInfo, error) {
	names, err := q.names(ctx, `
		SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	tables := make([]TableInfo, 0, len(names))
	for _, name := range names {
		t := TableInfo{Name: name}
		t.Columns, err = queryList(ctx, q, "read columns of "+name, func(row scanner) (ColumnInfo, error) {
			var c ColumnInfo
			var typ, nullable string
			err := row.Scan(&c.Name, &typ, &nullable)
			c.Type, c.NotNull = postgresType(typ), nullable == "NO"
			return c, err
		}, `
			SELECT column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1
			ORDER BY ordinal_position`, name)
		if err != nil {
			return nil, err
		}
		t.PrimaryKey, err = q.names(ctx, `
			SELECT a.attname FROM pg_index i
			JOIN pg_class c ON c.oid = i.indrelid
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND i.indisprimary
			ORDER BY array_position(i.indkey::int2[], a.attnum)`, name)
		if err != nil {
			return nil, err
		}
		t.References, err = q.names(ctx, `
			SELECT DISTINCT r.relname FROM pg_constraint k
			JOIN pg_class c ON c.oid = k.conrelid
			JOIN pg_class r ON r.oid = k.confrelid
			WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND k.contype = 'f'
			ORDER BY 1`, name)
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return tables, nil
}

func postgresType(t string) string {
	switch t {
	case "text", "uuid", "character varying":
		return TypeText
	case "bigint", "integer", "smallint":
		return TypeInt
	case "boolean":
		return TypeBool
	case "bytea":
		return TypeBytes
	}
	return t
}

// SchemaVersion returns the version of the last migration applied, 0 on
// a database that has none.
func (q queries) SchemaVersion(ctx context.Context) (int64, error) {
	var exists bool
	query := `SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'goose_db_version')`
	if q.dialect == Postgres {
		query = `SELECT EXISTS (SELECT 1 FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name = 'goose_db_version')`
	}
	if err := q.db.QueryRowContext(ctx, query).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int64
	// goose deletes the row of a migration it reverts, so the largest
	// version left is the one applied last.
	if err := q.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// ScanTable reads every row of table, ordered by its primary key, and
// calls fn with the values of columns, which fn must not keep: the slice
// is reused. Values are int64, bool, string, []byte or nil, as the driver
// gives them.
func (sn *Snapshot) ScanTable(ctx context.Context, t TableInfo, fn func(values []any) error) error {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		q, err := quoteIdent(c.Name)
		if err != nil {
			return err
		}
		cols[i] = q
	}
	order := make([]string, 0, len(t.PrimaryKey))
	for _, k := range t.PrimaryKey {
		q, err := quoteIdent(k)
		if err != nil {
			return err
		}
		order = append(order, q)
	}
	name, err := quoteIdent(t.Name)
	if err != nil {
		return err
	}
	query := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + name
	if len(order) > 0 {
		query += ` ORDER BY ` + strings.Join(order, ", ")
	}
	rows, err := sn.db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("read table %s: %w", t.Name, err)
	}
	defer rows.Close()
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read table %s: %w", t.Name, err)
		}
		if err := fn(values); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read table %s: %w", t.Name, err)
	}
	return nil
}

// CountRows returns how many rows table holds.
func (q queries) CountRows(ctx context.Context, table string) (int64, error) {
	name, err := quoteIdent(table)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+name).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", table, err)
	}
	return n, nil
}

// DeleteAllRows empties table, for a restore that replaces what is there.
func (tx *Tx) DeleteAllRows(ctx context.Context, table string) error {
	name, err := quoteIdent(table)
	if err != nil {
		return err
	}
	if _, err := tx.db.ExecContext(ctx, `DELETE FROM `+name); err != nil {
		return fmt.Errorf("empty table %s: %w", table, err)
	}
	return nil
}

// RowInserter inserts rows into one table inside a transaction through
// one prepared statement.
type RowInserter struct {
	stmt  *sql.Stmt
	table string
}

// Inserter prepares the insertion of rows of columns into table.
func (tx *Tx) Inserter(ctx context.Context, table string, columns []string) (*RowInserter, error) {
	name, err := quoteIdent(table)
	if err != nil {
		return nil, err
	}
	cols := make([]string, len(columns))
	marks := make([]string, len(columns))
	for i, c := range columns {
		if cols[i], err = quoteIdent(c); err != nil {
			return nil, err
		}
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	stmt, err := tx.tx.PrepareContext(ctx, `INSERT INTO `+name+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`)
	if err != nil {
		return nil, fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	return &RowInserter{stmt: stmt, table: table}, nil
}

// Insert inserts one row; values are in the order of the columns given to
// Inserter.
func (r *RowInserter) Insert(ctx context.Context, values []any) error {
	if _, err := r.stmt.ExecContext(ctx, values...); err != nil {
		return fmt.Errorf("insert into %s: %w", r.table, err)
	}
	return nil
}

// Close releases the prepared statement.
func (r *RowInserter) Close() error { return r.stmt.Close() }

// MigrateTo applies or reverts migrations until the schema is at version,
// which must be one the binary knows; a restore brings an empty database
// to the schema of its archive this way.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	cur, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	p, err := s.provider(ctx)
	if err != nil {
		return err
	}
	switch {
	case version > cur:
		if _, err := p.UpTo(ctx, version); err != nil {
			return fmt.Errorf("migrate up to %d: %w", version, err)
		}
	case version < cur:
		if _, err := p.DownTo(ctx, version); err != nil {
			return fmt.Errorf("migrate down to %d: %w", version, err)
		}
	}
	return nil
}

// LatestMigration returns the version of the newest migration the binary
// holds.
func (s *Store) LatestMigration(ctx context.Context) (int64, error) {
	list, err := s.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	if len(list) == 0 {
		return 0, nil
	}
	return list[len(list)-1].Version, nil
}
