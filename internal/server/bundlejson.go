package server

import (
	"slices"
	"strconv"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/jsonx"
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
			dst = jsonx.AppendString(dst, b.Values[i])
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
		buf = jsonx.AppendString(buf, sec.Comment)
		if sec.Deleted {
			buf = append(buf, `,"deleted":true`...)
		}
		buf = append(buf, `,"key":`...)
		buf = jsonx.AppendString(buf, sec.Key)
		buf = append(buf, `,"updated_at":"`...)
		buf = sec.UpdatedAt.AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, `","updated_by":{"id":`...)
		buf = jsonx.AppendString(buf, by.ID)
		buf = append(buf, `,"type":`...)
		buf = jsonx.AppendString(buf, by.Type)
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
