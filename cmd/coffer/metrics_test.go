package main

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cofferhq/coffer/api"
)

const testMetricsToken = "metrics-token-for-the-tests-0123456789"

// scrape fetches url with the metrics token (none when token is "") and
// returns the status and the body.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := exchange(t, http.DefaultClient, req)
	return resp.StatusCode, string(b)
}

// scraped is a parsed scrape, by metric family name.
type scraped map[string]*dto.MetricFamily

func parseScrape(t *testing.T, body string) scraped {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return mfs
}

// series returns the series of name whose labels include every pair of
// labels ("k", "v", …), or nil.
func (s scraped) series(name string, labels ...string) *dto.Metric {
	mf := s[name]
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
				return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}) {
				match = false
				break
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// value is the value of a counter or gauge series, or -1 when it is absent.
func (s scraped) value(name string, labels ...string) float64 {
	m := s.series(name, labels...)
	switch {
	case m == nil:
		return -1
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	default:
		return m.GetGauge().GetValue()
	}
}

// TestMetricsEndToEnd runs a real scenario — a secret written and read
// (audited), failed sign-ins, one refused by the rate limit — and reads
// its traces in a scrape of /metrics taken as Prometheus would, with
// METRICS_TOKEN.
func TestMetricsEndToEnd(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, map[string]string{
			"METRICS_TOKEN": testMetricsToken, "RATE_LIMIT_AUTH_PER_MINUTE": "4",
		})
		ctx := t.Context()
		c, u := s.signup(t, "owner") // the first of 4 credential requests
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		put(t, c, "shop", "DB_URL", "postgres://db")
		if sec := ok(c.Secret(ctx, "shop", "dev", "DB_URL")).get(t); *sec.Value != "postgres://db" {
			t.Fatalf("read %q", *sec.Value)
		}
		anon := s.newClient(t)
		for i := range 3 {
			_, err := anon.Login(ctx, api.LoginRequest{Email: u.Email, Password: fmt.Sprintf("wrong-password-%d", i)})
			wantStatus(t, err, http.StatusUnauthorized)
		}
		_, err := anon.Login(ctx, api.LoginRequest{Email: u.Email, Password: testPassword})
		wantStatus(t, err, http.StatusTooManyRequests)

		if status, body := scrape(t, s.URL+"/metrics", ""); status != http.StatusUnauthorized || strings.Contains(body, "coffer_build_info") {
			t.Fatalf("/metrics without the token: %d", status)
		}
		status, body := scrape(t, s.URL+"/metrics", testMetricsToken)
		if status != http.StatusOK {
			t.Fatalf("/metrics with the token: %d", status)
		}
		m := parseScrape(t, body)

		if v := m.value("coffer_auth_failures_total", "reason", "password"); v != 3 {
			t.Errorf("coffer_auth_failures_total{reason=password} = %v, want 3", v)
		}
		if v := m.value("coffer_rate_limit_rejections_total", "scope", "auth_ip"); v != 1 {
			t.Errorf("coffer_rate_limit_rejections_total{scope=auth_ip} = %v, want 1", v)
		}
		// The read and the three failed sign-ins go through the audit writer.
		batches := m.value("coffer_audit_writes_total", "outcome", "success")
		if batches < 1 || m.series("coffer_audit_writes_total", "outcome", "failure") != nil {
			t.Errorf("coffer_audit_writes_total: %v successful batches, failure series %v", batches, m.series("coffer_audit_writes_total", "outcome", "failure"))
		}
		if h := m.series("coffer_audit_write_duration_seconds").GetHistogram(); h == nil || float64(h.GetSampleCount()) != batches || h.GetSampleSum() <= 0 {
			t.Errorf("coffer_audit_write_duration_seconds: %v, want %v samples with a positive sum", h, batches)
		}
		if h := m.series("coffer_audit_batch_size").GetHistogram(); h == nil || h.GetSampleSum() < 4 {
			t.Errorf("coffer_audit_batch_size: %v, want at least the 4 events of the scenario", h)
		}
		if h := m.series("coffer_db_query_duration_seconds", "op", "select").GetHistogram(); h == nil || h.GetSampleCount() == 0 {
			t.Errorf("coffer_db_query_duration_seconds{op=select}: %v", h)
		}
		if v := m.value("coffer_http_requests_total", "route", "GET /api/v1/projects/{project}/environments/{env}/secrets/{key}", "code", "200"); v != 1 {
			t.Errorf("coffer_http_requests_total for the read = %v, want 1", v)
		}
		// The pool of the primary, as database/sql reports it.
		maxOpen := m.value("go_sql_max_open_connections", "db_name", "primary")
		open := m.value("go_sql_open_connections", "db_name", "primary")
		inUse := m.value("go_sql_in_use_connections", "db_name", "primary")
		idle := m.value("go_sql_idle_connections", "db_name", "primary")
		if maxOpen < 1 || open < 1 || inUse < 0 || idle < 0 || inUse+idle != open || open > maxOpen {
			t.Errorf("pool: max %v open %v in use %v idle %v", maxOpen, open, inUse, idle)
		}
		if m.series("go_sql_wait_count_total", "db_name", "primary") == nil {
			t.Error("go_sql_wait_count_total{db_name=primary} missing")
		}
		if v := m.value("coffer_build_info", "version", version, "commit", commit, "go_version", runtime.Version()); v != 1 {
			t.Errorf("coffer_build_info{version=%q,commit=%q} = %v, want 1", version, commit, v)
		}
		if m["go_goroutines"] == nil || m["process_open_fds"] == nil {
			t.Error("runtime or process collectors missing")
		}
		// Everything a running server registers follows the conventions.
		problems, err := testutil.GatherAndLint(s.Metrics.Registry())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	})
}

// TestMetricsAddrServesMetricsAlone: with METRICS_ADDR the metrics are
// served on that listener (with METRICS_TOKEN) and not on the main one,
// which the internet may reach.
func TestMetricsAddrServesMetricsAlone(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, "sqlite", map[string]string{"METRICS_ADDR": addr, "METRICS_TOKEN": testMetricsToken})
	if status, body := scrape(t, s.URL+"/metrics", testMetricsToken); strings.Contains(body, "coffer_build_info") {
		t.Errorf("the main listener serves metrics (%d)", status)
	}
	if status, body := scrape(t, "http://"+addr+"/metrics", ""); status != http.StatusUnauthorized || strings.Contains(body, "coffer_build_info") {
		t.Errorf("METRICS_ADDR without the token: %d", status)
	}
	status, body := scrape(t, "http://"+addr+"/metrics", testMetricsToken)
	if status != http.StatusOK {
		t.Fatalf("METRICS_ADDR with the token: %d", status)
	}
	if v := parseScrape(t, body).value("coffer_build_info", "version", version); v != 1 {
		t.Errorf("coffer_build_info on METRICS_ADDR = %v, want 1", v)
	}
}
