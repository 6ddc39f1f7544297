package config

import (
	"log/slog"
	"path/filepath"
	"time"
)

// Load reads and checks the configuration. env is os.LookupEnv in
// production and readFile is os.ReadFile (for NAME_FILE); tests pass fakes.
// It never stops at the first problem: the Config is filled as far as
// possible and every problem is returned. The Config must not be used when
// problems is non-empty.
func Load(env func(string) (string, bool), readFile func(string) ([]byte, error)) (*Config, []Problem) {
	l := &loader{env: env, readFile: readFile}
	c := &Config{}

	c.AppEnv = l.enum("APP_ENV", EnvDevelopment, EnvDevelopment, EnvProduction)
	prod := c.AppEnv == EnvProduction

	c.Host = l.host("HOST", map[bool]string{false: "127.0.0.1", true: "0.0.0.0"}[prod])
	c.Port = l.int("PORT", 8080, 0, 65535)
	c.DataDir = l.str("DATA_DIR", "./data")
	l.httpTimeouts(c)
	c.DatabaseURL = l.url("DATABASE_URL", "postgres", "postgresql")
	if c.DatabaseURL == "" {
		c.SQLitePath = filepath.Join(c.DataDir, "coffer.db")
	}
	c.DatabaseReplicaURLs = l.urlList("DATABASE_REPLICA_URLS", "postgres", "postgresql")
	if len(c.DatabaseReplicaURLs) > 0 && c.DatabaseURL == "" {
		l.problem("DATABASE_REPLICA_URLS", "read replicas need DATABASE_URL (PostgreSQL) as the primary")
	}
	c.DBMaxConns = l.int("DB_MAX_CONNS", 20, 1, 1000)
	c.DBMinConns = l.int("DB_MIN_CONNS", 2, 0, 1000)
	if c.DBMinConns > c.DBMaxConns {
		l.problem("DB_MIN_CONNS", "must not exceed DB_MAX_CONNS (%d)", c.DBMaxConns)
	}
	c.DBConnMaxLifetime = l.duration("DB_CONN_MAX_LIFETIME", 30*time.Minute, 0, 24*time.Hour)
	c.DBConnMaxIdleTime = l.duration("DB_CONN_MAX_IDLE_TIME", 5*time.Minute, 0, 24*time.Hour)
	c.DBStatementTimeout = l.duration("DB_STATEMENT_TIMEOUT", 10*time.Second, 0, time.Hour)
	c.DBSlowQueryThreshold = l.duration("DB_SLOW_QUERY_THRESHOLD", 200*time.Millisecond, 0, time.Hour)
	c.RedisURL = l.url("REDIS_URL", "redis", "rediss")
	c.RedisKeyPrefix = l.redisPrefix("REDIS_KEY_PREFIX", "coffer:")

	l.keys(c, prod)

	c.AccessTokenTTL = l.duration("ACCESS_TOKEN_TTL", 15*time.Minute, time.Minute, 24*time.Hour)
	c.SessionTTL = l.duration("SESSION_TTL", 720*time.Hour, time.Hour, 8760*time.Hour)
	if c.SessionTTL <= c.AccessTokenTTL {
		l.problem("SESSION_TTL", "must be longer than ACCESS_TOKEN_TTL (%s)", c.AccessTokenTTL)
	}

	c.ClientURL = l.origin("CLIENT_URL", prod)
	c.CORSAllowedOrigins = l.origins("CORS_ALLOWED_ORIGINS", prod)
	c.SignupMode = l.enum("SIGNUP_MODE", SignupOpen, SignupOpen, SignupInvite, SignupClosed)
	c.AssetBaseURL = l.assetBase("ASSET_BASE_URL")

	c.LogLevel = l.logLevel("LOG_LEVEL")
	c.LogFormat = l.enum("LOG_FORMAT", map[bool]string{false: "text", true: "json"}[prod], "json", "text")

	c.RateLimitWindow = time.Duration(l.int("RATE_LIMIT_WINDOW_MS", 60000, 1000, 86_400_000)) * time.Millisecond
	c.RateLimitMaxRequests = l.int("RATE_LIMIT_MAX_REQUESTS", 600, 1, 1_000_000)
	c.RateLimitAuthPerMin = l.int("RATE_LIMIT_AUTH_PER_MINUTE", 30, 1, 1_000_000)
	c.RateLimitTokenPerMin = l.int("RATE_LIMIT_TOKEN_PER_MINUTE", 6000, 1, 10_000_000)
	c.TrustedProxies = l.prefixes("TRUSTED_PROXIES")

	c.MetricsToken = l.str("METRICS_TOKEN", "")
	if prod && c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		l.problem("METRICS_TOKEN", "must be at least 32 characters in production (try: openssl rand -hex 32)")
	}
	c.MetricsAddr = l.addr("METRICS_ADDR")
	c.SentryDSN = l.url("SENTRY_DSN", "https", "http")
	c.OTLPEndpoint = l.url("OTEL_EXPORTER_OTLP_ENDPOINT", "https", "http")

	c.ShutdownDrain = l.duration("SHUTDOWN_DRAIN", 5*time.Second, 0, 5*time.Minute)
	c.ShutdownTimeout = l.duration("SHUTDOWN_TIMEOUT", 20*time.Second, time.Second, 10*time.Minute)
	if c.ShutdownDrain >= c.ShutdownTimeout {
		l.problem("SHUTDOWN_DRAIN", "must be shorter than SHUTDOWN_TIMEOUT (%s)", c.ShutdownTimeout)
	}

	c.JobLeaseTTL = l.duration("JOB_LEASE_TTL", 30*time.Second, time.Second, time.Hour)
	c.CleanupInterval = l.duration("CLEANUP_INTERVAL", time.Hour, time.Second, 7*24*time.Hour)
	c.DeletedSecretRetention = l.duration("DELETED_SECRET_RETENTION", 30*24*time.Hour, time.Hour, 10*365*24*time.Hour)

	l.tls(c)

	c.DiskMinFreeMB = int64(l.int("DISK_MIN_FREE_MB", 512, 0, 1<<20))
	c.GCMinHeapMB = int64(l.int("GC_MIN_HEAP_MB", 32, 0, 1<<20))
	c.MaxBodyBytes = int64(l.int("MAX_BODY_BYTES", 1<<20, 1<<10, 1<<30))
	c.MaxImportBytes = int64(l.int("MAX_IMPORT_BYTES", 8<<20, 1<<10, 1<<30))
	if prod {
		c.BcryptCost = l.int("BCRYPT_COST", 12, 12, 16)
	} else {
		c.BcryptCost = l.int("BCRYPT_COST", 12, 4, 16)
	}
	return c, l.problems
}

// httpTimeouts reads the API listener's timeouts. The write timeout runs
// from the end of a request's headers to the end of its response, so it
// must outlast the handler's deadline: otherwise a slow request is cut off
// mid-write instead of ending with an error answer. A header timeout longer than
// the read timeout would never apply (the read timeout covers the headers).
// Live feeds clear both read and write deadlines after the upgrade.
func (l *loader) httpTimeouts(c *Config) {
	c.HTTPReadHeaderTimeout = l.duration("HTTP_READ_HEADER_TIMEOUT", 10*time.Second, time.Millisecond, 10*time.Minute)
	c.HTTPReadTimeout = l.duration("HTTP_READ_TIMEOUT", time.Minute, time.Millisecond, time.Hour)
	c.HTTPWriteTimeout = l.duration("HTTP_WRITE_TIMEOUT", time.Minute, time.Millisecond, time.Hour)
	c.HTTPIdleTimeout = l.duration("HTTP_IDLE_TIMEOUT", 2*time.Minute, time.Millisecond, time.Hour)
	c.HTTPRequestTimeout = l.duration("HTTP_REQUEST_TIMEOUT", 30*time.Second, time.Millisecond, time.Hour)
	if c.HTTPReadHeaderTimeout > c.HTTPReadTimeout {
		l.problem("HTTP_READ_HEADER_TIMEOUT", "must not exceed HTTP_READ_TIMEOUT (%s)", c.HTTPReadTimeout)
	}
	if c.HTTPWriteTimeout <= c.HTTPRequestTimeout {
		l.problem("HTTP_WRITE_TIMEOUT", "must be longer than HTTP_REQUEST_TIMEOUT (%s), the deadline of each request", c.HTTPRequestTimeout)
	}
}

// tls reads the certificate pair and the redirect listener that only makes
// sense with it.
func (l *loader) tls(c *Config) {
	c.TLSCertFile = l.readableFile("TLS_CERT_FILE")
	c.TLSKeyFile = l.readableFile("TLS_KEY_FILE")
	if c.TLSCertFile != "" && c.TLSKeyFile == "" {
		l.problem("TLS_KEY_FILE", "is required when TLS_CERT_FILE is set")
	}
	if c.TLSKeyFile != "" && c.TLSCertFile == "" {
		l.problem("TLS_CERT_FILE", "is required when TLS_KEY_FILE is set")
	}
	c.HTTPRedirectAddr = l.addr("HTTP_REDIRECT_ADDR")
	if c.HTTPRedirectAddr != "" && c.TLSCertFile == "" {
		l.problem("HTTP_REDIRECT_ADDR", "redirects to HTTPS, so it needs TLS_CERT_FILE and TLS_KEY_FILE")
	}
}

func (l *loader) logLevel(name string) slog.Level {
	switch l.enum(name, "info", "debug", "info", "warn", "error") {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
