// Package ratelimit decides whether one more request under a key fits its
// limit. The Limiter interface is what the HTTP layer uses; Memory is the
// in-process implementation, and a Redis one shares counters between
// instances behind the same interface.
package ratelimit

import (
	"context"
	"time"

	"github.com/cofferhq/coffer"
)

// Limit is a rate of Rate events per Period that may arrive in bursts of at
// most Burst events. A zero Burst means Burst = Rate.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// PerSecond returns a limit of n events per second with a burst of n.
func PerSecond(n int) Limit { return Limit{Rate: n, Period: time.Second, Burst: n} }

// PerMinute returns a limit of n events per minute with a burst of n.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// PerHour returns a limit of n events per hour with a burst of n.
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour, Burst: n} }

// burst returns the effective burst of l.
func (l Limit) burst() int {
	if l.Burst <= 0 {
		return l.Rate
	}
	return l.Burst
}

// interval is the time one event "costs": the GCRA emission interval.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// Validate returns an EINVALID error when l cannot be enforced. Limits are
// written by programmers, so a failure here is a bug, never user input.
func (l Limit) Validate() error {
	if l.Rate <= 0 || l.Period <= 0 || l.Burst < 0 {
		return coffer.Errorf(coffer.EINVALID, "rate limit %+v: rate and period must be positive, burst not negative", l)
	}
	if l.interval() <= 0 {
		return coffer.Errorf(coffer.EINVALID, "rate limit %+v: period too short for the rate", l)
	}
	return nil
}

// Result is the decision on one event and the state the caller reports to
// clients (RateLimit-* and Retry-After headers).
type Result struct {
	Allowed bool
	Limit   Limit
	// Remaining is how many more events would be allowed right now.
	Remaining int
	// RetryAfter is how long to wait before the next event is allowed; zero
	// when Allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back to its full burst.
	ResetAfter time.Duration
}

// Limiter counts events per key.
//
// Allow records one event under key if it fits l and reports the decision.
// It returns an error (EINVALID) only on programmer misuse such as an
// invalid Limit or an empty key. An implementation whose backing store is
// unreachable degrades on its own (e.g. to a local limiter) instead of
// returning an error, so callers never have to choose between failing open
// and failing closed.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (Result, error)
}
