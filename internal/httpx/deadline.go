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
// its error, its cause.
type deadlineCtx struct {
	context.Context // the request's own context
	at              time.Time

	mu     sync.Mutex                      // serialises starting the timer
	timed  atomic.Pointer[context.Context] // set once by start
	cancel context.CancelFunc              // guarded by mu
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
	if time.Now().Before(c.at) {
		return nil
	}
	return c.start().Err() // expired: the timed context says so, and keeps the cause
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
	c.cancel = cancel
	c.timed.Store(&timed)
	return timed
}

// stop releases the timer, if one was started; the context then reports
// context.Canceled, as a cancelled WithTimeout does.
func (c *deadlineCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}
