package backup

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"

	"filippo.io/age"
)

// Reader reads an archive row by row, checking its structure as it goes
// and its counts and checksum at the end. Nothing it returns before Next
// reports io.EOF may be trusted to be complete.
type Reader struct {
	// Header is the archive's first line, read by Open.
	Header Header

	br      *bufio.Reader
	zr      *gzip.Reader
	h       hash.Hash
	columns map[string]int // table name → index in Header.Tables
	table   int            // index of the table being read; tables come in order
	rows    map[string]int64
	kekIDs  map[string]int64
	kekCol  int // index of projects.kek_id, or -1
	values  []any
	trailer *Trailer
}

// Open decrypts r with identities and reads the header. It returns an
// error wrapping ErrKey when no identity opens the archive and ErrCorrupt
// when it is not a Coffer archive of a version this binary reads.
func Open(r io.Reader, identities ...age.Identity) (*Reader, error) {
	dec, err := age.Decrypt(r, identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, fmt.Errorf("%w (a wrong key, an archive made for another key, or a damaged archive header)", ErrKey)
		}
		// A damaged header, or not an age file at all; the cause is
		// age's and names no key material.
		return nil, fmt.Errorf("%w: cannot decrypt: %v", ErrCorrupt, err)
	}
	zr, err := gzip.NewReader(dec)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, readError(err))
	}
	rd := &Reader{br: bufio.NewReaderSize(zr, 64<<10), zr: zr, h: sha256.New(), table: -1,
		rows: map[string]int64{}, kekIDs: map[string]int64{}, kekCol: -1}
	var rec record
	if err := rd.readLine(&rec); err != nil {
		return nil, err
	}
	if rec.Header == nil {
		return nil, fmt.Errorf("%w: no header", ErrCorrupt)
	}
	h := *rec.Header
	if h.Format != Format {
		return nil, fmt.Errorf("%w: format %q is not %q", ErrCorrupt, h.Format, Format)
	}
	if h.Version < 1 || h.Version > Version {
		return nil, fmt.Errorf("archive format version %d is not one this binary reads (1 to %d): use a newer coffer", h.Version, Version)
	}
	rd.columns = map[string]int{}
	for i, t := range h.Tables {
		if _, dup := rd.columns[t.Name]; dup || len(t.Columns) == 0 {
			return nil, fmt.Errorf("%w: table %q listed twice or without columns", ErrCorrupt, t.Name)
		}
		rd.columns[t.Name] = i
	}
	rd.Header = h
	return rd, nil
}

// readError turns what a damaged archive does to the layers under the
// JSON into one message: age reports a chunk that fails authentication
// (altered, or cut short), gzip a stream that does not decompress.
func readError(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the archive is truncated"
	}
	return "the archive was altered or damaged (" + err.Error() + ")"
}

// readLine reads the next line into rec and hashes it.
func (rd *Reader) readLine(rec *record) error {
	line, err := rd.br.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: the archive ends before its trailer", ErrCorrupt)
		}
		return fmt.Errorf("%w: %s", ErrCorrupt, readError(err))
	}
	*rec = record{}
	if err := json.Unmarshal(line, rec); err != nil {
		return fmt.Errorf("%w: a line is not JSON", ErrCorrupt)
	}
	if rec.Trailer == nil {
		rd.h.Write(line)
	}
	return nil
}

// Next returns the next row: its table and its values (int64, bool,
// string, []byte or nil, by column type, in the order of the header's
// columns). The values slice is reused by the next call. At the end it
// checks the trailer and that nothing follows it, then returns io.EOF.
func (rd *Reader) Next() (table string, values []any, err error) {
	if rd.trailer != nil {
		return "", nil, io.EOF
	}
	var rec record
	if err := rd.readLine(&rec); err != nil {
		return "", nil, err
	}
	switch {
	case rec.Trailer != nil:
		return "", nil, rd.finish(rec.Trailer)
	case rec.Header != nil:
		return "", nil, fmt.Errorf("%w: a second header", ErrCorrupt)
	}
	i, ok := rd.columns[rec.Table]
	if !ok {
		return "", nil, fmt.Errorf("%w: a row of table %q, which the header does not list", ErrCorrupt, rec.Table)
	}
	if i < rd.table {
		return "", nil, fmt.Errorf("%w: table %q comes out of order", ErrCorrupt, rec.Table)
	}
	t := rd.Header.Tables[i]
	if i != rd.table {
		rd.table = i
		rd.values = make([]any, len(t.Columns))
		rd.kekCol = -1
		if t.Name == "projects" {
			rd.kekCol = slices.IndexFunc(t.Columns, func(c Column) bool { return c.Name == "kek_id" })
		}
	}
	if len(rec.Row) != len(t.Columns) {
		return "", nil, fmt.Errorf("%w: a row of %s has %d values for %d columns", ErrCorrupt, t.Name, len(rec.Row), len(t.Columns))
	}
	for j, c := range t.Columns {
		v, err := decodeValue(rec.Row[j], c.Type)
		if err != nil {
			return "", nil, fmt.Errorf("%w: table %s, column %s: %v", ErrCorrupt, t.Name, c.Name, err)
		}
		rd.values[j] = v
	}
	if rd.kekCol >= 0 {
		if id, ok := rd.values[rd.kekCol].(string); ok {
			rd.kekIDs[id]++
		}
	}
	rd.rows[t.Name]++
	return t.Name, rd.values, nil
}

// finish checks the trailer against what was read and that the archive
// ends right after it; reading to the end is also what makes age check
// the last chunk, so a cut archive is caught here.
func (rd *Reader) finish(t *Trailer) error {
	if got := hex.EncodeToString(rd.h.Sum(nil)); got != t.SHA256 {
		return fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	want := maps.Clone(t.Rows)
	for name, n := range rd.rows {
		if want[name] != n {
			return fmt.Errorf("%w: table %s has %d rows, the trailer says %d", ErrCorrupt, name, n, want[name])
		}
		delete(want, name)
	}
	for name, n := range want {
		if n != 0 {
			return fmt.Errorf("%w: table %s has no rows, the trailer says %d", ErrCorrupt, name, n)
		}
	}
	var rest [1]byte
	if n, err := io.ReadFull(rd.br, rest[:]); n > 0 {
		return fmt.Errorf("%w: data after the trailer", ErrCorrupt)
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s", ErrCorrupt, readError(err))
	}
	if err := rd.zr.Close(); err != nil {
		return fmt.Errorf("%w: %s", ErrCorrupt, readError(err))
	}
	rd.trailer = t
	return io.EOF
}

// Summary describes what has been read; complete once Next returned io.EOF.
func (rd *Reader) Summary() *Summary {
	s := &Summary{Header: rd.Header, Rows: maps.Clone(rd.rows), KEKIDs: maps.Clone(rd.kekIDs)}
	for _, t := range rd.Header.Tables {
		if _, ok := s.Rows[t.Name]; !ok {
			s.Rows[t.Name] = 0
		}
	}
	if rd.trailer != nil {
		s.SHA256 = rd.trailer.SHA256
	}
	return s
}

// Verify reads a whole archive and checks it, touching no database.
func Verify(r io.Reader, identities ...age.Identity) (*Summary, error) {
	rd, err := Open(r, identities...)
	if err != nil {
		return nil, err
	}
	for {
		_, _, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rd.Summary(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}
