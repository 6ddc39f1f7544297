package jsonx

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendString: any string, valid UTF-8 or not, comes out as encoding/json
// writes it.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\", "\x00\x1f\x7f", "<>&", "\u2028", "é", "\xff", "\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("string %q:\n got %s\nwant %s", s, got, want)
		}
		if got := AppendString(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("bytes %q:\n got %s\nwant %s", s, got, want)
		}
		if utf8.ValidString(s) {
			var back string
			if err := json.Unmarshal(AppendString(nil, s), &back); err != nil || back != s {
				t.Errorf("%q does not round-trip: %q, %v", s, back, err)
			}
		}
	})
}

func TestAppendStringsMarshalsAsEncodingJSON(t *testing.T) {
	for _, ss := range [][]string{nil, {}, {"A"}, {"DB_URL", "API.KEY-2", "quote\"", "é", "\xff"}} {
		want, err := json.Marshal(ss)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendStrings([]byte("x"), ss); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("%q: got %s, want x%s", ss, got, want)
		}
	}
}
