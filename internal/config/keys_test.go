package config

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestLoad_ProductionKeyRefusals(t *testing.T) {
	t.Parallel()
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i)
	}
	down := make([]byte, 32)
	for i := range down {
		down[i] = byte(0xff - 3*i)
	}
	for _, tt := range []struct {
		name, v, value, want string
	}{
		{"JWTMissing", "JWT_SECRET", "", "required"},
		{"JWTShort", "JWT_SECRET", goodJWT[:63], "at least 64"},
		{"JWTOneChar", "JWT_SECRET", strings.Repeat("a", 64), "one character"},
		{"JWTLowVariety", "JWT_SECRET", strings.Repeat("abcdefgh", 10), "variety"},
		{"JWTChangeMe", "JWT_SECRET", "please-CHANGE-me-" + goodJWT, "placeholder"},
		{"JWTSecretWord", "JWT_SECRET", "my-jwt-secret-" + goodJWT, "placeholder"},
		{"JWTExample", "JWT_SECRET", "example" + goodJWT, "placeholder"},
		{"JWTXXXX", "JWT_SECRET", "xxxx" + goodJWT, "placeholder"},
		{"JWTPlaceholder", "JWT_SECRET", "placeholder" + goodJWT, "placeholder"},
		{"JWTPreviousWeak", "JWT_SECRET_PREVIOUS", goodJWT + ",short", "secret 2"},
		{"KeyMissing", "ENCRYPTION_KEY", "", "required"},
		{"KeyNotHex", "ENCRYPTION_KEY", strings.Repeat("zz", 32), "64 hex"},
		{"KeyShort", "ENCRYPTION_KEY", goodKey[:62], "64 hex"},
		{"KeyLong", "ENCRYPTION_KEY", goodKey + "00", "64 hex"},
		{"KeyBase64", "ENCRYPTION_KEY", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "64 hex"},
		{"KeyZero", "ENCRYPTION_KEY", strings.Repeat("00", 32), "one byte"},
		{"KeyRepeatedByte", "ENCRYPTION_KEY", strings.Repeat("ab", 32), "one byte"},
		{"KeyShortPattern", "ENCRYPTION_KEY", strings.Repeat("deadbeef", 8), "pattern"},
		{"KeySequential", "ENCRYPTION_KEY", hex.EncodeToString(seq), "sequence"},
		{"KeyDescending", "ENCRYPTION_KEY", hex.EncodeToString(down), "sequence"},
		{"KeyEnvExample", "ENCRYPTION_KEY", exampleEncryptionKey, "placeholder"},
		{"KeyGoDocs", "ENCRYPTION_KEY", "6368616e676520746869732070617373776f726420746f206120736563726574", "placeholder"},
		{"KeyText", "ENCRYPTION_KEY", hex.EncodeToString([]byte("my very own production key 2026!")), "text"},
		{"KeyPreviousWeak", "ENCRYPTION_KEY_PREVIOUS", oldKey + "," + strings.Repeat("00", 32), "key 2"},
		{"KeyPreviousMalformed", "ENCRYPTION_KEY_PREVIOUS", "abc", "key 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, problems := load(prodEnv(tt.v, tt.value), nil)
			p, ok := findProblem(problems, tt.v)
			if !ok || !strings.Contains(p.Message, tt.want) {
				t.Fatalf("want a problem for %s mentioning %q; got %v", tt.v, tt.want, problems)
			}
			if len(problems) != 1 {
				t.Fatalf("want exactly one problem, got %v", problems)
			}
		})
	}
}

func TestLoad_PreviousKeysDecoded(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, prodEnv("ENCRYPTION_KEY_PREVIOUS", oldKey, "JWT_SECRET_PREVIOUS", GenerateJWTSecret()+" , "+GenerateJWTSecret()), nil)
	if len(c.EncryptionKeyPrevious) != 1 || hex.EncodeToString(c.EncryptionKeyPrevious[0]) != oldKey {
		t.Fatalf("previous keys %x", c.EncryptionKeyPrevious)
	}
	if len(c.JWTSecretPrevious) != 2 {
		t.Fatalf("previous secrets: %d", len(c.JWTSecretPrevious))
	}
}

func TestLoad_DevelopmentTakesAnyWellFormedKey(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, devEnv("JWT_SECRET", "dev", "ENCRYPTION_KEY", exampleEncryptionKey), nil)
	if c.JWTSecret != "dev" || len(c.EncryptionKey) != 32 {
		t.Fatalf("got %v", c)
	}
	if _, problems := load(devEnv("ENCRYPTION_KEY", "short"), nil); !hasProblem(problems, "ENCRYPTION_KEY") {
		t.Fatal("malformed key accepted in development")
	}
}

func TestGenerate_PassProductionChecks(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 50 {
		s, k := GenerateJWTSecret(), GenerateEncryptionKey()
		if len(s) != 64 || len(k) != 64 || seen[s] || seen[k] {
			t.Fatalf("bad or repeated: %d %d", len(s), len(k))
		}
		seen[s], seen[k] = true, true
		mustLoad(t, prodEnv("JWT_SECRET", s, "ENCRYPTION_KEY", k), nil)
	}
}
