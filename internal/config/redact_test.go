package config

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestRedaction_NoKeyMaterial(t *testing.T) {
	t.Parallel()
	const canary = "CANARYzx81vq"
	jwt := canary + GenerateJWTSecret()
	jwtOld := canary + GenerateJWTSecret()
	key := GenerateEncryptionKey()
	old := GenerateEncryptionKey()
	c := mustLoad(t, map[string]string{
		"APP_ENV": "production", "JWT_SECRET": jwt, "JWT_SECRET_PREVIOUS": jwtOld,
		"ENCRYPTION_KEY": key, "ENCRYPTION_KEY_PREVIOUS": old,
		"METRICS_TOKEN":         canary + strings.Repeat("m", 32),
		"SENTRY_DSN":            "https://" + canary + "@o1.ingest.sentry.io/42",
		"DATABASE_URL":          "postgres://coffer:" + canary + "@db:5432/coffer?sslmode=require&password=" + canary,
		"DATABASE_REPLICA_URLS": "postgres://coffer:" + canary + "@r1/coffer,postgres://r2/coffer?sslpassword=" + canary,
		"REDIS_URL":             "rediss://:" + canary + "@cache:6380/0",
	}, nil)

	var jsonBuf, textBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonBuf, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&textBuf, nil)).Info("config", "config", *c)
	outputs := map[string]string{
		"json": jsonBuf.String(), "text": textBuf.String(),
		"String": c.String(), "%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", *c),
		"%#v": fmt.Sprintf("%#v", c), "%s": fmt.Sprintf("%s", c),
	}
	forbidden := []string{
		canary, key, old, strings.ToUpper(key), jwt[len(canary):], jwtOld[len(canary):],
		string(c.EncryptionKey), fmt.Sprint(c.EncryptionKey), hex.EncodeToString(c.EncryptionKeyPrevious[0]),
	}
	for name, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("%s output contains key material %q:\n%s", name, f, out)
			}
		}
	}
	for _, want := range []string{"db:5432", "cache:6380", "r2/coffer", "sslmode=require", redacted} {
		if !strings.Contains(jsonBuf.String(), want) {
			t.Errorf("JSON output lacks %q (over-redacted):\n%s", want, jsonBuf.String())
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"postgres://u:pw@h/db", "postgres://u:redacted@h/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://h/db?password=pw&sslmode=verify-full", "postgres://h/db?password=redacted&sslmode=verify-full"},
		{"postgres://u:123#x@h/db", redacted},
		{"postgres://u:p%zz@h", redacted},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedaction_UnsetSecretsShowEmpty(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, devEnv(), nil).String()
	if strings.Contains(s, redacted) {
		t.Fatalf("unset secrets shown as redacted: %s", s)
	}
	if !strings.Contains(s, "sqlite_path=data/coffer.db") || !strings.Contains(s, "addr=127.0.0.1:8080") {
		t.Fatalf("String lacks plain fields: %s", s)
	}
}
