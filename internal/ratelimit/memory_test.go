package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/logtest"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
func newTestMemory(t *testing.T, c *fakeClock, opts ...Option) *Memory {
	t.Helper()
	m := NewMemory(append([]Option{WithClock(c.Now), WithJanitorInterval(0)}, opts...)...)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func mustAllow(t *testing.T, m *Memory, key string, l Limit) Result {
	t.Helper()
	r, err := m.Allow(context.Background(), key, l)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return r
}

func TestMemoryAllow(t *testing.T) {
	t.Parallel()
	l := Limit{Rate: 3, Period: 3 * time.Second, Burst: 3} // one event per second
	type step struct {
		advance    time.Duration
		allowed    bool
		remaining  int
		retryAfter time.Duration
		resetAfter time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"BurstThenRefusal", []step{
			{0, true, 2, 0, time.Second},
			{0, true, 1, 0, 2 * time.Second},
			{0, true, 0, 0, 3 * time.Second},
			{0, false, 0, time.Second, 3 * time.Second},
		}},
		{"RefillsOneEventPerInterval", []step{
			{0, true, 2, 0, time.Second},
			{0, true, 1, 0, 2 * time.Second},
			{0, true, 0, 0, 3 * time.Second},
			{500 * time.Millisecond, false, 0, 500 * time.Millisecond, 2500 * time.Millisecond},
			{500 * time.Millisecond, true, 0, 0, 3 * time.Second},
			{0, false, 0, time.Second, 3 * time.Second},
		}},
		{"FullRefillAfterPeriod", []step{
			{0, true, 2, 0, time.Second},
			{0, true, 1, 0, 2 * time.Second},
			{0, true, 0, 0, 3 * time.Second},
			{time.Hour, true, 2, 0, time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeClock()
			m := newTestMemory(t, c)
			for i, s := range tt.steps {
				c.Advance(s.advance)
				r := mustAllow(t, m, "k", l)
				want := Result{Allowed: s.allowed, Limit: l, Remaining: s.remaining, RetryAfter: s.retryAfter, ResetAfter: s.resetAfter}
				if r != want {
					t.Fatalf("step %d: got %+v, want %+v", i, r, want)
				}
			}
		})
	}
}

func TestMemoryZeroBurstMeansRate(t *testing.T) {
	t.Parallel()
	m := newTestMemory(t, newFakeClock())
	l := Limit{Rate: 2, Period: time.Minute}
	for i, want := range []bool{true, true, false} {
		if got := mustAllow(t, m, "k", l).Allowed; got != want {
			t.Fatalf("event %d: allowed=%v, want %v", i, got, want)
		}
	}
}

func TestMemoryIndependentKeys(t *testing.T) {
	t.Parallel()
	m := newTestMemory(t, newFakeClock())
	l := PerMinute(1)
	if !mustAllow(t, m, "a", l).Allowed {
		t.Fatal("first event of a refused")
	}
	if mustAllow(t, m, "a", l).Allowed {
		t.Fatal("second event of a allowed")
	}
	if !mustAllow(t, m, "b", l).Allowed {
		t.Fatal("b throttled by a's events")
	}
}

func TestMemoryRetryAfterIsWhenNextEventFits(t *testing.T) {
	t.Parallel()
	c := newFakeClock()
	m := newTestMemory(t, c)
	l := PerMinute(10) // one event per 6 s
	for range 10 {
		mustAllow(t, m, "k", l)
	}
	c.Advance(time.Second)
	r := mustAllow(t, m, "k", l)
	if r.Allowed || r.RetryAfter != 5*time.Second {
		t.Fatalf("got %+v, want refused with RetryAfter 5s", r)
	}
	c.Advance(r.RetryAfter - time.Nanosecond)
	if mustAllow(t, m, "k", l).Allowed {
		t.Fatal("allowed before RetryAfter elapsed")
	}
	c.Advance(time.Nanosecond)
	if !mustAllow(t, m, "k", l).Allowed {
		t.Fatal("refused once RetryAfter elapsed")
	}
}

func TestMemoryErrors(t *testing.T) {
	t.Parallel()
	m := newTestMemory(t, newFakeClock())
	tests := []struct {
		name string
		key  string
		l    Limit
	}{
		{"ZeroRate", "k", Limit{Period: time.Second}},
		{"ZeroPeriod", "k", Limit{Rate: 1}},
		{"NegativeBurst", "k", Limit{Rate: 1, Period: time.Second, Burst: -1}},
		{"RateFinerThanNanosecond", "k", Limit{Rate: 10, Period: time.Nanosecond}},
		{"EmptyKey", "", PerSecond(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.Allow(context.Background(), tt.key, tt.l)
			if coffer.ErrorCode(err) != coffer.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
}

func TestMemoryJanitorDeletesExpiredEntries(t *testing.T) {
	t.Parallel()
	c := newFakeClock()
	m := newTestMemory(t, c)
	mustAllow(t, m, "short", PerSecond(1))
	mustAllow(t, m, "long", PerHour(1))
	m.sweep()
	if got := m.Len(); got != 2 {
		t.Fatalf("Len before expiry = %d, want 2", got)
	}
	c.Advance(time.Second)
	m.sweep()
	if got := m.Len(); got != 1 {
		t.Fatalf("Len after one second = %d, want 1", got)
	}
	c.Advance(time.Hour)
	m.sweep()
	if got := m.Len(); got != 0 {
		t.Fatalf("Len after one hour = %d, want 0", got)
	}
}

func TestMemoryJanitorRunsInBackground(t *testing.T) {
	t.Parallel()
	c := newFakeClock()
	m := NewMemory(WithClock(c.Now), WithJanitorInterval(time.Millisecond))
	defer m.Close()
	mustAllow(t, m, "k", PerSecond(1))
	c.Advance(time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for m.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("janitor did not delete the expired entry")
		}
		time.Sleep(time.Millisecond)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
}

// TestMemoryJanitorSurvivesPanic: a sweep that panics — before taking a
// shard lock (the clock) or holding one (a corrupt heap) — is logged and
// reported, leaves no shard locked, and the janitor sweeps again at the
// next tick.
func TestMemoryJanitorSurvivesPanic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// breakIt makes the next sweep panic; mend undoes it.
		breakIt, mend func(t *testing.T, m *Memory, armed *atomic.Bool)
	}{
		{"InTheClock",
			func(_ *testing.T, _ *Memory, armed *atomic.Bool) { armed.Store(true) },
			func(_ *testing.T, _ *Memory, armed *atomic.Bool) { armed.Store(false) }},
		{"UnderTheShardLock",
			func(t *testing.T, m *Memory, _ *atomic.Bool) { m.shards[0].setIdx(t, 1) }, // heap.Remove then indexes past the end
			func(t *testing.T, m *Memory, _ *atomic.Bool) { m.shards[0].setIdx(t, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeClock()
			var armed atomic.Bool
			now := func() time.Time {
				if armed.Load() {
					panic("clock exploded")
				}
				return c.Now()
			}
			var logs logtest.Buffer
			reported := make(chan struct{}, 1)
			m := NewMemory(WithClock(now), WithShards(1), WithJanitorInterval(time.Millisecond),
				WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
				WithPanicHook(func(context.Context, any, []byte) {
					select {
					case reported <- struct{}{}:
					default:
					}
				}))
			defer func() {
				if !t.Failed() { // a janitor stuck on a lock would hang Close
					_ = m.Close()
				}
			}()
			mustAllow(t, m, "old", PerSecond(1))
			tt.breakIt(t, m, &armed)
			c.Advance(time.Second) // "old" expires: the sweep reaches it
			select {
			case <-reported:
			case <-time.After(5 * time.Second):
				t.Fatal("no panic reported")
			}
			tt.mend(t, m, &armed)
			allowed := make(chan struct{})
			go func() {
				defer close(allowed)
				mustAllow(t, m, "new", PerSecond(1))
			}()
			select {
			case <-allowed:
			case <-time.After(5 * time.Second):
				t.Fatal("Allow hangs after the panic: the shard stayed locked")
			}
			c.Advance(time.Second)
			deadline := time.Now().Add(5 * time.Second)
			for m.Len() != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the janitor stopped sweeping after the panic: %d keys left", m.Len())
				}
				time.Sleep(time.Millisecond)
			}
			if out := logs.String(); !strings.Contains(out, `"job":"rate limit janitor"`) || !strings.Contains(out, "memory.go") {
				t.Errorf("panic not logged with its job and stack:\n%.2000s", out)
			}
		})
	}
}

// setIdx sets the heap position of the shard's first entry (a wrong one
// corrupts the heap), failing if the shard stays locked.
func (s *shard) setIdx(t *testing.T, i int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !s.mu.TryLock() {
		if time.Now().After(deadline) {
			t.Fatal("the shard stayed locked after the panic")
		}
		time.Sleep(time.Millisecond)
	}
	defer s.mu.Unlock()
	s.h[0].idx = i
}

func TestMemoryKeyFloodEvictsEarliestFirst(t *testing.T) {
	t.Parallel()
	c := newFakeClock()
	m := newTestMemory(t, c, WithShards(1), WithMaxKeys(100))
	abuser := Limit{Rate: 1, Period: time.Hour, Burst: 1}
	mustAllow(t, m, "abuser", abuser)
	if mustAllow(t, m, "abuser", abuser).Allowed {
		t.Fatal("abuser allowed twice")
	}
	for i := range 10_000 {
		mustAllow(t, m, fmt.Sprintf("flood-%d", i), PerSecond(1))
	}
	if got := m.Len(); got != 100 {
		t.Fatalf("Len = %d, want bound 100", got)
	}
	if mustAllow(t, m, "abuser", abuser).Allowed {
		t.Fatal("key flood evicted the throttled key")
	}
}

func TestMemoryConcurrentAllowCountsExactly(t *testing.T) {
	t.Parallel()
	m := newTestMemory(t, newFakeClock(), WithShards(4))
	l := Limit{Rate: 100, Period: time.Hour, Burst: 100}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				// Not mustAllow: t.Fatal must not run outside the test goroutine.
				if r, err := m.Allow(context.Background(), "shared", l); err == nil && r.Allowed {
					allowed.Add(1)
				}
				if _, err := m.Allow(context.Background(), fmt.Sprintf("own-%d-%d", g, i), l); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != 100 {
		t.Fatalf("allowed %d events, want exactly the burst of 100", got)
	}
}

func TestLimitConstructors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  Limit
		want Limit
	}{
		{"PerSecond", PerSecond(5), Limit{5, time.Second, 5}},
		{"PerMinute", PerMinute(5), Limit{5, time.Minute, 5}},
		{"PerHour", PerHour(5), Limit{5, time.Hour, 5}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := NewMemory(WithJanitorInterval(0))
	defer m.Close()
	l := PerSecond(1_000_000_000)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = m.Allow(ctx, "key", l)
		}
	})
}
