package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"golang.org/x/sync/singleflight"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/ratelimit"
)

// Limiter is a ratelimit.Limiter whose counters live in Redis, shared by
// every instance, with GCRA from redis_rate (one Lua script per decision,
// so concurrent instances never race). While Redis is unreachable it
// decides with its fallback — an in-process limiter — so that limits keep
// holding per instance: never open, never an outage.
//
// A generous limit is not asked about every event: the limiter takes a
// lease of several events at once (one Redis round trip) and hands them
// out locally for up to a second. Events are charged in Redis before they
// are allowed, so the cluster never allows more than the limit; a lease an
// instance does not use up is lost, so a client spread over instances may
// get up to (lease-1) events per instance fewer. Tight limits (sign-in:
// a lease of 1) are decided in Redis event by event.
type Limiter struct {
	c        *Client
	rl       *redis_rate.Limiter
	fallback ratelimit.Limiter

	flight singleflight.Group
	mu     sync.Mutex
	leases map[string]*lease // by key
}

// lease is events already charged in Redis and not yet handed out.
type lease struct {
	left       int
	remaining  int // what Redis had left after charging the lease
	resetAfter time.Duration
	expires    time.Time
}

const (
	// leaseDivisor sizes a lease as a fraction of the burst, so that what
	// instances can strand stays small next to the limit.
	leaseDivisor = 50
	maxLease     = 16
	leaseTTL     = time.Second
	maxLeases    = 10000 // keys with a lease; past it the map starts over
)

// leaseSize is how many events of l one Redis round trip charges.
func leaseSize(burst int) int { return min(max(burst/leaseDivisor, 1), maxLease) }

var _ ratelimit.Limiter = (*Limiter)(nil)

// NewLimiter returns a Limiter over c that falls back to fallback.
func NewLimiter(c *Client, fallback ratelimit.Limiter) *Limiter {
	return &Limiter{c: c, rl: redis_rate.NewLimiter(c.rdb), fallback: fallback, leases: map[string]*lease{}}
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
	for {
		if res, ok := l.fromLease(key, lim); ok {
			return res, nil
		}
		// One lease request per key at a time, and only once the lease is
		// spent: callers that miss together share it instead of each
		// charging one, so what an instance holds unspent stays under a
		// lease.
		v, err, _ := l.flight.Do(key, func() (any, error) {
			if l.leaseLeft(key) {
				return (*redis_rate.Result)(nil), nil // one came in meanwhile: take from it
			}
			res, err := l.rl.AllowAtMost(ctx, l.c.limitKey(key), redis_rate.Limit{Rate: lim.Rate, Burst: burst, Period: lim.Period}, leaseSize(burst))
			if err != nil {
				l.c.report(err)
				return nil, err
			}
			l.c.report(nil)
			l.addLease(key, res)
			return res, nil
		})
		if err != nil {
			return l.fallback.Allow(ctx, key, lim)
		}
		if res := v.(*redis_rate.Result); res != nil && res.Allowed == 0 {
			return ratelimit.Result{Limit: lim, Remaining: res.Remaining,
				ResetAfter: max(res.ResetAfter, 0), RetryAfter: max(res.RetryAfter, 0)}, nil
		}
	}
}

// fromLease allows one event of key from its lease, if it has a live one.
func (l *Limiter) fromLease(key string, lim ratelimit.Limit) (ratelimit.Result, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls, ok := l.leases[key]
	if !ok {
		return ratelimit.Result{}, false
	}
	if ls.left == 0 || time.Now().After(ls.expires) {
		delete(l.leases, key)
		return ratelimit.Result{}, false
	}
	ls.left--
	return ratelimit.Result{Allowed: true, Limit: lim, Remaining: ls.remaining + ls.left, ResetAfter: ls.resetAfter}, true
}

// leaseLeft reports whether key has a live lease with events left.
func (l *Limiter) leaseLeft(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls, ok := l.leases[key]
	return ok && ls.left > 0 && time.Now().Before(ls.expires)
}

// addLease adds the events a lease request was allowed to key's lease.
func (l *Limiter) addLease(key string, res *redis_rate.Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.leases) >= maxLeases {
		clear(l.leases)
	}
	ls, ok := l.leases[key]
	if !ok || time.Now().After(ls.expires) {
		ls = &lease{}
		l.leases[key] = ls
	}
	ls.left += res.Allowed
	ls.remaining, ls.resetAfter = res.Remaining, max(res.ResetAfter, 0)
	ls.expires = time.Now().Add(leaseTTL)
}

// limitKey names a limit's counter. The digest keeps client IPs, emails
// and ids out of Redis: it counts the same and reveals nothing to whoever
// can read the keyspace.
func (c *Client) limitKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return c.prefix + hex.EncodeToString(sum[:16])
}
