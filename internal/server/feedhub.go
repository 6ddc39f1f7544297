package server

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/recovery"
)

// The hub's two wheels, heartbeat and recheck, each turn one slot a tick.
// Every connection sits in one slot of each, so that it is pinged once per
// PingInterval and rechecked once per RecheckInterval, and a tick's work
// is a small share of the connections: 10,000 of them cost neither 20,000
// timers nor a burst of work once an interval.
const (
	heartbeatSlots = 20 // a tick every PingInterval/20: 1 s by default
	recheckSlots   = 60 // a tick every RecheckInterval/60: 1 s by default
)

// feedHub tracks the open feed connections of this server: for the
// per-actor cap, for closing them all on shutdown, and for the timing
// they share. Its wheels run on a goroutine each while connections are
// open.
type feedHub struct {
	s      *Server
	limits FeedLimits

	mu       sync.Mutex
	conns    map[*feedConn]struct{}
	perActor map[string]int
	closing  bool
	joined   int           // connections ever joined: spreads them over the heartbeat slots
	stop     chan struct{} // closed to stop the wheels; nil while they do not run
	wg       sync.WaitGroup
}

func newFeedHub(s *Server, limits FeedLimits) *feedHub {
	return &feedHub{s: s, limits: limits.withDefaults(), conns: map[*feedConn]struct{}{}, perActor: map[string]int{}}
}

// reserve counts one more connection for key unless the server is shutting
// down or key is at its cap; the error is the reason to close with. It runs
// before the upgrade, so that connections are counted in the order their
// handshakes are answered: the one over the cap is always the newest.
func (h *feedHub) reserve(key string, max int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return closeShutdown
	}
	if h.perActor[key] >= max {
		return closeTooMany
	}
	h.perActor[key]++
	return nil
}

// release gives back a reservation that never became a connection.
func (h *feedHub) release(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unreserve(key)
}

func (h *feedHub) unreserve(key string) {
	if h.perActor[key]--; h.perActor[key] <= 0 {
		delete(h.perActor, key)
	}
}

// join registers c, which holds a reservation, unless the server started
// shutting down meanwhile, and puts it on the wheels.
func (h *feedHub) join(c *feedConn) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		h.unreserve(feedActorKey(c.actor))
		return closeShutdown
	}
	c.beatSlot = h.joined % heartbeatSlots
	c.recheckSlot = recheckSlot(c)
	h.joined++
	h.conns[c] = struct{}{}
	h.wg.Add(1)
	h.s.cfg.Metrics.WSConnected()
	if h.stop == nil {
		h.stop = make(chan struct{})
		stop := h.stop
		httpx.Go(h.s.log, "live feed heartbeat", func() { h.beat(stop) }, h.s.cfg.Telemetry.PanicHook)
		httpx.Go(h.s.log, "live feed recheck wheel", func() { h.recheck(stop) }, h.s.cfg.Telemetry.PanicHook)
	}
	return nil
}

// leave takes c off the hub; the wheels stop with the last connection.
func (h *feedHub) leave(c *feedConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; !ok {
		return
	}
	delete(h.conns, c)
	h.unreserve(feedActorKey(c.actor))
	h.s.cfg.Metrics.WSDisconnected()
	if len(h.conns) == 0 && h.stop != nil {
		close(h.stop)
		h.stop = nil
	}
	h.wg.Done()
}

// recheckSlot puts every connection of one credential in the same slot,
// so that a pass checks the credential once for all of them.
func recheckSlot(c *feedConn) int {
	f := fnv.New32a()
	_, _ = f.Write([]byte(c.actor.SessionID))
	_, _ = f.Write([]byte{0})
	_, _ = f.Write([]byte(c.actor.TokenID))
	return int(f.Sum32() % recheckSlots)
}

// beat pings the connections of one heartbeat slot per tick until stop
// is closed. A panic in one connection's ping is reported and ends that
// connection; the wheel turns on, since every other connection's
// liveness depends on it.
func (h *feedHub) beat(stop <-chan struct{}) {
	tick := time.NewTicker(slotLength(h.limits.PingInterval, heartbeatSlots))
	defer tick.Stop()
	for slot := 0; ; slot = (slot + 1) % heartbeatSlots {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for _, c := range h.inSlot(func(c *feedConn) bool { return c.beatSlot == slot }) {
			if err := recovery.Do(h.s.log, "live feed heartbeat", c.ping, h.s.cfg.Telemetry.PanicHook); err != nil {
				c.abort(err)
			}
		}
	}
}

// recheck rechecks the connections of one recheck slot per tick until
// stop is closed. A pass runs to its end before the next starts: while
// the database is slower than a tick, passes come late (the ticker drops
// the ticks missed) rather than pile up.
func (h *feedHub) recheck(stop <-chan struct{}) {
	tick := time.NewTicker(slotLength(h.limits.RecheckInterval, recheckSlots))
	defer tick.Stop()
	for slot := 0; ; slot = (slot + 1) % recheckSlots {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		conns := h.inSlot(func(c *feedConn) bool { return c.recheckSlot == slot })
		if len(conns) == 0 {
			continue
		}
		// On a goroutine of its own, so that a panic in a pass is
		// reported and the wheel turns on; waited for, so that passes
		// do not pile up.
		done := make(chan struct{})
		httpx.Go(h.s.log, "live feed recheck", func() {
			defer close(done)
			h.s.recheckFeeds(conns)
		}, h.s.cfg.Telemetry.PanicHook)
		<-done
	}
}

func slotLength(interval time.Duration, slots int) time.Duration {
	return max(interval/time.Duration(slots), time.Millisecond)
}

// inSlot returns the open connections for which in returns true.
func (h *feedHub) inSlot(in func(*feedConn) bool) []*feedConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var conns []*feedConn
	for c := range h.conns {
		if in(c) {
			conns = append(conns, c)
		}
	}
	return conns
}

// CloseFeeds closes every live feed connection with 1001 (going away) and
// refuses new ones, then waits until they are closed or ctx ends. Call it
// on shutdown before http.Server.Shutdown, which does not track hijacked
// connections.
func (s *Server) CloseFeeds(ctx context.Context) error {
	h := s.feeds
	h.mu.Lock()
	h.closing = true
	for c := range h.conns {
		c.stop(closeShutdown)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// FeedConnections returns the number of open feed connections.
func (s *Server) FeedConnections() int {
	s.feeds.mu.Lock()
	defer s.feeds.mu.Unlock()
	return len(s.feeds.conns)
}
