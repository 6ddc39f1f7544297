package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/config"
)

// TestNewLogger: the process logger writes JSON in production and text in
// development unless LOG_FORMAT says otherwise, and LOG_LEVEL drops what
// is below it.
func TestNewLogger(t *testing.T) {
	t.Parallel()
	prod := map[string]string{
		"APP_ENV": "production", "JWT_SECRET": config.GenerateJWTSecret(), "ENCRYPTION_KEY": config.GenerateEncryptionKey(),
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	dev := map[string]string{}
	for _, tt := range []struct {
		name   string
		env    map[string]string
		json   bool
		levels string // which of debug, info, warn, error are written
	}{
		{"ProductionIsJSON", prod, true, "info warn error"},
		{"DevelopmentIsText", dev, false, "info warn error"},
		{"LogFormatTextInProduction", with(prod, "LOG_FORMAT", "text"), false, "info warn error"},
		{"LogFormatJSONInDevelopment", with(dev, "LOG_FORMAT", "json"), true, "info warn error"},
		{"LevelDebug", with(dev, "LOG_LEVEL", "debug"), false, "debug info warn error"},
		{"LevelWarn", with(prod, "LOG_LEVEL", "warn"), true, "warn error"},
		{"LevelError", with(dev, "LOG_LEVEL", "error"), false, "error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, problems := config.Load(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
				func(string) ([]byte, error) { t.Fatal("no file is read"); return nil, nil })
			if len(problems) > 0 {
				t.Fatalf("config: %v", problems)
			}
			var buf bytes.Buffer
			logger := newLogger(cfg, &buf)
			logger.Debug("at debug")
			logger.Info("at info")
			logger.Warn("at warn")
			logger.Error("at error")
			out := buf.String()
			for line := range strings.Lines(out) {
				var rec struct{ Service string }
				err := json.Unmarshal([]byte(line), &rec)
				switch {
				case tt.json && err != nil:
					t.Fatalf("not JSON: %q", line)
				case tt.json && rec.Service != "coffer":
					t.Errorf("JSON line without service=coffer: %q", line)
				case !tt.json && (err == nil || !strings.HasPrefix(line, "time=") || !strings.Contains(line, " msg=")):
					t.Fatalf("not text (key=value): %q", line)
				}
			}
			var written []string
			for _, level := range []string{"debug", "info", "warn", "error"} {
				if strings.Contains(out, "at "+level) {
					written = append(written, level)
				}
			}
			if got := strings.Join(written, " "); got != tt.levels {
				t.Errorf("written: %q, want %q", got, tt.levels)
			}
		})
	}
}
