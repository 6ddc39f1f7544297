package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/cofferhq/coffer/internal/ratelimit"
	"github.com/cofferhq/coffer/internal/redis/redistest"
)

// commandCounter counts the commands a client sends to Redis.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (c *commandCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *commandCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// TestLimiterLeasesGenerousLimits: a generous limit is charged in Redis a
// lease at a time, callers that miss together share one lease request,
// and Redis is never charged much beyond what was allowed.
func TestLimiterLeasesGenerousLimits(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	c := mustOpen(t, url, "coffer-test-lease")
	counter := &commandCounter{}
	c.rdb.AddHook(counter)
	l := NewLimiter(c, memoryLimiter(t))
	lim := ratelimit.Limit{Rate: 800, Period: time.Hour, Burst: 800} // a lease of 16
	key := "api:" + uuid.NewString()
	if _, err := l.Allow(t.Context(), "api:"+uuid.NewString(), lim); err != nil { // loads the script
		t.Fatal(err)
	}

	before := counter.n.Load()
	last := lim.Burst
	for i := range 64 {
		res, err := l.Allow(t.Context(), key, lim)
		if err != nil || !res.Allowed {
			t.Fatalf("event %d: %+v, %v", i, res, err)
		}
		if res.Remaining >= last {
			t.Fatalf("event %d: remaining %d after %d", i, res.Remaining, last)
		}
		last = res.Remaining
	}
	if calls := counter.n.Load() - before; calls != 64/16 {
		t.Fatalf("64 events took %d Redis commands, want about one per lease of 16", calls)
	}

	var wg sync.WaitGroup
	var allowed atomic.Int64
	before = counter.n.Load()
	for range 64 {
		wg.Go(func() {
			if res, err := l.Allow(t.Context(), key, lim); err == nil && res.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 64 {
		t.Fatalf("%d of 64 concurrent events allowed", allowed.Load())
	}
	if calls := counter.n.Load() - before; calls > 16 {
		t.Fatalf("64 concurrent events took %d Redis commands: callers that miss together must share a lease", calls)
	}

	// What Redis was charged: 128 events allowed, plus at most one lease
	// not yet handed out (and one more for the peek itself).
	peek, err := redis_rate.NewLimiter(c.rdb).AllowAtMost(t.Context(), c.limitKey(key),
		redis_rate.Limit{Rate: 800, Burst: 800, Period: time.Hour}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if charged := lim.Burst - peek.Remaining - 1; charged > 128+16 {
		t.Fatalf("Redis was charged %d events for 128 allowed", charged)
	}
}

// TestLimiterLeasesNeverExceedTheLimit: instances leasing from one limit
// together allow no more than it, and strand at most a lease each.
func TestLimiterLeasesNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	a := NewLimiter(mustOpen(t, url, "coffer-test-lease-a"), memoryLimiter(t))
	b := NewLimiter(mustOpen(t, url, "coffer-test-lease-b"), memoryLimiter(t))
	lim := ratelimit.Limit{Rate: 200, Period: time.Hour, Burst: 200} // a lease of 4
	key := "api:" + uuid.NewString()
	var wg sync.WaitGroup
	var allowed atomic.Int64
	for i := range 300 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			res, err := l.Allow(t.Context(), key, lim)
			if err != nil {
				t.Error(err)
			}
			if res.Allowed {
				allowed.Add(1)
			} else if res.RetryAfter <= 0 {
				t.Errorf("refusal without RetryAfter: %+v", res)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n > 200 || n < 200-2*(4-1) {
		t.Fatalf("two instances allowed %d events of a limit of 200", n)
	}
}
