package ratelimit

import (
	"container/heap"
	"context"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/recovery"
)

// Memory is an in-process Limiter implementing GCRA (the generic cell rate
// algorithm).
//
// GCRA rather than a golang.org/x/time/rate.Limiter per key: GCRA keeps a
// single timestamp per key (the "theoretical arrival time", TAT), so an
// entry is a few words instead of a mutex and float state, Remaining,
// RetryAfter and ResetAfter fall out of integer arithmetic exactly, and the
// same algorithm runs unchanged as a Redis script, so both implementations
// agree to the nanosecond.
//
// An entry whose TAT has passed carries no information (the key is back to
// its full burst), so deleting it is lossless; the janitor deletes those,
// which is never later than one period after the key's last event when
// Burst equals Rate. When the key count reaches its bound, the entry with
// the earliest TAT — the one closest to forgetting anyway — is evicted
// first: a flood of fresh keys evicts other fresh keys, never the heavily
// throttled key of the client that is flooding.
type Memory struct {
	shards []shard
	seed   maphash.Seed
	now    func() time.Time
	epoch  time.Time

	log       *slog.Logger
	panicHook recovery.Hook
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once
}

// Option configures a Memory.
type Option func(*memoryConfig)

type memoryConfig struct {
	maxKeys  int
	shards   int
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
	hook     recovery.Hook
}

// WithMaxKeys bounds the number of keys held at once (default 1,000,000:
// about 150 bytes each plus the key, so a key flood costs a bounded few
// hundred MB at worst).
func WithMaxKeys(n int) Option { return func(c *memoryConfig) { c.maxKeys = n } }

// WithShards sets the number of independently locked shards (default 32).
func WithShards(n int) Option { return func(c *memoryConfig) { c.shards = n } }

// WithJanitorInterval sets how often expired entries are deleted (default
// one minute); zero or less disables the janitor.
func WithJanitorInterval(d time.Duration) Option { return func(c *memoryConfig) { c.interval = d } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(c *memoryConfig) { c.now = now } }

// WithLogger sets where a panic recovered in the janitor is logged
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *memoryConfig) { c.log = l } }

// WithPanicHook passes a panic recovered in the janitor to hook (the error
// reporter) besides the log.
func WithPanicHook(hook recovery.Hook) Option { return func(c *memoryConfig) { c.hook = hook } }

// NewMemory returns a Memory limiter and starts its janitor; call Close to
// stop it.
func NewMemory(opts ...Option) *Memory {
	cfg := memoryConfig{maxKeys: 1_000_000, shards: 32, interval: time.Minute, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = slog.Default()
	}
	cfg.shards = max(cfg.shards, 1)
	perShard := max(cfg.maxKeys/cfg.shards, 1)
	m := &Memory{
		shards:    make([]shard, cfg.shards),
		seed:      maphash.MakeSeed(), // a random seed: nobody can aim keys at one shard
		now:       cfg.now,
		epoch:     cfg.now(),
		log:       cfg.log,
		panicHook: cfg.hook,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	for i := range m.shards {
		m.shards[i].keys = make(map[string]*entry)
		m.shards[i].max = perShard
	}
	if cfg.interval > 0 {
		go m.janitor(cfg.interval)
	} else {
		close(m.done)
	}
	return m
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, l Limit) (Result, error) {
	if err := l.Validate(); err != nil {
		return Result{}, err
	}
	if key == "" {
		return Result{}, coffer.Errorf(coffer.EINVALID, "rate limit key must not be empty")
	}
	// Durations since epoch keep the monotonic clock reading of time.Now.
	now := m.now().Sub(m.epoch)
	s := &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allow(key, l, now), nil
}

// Len returns the number of keys held.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.keys)
		s.mu.Unlock()
	}
	return n
}

// Close stops the janitor. It is safe to call more than once; Allow keeps
// working after Close.
func (m *Memory) Close() error {
	m.once.Do(func() { close(m.stop) })
	<-m.done
	return nil
}

func (m *Memory) janitor(every time.Duration) {
	defer close(m.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			// A panic in a sweep is logged and reported, and the next
			// tick sweeps again: until then expired entries stay, which
			// costs memory, not correctness.
			_ = recovery.Do(m.log, "rate limit janitor", m.sweep, m.panicHook)
		}
	}
}

// sweep deletes every entry whose TAT has passed.
func (m *Memory) sweep() {
	now := m.now().Sub(m.epoch)
	for i := range m.shards {
		m.shards[i].expire(now)
	}
}

// expire deletes the shard's entries whose TAT is not after now. The
// deferred unlock matters: a panic must not leave the shard locked, which
// would hang every later Allow on it.
func (s *shard) expire(now time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.h.Len() > 0 && s.h[0].tat <= now {
		s.remove(s.h[0])
	}
}

type shard struct {
	mu   sync.Mutex
	keys map[string]*entry
	h    tatHeap // min-heap by TAT: the janitor and eviction take from the top
	max  int
}

type entry struct {
	key string
	tat time.Duration // theoretical arrival time, relative to Memory.epoch
	idx int           // position in the heap
}

func (s *shard) allow(key string, l Limit, now time.Duration) Result {
	interval := l.interval()
	tolerance := interval * time.Duration(l.burst())
	e := s.keys[key]
	tat := now
	if e != nil && e.tat > now {
		tat = e.tat
	}
	newTAT := tat + interval
	if allowAt := newTAT - tolerance; allowAt > now {
		return Result{Limit: l, RetryAfter: allowAt - now, ResetAfter: tat - now}
	}
	if e == nil {
		if len(s.keys) >= s.max {
			s.remove(s.h[0])
		}
		e = &entry{key: key}
		s.keys[key] = e
		e.tat = newTAT
		heap.Push(&s.h, e)
	} else {
		e.tat = newTAT
		heap.Fix(&s.h, e.idx)
	}
	return Result{
		Allowed:    true,
		Limit:      l,
		Remaining:  int((tolerance - (newTAT - now)) / interval),
		ResetAfter: newTAT - now,
	}
}

func (s *shard) remove(e *entry) {
	heap.Remove(&s.h, e.idx)
	delete(s.keys, e.key)
}

// tatHeap implements heap.Interface over entries ordered by TAT.
type tatHeap []*entry

func (h tatHeap) Len() int           { return len(h) }
func (h tatHeap) Less(i, j int) bool { return h[i].tat < h[j].tat }
func (h tatHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

func (h *tatHeap) Push(x any) {
	e := x.(*entry)
	e.idx = len(*h)
	*h = append(*h, e)
}

func (h *tatHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
