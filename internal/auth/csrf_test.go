package auth

import "testing"

func TestCSRF(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	tok := CSRFToken(key, "s1")
	if CSRFToken(key, "s1") != tok {
		t.Fatal("token not deterministic for a session")
	}
	for _, tt := range []struct {
		name    string
		key     []byte
		session string
		token   string
		want    bool
	}{
		{"OK", key, "s1", tok, true},
		{"OtherSession", key, "s2", tok, false},
		{"OtherKey", []byte("another key of thirty-two bytes!"), "s1", tok, false},
		{"Empty", key, "s1", "", false},
		{"EmptySession", key, "", CSRFToken(key, ""), false},
		{"NotBase64", key, "s1", "!!!" + tok[3:], false},
		{"Truncated", key, "s1", tok[:len(tok)-2], false},
		{"Padded", key, "s1", tok + "=", false},
		{"Flipped", key, "s1", flipChar(tok), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := VerifyCSRF(tt.key, tt.session, tt.token); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func flipChar(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}
