package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/go-redis/redis_rate/v10"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/ratelimit"
)

// Limiter is a ratelimit.Limiter whose counters live in Redis, shared by
// every instance, with GCRA from redis_rate (one Lua script per decision,
// so concurrent instances never race). While Redis is unreachable it
// decides with its fallback — an in-process limiter — so that limits keep
// holding per instance: never open, never an outage.
type Limiter struct {
	c        *Client
	rl       *redis_rate.Limiter
	fallback ratelimit.Limiter
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// NewLimiter returns a Limiter over c that falls back to fallback.
func NewLimiter(c *Client, fallback ratelimit.Limiter) *Limiter {
	return &Limiter{c: c, rl: redis_rate.NewLimiter(c.rdb), fallback: fallback}
}

// Allow implements ratelimit.Limiter. It returns EINVALID for an invalid
// limit or an empty key, like every Limiter, and no other error.
func (l *Limiter) Allow(ctx context.Context, key string, lim ratelimit.Limit) (ratelimit.Result, error) {
	if err := lim.Validate(); err != nil {
		return ratelimit.Result{}, err
	}
	if key == "" {
		return ratelimit.Result{}, coffer.Errorf(coffer.EINVALID, "rate limit key is empty")
	}
	if !l.c.usable() {
		return l.fallback.Allow(ctx, key, lim)
	}
	burst := lim.Burst
	if burst <= 0 {
		burst = lim.Rate
	}
	res, err := l.rl.Allow(ctx, hashKey(key), redis_rate.Limit{Rate: lim.Rate, Burst: burst, Period: lim.Period})
	l.c.report(err)
	if err != nil {
		return l.fallback.Allow(ctx, key, lim)
	}
	out := ratelimit.Result{
		Allowed: res.Allowed > 0, Limit: lim, Remaining: res.Remaining,
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0)
	}
	return out, nil
}

// hashKey keeps client IPs, emails and ids out of Redis: a digest counts
// the same and reveals nothing to whoever can read the keyspace.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "coffer:" + hex.EncodeToString(sum[:16])
}
