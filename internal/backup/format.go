package backup

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cofferhq/coffer/internal/store"
)

// Format and Version identify the archive layout this package writes.
// Version goes up with any change a reader of the previous one would
// misread; readers refuse versions they do not know.
const (
	Format  = "coffer-backup"
	Version = 1
)

// ErrCorrupt is wrapped by every error about an archive whose content does
// not hold together: bad structure, wrong counts, wrong checksum.
var ErrCorrupt = errors.New("backup archive is corrupt")

// ErrKey is wrapped when the backup key does not open an archive.
var ErrKey = errors.New("the backup key does not open this archive")

// Header is the first line of an archive.
type Header struct {
	Format        string    `json:"format"`
	Version       int       `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	SourceDialect string    `json:"source_dialect"`
	// SchemaVersion is the migration the source database was at; a
	// restore migrates the target to exactly this version before it
	// inserts a row.
	SchemaVersion int64   `json:"schema_version"`
	CofferVersion string  `json:"coffer_version,omitempty"`
	Tables        []Table `json:"tables"`
}

// Table is one table of an archive with its columns, in the order of the
// values of its rows.
type Table struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
}

// Column is a column and its canonical type (store.TypeText, …).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Trailer is the last line of an archive.
type Trailer struct {
	Rows   map[string]int64 `json:"rows"`
	SHA256 string           `json:"sha256"` // hex, over every line before this one
}

// record is one line of an archive: exactly one of its fields is set.
type record struct {
	Header  *Header           `json:"header,omitempty"`
	Table   string            `json:"table,omitempty"`
	Row     []json.RawMessage `json:"row,omitempty"`
	Trailer *Trailer          `json:"trailer,omitempty"`
}

// rowLine is how a row is written: values already in their JSON form.
type rowLine struct {
	Table string `json:"table"`
	Row   []any  `json:"row"`
}

// rawText carries text that is not valid UTF-8, which a JSON string would
// silently alter (an HTTP header may hold any byte).
type rawText struct {
	Base64 []byte `json:"base64"`
}

// encodeValue turns a value as a driver returned it into its JSON form
// for a column of type typ. notNull turns a NULL blob into an empty one:
// SQLite reads a zero-length BLOB back as NULL.
func encodeValue(v any, typ string, notNull bool) (any, error) {
	if v == nil {
		if typ == store.TypeBytes && notNull {
			return "", nil
		}
		return nil, nil
	}
	switch typ {
	case store.TypeInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case bool: // not in any schema today; kept exact if it appears
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case store.TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case store.TypeText:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return nil, fmt.Errorf("text column holds a %T", v)
		}
		if !utf8.ValidString(s) {
			return rawText{Base64: []byte(s)}, nil
		}
		return s, nil
	case store.TypeBytes:
		switch x := v.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(x), nil
		case string:
			return base64.StdEncoding.EncodeToString([]byte(x)), nil
		}
	default:
		return nil, fmt.Errorf("unsupported column type %q", typ)
	}
	return nil, fmt.Errorf("%s column holds a %T", typ, v)
}

// decodeValue reads a JSON value written by encodeValue for type typ and
// returns it as int64, bool, string, []byte or nil.
func decodeValue(raw json.RawMessage, typ string) (any, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	switch typ {
	case store.TypeInt:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, errors.New("not an integer")
		}
		return n, nil
	case store.TypeBool:
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case store.TypeText:
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s, nil
		}
		var rt rawText
		if err := json.Unmarshal(raw, &rt); err != nil || rt.Base64 == nil {
			return nil, errors.New("not text")
		}
		return string(rt.Base64), nil
	case store.TypeBytes:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errors.New("not base64 bytes")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("not base64 bytes: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unsupported column type %q", typ)
}

// convert adapts a decoded value to the column type of the database it is
// restored into: flags are INTEGER in SQLite and BOOLEAN in PostgreSQL.
func convert(v any, from, to string, notNull bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch {
	case from == to:
		if b, ok := v.([]byte); ok && b == nil && notNull {
			return []byte{}, nil
		}
		return v, nil
	case from == store.TypeInt && to == store.TypeBool:
		return v.(int64) != 0, nil
	case from == store.TypeBool && to == store.TypeInt:
		if v.(bool) {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return nil, fmt.Errorf("cannot restore a %s value into a %s column", from, to)
}

// convertible reports whether convert can take values of from to to.
func convertible(from, to string) bool {
	if from == to {
		return true
	}
	return (from == store.TypeInt && to == store.TypeBool) || (from == store.TypeBool && to == store.TypeInt)
}
