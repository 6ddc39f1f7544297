package server

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cofferhq/coffer/internal/service"
)

// appendBundle appends b as the JSON of an api.SecretBundle. The bulk read
// is the answer Coffer gives most, and its values must not become strings
// the collector frees unwiped: they go from the bundle's buffer to the
// answer's, and both are wiped once the answer is written. Before each
// secret the answer reserves room for it, so a growing buffer never leaves
// earlier values behind either. TestBundleJSONEncodesTheContractType keeps
// the output equal to encoding the generated type.
func appendBundle(dst []byte, b *service.Bundle) []byte {
	dst = append(dst, `{"revision":`...)
	dst = strconv.AppendInt(dst, b.Revision, 10)
	dst = append(dst, `,"secrets":[`...)
	for i, sec := range b.Secrets {
		by := wireActor(sec.UpdatedBy)
		// Every byte of a string may become a six-byte \u escape.
		dst = reserve(dst, 160+6*(len(sec.Comment)+len(sec.Key)+len(by.ID)+len(by.Type)+len(b.Values[i])))
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"comment":`...)
		dst = appendJSONString(dst, sec.Comment)
		if sec.Deleted {
			dst = append(dst, `,"deleted":true`...)
		}
		dst = append(dst, `,"key":`...)
		dst = appendJSONString(dst, sec.Key)
		dst = append(dst, `,"updated_at":"`...)
		dst = sec.UpdatedAt.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","updated_by":{"id":`...)
		dst = appendJSONString(dst, by.ID)
		dst = append(dst, `,"type":`...)
		dst = appendJSONString(dst, by.Type)
		dst = append(dst, '}')
		if !sec.Deleted {
			dst = append(dst, `,"value":`...)
			dst = appendJSONString(dst, b.Values[i])
		}
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(sec.Version), 10)
		dst = append(dst, '}')
	}
	return append(reserve(dst, 3), "]}\n"...)
}

// reserve returns b with room for n more bytes. When b's array is too
// small, a larger one takes its place and the old one is wiped first.
func reserve(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	grown := slices.Grow(b, n)
	clear(b[:cap(b)])
	return grown
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (safe [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		safe[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return safe
}()

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it: quotes, backslashes and control characters; <, > and & (so
// an answer is safe to embed in HTML); U+2028 and U+2029; invalid UTF-8
// becomes U+FFFD.
func appendJSONString[T ~string | ~[]byte](dst []byte, s T) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		// A rune is at most 4 bytes: converting them does not allocate.
		r, size := utf8.DecodeRune([]byte(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
