package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/events"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

// feedConn is one live feed connection. One goroutine (run) owns its
// subscriptions and writes its frames; a reader runs beside it, and each
// heartbeat ping waits for its pong in a goroutine of its own while it is
// in flight. They stop run through its context. An idle connection thus
// holds two goroutines: memory per connection is what bounds how many
// one instance holds (docs/benchmarks.md).
type feedConn struct {
	s        *Server
	ws       *websocket.Conn
	limits   FeedLimits
	log      *slog.Logger
	actor    coffer.Actor
	actorKey string // what the per-actor cap counts by

	// ctx carries the actor (for the service's checks) and ends the
	// connection; its cause is the closeReason to close with.
	ctx    context.Context
	cancel context.CancelCauseFunc
	// io bounds socket reads, writes and pings. It is not ctx: the
	// library closes the socket at once when an I/O context ends, and a
	// stopped connection must still send its close frame.
	io     context.Context
	ioDone context.CancelFunc

	sub     *events.Subscription
	in      chan clientMessage
	subs    map[string]*feedSub // by environment id
	pinging atomic.Bool         // a ping awaits its pong
	gaps    *time.Timer         // made when a revision first goes missing
}

// feedSub is one watched environment: floor is the revision its replay
// reached, so that live secret events at or below it — already replayed —
// are dropped; revs notices a revision that never arrives.
type feedSub struct {
	scope service.FeedScope
	floor int64
	revs  revisions
}

func newFeedConn(s *Server, ws *websocket.Conn, r *http.Request, limits FeedLimits) *feedConn {
	a := coffer.ActorFromContext(r.Context())
	key := feedActorKey(a)
	// The request's context ends with the handler; keep its values (actor,
	// origin, logger) under a cancellation of our own.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
	io, ioDone := context.WithCancel(context.WithoutCancel(r.Context()))
	return &feedConn{
		s: s, ws: ws, limits: limits, log: httpx.Logger(r.Context()),
		actor: a, actorKey: key, ctx: ctx, cancel: cancel, io: io, ioDone: ioDone,
		in:   make(chan clientMessage),
		subs: map[string]*feedSub{},
	}
}

// stop ends the connection with why; the first reason wins.
func (c *feedConn) stop(why closeReason) { c.cancel(why) }

// run serves the connection until it ends, then closes the socket with
// the status of the first reason it was stopped for.
func (c *feedConn) run() {
	c.sub = c.s.cfg.Events.Subscribe(events.Identity{
		UserID: c.actor.UserID, SessionID: c.actor.SessionID, TokenID: c.actor.TokenID,
	})
	defer c.sub.Close()
	defer c.ioDone()
	go c.read()
	heartbeat := time.NewTicker(c.limits.PingInterval)
	defer heartbeat.Stop()
	recheck := time.NewTicker(c.limits.RecheckInterval)
	defer recheck.Stop()
	for c.ctx.Err() == nil {
		select {
		case <-c.ctx.Done():
		case m := <-c.in:
			onOwnStack(func() { c.handle(m) })
		case <-c.sub.Ready():
			if e, ok := c.sub.Next(); ok {
				c.deliver(e)
			}
		case <-c.sub.Done():
			c.ended(c.sub.Err())
		case <-heartbeat.C:
			c.ping()
		case <-recheck.C:
			onOwnStack(func() { c.recheck("") })
		case <-c.gapTimer():
			c.checkGaps()
		}
	}
	var why closeReason
	if errors.As(context.Cause(c.ctx), &why) {
		_ = c.ws.Close(why.code, why.reason)
		return
	}
	_ = c.ws.CloseNow() // the peer is gone or broke the protocol
}

// onOwnStack runs fn on a goroutine of its own and waits for it. The
// database work of a subscription or a recheck grows a stack to tens of
// KiB, and a goroutine's stack only halves at each garbage collection:
// run's stack would stay that size for most of an idle connection's life.
// A panic in fn is raised again here, with fn's stack in its value.
func onOwnStack(fn func()) {
	var panicked any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				panicked = fmt.Sprintf("%v\n\n%s", v, debug.Stack())
			}
		}()
		fn()
	}()
	<-done
	if panicked != nil {
		panic(panicked)
	}
}

// ended handles the broker ending the subscription.
func (c *feedConn) ended(err error) {
	if errors.Is(err, events.ErrOverflow) {
		c.s.cfg.Metrics.WSSlowConsumerClosed()
		c.stop(closeSlow)
		return
	}
	c.stop(closeResync)
}

// read turns client frames into messages for run. Reading is also what
// lets the library answer pings and see pongs and close frames.
func (c *feedConn) read() {
	for {
		typ, data, err := c.ws.Read(c.io)
		if err != nil {
			c.cancel(err) // a closed peer, an oversized frame (closed 1009 by the library) or our own stop
			return
		}
		if typ != websocket.MessageText {
			c.stop(closeBadFrame)
			return
		}
		var m clientMessage
		if err := json.Unmarshal(data, &m); err != nil {
			m = clientMessage{Type: ""} // answered as a bad message
		}
		select {
		case c.in <- m:
		case <-c.ctx.Done():
			return
		}
	}
}

// ping sends a heartbeat (run calls it every PingInterval) and ends the
// connection when the pong does not come back within the same interval: a
// peer that vanished without a close would otherwise hold its slot
// forever. The wait runs in a goroutine that lives only while the ping is
// in flight (the pong arrives through read), so that an idle connection
// holds no goroutine for its heartbeat.
func (c *feedConn) ping() {
	if !c.pinging.CompareAndSwap(false, true) {
		return // the previous ping still waits; its timeout decides
	}
	go func() {
		defer c.pinging.Store(false)
		ctx, cancel := context.WithTimeout(c.io, c.limits.PingInterval)
		defer cancel()
		if err := c.ws.Ping(ctx); err != nil {
			c.cancel(err)
		}
	}()
}

// send writes one frame within the write timeout; a failure ends the
// connection (the library has closed it).
func (c *feedConn) send(m feedMessage) bool {
	b, err := json.Marshal(m)
	if err != nil {
		c.cancel(err)
		return false
	}
	ctx, cancel := context.WithTimeout(c.io, c.limits.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.cancel(err)
		return false
	}
	return true
}

func (c *feedConn) sendEvent(e coffer.Event) {
	if c.send(eventMessage(e)) {
		c.s.cfg.Metrics.WSEventsSent(1)
	}
}

// feedActorKey is what the per-actor cap counts a connection under: the
// user across all its sessions, or the token.
func feedActorKey(a coffer.Actor) string {
	if a.IsUser() {
		return "user:" + a.UserID
	}
	return "token:" + a.TokenID
}
