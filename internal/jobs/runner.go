// Package jobs runs Coffer's background work on one instance at a time.
// Every instance runs a Runner; for each job they compete for a lease in
// the database, and only the holder runs the job. The holder renews its
// lease while it lives and releases it when it stops, so that another
// instance takes over at once after a clean shutdown and within about one
// lease TTL after a crash (kill -9, lost machine).
package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Leaser takes and gives up named leases; *store.Store implements it. One
// statement decides each acquisition, so two instances never both win.
type Leaser interface {
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Job is periodic work that must not run on two instances at once.
type Job struct {
	Name  string        // also the lease name and the metrics label
	Every time.Duration // how often the lease holder runs it
	// Run does the work. Its context ends before the lease could lapse,
	// so a run never overlaps one on another instance.
	Run func(ctx context.Context) error
}

// Outcomes of a run, as counted by Config.OnRun.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Config is what a Runner needs. Leases, Holder and TTL are required.
type Config struct {
	Leases Leaser
	// Holder names this instance in the leases table; it must differ
	// between instances (host, process id and a random part).
	Holder string
	// TTL is how long a lease lasts unless renewed. The runner renews
	// every TTL/3, so a holder that dies is replaced within about
	// TTL + TTL/3. Instance clocks must agree to well within TTL.
	TTL    time.Duration
	Logger *slog.Logger
	// OnRun and OnLeader report to metrics; either may be nil.
	OnRun    func(job, outcome string)
	OnLeader func(job string, leader bool)
	// Go starts a goroutine; Main passes one that recovers panics. Nil
	// uses a plain go statement.
	Go  func(name string, fn func())
	Now func() time.Time
}

// Runner runs jobs under leases until Stop.
type Runner struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	held map[string]bool // lease names this instance holds now
}

// New returns a Runner; Start adds jobs to it.
func New(cfg Config) *Runner {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Go == nil {
		cfg.Go = func(_ string, fn func()) { go fn() }
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{cfg: cfg, ctx: ctx, cancel: cancel, held: map[string]bool{}}
}

// Start runs each job in a goroutine of its own.
func (r *Runner) Start(jobs ...Job) {
	for _, j := range jobs {
		r.wg.Add(1)
		r.cfg.Go("job "+j.Name, func() {
			defer r.wg.Done()
			r.loop(j)
		})
	}
}

// Stop ends every loop, waits for a run in progress (up to ctx), then
// releases the leases this instance held so that another takes over
// without waiting for them to expire.
func (r *Runner) Stop(ctx context.Context) {
	r.cancel()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.cfg.Logger.Warn("background jobs still running at shutdown")
	}
	// Released even when ctx is already done: a lease left behind makes
	// the other instances wait a whole TTL.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	for name := range r.held {
		if err := r.cfg.Leases.ReleaseLease(ctx, name, r.cfg.Holder); err != nil {
			r.cfg.Logger.Warn("release job lease", "job", name, "error", err)
		}
		r.leader(name, false)
	}
}

// loop tries for the lease every TTL/3 and runs the job when it holds the
// lease and the job is due. A new holder runs the job at once: it cannot
// know when the previous holder last did, and every job is idempotent.
func (r *Runner) loop(j Job) {
	renew := r.cfg.TTL / 3
	tick := time.NewTicker(renew)
	defer tick.Stop()
	var lastRun time.Time
	for {
		held := r.acquire(j.Name)
		if !held {
			lastRun = time.Time{}
		} else if now := r.cfg.Now(); lastRun.IsZero() || now.Sub(lastRun) >= j.Every {
			lastRun = now
			r.run(j, r.cfg.TTL-renew)
		}
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// acquire takes or renews the lease and reports whether this instance
// holds it. A database error counts as not holding: better to skip a run
// than to risk two.
func (r *Runner) acquire(name string) bool {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.TTL/3)
	defer cancel()
	ok, err := r.cfg.Leases.AcquireLease(ctx, name, r.cfg.Holder, r.cfg.Now(), r.cfg.TTL)
	if err != nil && r.ctx.Err() == nil {
		r.cfg.Logger.Warn("acquire job lease", "job", name, "error", err)
	}
	ok = ok && err == nil
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok != r.held[name] {
		r.cfg.Logger.Info("job lease", "job", name, "held", ok, "holder", r.cfg.Holder)
	}
	if ok {
		r.held[name] = true
	} else {
		delete(r.held, name)
	}
	r.leader(name, ok)
	return ok
}

func (r *Runner) leader(name string, held bool) {
	if r.cfg.OnLeader != nil {
		r.cfg.OnLeader(name, held)
	}
}

// run runs j once with a deadline inside the lease just renewed.
func (r *Runner) run(j Job, limit time.Duration) {
	ctx, cancel := context.WithTimeout(r.ctx, limit)
	defer cancel()
	outcome := OutcomeSuccess
	if err := j.Run(ctx); err != nil {
		outcome = OutcomeFailure
		r.cfg.Logger.Error("background job failed", "job", j.Name, "error", err)
	}
	if r.cfg.OnRun != nil {
		r.cfg.OnRun(j.Name, outcome)
	}
}
