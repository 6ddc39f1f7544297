package jobs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

// ttl is short so that take-overs happen within a test; the deadlines
// below are many times longer, for a loaded machine.
const ttl = 300 * time.Millisecond

// counter counts runs per holder.
type counter struct {
	mu   sync.Mutex
	runs map[string]int
}

func (c *counter) job(holder string, err error) Job {
	return Job{Name: "count", Every: time.Millisecond, Run: func(context.Context) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.runs[holder]++
		return err
	}}
}

func (c *counter) get(holder string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[holder]
}

// instance starts a runner for holder on st running c's job.
func instance(t *testing.T, st *store.Store, c *counter, holder string) *Runner {
	t.Helper()
	r := New(Config{Leases: st, Holder: holder, TTL: ttl})
	r.Start(c.job(holder, nil))
	t.Cleanup(func() { r.Stop(context.Background()) })
	return r
}

// crash stops r's loops without releasing its leases: what kill -9 does.
func (r *Runner) crash() {
	r.cancel()
	r.wg.Wait()
}

// waitFor polls cond until it holds, failing after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leader returns which of a and b is running the job, waiting until one
// has run it three times, and checks the other never ran it.
func leader(t *testing.T, c *counter, a, b string) (holder, other string) {
	t.Helper()
	waitFor(t, 5*time.Second, "three runs", func() bool { return c.get(a)+c.get(b) >= 3 })
	holder, other = a, b
	if c.get(b) > 0 {
		holder, other = b, a
	}
	if c.get(other) != 0 {
		t.Fatalf("both instances ran the job: %v", c.runs)
	}
	return holder, other
}

func TestRunner(t *testing.T) {
	t.Parallel()
	t.Run("OnlyTheHolderRuns", func(t *testing.T) {
		t.Parallel()
		st := storetest.OpenSQLite(t)
		c := &counter{runs: map[string]int{}}
		instance(t, st, c, "a")
		instance(t, st, c, "b")
		leader(t, c, "a", "b")
	})
	t.Run("TakeOverWithinTTLAfterCrash", func(t *testing.T) {
		t.Parallel()
		st := storetest.OpenSQLite(t)
		c := &counter{runs: map[string]int{}}
		runners := map[string]*Runner{"a": instance(t, st, c, "a"), "b": instance(t, st, c, "b")}
		holder, other := leader(t, c, "a", "b")
		runners[holder].crash()
		start := time.Now()
		waitFor(t, 5*time.Second, "take-over", func() bool { return c.get(other) > 0 })
		// The lease runs out at most TTL after the crash and the other
		// instance tries every TTL/3; a loaded machine gets some slack.
		if took := time.Since(start); took > 3*ttl {
			t.Errorf("take-over took %s, want about %s", took, ttl+ttl/3)
		}
	})
	t.Run("StopReleasesAtOnce", func(t *testing.T) {
		t.Parallel()
		st := storetest.OpenSQLite(t)
		c := &counter{runs: map[string]int{}}
		long := New(Config{Leases: st, Holder: "a", TTL: time.Hour})
		long.Start(c.job("a", nil))
		waitFor(t, 5*time.Second, "a runs", func() bool { return c.get("a") > 0 })
		long.Stop(context.Background())
		// Without the release b would wait an hour.
		ok, err := st.AcquireLease(t.Context(), "count", "b", time.Now(), time.Hour)
		if err != nil || !ok {
			t.Fatalf("lease not released on Stop: %v, %v", ok, err)
		}
	})
	t.Run("OutcomesAndLeadershipReported", func(t *testing.T) {
		t.Parallel()
		st := storetest.OpenSQLite(t)
		var failures, successes atomic.Int64
		var leaderNow atomic.Bool
		r := New(Config{Leases: st, Holder: "a", TTL: ttl,
			OnRun: func(job, outcome string) {
				if job == "count" && outcome == OutcomeFailure {
					failures.Add(1)
				} else {
					successes.Add(1)
				}
			},
			OnLeader: func(_ string, held bool) { leaderNow.Store(held) },
		})
		c := &counter{runs: map[string]int{}}
		r.Start(c.job("a", errors.New("boom")))
		waitFor(t, 5*time.Second, "a failure counted", func() bool { return failures.Load() > 0 && leaderNow.Load() })
		r.Stop(context.Background())
		if successes.Load() != 0 {
			t.Errorf("%d runs counted as successes", successes.Load())
		}
		if leaderNow.Load() {
			t.Error("still reported as leader after Stop")
		}
	})
}
