package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/config"
	"github.com/cofferhq/coffer/internal/logtest"
	"github.com/cofferhq/coffer/internal/storetest"
	dto "github.com/prometheus/client_model/go"
)

// backends are the stores every integration test runs against.
var backends = []string{"sqlite", "postgres"}

// eachStore runs fn once per store, in parallel subtests. The PostgreSQL
// run skips, saying so, when no test database is configured.
func eachStore(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// testServer is a Coffer server started the way `coffer server` starts it,
// on a free port, with its logs captured.
type testServer struct {
	*Main
	URL  string
	Logs *logtest.Buffer
}

// testConfig loads the configuration of a test server on backend with env
// layered over test defaults.
func testConfig(t testing.TB, backend string, env map[string]string) *config.Config {
	t.Helper()
	vars := map[string]string{
		"APP_ENV":     "development",
		"HOST":        "127.0.0.1",
		"PORT":        "0",
		"DATA_DIR":    t.TempDir(),
		"BCRYPT_COST": "4",
		"LOG_FORMAT":  "json",
		"LOG_LEVEL":   "debug",
		// Tests sign many users in from one address.
		"RATE_LIMIT_AUTH_PER_MINUTE":  "100000",
		"RATE_LIMIT_MAX_REQUESTS":     "1000000",
		"RATE_LIMIT_TOKEN_PER_MINUTE": "1000000",
	}
	if backend == "postgres" {
		vars["DATABASE_URL"] = storetest.PostgresURL(t)
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, problems := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, os.ReadFile)
	if len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	if _, err := config.EnsureDevKeys(cfg); err != nil {
		t.Fatalf("dev keys: %v", err)
	}
	return cfg
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startServer starts Main on backend with env layered over test defaults;
// opts adjust Main before it runs.
func startServer(t testing.TB, backend string, env map[string]string, opts ...func(*Main)) *testServer {
	t.Helper()
	cfg := testConfig(t, backend, env)
	logs := &logtest.Buffer{}
	m := NewMain(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, opt := range opts {
		opt(m)
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx, 0); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return &testServer{Main: m, URL: m.URL(), Logs: logs}
}

// discardLogs is a startServer option for tests that count a server's
// CPU or memory: the test server otherwise keeps every log line in memory.
func discardLogs(m *Main) { m.Logger = slog.New(slog.DiscardHandler) }

// newClient returns an API client for s with opts.
func (s *testServer) newClient(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	hc := &http.Client{Transport: contractTransport{t: t, next: http.DefaultTransport}}
	c, err := client.New(s.URL, append([]client.Option{client.WithHTTPClient(hc)}, opts...)...)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// uniqueEmail returns an email no other test uses.
func uniqueEmail(t *testing.T, name string) string {
	return strings.ToLower(name) + "-" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-") + "@example.test"
}

// metricSample returns the value of the first series of the counter or
// gauge name on s that has label=value (any series when label is "").
func metricSample(t *testing.T, s *testServer, name, label, value string) (float64, bool) {
	t.Helper()
	mfs, err := s.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
				return l.GetName() == label && l.GetValue() == value
			}) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
