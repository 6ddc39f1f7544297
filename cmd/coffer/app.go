//go:build !coffer_cli

package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/config"
	"github.com/cofferhq/coffer/internal/health"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/metrics"
	"github.com/cofferhq/coffer/internal/ratelimit"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/service"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/web"
)

// Main is one running Coffer server with everything it owns. Run starts
// it; Close stops it gracefully. Tests run Main on port 0.
type Main struct {
	Config  *config.Config
	Logger  *slog.Logger
	Store   *store.Store
	Service *service.Service
	Health  *health.Health
	Metrics *metrics.Metrics
	Server  *server.Server
	// FeedLimits bounds the live feeds; zero fields take their defaults
	// (set it before Run; tests shorten the heartbeat with it).
	FeedLimits server.FeedLimits

	audit    *audit.Writer
	limiter  *ratelimit.Memory
	live     *live // events.go
	http     *http.Server
	metricsS *http.Server
	listener net.Listener
	obs      observability // telemetry.go
	tlsS     tlsState      // tls.go
	bg       background    // jobs.go
}

// NewMain returns a Main for cfg that logs to logger.
func NewMain(cfg *config.Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger}
}

// keyCheckName is the meta row holding the key check value.
const keyCheckName = "kek_check"

// Run opens the store, applies migrations, checks the encryption key and
// starts serving. It returns once the listener is open.
func (m *Main) Run(ctx context.Context) (err error) {
	cfg := m.Config
	defer func() {
		if err != nil {
			m.closeStores()
		}
	}()
	keyring, err := barrier.NewKeyring(cfg.EncryptionKey, cfg.EncryptionKeyPrevious...)
	if err != nil {
		return fmt.Errorf("ENCRYPTION_KEY: %w", err)
	}
	signer, err := auth.NewSigner(cfg.JWTSecret, cfg.JWTSecretPrevious...)
	if err != nil {
		return fmt.Errorf("JWT_SECRET: %w", err)
	}
	if err := m.startTelemetry(ctx); err != nil {
		return err
	}
	m.Metrics = metrics.New(metrics.Build{Version: version, Commit: commit})
	if m.Store, err = openStore(ctx, cfg, m.Logger, m.obs.tracing.Tracer(), m.Metrics.DBQuery); err != nil {
		return err
	}
	if err := m.Store.MigrateUp(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	if err := checkKey(ctx, m.Store, keyring); err != nil {
		return err
	}
	if err := m.warnPendingRotation(ctx); err != nil { // keys.go
		return err
	}

	if err := m.Metrics.RegisterDB(m.Store.DB(), "primary"); err != nil {
		return err
	}
	replicas, err := m.openReplicas(ctx) // jobs.go
	if err != nil {
		return err
	}
	panics := m.obs.reporter.PanicHook() // background loops report what they recover
	m.audit = audit.NewWriter(m.Store, m.Logger, m.Metrics.AuditWrite, audit.WithPanicHook(panics))
	m.limiter = ratelimit.NewMemory(ratelimit.WithLogger(m.Logger), ratelimit.WithPanicHook(panics))
	if err := m.startLive(m.limiter); err != nil {
		return err
	}
	window := cfg.RateLimitWindow
	m.Service = service.New(service.Config{
		Store: m.Store, Keyring: keyring, Signer: signer, Hasher: auth.Hasher{Cost: cfg.BcryptCost},
		CSRFKey: csrfKey(cfg.JWTSecret), AuditLog: m.audit, Logger: m.Logger, SignupMode: cfg.SignupMode,
		AccessTTL: cfg.AccessTokenTTL, SessionTTL: cfg.SessionTTL,
		Events: m.live.publisher(), Limiter: m.live.limiter, AccountLimit: ratelimit.Limit{Rate: 10, Period: time.Minute, Burst: 10},
		Replicas: replicas, Bundles: m.live.sharedBundles(),
	})
	// Events relayed by Redis drop the lookups they make stale (the
	// service drops its own changes' entries itself): a token revoked on
	// another instance stops working here at once.
	m.live.broker.Observe(m.Service.Invalidate)
	// Low disk space is reported and alerted on, but does not take the
	// instance out of the load balancer: on PostgreSQL it holds no data.
	disk := health.DiskCheck(cfg.DataDir, uint64(cfg.DiskMinFreeMB)<<20)
	disk.Critical = false
	m.Health = health.New(m.Logger, append([]health.Check{
		{Name: "db", Critical: true, Run: m.Store.Ping},
		{Name: "migrations", Critical: true, Run: m.migrationsApplied},
		disk,
	}, m.live.healthChecks()...)...)
	var webUI, docs http.Handler
	if client, built := web.New(web.Config{AssetBaseURL: cfg.AssetBaseURL}); built {
		webUI, docs = client, client.Docs()
	} else {
		m.Logger.Warn("the web client is not built: the API works, the browser UI does not; run `make web`")
	}
	m.Server = server.New(server.Config{
		Web: webUI, Docs: docs, AssetOrigin: cfg.AssetOrigin(),
		Service: m.Service, Logger: m.Logger, Metrics: m.Metrics, Health: m.Health,
		Proxies:        httpx.NewProxyTrust(cfg.TrustedProxies),
		Telemetry:      m.serverTelemetry(),
		Limiter:        m.live.limiter,
		Events:         m.live.broker,
		FeedLimits:     m.FeedLimits,
		ClientLimit:    ratelimit.Limit{Rate: cfg.RateLimitMaxRequests, Period: window, Burst: cfg.RateLimitMaxRequests},
		AuthLimit:      ratelimit.PerMinute(cfg.RateLimitAuthPerMin),
		TokenLimit:     ratelimit.Limit{Rate: cfg.RateLimitTokenPerMin, Period: time.Minute, Burst: max(1, cfg.RateLimitTokenPerMin/10)},
		AllowedOrigins: allowedOrigins(cfg),
		MetricsToken:   cfg.MetricsToken, ServeMetrics: cfg.MetricsAddr == "",
		MaxBodyBytes: cfg.MaxBodyBytes, MaxImportSize: cfg.MaxImportBytes,
		Timeout: cfg.HTTPRequestTimeout, AccessTTL: cfg.AccessTokenTTL,
	})
	m.startBackground(replicas) // jobs.go
	return m.listen(m.Server)
}

func (m *Main) listen(srv http.Handler) error {
	cfg := m.Config
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s (HOST, PORT): %w", cfg.Addr(), err)
	}
	m.listener = ln
	// Live feeds clear the read and write deadlines after their upgrade
	// (internal/server/events.go): they live on heartbeats instead.
	m.http = m.httpServer(srv)
	if cfg.TLS() {
		if err := m.startTLS(m.http, ln); err != nil {
			return err
		}
	}
	go m.serve(m.http, ln)
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		m.metricsS = m.httpServer(m.Metrics.Handler(cfg.MetricsToken))
		go m.serve(m.metricsS, mln)
	}
	m.Logger.Info("coffer is serving", "addr", ln.Addr().String(), "env", cfg.AppEnv, "store", m.Store.Dialect(), "version", version)
	return nil
}

// httpServer returns a server for h with the configured HTTP_* timeouts;
// the API, METRICS_ADDR and HTTP_REDIRECT_ADDR listeners all use them.
func (m *Main) httpServer(h http.Handler) *http.Server {
	cfg := m.Config
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HTTPReadHeaderTimeout,
		ReadTimeout:       cfg.HTTPReadTimeout,
		WriteTimeout:      cfg.HTTPWriteTimeout,
		IdleTimeout:       cfg.HTTPIdleTimeout,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
}

func (m *Main) serve(s *http.Server, ln net.Listener) {
	var err error
	if s.TLSConfig != nil { // set by startTLS: certificates come from it
		err = s.ServeTLS(ln, "", "")
	} else {
		err = s.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		m.Logger.Error("server stopped", "error", err)
	}
}

// URL is the base URL the server listens on.
func (m *Main) URL() string {
	scheme := "http"
	if m.Config.TLS() {
		scheme = "https"
	}
	return scheme + "://" + m.listener.Addr().String()
}

// Close drains and stops the server: readiness turns false at once, load
// balancers get SHUTDOWN_DRAIN to notice, in-flight requests then get until
// the deadline of ctx to finish, and the stores close last.
func (m *Main) Close(ctx context.Context, drain time.Duration) error {
	if m.Health != nil {
		m.Health.SetDraining(true)
	}
	select {
	case <-time.After(drain):
	case <-ctx.Done():
	}
	errs := []error{m.closeFeeds(ctx)}
	for _, s := range []*http.Server{m.http, m.metricsS} {
		if s != nil {
			errs = append(errs, s.Shutdown(ctx))
		}
	}
	errs = append(errs, m.stopTLS(ctx))
	m.closeStores()
	errs = append(errs, m.stopTelemetry(ctx))
	return errors.Join(errs...)
}

func (m *Main) closeStores() {
	m.stopBackground() // jobs first: they use the store
	if m.audit != nil {
		m.audit.Close()
	}
	m.live.close() // before the limiter it falls back to
	if m.limiter != nil {
		m.limiter.Close()
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			m.Logger.Warn("close store", "error", err)
		}
	}
}

func (m *Main) migrationsApplied(ctx context.Context) error {
	n, err := m.Store.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d migrations pending", n)
	}
	return nil
}

func openStore(ctx context.Context, cfg *config.Config, logger *slog.Logger, tracer trace.Tracer, observe func(string, time.Duration)) (*store.Store, error) {
	st, err := store.Open(ctx, store.Config{
		URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath,
		MaxConns: cfg.DBMaxConns, MinConns: cfg.DBMinConns,
		ConnMaxLifetime: cfg.DBConnMaxLifetime, ConnMaxIdleTime: cfg.DBConnMaxIdleTime,
		StatementTimeout: cfg.DBStatementTimeout, SlowQuery: cfg.DBSlowQueryThreshold, Logger: logger, Tracer: tracer, Observe: observe,
	})
	if err != nil {
		which := "DATA_DIR"
		if cfg.DatabaseURL != "" {
			which = "DATABASE_URL"
		}
		return nil, fmt.Errorf("open database (%s): %w", which, err)
	}
	return st, nil
}

// checkKey compares ENCRYPTION_KEY with the key check value stored when
// the database was first used, so that a wrong key stops the server at
// start instead of failing every read later.
func checkKey(ctx context.Context, st *store.Store, k *barrier.Keyring) error {
	stored, err := st.Meta(ctx, keyCheckName)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		check, err := k.CheckValue()
		if err != nil {
			return err
		}
		return st.SetMeta(ctx, keyCheckName, check)
	}
	if err != nil {
		return fmt.Errorf("read key check value: %w", err)
	}
	return k.VerifyCheckValue(stored)
}

// csrfKey derives the CSRF key from the JWT secret, so that it is neither
// configured separately nor equal to the signing key.
func csrfKey(jwtSecret string) []byte {
	mac := hmac.New(sha256.New, []byte(jwtSecret))
	mac.Write([]byte("coffer csrf key"))
	return mac.Sum(nil)
}

func allowedOrigins(cfg *config.Config) []string {
	origins := append([]string{}, cfg.CORSAllowedOrigins...)
	if cfg.ClientURL != "" {
		origins = append(origins, strings.TrimSuffix(cfg.ClientURL, "/"))
	}
	return origins
}

// newLogger builds the process logger, writing to w (standard error), from
// LOG_FORMAT and LOG_LEVEL.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts)).With("service", "coffer")
}
