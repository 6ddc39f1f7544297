// Package health serves Coffer's health endpoints: liveness (the process
// answers), readiness (its critical dependencies answer, and it is not
// draining for shutdown) and one endpoint per component.
package health

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Timeout bounds each readiness check; a dependency slower than this is as
// good as down for a load balancer deciding where to send traffic.
const Timeout = 2 * time.Second

// Status values in responses (HealthStatus in api/openapi.yaml).
const (
	StatusOK       = "ok"
	StatusDown     = "down"     // answered with 503
	StatusDisabled = "disabled" // a component that is not configured
)

// Check is one dependency probe.
type Check struct {
	Name string
	// Run returns nil when the dependency is usable. Its error is logged,
	// never returned to the caller: driver errors can name hosts, users
	// and sometimes passwords.
	Run func(ctx context.Context) error
	// Critical checks decide readiness; the others are reported only.
	Critical bool
	// Details, if set, adds safe figures to the component's report (e.g.
	// free disk space); it is called after Run.
	Details func() map[string]any
}

// Component is the result of one check.
type Component struct {
	Status    string         `json:"status"`
	LatencyMS float64        `json:"latency_ms"`
	Error     string         `json:"error,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
}

// Report is the body of the readiness and component endpoints.
type Report struct {
	Status     string               `json:"status"`
	Draining   bool                 `json:"draining,omitempty"`
	Components map[string]Component `json:"components,omitempty"`
}

// checkFailed is the fixed message a failing check reports.
const checkFailed = "check failed"

// Health runs checks and serves the results.
type Health struct {
	checks   []Check
	logger   *slog.Logger
	draining atomic.Bool
}

// New returns a Health over checks whose failures are logged to logger.
func New(logger *slog.Logger, checks ...Check) *Health {
	return &Health{checks: checks, logger: logger}
}

// SetDraining makes readiness fail (true) while the server shuts down, so
// that load balancers stop sending new requests before it stops serving.
func (h *Health) SetDraining(draining bool) { h.draining.Store(draining) }

// Liveness serves /health: 200 {"status":"ok"} whenever the process can
// answer. It checks no dependency, so that an orchestrator never restarts
// a healthy process because its database is down.
func (h *Health) Liveness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeReport(w, http.StatusOK, Report{Status: StatusOK})
	})
}

// Readiness serves /health/ready: it runs the critical checks concurrently,
// each within Timeout, and answers 200 when all pass, 503 when any fails or
// the server is draining.
func (h *Health) Readiness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var critical []Check
		for _, c := range h.checks {
			if c.Critical {
				critical = append(critical, c)
			}
		}
		rep := h.run(r.Context(), critical)
		if h.draining.Load() {
			rep.Status, rep.Draining = StatusDown, true
		}
		writeReport(w, statusCode(rep.Status), rep)
	})
}

// Component serves /health/<name>: the result of the named check alone,
// 503 when it fails, 200 "disabled" when there is no such check (e.g.
// /health/redis without Redis): nothing is wrong with what is not used.
func (h *Health) Component(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, c := range h.checks {
			if c.Name == name {
				rep := h.run(r.Context(), []Check{c})
				writeReport(w, statusCode(rep.Status), rep)
				return
			}
		}
		writeReport(w, http.StatusOK, Report{Status: StatusDisabled})
	})
}

// run runs checks concurrently and collects their results.
func (h *Health) run(ctx context.Context, checks []Check) Report {
	rep := Report{Status: StatusOK, Components: make(map[string]Component, len(checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Go(func() {
			comp := h.runOne(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			rep.Components[c.Name] = comp
			if comp.Status != StatusOK {
				rep.Status = StatusDown
			}
		})
	}
	wg.Wait()
	return rep
}

func (h *Health) runOne(ctx context.Context, c Check) Component {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	start := time.Now()
	err := c.Run(ctx)
	comp := Component{Status: StatusOK, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
	if c.Details != nil {
		comp.Details = c.Details()
	}
	if err != nil {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "health check failed",
			slog.String("check", c.Name), slog.Any("error", err))
		comp.Status, comp.Error = StatusDown, checkFailed
		if ctx.Err() != nil {
			comp.Error = "check timed out"
		}
	}
	return comp
}

func statusCode(status string) int {
	if status == StatusOK {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

func writeReport(w http.ResponseWriter, status int, rep Report) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(rep) // the prober went away; nothing to do
}
