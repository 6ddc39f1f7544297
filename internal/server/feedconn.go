package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/events"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

// feedConn is one live feed connection. One goroutine (run) owns its
// subscriptions and writes its frames; a reader and a heartbeat run beside
// it and stop it through its context.
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

	sub  *events.Subscription
	in   chan clientMessage
	subs map[string]*feedSub // by environment id
}

// feedSub is one watched environment: floor is the revision its replay
// reached, so that live secret events at or below it — already replayed —
// are dropped.
type feedSub struct {
	scope service.FeedScope
	floor int64
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
	go c.heartbeat()
	recheck := time.NewTicker(c.limits.RecheckInterval)
	defer recheck.Stop()
	for c.ctx.Err() == nil {
		select {
		case <-c.ctx.Done():
		case m := <-c.in:
			c.handle(m)
		case e := <-c.sub.Events():
			c.deliver(e)
		case <-c.sub.Done():
			c.ended(c.sub.Err())
		case <-recheck.C:
			c.recheck("")
		}
	}
	var why closeReason
	if errors.As(context.Cause(c.ctx), &why) {
		_ = c.ws.Close(why.code, why.reason)
		return
	}
	_ = c.ws.CloseNow() // the peer is gone or broke the protocol
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

// heartbeat pings every PingInterval and ends the connection when a pong
// does not come back within the same interval: a peer that vanished
// without a close would otherwise hold its slot (and its queue) forever.
func (c *feedConn) heartbeat() {
	t := time.NewTicker(c.limits.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.io, c.limits.PingInterval)
		err := c.ws.Ping(ctx)
		cancel()
		if err != nil {
			c.cancel(err)
			return
		}
	}
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
