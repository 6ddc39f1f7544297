package main

import (
	"net/http"
	"strconv"
	"testing"
)

// wantLimited checks a 429 of the rate limit: a problem with the stable
// code rate_limited, Retry-After and the RateLimit headers of limit.
func wantLimited(t *testing.T, resp *http.Response, p problem, limit int) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || p.Code != "rate_limited" || p.Status != 429 {
		t.Errorf("Content-Type %q, problem %+v: want a rate_limited problem", ct, p)
	}
	if after, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || after < 1 {
		t.Errorf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
	}
	if got := resp.Header.Get("RateLimit-Limit"); got != strconv.Itoa(limit) {
		t.Errorf("RateLimit-Limit %q, want %d", got, limit)
	}
	if got := resp.Header.Get("RateLimit-Remaining"); got != "0" {
		t.Errorf("RateLimit-Remaining %q, want 0", got)
	}
	if reset, err := strconv.Atoi(resp.Header.Get("RateLimit-Reset")); err != nil || reset < 1 {
		t.Errorf("RateLimit-Reset %q, want whole seconds ≥ 1", resp.Header.Get("RateLimit-Reset"))
	}
}

// wantHealthy checks that the health endpoints answer a client whose API
// requests are refused: load balancers and probes share addresses with
// clients, and must never see an instance as down because of a limit.
func wantHealthy(t *testing.T, s *testServer) {
	t.Helper()
	for _, path := range []string{"/health", "/health/ready"} {
		for range 5 {
			if resp, _ := doRaw(t, "GET", s.URL+path, nil); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") != "" {
				t.Fatalf("%s while limited: %d, RateLimit-Limit %q", path, resp.StatusCode, resp.Header.Get("RateLimit-Limit"))
			}
		}
	}
}

// TestRateLimitWiring starts servers with small limits and shows each
// limit of the configuration at work on a real request. The limiter is
// in-process (Redis is covered in events_redis_test.go) and never touches
// the database, so SQLite alone is enough.
func TestRateLimitWiring(t *testing.T) {
	t.Run("PerClient", func(t *testing.T) {
		t.Parallel()
		// RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS, per client IP.
		s := startServer(t, "sqlite", map[string]string{"RATE_LIMIT_MAX_REQUESTS": "3", "RATE_LIMIT_WINDOW_MS": "60000"})
		for i := range 3 {
			resp, _ := doRaw(t, "GET", s.URL+"/api/v1/auth/status", nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d: %d", i+1, resp.StatusCode)
			}
			if got, want := resp.Header.Get("RateLimit-Remaining"), strconv.Itoa(2-i); got != want || resp.Header.Get("RateLimit-Limit") != "3" {
				t.Errorf("request %d: RateLimit-Limit %q, RateLimit-Remaining %q, want 3 and %s", i+1, resp.Header.Get("RateLimit-Limit"), got, want)
			}
		}
		resp, p := doRaw(t, "GET", s.URL+"/api/v1/auth/status", nil)
		wantLimited(t, resp, p, 3)
		wantHealthy(t, s)
		if v, _ := metricSample(t, s, "coffer_rate_limit_rejections_total", "scope", "api_ip"); v != 1 {
			t.Errorf("rejections{scope=api_ip} = %v, want 1", v)
		}
	})
	t.Run("PerCredential", func(t *testing.T) {
		t.Parallel()
		// RATE_LIMIT_TOKEN_PER_MINUTE per user or token, with a burst of a
		// tenth of it: 10 a minute lets one request through at once.
		s := startServer(t, "sqlite", map[string]string{"RATE_LIMIT_TOKEN_PER_MINUTE": "10"})
		_, a := s.signup(t, "a") // sign-up and token grants carry no credential: not counted
		_, b := s.signup(t, "b")
		_, tokA := s.bearer(t, a.Email)
		_, tokB := s.bearer(t, b.Email)
		asA := map[string]string{"Authorization": "Bearer " + tokA.AccessToken}
		if resp, _ := doRaw(t, "GET", s.URL+"/api/v1/me", asA); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") != "1" {
			t.Fatalf("first request: %d, RateLimit-Limit %q", resp.StatusCode, resp.Header.Get("RateLimit-Limit"))
		}
		resp, p := doRaw(t, "GET", s.URL+"/api/v1/me", asA)
		wantLimited(t, resp, p, 1)
		// Counted per credential, not per address: B, from the same
		// address, is served.
		if resp, _ := doRaw(t, "GET", s.URL+"/api/v1/me", map[string]string{"Authorization": "Bearer " + tokB.AccessToken}); resp.StatusCode != http.StatusOK {
			t.Fatalf("another user while the first is limited: %d", resp.StatusCode)
		}
		wantHealthy(t, s)
		if v, _ := metricSample(t, s, "coffer_rate_limit_rejections_total", "scope", "api_token"); v != 1 {
			t.Errorf("rejections{scope=api_token} = %v, want 1", v)
		}
	})
}
