package store

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// PostgreSQL array literals, built for the audit batch: each column of the
// batch goes to PostgreSQL as one text parameter that it parses itself
// (`$1::text::text[]`). Given a []string or []int64, pgx would box every
// element into an interface to encode it, an allocation per value and
// column of every event.

// pgTextArray returns {"v0","v1",…}: every element quoted, with " and \
// escaped, so that commas, braces, spaces and the word NULL stay text.
func pgTextArray(n int, elem func(int) string) string {
	size := 2
	for i := range n {
		size += len(elem(i)) + 3 // quotes and comma; escapes are rare
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		s := elem(i)
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// pgIntArray returns {v0,v1,…}.
func pgIntArray(n int, elem func(int) int64) string {
	b := make([]byte, 0, 2+n*17)
	b = append(b, '{')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, elem(i), 10)
	}
	return string(append(b, '}'))
}

// pgByteaArray returns {"\\x…","\\x…",…}: each value in bytea's hex
// form, its backslash escaped for the array literal; nil is an empty
// value, not NULL.
func pgByteaArray(n int, elem func(int) []byte) string {
	b := make([]byte, 0, 2+n*(6+2*32))
	b = append(b, '{')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"\\x`...)
		b = hex.AppendEncode(b, elem(i))
		b = append(b, '"')
	}
	return string(append(b, '}'))
}
