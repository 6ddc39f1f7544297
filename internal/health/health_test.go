package health

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func ok(context.Context) error { return nil }

func fail(context.Context) error {
	return errors.New("dial tcp db.internal:5432: password authentication failed for user coffer")
}

func serve(t *testing.T, h http.Handler) (int, Report, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	var rep Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", rec.Header())
	}
	return rec.Code, rep, rec.Body.String()
}

func newTestHealth(checks ...Check) (*Health, *bytes.Buffer) {
	var logs bytes.Buffer
	return New(slog.New(slog.NewJSONHandler(&logs, nil)), checks...), &logs
}

func TestLivenessIgnoresDependencies(t *testing.T) {
	t.Parallel()
	h, _ := newTestHealth(Check{Name: "db", Run: fail, Critical: true})
	h.SetDraining(true)
	code, rep, body := serve(t, h.Liveness())
	if code != 200 || rep.Status != "ok" || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("%d %s", code, body)
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		checks   []Check
		draining bool
		code     int
		status   string
		comps    map[string]string
	}{
		{"AllOK", []Check{{Name: "db", Run: ok, Critical: true}, {Name: "redis", Run: ok, Critical: true}},
			false, 200, "ok", map[string]string{"db": "ok", "redis": "ok"}},
		{"CriticalFails", []Check{{Name: "db", Run: fail, Critical: true}, {Name: "redis", Run: ok, Critical: true}},
			false, 503, "down", map[string]string{"db": "down", "redis": "ok"}},
		{"NonCriticalNotRun", []Check{{Name: "db", Run: ok, Critical: true}, {Name: "sentry", Run: fail}},
			false, 200, "ok", map[string]string{"db": "ok"}},
		{"Draining", []Check{{Name: "db", Run: ok, Critical: true}},
			true, 503, "down", map[string]string{"db": "ok"}},
		{"NoChecks", nil, false, 200, "ok", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, logs := newTestHealth(tt.checks...)
			h.SetDraining(tt.draining)
			code, rep, body := serve(t, h.Readiness())
			if code != tt.code || rep.Status != tt.status || rep.Draining != tt.draining || len(rep.Components) != len(tt.comps) {
				t.Fatalf("%d %s", code, body)
			}
			for name, want := range tt.comps {
				if c := rep.Components[name]; c.Status != want {
					t.Errorf("%s = %+v, want %s", name, c, want)
				}
			}
			if strings.Contains(body, "db.internal") || strings.Contains(body, "password") {
				t.Fatalf("raw error leaked: %s", body)
			}
			if tt.code == 503 && !tt.draining && !strings.Contains(logs.String(), "db.internal") {
				t.Fatalf("raw error not logged: %s", logs)
			}
		})
	}
}

func TestReadinessRunsChecksConcurrentlyWithTimeout(t *testing.T) {
	t.Parallel()
	var running atomic.Int32
	slow := func(ctx context.Context) error {
		running.Add(1)
		<-ctx.Done() // a hung dependency
		return ctx.Err()
	}
	h, _ := newTestHealth(Check{Name: "db", Run: slow, Critical: true}, Check{Name: "redis", Run: slow, Critical: true})
	start := time.Now()
	code, rep, _ := serve(t, h.Readiness())
	elapsed := time.Since(start)
	if code != 503 || rep.Components["db"].Error != "check timed out" {
		t.Fatalf("%d %+v", code, rep)
	}
	if elapsed > Timeout+time.Second {
		t.Fatalf("took %v: checks ran one after the other", elapsed)
	}
	if running.Load() != 2 {
		t.Fatal("not every check ran")
	}
}

func TestComponent(t *testing.T) {
	t.Parallel()
	h, _ := newTestHealth(Check{Name: "db", Run: ok, Critical: true}, Check{Name: "redis", Run: fail})
	tests := []struct {
		name   string
		code   int
		status string
		err    string
	}{
		{"db", 200, "ok", ""},
		{"redis", 503, "down", "check failed"},
		{"disk", 200, "disabled", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, rep, _ := serve(t, h.Component(tt.name))
			if code != tt.code || rep.Status != tt.status || rep.Components[tt.name].Error != tt.err {
				t.Fatalf("%d %+v", code, rep)
			}
			if tt.code == 200 && rep.Components[tt.name].LatencyMS < 0 {
				t.Fatal("negative latency")
			}
		})
	}
}

func TestDiskCheck(t *testing.T) {
	t.Parallel()
	free, err := FreeBytes(t.TempDir())
	if err != nil || free == 0 {
		t.Fatalf("FreeBytes = %d, %v", free, err)
	}
	tests := []struct {
		name string
		dir  string
		min  uint64
		code int
	}{
		{"EnoughSpace", t.TempDir(), 1, 200},
		{"TooLittleSpace", t.TempDir(), 1 << 62, 503},
		{"MissingDir", "/nonexistent/coffer", 1, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _ := newTestHealth(DiskCheck(tt.dir, tt.min))
			code, rep, _ := serve(t, h.Component("disk"))
			if code != tt.code {
				t.Fatalf("%d %+v", code, rep)
			}
			if tt.code == 200 {
				if fb, _ := rep.Components["disk"].Details["free_bytes"].(float64); fb <= 0 {
					t.Fatalf("free_bytes not reported: %+v", rep.Components["disk"])
				}
			}
		})
	}
}
