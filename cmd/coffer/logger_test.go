package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cofferhq/coffer/internal/config"
	"github.com/cofferhq/coffer/internal/logtest"
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

// TestLogsFitTheAggregationPipeline: Promtail (deploy/loki/promtail.yml)
// reads fields out of Coffer's JSON lines, and the dashboard's error panel
// matches their level. The lines of a real request, written by the
// process's logger, carry every field Promtail reads, and levels as the
// panel spells them.
func TestLogsFitTheAggregationPipeline(t *testing.T) {
	var promtail struct {
		ScrapeConfigs []struct {
			PipelineStages []struct {
				Match *struct {
					Selector string `yaml:"selector"`
					Stages   []struct {
						JSON *struct {
							Expressions map[string]string `yaml:"expressions"`
						} `yaml:"json"`
					} `yaml:"stages"`
				} `yaml:"match"`
			} `yaml:"pipeline_stages"`
		} `yaml:"scrape_configs"`
	}
	raw, err := os.ReadFile("../../deploy/loki/promtail.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &promtail); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, sc := range promtail.ScrapeConfigs {
		for _, st := range sc.PipelineStages {
			if st.Match == nil || st.Match.Selector != `{service="coffer"}` {
				continue
			}
			for _, s := range st.Match.Stages {
				if s.JSON != nil {
					for _, source := range s.JSON.Expressions {
						fields = append(fields, source)
					}
				}
			}
		}
	}
	if len(fields) == 0 {
		t.Fatal(`promtail.yml reads no field of {service="coffer"}`)
	}
	dashboard, err := os.ReadFile("../../deploy/grafana/coffer-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dashboard), `| json | level=~\"ERROR|error\"`) {
		t.Fatal("the dashboard's error panel no longer matches level as this test expects; update both")
	}

	logs := &logtest.Buffer{}
	s := startServer(t, "sqlite", map[string]string{"LOG_FORMAT": "json", "LOG_LEVEL": "info"},
		func(m *Main) { m.Logger = newLogger(m.Config, logs) })
	resp, err := http.Get(s.URL + "/api/v1/me") // an access-log line, with a request id
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var request map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if level, _ := rec["level"].(string); !slices.Contains([]string{"DEBUG", "INFO", "WARN", "ERROR"}, level) {
			t.Errorf("level %q is none the panel's regexp expects: %q", level, line)
		}
		if rec["msg"] == "request" {
			request = rec
		}
	}
	if request == nil {
		t.Fatalf("no access-log line in:\n%s", logs.String())
	}
	for _, f := range fields {
		if v, ok := request[f].(string); !ok || v == "" {
			t.Errorf("promtail reads %q, which the access-log line lacks: %v", f, request)
		}
	}
}
