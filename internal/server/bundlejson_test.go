package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	fastjson "github.com/goccy/go-json"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/service"
)

// The bulk read's hand-written JSON must be what encoding the contract's
// type gives, byte for byte, for every kind of secret it can hold.
func TestBundleJSONEncodesTheContractType(t *testing.T) {
	at := time.Date(2026, 11, 27, 15, 4, 5, 123456789, time.UTC)
	user := coffer.Actor{Type: coffer.ActorUser, ID: "01a21dba-f3ce-7729-a0d6-4ada3f70dc85"}
	values := []string{
		"plain", "", `quote " back \ slash`, "line\nbreak\r\ttab\b\f\x01\x1f\x7f",
		"<script>&amp;</script>", "sep\u2028\u2029", "é ünï 日本 🔑", "bad\xffutf8\xc3",
	}
	cases := map[string]*service.Bundle{
		"empty": {Revision: 7},
		"deletion": {Revision: 9, Secrets: []*coffer.Secret{
			{Key: "GONE", Version: 3, Deleted: true, UpdatedAt: at, UpdatedBy: user},
		}, Values: [][]byte{nil}},
		"system actor": {Revision: 1, Secrets: []*coffer.Secret{
			{Key: "A", Version: 1, UpdatedAt: at.Truncate(time.Second)},
		}, Values: [][]byte{[]byte("v")}},
	}
	many := &service.Bundle{Revision: 1 << 40}
	for i, v := range values {
		many.Secrets = append(many.Secrets, &coffer.Secret{
			Key: "KEY_" + string(rune('A'+i)), Version: i + 1, Comment: values[len(values)-1-i],
			UpdatedAt: at.Add(time.Duration(i) * time.Millisecond), UpdatedBy: user,
		})
		many.Values = append(many.Values, []byte(v))
	}
	cases["every kind of character"] = many

	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			want := api.SecretBundle{Revision: b.Revision, Secrets: make([]api.Secret, len(b.Secrets))}
			for i, sec := range b.Secrets {
				withValue := *sec
				withValue.Value = string(b.Values[i])
				want.Secrets[i] = wireSecret(&withValue)
			}
			var buf bytes.Buffer
			if err := fastjson.NewEncoder(&buf).Encode(want); err != nil {
				t.Fatal(err)
			}
			if got := appendBundle(nil, b); !bytes.Equal(got, buf.Bytes()) {
				t.Errorf("appendBundle:\n got %s\nwant %s", got, buf.Bytes())
			}
			// A cached revision renders its frames once and reuses them.
			cached := *b
			cached.Derived = new(atomic.Value)
			for read := range 2 {
				if got := appendBundle(nil, &cached); !bytes.Equal(got, buf.Bytes()) {
					t.Errorf("appendBundle, cached read %d:\n got %s\nwant %s", read, got, buf.Bytes())
				}
				if _, ok := cached.Derived.Load().([]frame); !ok {
					t.Fatalf("read %d left no frames for the next", read)
				}
			}
		})
	}
}

// A buffer too small for the answer grows, and the array it leaves behind
// is wiped: no value stays in memory the collector frees as it is.
func TestBundleJSONWipesTheBufferItOutgrows(t *testing.T) {
	b := &service.Bundle{Revision: 1}
	for _, key := range []string{"A", "B", "C"} {
		b.Secrets = append(b.Secrets, &coffer.Secret{Key: key, Version: 1})
		b.Values = append(b.Values, bytes.Repeat([]byte("canary-"+key), 100))
	}
	for size := 0; size < 8<<10; size += 61 {
		buf := make([]byte, 0, size)
		out := appendBundle(buf, b)
		if !json.Valid(out) || !bytes.Contains(out, []byte("canary-C")) {
			t.Fatalf("answer is not the bundle: %.80s", out)
		}
		if cap(out) == cap(buf) {
			continue // the answer fitted
		}
		if bytes.Contains(buf[:cap(buf)], []byte("canary")) {
			t.Fatalf("a %d-byte buffer the answer outgrew still holds a value", size)
		}
	}
}

// BenchmarkBundleJSON renders the load test's answer: 20 secrets of 41
// bytes, the first read of a revision and the reads after it.
func BenchmarkBundleJSON(b *testing.B) {
	by := coffer.Actor{Type: coffer.ActorUser, ID: "01a21dba-f3ce-7729-a0d6-4ada3f70dc85"}
	bundle := &service.Bundle{Revision: 20}
	for i := range 20 {
		bundle.Secrets = append(bundle.Secrets, &coffer.Secret{
			Key: fmt.Sprintf("SECRET_%02d", i+1), Version: 1, UpdatedAt: time.Now(), UpdatedBy: by,
		})
		bundle.Values = append(bundle.Values, fmt.Appendf(nil, "value-%02d-0123456789abcdef0123456789abcdef", i+1))
	}
	buf := make([]byte, 0, 8<<10)
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			buf = appendBundle(buf[:0], bundle)
		}
	})
	bundle.Derived = new(atomic.Value)
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			buf = appendBundle(buf[:0], bundle)
		}
	})
}
