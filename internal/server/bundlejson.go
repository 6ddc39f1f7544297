package server

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/service"
)

// appendBundle appends b as the JSON of an api.SecretBundle. The bulk read
// is the answer Coffer gives most, and its values must not become strings
// the collector frees unwiped: they go from the bundle's buffer to the
// answer's, and both are wiped once the answer is written. Before each
// secret the answer reserves room for it, so a growing buffer never leaves
// earlier values behind either. Everything around the values is rendered
// once per cached revision (secretFrames). TestBundleJSONEncodesTheContractType
// keeps the output equal to encoding the generated type.
func appendBundle(dst []byte, b *service.Bundle) []byte {
	frames := secretFrames(b)
	dst = append(dst, `{"revision":`...)
	dst = strconv.AppendInt(dst, b.Revision, 10)
	dst = append(dst, `,"secrets":[`...)
	for i, f := range frames {
		// Every byte of a value may become a six-byte \u escape.
		dst = reserve(dst, 1+len(f.head)+6*len(b.Values[i])+2+len(f.tail))
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, f.head...)
		if !b.Secrets[i].Deleted {
			dst = appendJSONString(dst, b.Values[i])
		}
		dst = append(dst, f.tail...)
	}
	return append(reserve(dst, 3), "]}\n"...)
}

// frame is the JSON of one secret but its value: head ends where the value
// starts, tail follows it.
type frame struct{ head, tail []byte }

// secretFrames returns the frames of b's secrets, rendered once per cached
// revision: the rows behind b.Derived never change.
func secretFrames(b *service.Bundle) []frame {
	if b.Derived != nil {
		if frames, ok := b.Derived.Load().([]frame); ok {
			return frames
		}
	}
	frames := renderFrames(b.Secrets)
	if b.Derived != nil {
		b.Derived.Store(frames)
	}
	return frames
}

// renderFrames renders the frames of secrets into one array. They hold
// keys, comments and authors, never a value.
func renderFrames(secrets []*coffer.Secret) []frame {
	buf := make([]byte, 0, 200*len(secrets))
	cuts := make([]int, 0, 2*len(secrets)+1) // where each head and tail starts
	for _, sec := range secrets {
		by := wireActor(sec.UpdatedBy)
		cuts = append(cuts, len(buf))
		buf = append(buf, `{"comment":`...)
		buf = appendJSONString(buf, sec.Comment)
		if sec.Deleted {
			buf = append(buf, `,"deleted":true`...)
		}
		buf = append(buf, `,"key":`...)
		buf = appendJSONString(buf, sec.Key)
		buf = append(buf, `,"updated_at":"`...)
		buf = sec.UpdatedAt.AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, `","updated_by":{"id":`...)
		buf = appendJSONString(buf, by.ID)
		buf = append(buf, `,"type":`...)
		buf = appendJSONString(buf, by.Type)
		buf = append(buf, '}')
		if !sec.Deleted {
			buf = append(buf, `,"value":`...)
		}
		cuts = append(cuts, len(buf))
		buf = append(buf, `,"version":`...)
		buf = strconv.AppendInt(buf, int64(sec.Version), 10)
		buf = append(buf, '}')
	}
	cuts = append(cuts, len(buf))
	frames := make([]frame, len(secrets))
	for i := range frames {
		head, tail, end := cuts[2*i], cuts[2*i+1], cuts[2*i+2]
		frames[i] = frame{head: buf[head:tail:tail], tail: buf[tail:end:end]}
	}
	return frames
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
