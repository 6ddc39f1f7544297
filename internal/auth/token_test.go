package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		plain, hash := NewToken(PrefixPersonal)
		rest, ok := strings.CutPrefix(plain, PrefixPersonal)
		if !ok {
			t.Fatalf("%q lacks prefix", plain)
		}
		raw, err := base64.RawURLEncoding.DecodeString(rest)
		if err != nil || len(raw) != 32 {
			t.Fatalf("body %q: %d bytes, %v", rest, len(raw), err)
		}
		if !bytes.Equal(hash, HashToken(plain)) {
			t.Fatal("returned hash differs from HashToken")
		}
		if seen[plain] {
			t.Fatal("duplicate token")
		}
		seen[plain] = true
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	want := sha256.Sum256([]byte("cof_svc_abc"))
	if got := HashToken("cof_svc_abc"); !bytes.Equal(got, want[:]) {
		t.Fatalf("got %x", got)
	}
	if bytes.Equal(HashToken("a"), HashToken("b")) {
		t.Fatal("different tokens hash alike")
	}
}

func TestEqualHash(t *testing.T) {
	t.Parallel()
	a, b := HashToken("a"), HashToken("b")
	for _, tt := range []struct {
		name string
		x, y []byte
		want bool
	}{
		{"Same", a, HashToken("a"), true},
		{"Different", a, b, false},
		{"Short", a[:4], a[:4], false},
		{"Empty", nil, nil, false},
		{"Prefix", a, a[:31], false},
	} {
		if got := EqualHash(tt.x, tt.y); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}

func BenchmarkHashToken(b *testing.B) {
	plain, _ := NewToken(PrefixService)
	b.ReportAllocs()
	for b.Loop() {
		HashToken(plain)
	}
}
