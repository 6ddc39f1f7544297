package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/httpx"
)

// FeedLimits bounds the live feed; a zero field takes its default.
type FeedLimits struct {
	// MaxConnsPerActor caps the open feeds of one user (all its sessions
	// and personal tokens) or one service token on this instance
	// (default 20).
	MaxConnsPerActor int
	// MaxSubscriptions caps the environments one connection watches
	// (default 100).
	MaxSubscriptions int
	// MaxMessageBytes caps a client frame (default 4 KiB); a larger one
	// closes the connection with 1009.
	MaxMessageBytes int64
	// PingInterval is the heartbeat period (default 20 s); a pong missing
	// for as long closes the connection. The hub pings a twentieth of the
	// connections every twentieth of it.
	PingInterval time.Duration
	// RecheckInterval bounds how long a connection goes without its
	// credential and subscriptions being checked again unprompted
	// (default 1 min): a session that merely expires announces nothing.
	// Revocations are events and close feeds at once; this is the
	// fallback. The hub rechecks a sixtieth of the connections every
	// sixtieth of it, each credential once for all its connections.
	RecheckInterval time.Duration
	// WriteTimeout bounds each frame sent (default 10 s).
	WriteTimeout time.Duration
	// GapGrace is how long a missing revision may stay missing while a
	// later one is known before its event counts as lost and the
	// connection is closed with 1013 resync (default 2 s): events of
	// concurrent writes may arrive slightly out of order.
	GapGrace time.Duration
}

func (l FeedLimits) withDefaults() FeedLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxConnsPerActor, 20)
	def(&l.MaxSubscriptions, 100)
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = 4 << 10
	}
	defDur(&l.PingInterval, 20*time.Second)
	defDur(&l.RecheckInterval, time.Minute)
	defDur(&l.WriteTimeout, 10*time.Second)
	defDur(&l.GapGrace, 2*time.Second)
	return l
}

// Close statuses the feed ends connections with, and why.
var (
	closeShutdown = closeReason{websocket.StatusGoingAway, "server shutting down; reconnect and resume by revision"}
	closeTooMany  = closeReason{websocket.StatusPolicyViolation, "too many live connections for this user or token"}
	closeRevoked  = closeReason{websocket.StatusPolicyViolation, "credential revoked or expired; sign in again"}
	closeSlow     = closeReason{websocket.StatusTryAgainLater, "resync: too slow to keep up; reconnect and resume by revision"}
	closeResync   = closeReason{websocket.StatusTryAgainLater, "resync: events may have been lost; reconnect and resume by revision"}
	closeBadFrame = closeReason{websocket.StatusUnsupportedData, "frames must be JSON text"}
)

// closeReason is the cause a connection's context is cancelled with; the
// connection closes with its status and text.
type closeReason struct {
	code   websocket.StatusCode
	reason string
}

func (c closeReason) Error() string { return c.reason }

// events serves GET /api/v1/events: it upgrades to a WebSocket and runs
// the live feed. The route requires an actor, so anonymous callers get 401
// before any upgrade. Browsers authenticate with the session cookie and
// must come from our own origin or an allowed one: a WebSocket handshake
// is a GET that carries cookies, so without this check any site could
// read a signed-in user's feed. Other clients send a bearer token in the
// Authorization header; a token in the URL is never looked at.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Events == nil {
		httpx.WriteProblem(w, r, http.StatusServiceUnavailable, coffer.EUNAVAILABLE, "Live events are not enabled on this server.")
		return
	}
	if !s.sameOrigin(r) {
		s.cfg.Metrics.AuthFailure("cross_origin")
		httpx.WriteProblem(w, r, http.StatusForbidden, coffer.EFORBIDDEN, "Cross-site requests are refused.")
		return
	}
	// The http.Server's read and write timeouts were set on the
	// connection for this request; a feed lives on heartbeats instead.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	limits := &s.feeds.limits
	key := feedActorKey(coffer.ActorFromContext(r.Context()))
	refused := s.feeds.reserve(key, limits.MaxConnsPerActor)
	ws, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{
		// Checked again by the library, host by host, after our stricter
		// scheme-and-host check above.
		OriginPatterns: s.cfg.AllowedOrigins,
	})
	if err != nil {
		if refused == nil {
			s.feeds.release(key)
		}
		return // Accept has answered
	}
	ws.SetReadLimit(limits.MaxMessageBytes)
	if refused == nil {
		c := newFeedConn(s, ws, r)
		if refused = s.feeds.join(c); refused == nil {
			// The feed runs on after this handler returns: an idle
			// connection then holds neither the request nor the
			// middleware chain's stack, only its reader (memory per
			// connection bounds how many an instance holds;
			// docs/benchmarks.md). The request's log line and metrics
			// cover the handshake.
			c.start()
			return
		}
		c.sub.Close()
	}
	var cr closeReason
	errors.As(refused, &cr)
	_ = ws.Close(cr.code, cr.reason)
}
