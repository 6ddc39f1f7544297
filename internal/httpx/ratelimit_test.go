package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/ratelimit"
)

// stubLimiter returns a fixed answer: the middleware is tested for what it
// does with a decision, the Memory limiter for how it decides.
type stubLimiter struct {
	res  ratelimit.Result
	err  error
	keys []string
}

func (s *stubLimiter) Allow(_ context.Context, key string, l ratelimit.Limit) (ratelimit.Result, error) {
	s.keys = append(s.keys, key)
	s.res.Limit = l
	return s.res, s.err
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limiter    *stubLimiter
		limit      ratelimit.Limit
		clientIP   string
		status     int
		headers    map[string]string
		rejections int
		logged     bool
	}{
		{"Allowed", &stubLimiter{res: ratelimit.Result{Allowed: true, Remaining: 4, ResetAfter: 1500 * time.Millisecond}},
			ratelimit.PerMinute(5), "192.0.2.1", 200,
			map[string]string{"RateLimit-Limit": "5", "RateLimit-Remaining": "4", "RateLimit-Reset": "2", "Retry-After": ""}, 0, false},
		{"Refused", &stubLimiter{res: ratelimit.Result{RetryAfter: 2100 * time.Millisecond, ResetAfter: time.Minute}},
			ratelimit.Limit{Rate: 5, Period: time.Minute, Burst: 10}, "192.0.2.1", 429,
			map[string]string{"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "60", "Retry-After": "3"}, 1, false},
		{"RetryAfterAtLeastOneSecond", &stubLimiter{res: ratelimit.Result{}},
			ratelimit.Limit{Rate: 5, Period: time.Second}, "192.0.2.1", 429,
			map[string]string{"RateLimit-Limit": "5", "Retry-After": "1"}, 1, false},
		{"NoKeyExempt", &stubLimiter{}, ratelimit.PerMinute(5), "", 200,
			map[string]string{"RateLimit-Limit": ""}, 0, false},
		{"LimiterErrorServesAndLogs", &stubLimiter{err: errors.New("misuse")}, ratelimit.PerMinute(5), "192.0.2.1", 200,
			map[string]string{"RateLimit-Limit": ""}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, logs := newTestLogger()
			rejections := 0
			mw := RateLimit(RateLimitConfig{
				Limiter:  tt.limiter,
				Limit:    tt.limit,
				Scope:    "login_ip",
				Key:      KeyByClientIP,
				Logger:   logger,
				OnReject: func(scope string) { rejections++ },
			})
			r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
			r = r.WithContext(NewContextWithInfo(r.Context(), &Info{ClientIP: tt.clientIP}))
			rec := httptest.NewRecorder()
			mw(okHandler).ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			for k, v := range tt.headers {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if rejections != tt.rejections {
				t.Fatalf("rejections = %d, want %d", rejections, tt.rejections)
			}
			if tt.status == 429 && decodeProblem(t, rec).Code != coffer.ERATELIMITED {
				t.Fatal("want code rate_limited")
			}
			if tt.clientIP != "" && (len(tt.limiter.keys) != 1 || tt.limiter.keys[0] != "login_ip:"+tt.clientIP) {
				t.Fatalf("keys = %v", tt.limiter.keys)
			}
			if got := len(logs.lines(t)) == 1; got != tt.logged {
				t.Fatalf("logged %v, want %v", got, tt.logged)
			}
		})
	}
}

func TestRateLimitWithMemoryLimiter(t *testing.T) {
	t.Parallel()
	m := ratelimit.NewMemory(ratelimit.WithJanitorInterval(0))
	defer m.Close()
	logger, _ := newTestLogger()
	h := Chain(okHandler, NewProxyTrust(nil).Middleware, RateLimit(RateLimitConfig{
		Limiter: m, Limit: ratelimit.PerMinute(2), Scope: "ip", Key: KeyByClientIP, Logger: logger,
	}))
	for i, want := range []int{200, 200, 429} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != want {
			t.Fatalf("request %d: status %d, want %d", i, rec.Code, want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.7:1"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("another client refused: %d", rec.Code)
	}
}
