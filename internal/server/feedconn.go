package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/events"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

// feedConn is one live feed connection. Memory per connection is what
// bounds how many one instance holds (docs/benchmarks.md), so an idle one
// holds a single goroutine: its reader, blocked in the WebSocket library's
// Read, which is also what answers the peer's pings and sees its pongs.
// Everything else runs on short-lived goroutines while there is work:
//
//   - events: the subscription calls kick, which starts a drain unless one
//     runs already;
//   - heartbeats and the periodic recheck: the hub's shared wheels
//     (feedhub.go), not timers per connection;
//   - a revision gone missing: a timer made when the first one does.
//
// They take mu to use the connection's state and to send, one at a time,
// so that frames go out in order.
type feedConn struct {
	s      *Server
	ws     *websocket.Conn
	limits *FeedLimits // the hub's
	log    feedLogger
	actor  coffer.Actor
	// ctx carries the actor, for the service's checks. It is never
	// cancelled: a connection's database work is short and finishes on
	// its own after a stop (its frames then fail to send), and a context
	// that ends with the connection would keep bookkeeping of its
	// children for the connection's whole life.
	ctx context.Context
	sub *events.Subscription

	mu   sync.Mutex  // guards the subscriptions' state and gaps; held while sending
	subs feedSubs    // set under mu and smu; what is within its length never changes
	smu  sync.Mutex  // guards subs itself, for the recheck's look at the scopes
	gaps *time.Timer // made when a revision first goes missing

	draining atomic.Bool // a drain runs or is starting
	pinging  atomic.Bool // a ping awaits its pong
	closing  atomic.Bool // stop or abort was called

	// Set by the hub when the connection joins: its slots on the hub's
	// heartbeat and recheck wheels.
	beatSlot, recheckSlot int
}

// feedSub is one watched environment: floor is the revision its replay
// reached, so that live secret events at or below it — already replayed —
// are dropped; revs notices a revision that never arrives.
type feedSub struct {
	scope service.FeedScope
	floor int64
	revs  revisions
}

// feedSubs are a connection's subscriptions, at most MaxSubscriptions. A
// slice rather than a map: most connections watch one or two
// environments, and a map holds a few hundred bytes even for one.
type feedSubs []*feedSub

// get returns the subscription of environment envID, or nil.
func (fs feedSubs) get(envID string) *feedSub {
	for _, s := range fs {
		if s.scope.EnvironmentID == envID {
			return s
		}
	}
	return nil
}

// without returns the subscriptions but the one of envID, in a new slice:
// a loop ranging over the old one, dropping as it goes, sees every
// element.
func (fs feedSubs) without(envID string) feedSubs {
	var kept feedSubs
	for _, s := range fs {
		if s.scope.EnvironmentID != envID {
			kept = append(kept, s)
		}
	}
	return kept
}

// setSubs replaces the subscriptions; callers hold mu.
func (c *feedConn) setSubs(subs feedSubs) {
	c.smu.Lock()
	defer c.smu.Unlock()
	c.subs = subs
}

// scopes returns what the connection watches, without waiting for its
// work in progress. A subscription's scope never changes.
func (c *feedConn) scopes() []service.FeedScope {
	c.smu.Lock()
	subs := c.subs
	c.smu.Unlock()
	scopes := make([]service.FeedScope, len(subs))
	for i, fs := range subs {
		scopes[i] = fs.scope
	}
	return scopes
}

// feedLogger logs for one connection, with the request id of its
// handshake. Not a *slog.Logger made by With: that copies the handler's
// state, and every connection would hold its copy for life.
type feedLogger struct {
	l         *slog.Logger
	requestID string
}

// LogAttrs logs msg with attrs and the connection's request id.
func (f feedLogger) LogAttrs(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	f.l.LogAttrs(ctx, level, msg, append(attrs, slog.String("request_id", f.requestID))...)
}

// newFeedConn makes the connection and its subscription; start runs it.
// It keeps nothing of the request but the actor and the request id: the
// request's context holds the whole middleware chain's values.
func newFeedConn(s *Server, ws *websocket.Conn, r *http.Request) *feedConn {
	a := coffer.ActorFromContext(r.Context())
	c := &feedConn{
		s: s, ws: ws, limits: &s.feeds.limits, actor: a,
		log: feedLogger{l: s.log, requestID: httpx.RequestIDFrom(r.Context())},
		ctx: coffer.NewContextWithActor(context.Background(), a),
	}
	c.sub = s.cfg.Events.Subscribe(events.Identity{
		UserID: a.UserID, SessionID: a.SessionID, TokenID: a.TokenID,
	}, c.kick)
	return c
}

// start runs the connection's reader; the rest starts when there is work.
func (c *feedConn) start() { c.spawn(c.read) }

// stop ends the connection with why, sent in the close frame; the first
// reason (or abort) wins.
func (c *feedConn) stop(why closeReason) { c.end(why) }

// abort ends the connection without a close frame: the peer is gone or
// broke the protocol, or a frame could not be sent.
func (c *feedConn) abort(err error) { c.end(err) }

func (c *feedConn) end(cause error) {
	if c.closing.CompareAndSwap(false, true) {
		httpx.Go(c.log.l, "live feed close", func() { c.finish(cause) }, c.s.cfg.Telemetry.PanicHook)
	}
}

func (c *feedConn) stopped() bool { return c.closing.Load() }

// finish closes the socket with cause's status, which also ends the
// reader, and takes the connection off the broker and the hub. Work that
// is running finishes on its own; what it sends fails.
func (c *feedConn) finish(cause error) {
	// Deferred: even if closing panics, the slot is given back and
	// CloseFeeds does not wait for this connection forever.
	defer c.s.feeds.leave(c)
	c.sub.Close()
	var why closeReason
	if errors.As(cause, &why) {
		_ = c.ws.Close(why.code, why.reason)
	} else {
		_ = c.ws.CloseNow()
	}
}

// exec runs fn with the connection's state, unless the connection is
// closing.
func (c *feedConn) exec(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped() {
		fn()
	}
}

// spawn runs fn on a goroutine of its own. A panic in fn ends the
// connection and is logged and reported as one in any background job.
func (c *feedConn) spawn(fn func()) {
	httpx.Go(c.log.l, "live feed", func() {
		done := false
		defer func() {
			if !done { // panicking: httpx.Go recovers after this
				c.abort(errors.New("live feed: panic"))
			}
		}()
		fn()
		done = true
	}, c.s.cfg.Telemetry.PanicHook)
}

// onOwnStack runs fn on a goroutine of its own and waits for it. The
// reader calls it for the client's messages: a subscription's database
// work grows a stack to tens of KiB, and a goroutine's stack only halves
// at each garbage collection, so the reader's would stay that size for
// most of an idle connection's life. A panic in fn is raised again here,
// with fn's stack in its value.
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

// read turns client frames into handled messages, one at a time: the next
// frame is read once the last is answered. It is the one goroutine an idle
// connection holds, and it ends when the socket closes.
func (c *feedConn) read() {
	for {
		// No context: the library would watch it with a callback per
		// read, and closing the socket ends the read anyway.
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.abort(err) // a closed peer, an oversized frame (closed 1009 by the library) or our own stop
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
		onOwnStack(func() { c.exec(func() { c.handle(m) }) })
	}
}

// kick is the subscription's notification that an event is queued or that
// it ended. It runs under the broker's locks, so it only starts a drain,
// unless one runs already: that one sees the event (see drain).
func (c *feedConn) kick() {
	if c.draining.CompareAndSwap(false, true) {
		c.spawn(c.drain)
	}
}

// drain delivers the queued events, then ends. An event queued after its
// last Next and before draining is cleared has had its kick refused; the
// Pending check after clearing sees it and drains again.
func (c *feedConn) drain() {
	for {
		c.exec(func() {
			if err := c.sub.Err(); err != nil {
				c.ended(err)
				return
			}
			for e, ok := c.sub.Next(); ok && !c.stopped(); e, ok = c.sub.Next() {
				c.deliver(e)
			}
		})
		c.draining.Store(false)
		if c.stopped() || !c.sub.Pending() || !c.draining.CompareAndSwap(false, true) {
			return
		}
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

// ping is the connection's heartbeat: the hub's heartbeat wheel calls it
// every PingInterval. A ping still unanswered from the last call means the
// peer vanished without a close, which would otherwise hold its slot
// forever: the connection ends. Otherwise it sends a ping, and a goroutine waits
// for the pong (which arrives through read) while it is in flight, with no
// timer or context: the next call is its deadline.
func (c *feedConn) ping() {
	if c.stopped() {
		return
	}
	if !c.pinging.CompareAndSwap(false, true) {
		c.abort(errPongMissing)
		return
	}
	c.spawn(func() {
		if err := c.ws.Ping(context.Background()); err != nil {
			c.abort(err) // closed meanwhile, by us or the peer
			return
		}
		c.pinging.Store(false)
	})
}

var errPongMissing = errors.New("live feed: no pong within the ping interval")

// send writes one frame within the write timeout; a failure ends the
// connection (the library has closed it). Callers hold mu.
func (c *feedConn) send(m feedMessage) bool {
	b, err := json.Marshal(m)
	if err != nil {
		c.abort(err)
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.limits.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.abort(err)
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
