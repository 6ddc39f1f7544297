package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// MinJWTSecretLen is the shortest JWT_SECRET accepted in production: 64
// characters of a random alphabet is well past the 256 bits HS256 can use.
const MinJWTSecretLen = 64

// exampleEncryptionKey is the ENCRYPTION_KEY placeholder in .env.example:
// valid hex, so a development copy of the file works, and refused in
// production like any other known placeholder.
const exampleEncryptionKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// knownKeyPlaceholders are hex keys copied from documentation often enough
// to be the first thing an attacker tries.
var knownKeyPlaceholders = map[string]bool{
	exampleEncryptionKey: true,
	// crypto/cipher's example key: "change this password to a secret".
	"6368616e676520746869732070617373776f726420746f206120736563726574": true,
}

// placeholderWords betray a JWT_SECRET that was never replaced.
var placeholderWords = []string{"change", "secret", "example", "xxxx", "placeholder", "replace", "your", "dummy", "sample"}

// keys reads the JWT secrets and encryption keys. In production they are
// required and must look random; in development they may be missing
// (EnsureDevKeys makes them) and any well-formed value is taken.
func (l *loader) keys(c *Config, prod bool) {
	c.JWTSecret = l.str("JWT_SECRET", "")
	c.JWTSecretPrevious = l.list("JWT_SECRET_PREVIOUS")
	if prod {
		if c.JWTSecret == "" {
			l.problem("JWT_SECRET", "is required in production; generate one with: coffer keys generate")
		} else if why := weakJWTSecret(c.JWTSecret); why != "" {
			l.problem("JWT_SECRET", "%s", why)
		}
		for i, p := range c.JWTSecretPrevious {
			if why := weakJWTSecret(p); why != "" {
				l.problem("JWT_SECRET_PREVIOUS", "secret %d: %s", i+1, why)
			}
		}
	}

	if v, ok := l.get("ENCRYPTION_KEY"); ok {
		c.EncryptionKey = l.encryptionKey("ENCRYPTION_KEY", "", v, prod)
	} else if prod {
		l.problem("ENCRYPTION_KEY", "is required in production; generate one with: openssl rand -hex 32 (or coffer keys generate)")
	}
	for i, v := range l.list("ENCRYPTION_KEY_PREVIOUS") {
		if k := l.encryptionKey("ENCRYPTION_KEY_PREVIOUS", fmt.Sprintf("key %d: ", i+1), v, prod); k != nil {
			c.EncryptionKeyPrevious = append(c.EncryptionKeyPrevious, k)
		}
	}
}

func (l *loader) encryptionKey(name, which, v string, prod bool) []byte {
	k, err := hex.DecodeString(v)
	if err != nil || len(k) != 32 {
		l.problem(name, "%smust be exactly 64 hex characters (32 bytes); generate one with: openssl rand -hex 32", which)
		return nil
	}
	if prod {
		if why := weakEncryptionKey(k); why != "" {
			l.problem(name, "%s%s; generate one with: openssl rand -hex 32", which, why)
			return nil
		}
	}
	return k
}

// weakJWTSecret says why s is not fit to sign production tokens, or "".
func weakJWTSecret(s string) string {
	const fix = "; generate one with: coffer keys generate"
	if len(s) < MinJWTSecretLen {
		return fmt.Sprintf("must be at least %d characters", MinJWTSecretLen) + fix
	}
	lower := strings.ToLower(s)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return "looks like a placeholder (contains " + fmt.Sprintf("%q", w) + ")" + fix
		}
	}
	if n := distinct([]byte(s)); n == 1 {
		return "is one character repeated" + fix
	} else if n < 16 {
		return "has too little variety to be random (fewer than 16 different characters)" + fix
	}
	return ""
}

// weakEncryptionKey says why k is evidently not random, or "". A random key
// fails these checks with negligible probability (all 32 bytes printable:
// about 1 in 10^14; fewer than 16 distinct bytes: far less).
func weakEncryptionKey(k []byte) string {
	switch {
	case knownKeyPlaceholders[hex.EncodeToString(k)]:
		return "is a published placeholder, not a secret"
	case distinct(k) == 1:
		return "is one byte repeated"
	case distinct(k) < 16:
		return "repeats a short pattern"
	case arithmetic(k):
		return "is a sequence, not a random key"
	case printable(k):
		return "is text written in hex, not a random key"
	}
	return ""
}

func distinct(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c], n = true, n+1
		}
	}
	return n
}

// arithmetic reports whether consecutive bytes differ by one constant step
// (00 01 02 …, ff fe fd …, 00 02 04 …).
func arithmetic(b []byte) bool {
	for i := 2; i < len(b); i++ {
		if b[i]-b[i-1] != b[1]-b[0] {
			return false
		}
	}
	return true
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// GenerateJWTSecret returns a new random JWT secret of 64 URL-safe
// characters (384 bits) that passes the production checks.
func GenerateJWTSecret() string {
	for {
		b := make([]byte, 48)
		_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
		if s := base64.RawURLEncoding.EncodeToString(b); weakJWTSecret(s) == "" {
			return s
		}
	}
}

// GenerateEncryptionKey returns a new random ENCRYPTION_KEY: 32 bytes as 64
// hex characters, the same as `openssl rand -hex 32`.
func GenerateEncryptionKey() string {
	for {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		if weakEncryptionKey(b) == "" {
			return hex.EncodeToString(b)
		}
	}
}
