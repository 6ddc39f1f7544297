package httpx

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/ratelimit"
)

// RateLimitConfig configures one use of the RateLimit middleware.
type RateLimitConfig struct {
	Limiter ratelimit.Limiter
	Limit   ratelimit.Limit
	// Scope names this use ("login_ip", "api_token"); it prefixes the keys
	// so that scopes never share counters, and labels rejections.
	Scope string
	// Key returns the key a request is counted under; ok false exempts the
	// request (e.g. no token presented). KeyByClientIP is the common one.
	Key func(r *http.Request) (key string, ok bool)
	// Logger receives limiter errors.
	Logger *slog.Logger
	// OnReject, if set, is called for every refused request (metrics).
	OnReject func(scope string)
}

// KeyByClientIP keys requests by Info.ClientIP, which ProxyTrust sets.
func KeyByClientIP(r *http.Request) (string, bool) {
	ip := InfoFrom(r.Context()).ClientIP
	return ip, ip != ""
}

// RateLimit returns a middleware that counts each request against cfg.Limit
// and reports the state in the IETF draft RateLimit-Limit,
// RateLimit-Remaining and RateLimit-Reset headers. A refused request gets a
// 429 problem (code rate_limited) with Retry-After.
//
// A limiter error is logged and the request served without a decision: by
// the Limiter contract, Allow fails only on programmer misuse (a bad Limit,
// an empty key) — an unreachable store is the limiter's to degrade from —
// so refusing every request would turn a bug into an outage.
func RateLimit(cfg RateLimitConfig) Middleware {
	limit := cfg.Limit.Burst
	if limit <= 0 {
		limit = cfg.Limit.Rate
	}
	limitHeader := []string{strconv.Itoa(limit)} // shared by every answer: see sharedHeaders
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, ok := cfg.Key(r)
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			res, err := cfg.Limiter.Allow(r.Context(), cfg.Scope+":"+key, cfg.Limit)
			if err != nil {
				cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "rate limiter failed",
					slog.String("scope", cfg.Scope), slog.String("request_id", RequestIDFrom(r.Context())),
					slog.Any("error", err))
				next.ServeHTTP(w, r)
				return
			}
			// Keys written as the header map holds them spare a
			// canonicalised copy per request.
			h := w.Header()
			h["Ratelimit-Limit"] = limitHeader
			h["Ratelimit-Remaining"] = []string{strconv.Itoa(res.Remaining)}
			h["Ratelimit-Reset"] = []string{strconv.Itoa(ceilSeconds(res.ResetAfter))}
			if !res.Allowed {
				if cfg.OnReject != nil {
					cfg.OnReject(cfg.Scope)
				}
				h.Set("Retry-After", strconv.Itoa(max(ceilSeconds(res.RetryAfter), 1)))
				WriteProblem(w, r, http.StatusTooManyRequests, coffer.ERATELIMITED, "Too many requests; retry later.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ceilSeconds rounds d up to whole seconds: telling a client to come back
// early only earns it another refusal.
func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}
