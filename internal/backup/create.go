package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"time"

	"filippo.io/age"

	"github.com/cofferhq/coffer/internal/store"
)

// Summary describes an archive that was written, verified or restored.
type Summary struct {
	Header Header
	Rows   map[string]int64 // rows per table
	SHA256 string           // the trailer's checksum, hex
	// KEKIDs counts the projects whose data key each key-encryption key
	// wraps: restoring needs ENCRYPTION_KEY (or ENCRYPTION_KEY_PREVIOUS)
	// to hold every one of them.
	KEKIDs map[string]int64
}

// TotalRows returns the number of rows in the archive.
func (s *Summary) TotalRows() int64 {
	var n int64
	for _, c := range s.Rows {
		n += c
	}
	return n
}

// CreateOptions says what to record in a new archive.
type CreateOptions struct {
	// Recipients encrypt the archive; at least one is required.
	Recipients []age.Recipient
	// CofferVersion is recorded in the header, for the operator.
	CofferVersion string
	// Now returns the time recorded as created_at; nil: time.Now.
	Now func() time.Time
}

// Create writes an archive of every table of st to w, all of it read in
// one snapshot so that it is consistent while servers keep writing. It
// refuses a database that holds a table neither in Tables nor in Skipped.
func Create(ctx context.Context, st *store.Store, w io.Writer, opts CreateOptions) (*Summary, error) {
	if len(opts.Recipients) == 0 {
		return nil, errors.New("create backup: no backup key given")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	enc, err := age.Encrypt(w, opts.Recipients...)
	if err != nil {
		return nil, fmt.Errorf("create backup: encrypt: %w", err)
	}
	zw := gzip.NewWriter(enc)
	aw := newArchiveWriter(zw)
	var sum *Summary
	err = st.ReadSnapshot(ctx, func(sn *store.Snapshot) error {
		tables, err := backedUp(ctx, sn)
		if err != nil {
			return err
		}
		version, err := sn.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		h := Header{
			Format: Format, Version: Version, CreatedAt: now().UTC().Truncate(time.Second),
			SourceDialect: st.Dialect(), SchemaVersion: version, CofferVersion: opts.CofferVersion,
		}
		for _, t := range tables {
			at := Table{Name: t.Name}
			for _, c := range t.Columns {
				at.Columns = append(at.Columns, Column{Name: c.Name, Type: c.Type})
			}
			h.Tables = append(h.Tables, at)
		}
		if err := aw.write(record{Header: &h}); err != nil {
			return err
		}
		sum = &Summary{Header: h, Rows: map[string]int64{}, KEKIDs: map[string]int64{}}
		for _, t := range tables {
			if err := writeTable(ctx, sn, aw, t, sum); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create backup: %w", err)
	}
	sum.SHA256 = aw.sum()
	if err := aw.writeTrailer(Trailer{Rows: sum.Rows, SHA256: sum.SHA256}); err != nil {
		return nil, fmt.Errorf("create backup: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("create backup: compress: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("create backup: encrypt: %w", err)
	}
	return sum, nil
}

// backedUp returns the tables of the database that a backup holds, in the
// order of Tables, after checking that no table is unaccounted for.
func backedUp(ctx context.Context, sn *store.Snapshot) ([]store.TableInfo, error) {
	cat, err := sn.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]store.TableInfo{}
	for _, t := range cat {
		if _, skip := Skipped[t.Name]; skip {
			continue
		}
		if !slices.Contains(Tables, t.Name) {
			return nil, fmt.Errorf("table %q is not in backup.Tables: this binary does not know how to back it up", t.Name)
		}
		byName[t.Name] = t
	}
	var out []store.TableInfo
	for _, name := range Tables {
		if t, ok := byName[name]; ok { // absent: the schema predates it
			out = append(out, t)
		}
	}
	return out, nil
}

func writeTable(ctx context.Context, sn *store.Snapshot, aw *archiveWriter, t store.TableInfo, sum *Summary) error {
	kekCol := -1
	if t.Name == "projects" {
		kekCol = slices.IndexFunc(t.Columns, func(c store.ColumnInfo) bool { return c.Name == "kek_id" })
	}
	sum.Rows[t.Name] = 0
	row := make([]any, len(t.Columns))
	return sn.ScanTable(ctx, t, func(values []any) error {
		for i, c := range t.Columns {
			v, err := encodeValue(values[i], c.Type, c.NotNull)
			if err != nil {
				return fmt.Errorf("table %s, column %s: %w", t.Name, c.Name, err)
			}
			row[i] = v
		}
		if kekCol >= 0 {
			if id, ok := row[kekCol].(string); ok {
				sum.KEKIDs[id]++
			}
		}
		sum.Rows[t.Name]++
		return aw.writeRow(t.Name, row)
	})
}

// archiveWriter writes lines and hashes every one of them.
type archiveWriter struct {
	bw *bufio.Writer
	h  hash.Hash
	mw io.Writer
}

func newArchiveWriter(w io.Writer) *archiveWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	h := sha256.New()
	return &archiveWriter{bw: bw, h: h, mw: io.MultiWriter(bw, h)}
}

func (a *archiveWriter) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode archive line: %w", err)
	}
	if _, err := a.mw.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}

func (a *archiveWriter) write(r record) error { return a.line(r) }

func (a *archiveWriter) writeRow(table string, row []any) error {
	return a.line(rowLine{Table: table, Row: row})
}

func (a *archiveWriter) sum() string { return hex.EncodeToString(a.h.Sum(nil)) }

// writeTrailer writes the last line, which the checksum does not cover,
// and flushes.
func (a *archiveWriter) writeTrailer(t Trailer) error {
	b, err := json.Marshal(record{Trailer: &t})
	if err != nil {
		return fmt.Errorf("encode archive trailer: %w", err)
	}
	if _, err := a.bw.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	if err := a.bw.Flush(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}
