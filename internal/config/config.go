// Package config reads Coffer's configuration from the environment, the
// twelve-factor way, with Docker/Kubernetes secrets support: every variable
// NAME may instead be given as a file path in NAME_FILE.
//
// Load checks everything and reports every problem at once, so an operator
// fixes a deployment in one pass rather than one restart per mistake. Load
// has no side effects; EnsureDevKeys, called by the server only, is the one
// function that writes files.
package config

import (
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"
)

// Values of APP_ENV.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Values of SIGNUP_MODE.
const (
	SignupOpen   = "open"
	SignupInvite = "invite"
	SignupClosed = "closed"
)

// Config is Coffer's validated configuration. Secret fields (JWT secrets,
// encryption keys, the metrics token, the Sentry DSN and passwords inside
// connection URLs) are never printed: String, GoString and LogValue redact
// them, so a Config may be logged whole.
type Config struct {
	AppEnv  string // EnvDevelopment or EnvProduction
	Host    string // interface to listen on
	Port    int    // 0 picks a free port (tests)
	DataDir string

	// Timeouts of the API listener's connections (http.Server) and the
	// deadline of each request's handler; see httpTimeouts in load.go.
	HTTPReadHeaderTimeout time.Duration
	HTTPReadTimeout       time.Duration
	HTTPWriteTimeout      time.Duration
	HTTPIdleTimeout       time.Duration
	HTTPRequestTimeout    time.Duration

	DatabaseURL          string   // postgres:// URL; empty means SQLite at SQLitePath
	SQLitePath           string   // DataDir/coffer.db when DatabaseURL is empty, else ""
	DatabaseReplicaURLs  []string // postgres:// URLs for reads that tolerate lag
	DBMaxConns           int
	DBMinConns           int
	DBConnMaxLifetime    time.Duration
	DBConnMaxIdleTime    time.Duration
	DBStatementTimeout   time.Duration
	DBSlowQueryThreshold time.Duration

	RedisURL string // redis:// or rediss://; empty means in-process implementations
	// RedisKeyPrefix starts every key and channel Coffer uses in Redis, so
	// that deployments sharing one Redis database stay apart.
	RedisKeyPrefix string

	JWTSecret             string   // empty in development until EnsureDevKeys
	JWTSecretPrevious     []string // still verify, never sign
	EncryptionKey         []byte   // 32 bytes; empty in development until EnsureDevKeys
	EncryptionKeyPrevious [][]byte // still unwrap, never wrap

	AccessTokenTTL time.Duration
	SessionTTL     time.Duration

	ClientURL          string   // origin of the web client, e.g. https://coffer.example.com; empty: same origin
	CORSAllowedOrigins []string // further origins allowed to call the API from a browser
	SignupMode         string   // SignupOpen, SignupInvite or SignupClosed
	// AssetBaseURL is where the web client's pages load its hashed assets
	// from: "" (this server), an https URL such as
	// https://cdn.example.com/coffer (a CDN) or a path such as /static;
	// no trailing slash.
	AssetBaseURL string

	LogLevel  slog.Level
	LogFormat string // "json" or "text"

	RateLimitWindow      time.Duration
	RateLimitMaxRequests int
	RateLimitAuthPerMin  int            // sign-up, sign-in, token and refresh requests per client IP
	RateLimitTokenPerMin int            // API requests per caller: a service token, or a user across their sessions and personal tokens
	TrustedProxies       []netip.Prefix // peers whose X-Forwarded-For is believed

	MetricsToken string // bearer token required on /metrics when set
	MetricsAddr  string // separate listener for /metrics when set
	SentryDSN    string
	OTLPEndpoint string

	ShutdownDrain   time.Duration // readiness false, still serving, before shutdown starts
	ShutdownTimeout time.Duration // hard deadline for the whole shutdown

	JobLeaseTTL     time.Duration // how long a background job's lease lasts unless renewed
	CleanupInterval time.Duration // how often ended sessions and tokens are purged
	// DeletedSecretRetention is how long a deleted secret's values stay
	// restorable before cleanup destroys them.
	DeletedSecretRetention time.Duration

	TLSCertFile      string
	TLSKeyFile       string
	HTTPRedirectAddr string // plain-HTTP listener that redirects to HTTPS

	DiskMinFreeMB int64
	// GCMinHeapMB is the heap the garbage collector lets grow before it
	// collects, whatever is alive (internal/heapfloor); 0 leaves GOGC alone.
	GCMinHeapMB    int64
	MaxBodyBytes   int64
	MaxImportBytes int64
	BcryptCost     int
}

// Production reports whether APP_ENV is production.
func (c *Config) Production() bool { return c.AppEnv == EnvProduction }

// Addr returns the host:port the API listens on.
func (c *Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// AssetOrigin returns the origin of AssetBaseURL (e.g.
// "https://cdn.example.com"), which the Content-Security-Policy must allow,
// or "" when the assets come from this server's own origin.
func (c *Config) AssetOrigin() string {
	u, err := url.Parse(c.AssetBaseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// TLS reports whether the server terminates TLS itself.
func (c *Config) TLS() bool { return c.TLSCertFile != "" }

// Problem is one thing wrong with the configuration, named by the variable
// that holds it.
type Problem struct {
	Var     string
	Message string
}

// String returns "VAR: message", the form printed at start-up.
func (p Problem) String() string { return p.Var + ": " + p.Message }
