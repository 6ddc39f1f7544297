package httpx

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineCtx is a request's context with a deadline whose timer starts
// only when something waits for it. A request that finishes without anyone
// calling Done — every cached bulk read — costs no timer, no registration
// with its parent and no cancel, which context.WithTimeout charged every
// request (the most expensive layer of the chain under load). The first
// Done, or an Err past the deadline, starts a context.WithDeadline under
// it, and from then on every method answers from that one: its channel,
// its error, its cause. Once stopped (the handler returned) it is
// cancelled, as a WithTimeout context is by its deferred cancel.
type deadlineCtx struct {
	context.Context // the request's own context
	at              time.Time

	mu      sync.Mutex                      // serialises starting the timer
	timed   atomic.Pointer[context.Context] // set once by start
	cancel  context.CancelFunc              // guarded by mu
	stopped atomic.Bool
}

func withLazyDeadline(parent context.Context, at time.Time) *deadlineCtx {
	return &deadlineCtx{Context: parent, at: at}
}

// Deadline returns the earlier of the request's deadline and its parent's.
func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.at) {
		return d, true
	}
	return c.at, true
}

// Done starts the timer and returns its channel, closed at the deadline or
// when the parent is done.
func (c *deadlineCtx) Done() <-chan struct{} { return c.start().Done() }

// Err is nil until the deadline or the parent ends the context.
func (c *deadlineCtx) Err() error {
	if t := c.timed.Load(); t != nil {
		return (*t).Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !c.stopped.Load() && time.Now().Before(c.at) {
		return nil
	}
	return c.start().Err() // expired or stopped: the timed context says so, and keeps the cause
}

// Value answers through the timed context once there is one, so that
// context.Cause and derived contexts find its cancellation.
func (c *deadlineCtx) Value(key any) any {
	if t := c.timed.Load(); t != nil {
		return (*t).Value(key)
	}
	return c.Context.Value(key)
}

func (c *deadlineCtx) start() context.Context {
	if t := c.timed.Load(); t != nil {
		return *t
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.timed.Load(); t != nil {
		return *t
	}
	timed, cancel := context.WithDeadline(c.Context, c.at)
	if c.stopped.Load() {
		cancel()
	}
	c.cancel = cancel
	c.timed.Store(&timed)
	return timed
}

// stop cancels the context: it releases the timer if one was started, and
// a wait begun later finds the context already done (context.Canceled).
func (c *deadlineCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped.Store(true)
	if c.cancel != nil {
		c.cancel()
	}
}
