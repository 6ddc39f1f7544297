// Package server is Coffer's HTTP API: one route table, one middleware
// chain, and thin handlers that translate between the wire types generated
// from api/openapi.yaml and the service.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/cofferhq/coffer/internal/events"
	"github.com/cofferhq/coffer/internal/health"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/metrics"
	"github.com/cofferhq/coffer/internal/ratelimit"
	"github.com/cofferhq/coffer/internal/service"
)

// Config is what the server needs; cmd/coffer fills it from the
// environment.
type Config struct {
	Service *service.Service
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	Health  *health.Health
	Proxies *httpx.ProxyTrust

	Limiter     ratelimit.Limiter
	ClientLimit ratelimit.Limit // every client, per IP
	AuthLimit   ratelimit.Limit // sign-up, sign-in, token and refresh, per IP
	TokenLimit  ratelimit.Limit // each API credential

	// Origins that may call the API from a browser besides the server's
	// own: CLIENT_URL and CORS_ALLOWED_ORIGINS.
	AllowedOrigins []string
	// MetricsToken protects /metrics; "" leaves /metrics off this listener
	// (it is then served on METRICS_ADDR).
	MetricsToken  string
	ServeMetrics  bool
	MaxBodyBytes  int64
	MaxImportSize int64
	Timeout       time.Duration
	AccessTTL     time.Duration
	// Web serves the browser client; nil when it is not built.
	Web http.Handler
	// Docs serves the API reference page at /api/docs (the client's second
	// page); nil when the client is not built.
	Docs http.Handler
	// AssetOrigin is the origin the client's hashed assets are loaded from
	// when it is not this server's (ASSET_BASE_URL on a CDN): the
	// Content-Security-Policy allows it for scripts, styles, fonts and
	// images. "" keeps the policy to 'self'.
	AssetOrigin string

	// Events is the broker live feeds (GET /api/v1/events) subscribe to;
	// nil turns the feed off (503).
	Events *events.Broker
	// FeedLimits bounds live feeds; zero fields take defaults.
	FeedLimits FeedLimits
	// Telemetry adds tracing and error reports; the zero value is off.
	Telemetry Telemetry
}

// Server is Coffer's HTTP handler.
type Server struct {
	cfg     Config
	svc     *service.Service
	log     *slog.Logger
	handler http.Handler
	router  http.Handler // the routes, without the chain
	feeds   *feedHub
}

// New assembles the routes and the middleware chain.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, svc: cfg.Service, log: cfg.Logger}
	s.feeds = newFeedHub(s, cfg.FeedLimits)
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	mux.Handle("GET "+errorCSSPath, errorCSS())
	mux.Handle("/", s.fallback(mux))
	s.router = httpx.Routes(mux)
	s.handler = s.chain(s.router)
	return s
}

// Unchained serves the routes with authentication only, none of the other
// layers of the chain: it exists so that a benchmark can measure what the
// chain costs on a real request. Never serve it.
func (s *Server) Unchained() http.Handler { return s.authenticate(s.router) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// chain is the one place where the cross-cutting layers are put in order,
// outermost first.
func (s *Server) chain(h http.Handler) http.Handler {
	return httpx.Chain(h,
		httpx.RequestID,
		httpx.WithLogger(s.log),
		httpx.WithErrorReporter(s.cfg.Telemetry.ReportError),
		s.cfg.Proxies.Middleware,
		s.cfg.Telemetry.trace(),
		httpx.AccessLog(s.log),
		s.cfg.Metrics.Middleware,
		errorPages,
		httpx.Recover(s.log, s.cfg.Telemetry.PanicHook),
		httpx.SecurityHeadersWithCSP(httpx.ContentSecurityPolicyFor(s.cfg.AssetOrigin)),
		httpx.MaxURLLength(httpx.DefaultMaxURLLength),
		httpx.CORS(s.cfg.AllowedOrigins),
		httpx.Compress,
		httpx.MaxBytes(s.cfg.MaxBodyBytes),
		httpx.Timeout(s.cfg.Timeout),
		s.authenticate,
	)
}
