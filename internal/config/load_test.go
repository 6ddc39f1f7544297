package config

import (
	"log/slog"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoad_DevelopmentDefaults(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, devEnv(), nil)
	want := &Config{
		AppEnv: EnvDevelopment, Host: "127.0.0.1", Port: 8080, DataDir: "./data",
		SQLitePath:            filepath.Join("data", "coffer.db"),
		HTTPReadHeaderTimeout: 10 * time.Second, HTTPReadTimeout: time.Minute, HTTPWriteTimeout: time.Minute,
		HTTPIdleTimeout: 2 * time.Minute, HTTPRequestTimeout: 30 * time.Second,
		DBMaxConns: 20, DBMinConns: 2,
		DBConnMaxLifetime: 30 * time.Minute, DBConnMaxIdleTime: 5 * time.Minute,
		DBStatementTimeout: 10 * time.Second, DBSlowQueryThreshold: 200 * time.Millisecond,
		RedisKeyPrefix: "coffer:",
		AccessTokenTTL: 15 * time.Minute, SessionTTL: 30 * 24 * time.Hour,
		SignupMode: SignupOpen, LogLevel: slog.LevelInfo, LogFormat: "text",
		RateLimitWindow: time.Minute, RateLimitMaxRequests: 600, RateLimitAuthPerMin: 30, RateLimitTokenPerMin: 6000,
		ShutdownDrain: 5 * time.Second, ShutdownTimeout: 20 * time.Second,
		JobLeaseTTL: 30 * time.Second, CleanupInterval: time.Hour, DeletedSecretRetention: 30 * 24 * time.Hour,
		DiskMinFreeMB: 512, GCMinHeapMB: 32, MaxBodyBytes: 1 << 20, MaxImportBytes: 8 << 20, BcryptCost: 12,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got\n%#v\nwant\n%#v", c, want)
	}
	if c.Production() || c.TLS() || c.Addr() != "127.0.0.1:8080" {
		t.Fatalf("Production=%v TLS=%v Addr=%q", c.Production(), c.TLS(), c.Addr())
	}
}

func TestLoad_ProductionDefaults(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, prodEnv(), nil)
	if !c.Production() || c.Host != "0.0.0.0" || c.LogFormat != "json" || c.BcryptCost != 12 {
		t.Fatalf("got %v", c)
	}
	if c.JWTSecret != goodJWT || len(c.EncryptionKey) != 32 || c.EncryptionKey[0] != 0x9f {
		t.Fatal("keys not decoded")
	}
}

// TestLoad_Variables has, for every variable, values that must be taken
// (with a check of where they land) and values that must be refused.
func TestLoad_Variables(t *testing.T) {
	t.Parallel()
	type check func(*Config) bool
	tests := []struct {
		name  string
		env   map[string]string
		ok    check // nil: want a problem naming bad
		bad   string
		files map[string]string
	}{
		{"AppEnvProduction", prodEnv(), func(c *Config) bool { return c.AppEnv == EnvProduction }, "", nil},
		{"AppEnvBad", devEnv("APP_ENV", "prod"), nil, "APP_ENV", nil},
		{"HostIP", devEnv("HOST", "::1"), func(c *Config) bool { return c.Addr() == "[::1]:8080" }, "", nil},
		{"HostName", devEnv("HOST", "coffer.internal"), func(c *Config) bool { return c.Host == "coffer.internal" }, "", nil},
		{"HostWithPort", devEnv("HOST", "localhost:80"), nil, "HOST", nil},
		{"HostBadLabel", devEnv("HOST", "-bad-.example"), nil, "HOST", nil},
		{"PortOK", devEnv("PORT", "9000"), func(c *Config) bool { return c.Port == 9000 }, "", nil},
		{"PortZero", devEnv("PORT", "0"), func(c *Config) bool { return c.Port == 0 }, "", nil},
		{"PortNaN", devEnv("PORT", "http"), nil, "PORT", nil},
		{"PortRange", devEnv("PORT", "65536"), nil, "PORT", nil},
		{"PortNegative", devEnv("PORT", "-1"), nil, "PORT", nil},
		{"DataDir", devEnv("DATA_DIR", "/var/lib/coffer"), func(c *Config) bool {
			return c.SQLitePath == filepath.Join("/var/lib/coffer", "coffer.db")
		}, "", nil},
		{"HTTPTimeouts", devEnv("HTTP_READ_HEADER_TIMEOUT", "2s", "HTTP_READ_TIMEOUT", "30s", "HTTP_WRITE_TIMEOUT", "45s",
			"HTTP_IDLE_TIMEOUT", "90s", "HTTP_REQUEST_TIMEOUT", "40s"), func(c *Config) bool {
			return c.HTTPReadHeaderTimeout == 2*time.Second && c.HTTPReadTimeout == 30*time.Second &&
				c.HTTPWriteTimeout == 45*time.Second && c.HTTPIdleTimeout == 90*time.Second && c.HTTPRequestTimeout == 40*time.Second
		}, "", nil},
		{"HTTPShortTimeouts", devEnv("HTTP_READ_HEADER_TIMEOUT", "50ms", "HTTP_IDLE_TIMEOUT", "200ms",
			"HTTP_REQUEST_TIMEOUT", "1s", "HTTP_WRITE_TIMEOUT", "1500ms"), func(c *Config) bool {
			return c.HTTPReadHeaderTimeout == 50*time.Millisecond && c.HTTPIdleTimeout == 200*time.Millisecond
		}, "", nil},
		{"HTTPReadHeaderTimeoutZero", devEnv("HTTP_READ_HEADER_TIMEOUT", "0s"), nil, "HTTP_READ_HEADER_TIMEOUT", nil},
		{"HTTPReadHeaderTimeoutBad", devEnv("HTTP_READ_HEADER_TIMEOUT", "10"), nil, "HTTP_READ_HEADER_TIMEOUT", nil},
		{"HTTPReadHeaderAboveRead", devEnv("HTTP_READ_HEADER_TIMEOUT", "20s", "HTTP_READ_TIMEOUT", "10s"), nil, "HTTP_READ_HEADER_TIMEOUT", nil},
		{"HTTPReadTimeoutZero", devEnv("HTTP_READ_TIMEOUT", "0s"), nil, "HTTP_READ_TIMEOUT", nil},
		{"HTTPReadTimeoutNegative", devEnv("HTTP_READ_TIMEOUT", "-1m"), nil, "HTTP_READ_TIMEOUT", nil},
		{"HTTPWriteTimeoutZero", devEnv("HTTP_WRITE_TIMEOUT", "0s"), nil, "HTTP_WRITE_TIMEOUT", nil},
		{"HTTPWriteNotAboveRequest", devEnv("HTTP_WRITE_TIMEOUT", "30s"), nil, "HTTP_WRITE_TIMEOUT", nil},
		{"HTTPWriteBelowRaisedRequest", devEnv("HTTP_REQUEST_TIMEOUT", "2m"), nil, "HTTP_WRITE_TIMEOUT", nil},
		{"HTTPIdleTimeoutZero", devEnv("HTTP_IDLE_TIMEOUT", "0s"), nil, "HTTP_IDLE_TIMEOUT", nil},
		{"HTTPIdleTimeoutHuge", devEnv("HTTP_IDLE_TIMEOUT", "2h"), nil, "HTTP_IDLE_TIMEOUT", nil},
		{"HTTPRequestTimeoutZero", devEnv("HTTP_REQUEST_TIMEOUT", "0s"), nil, "HTTP_REQUEST_TIMEOUT", nil},
		{"DatabaseURLPostgres", devEnv("DATABASE_URL", "postgres://u:p@db/coffer"), func(c *Config) bool {
			return c.DatabaseURL == "postgres://u:p@db/coffer" && c.SQLitePath == ""
		}, "", nil},
		{"DatabaseURLPostgresql", devEnv("DATABASE_URL", "postgresql://db:5432/coffer?sslmode=require"), func(c *Config) bool { return c.DatabaseURL != "" }, "", nil},
		{"DatabaseURLSocket", devEnv("DATABASE_URL", "postgres:///coffer?host=/run/postgresql"), func(c *Config) bool { return c.DatabaseURL != "" }, "", nil},
		{"DatabaseURLMySQL", devEnv("DATABASE_URL", "mysql://u:p@db/coffer"), nil, "DATABASE_URL", nil},
		{"DatabaseURLNoHost", devEnv("DATABASE_URL", "postgres:coffer"), nil, "DATABASE_URL", nil},
		{"ReplicasOK", devEnv("DATABASE_URL", "postgres://p/c", "DATABASE_REPLICA_URLS", "postgres://r1/c, postgres://r2/c,"),
			func(c *Config) bool {
				return slices.Equal(c.DatabaseReplicaURLs, []string{"postgres://r1/c", "postgres://r2/c"})
			}, "", nil},
		{"ReplicasBad", devEnv("DATABASE_URL", "postgres://p/c", "DATABASE_REPLICA_URLS", "postgres://r1/c,redis://r2"), nil, "DATABASE_REPLICA_URLS", nil},
		{"ReplicasWithoutPrimary", devEnv("DATABASE_REPLICA_URLS", "postgres://r1/c"), nil, "DATABASE_REPLICA_URLS", nil},
		{"MaxConns", devEnv("DB_MAX_CONNS", "50"), func(c *Config) bool { return c.DBMaxConns == 50 }, "", nil},
		{"MaxConnsZero", devEnv("DB_MAX_CONNS", "0"), nil, "DB_MAX_CONNS", nil},
		{"MinConns", devEnv("DB_MIN_CONNS", "0"), func(c *Config) bool { return c.DBMinConns == 0 }, "", nil},
		{"MinConnsAboveMax", devEnv("DB_MIN_CONNS", "30"), nil, "DB_MIN_CONNS", nil},
		{"MinConnsBad", devEnv("DB_MIN_CONNS", "two"), nil, "DB_MIN_CONNS", nil},
		{"ConnMaxLifetime", devEnv("DB_CONN_MAX_LIFETIME", "1h"), func(c *Config) bool { return c.DBConnMaxLifetime == time.Hour }, "", nil},
		{"ConnMaxLifetimeBad", devEnv("DB_CONN_MAX_LIFETIME", "30"), nil, "DB_CONN_MAX_LIFETIME", nil},
		{"ConnMaxIdle", devEnv("DB_CONN_MAX_IDLE_TIME", "90s"), func(c *Config) bool { return c.DBConnMaxIdleTime == 90*time.Second }, "", nil},
		{"ConnMaxIdleNegative", devEnv("DB_CONN_MAX_IDLE_TIME", "-1s"), nil, "DB_CONN_MAX_IDLE_TIME", nil},
		{"StatementTimeout", devEnv("DB_STATEMENT_TIMEOUT", "0"), func(c *Config) bool { return c.DBStatementTimeout == 0 }, "", nil},
		{"StatementTimeoutHuge", devEnv("DB_STATEMENT_TIMEOUT", "2h"), nil, "DB_STATEMENT_TIMEOUT", nil},
		{"SlowQuery", devEnv("DB_SLOW_QUERY_THRESHOLD", "1s"), func(c *Config) bool { return c.DBSlowQueryThreshold == time.Second }, "", nil},
		{"SlowQueryBad", devEnv("DB_SLOW_QUERY_THRESHOLD", "fast"), nil, "DB_SLOW_QUERY_THRESHOLD", nil},
		{"RedisURL", devEnv("REDIS_URL", "rediss://:pw@cache:6380/0"), func(c *Config) bool { return c.RedisURL == "rediss://:pw@cache:6380/0" }, "", nil},
		{"RedisURLBad", devEnv("REDIS_URL", "cache:6379"), nil, "REDIS_URL", nil},
		{"RedisKeyPrefixDefault", devEnv(), func(c *Config) bool { return c.RedisKeyPrefix == "coffer:" }, "", nil},
		{"RedisKeyPrefix", devEnv("REDIS_KEY_PREFIX", "coffer-staging:"), func(c *Config) bool { return c.RedisKeyPrefix == "coffer-staging:" }, "", nil},
		{"RedisKeyPrefixGlob", devEnv("REDIS_KEY_PREFIX", "coffer*"), nil, "REDIS_KEY_PREFIX", nil},
		{"RedisKeyPrefixSpace", devEnv("REDIS_KEY_PREFIX", "my coffer:"), nil, "REDIS_KEY_PREFIX", nil},
		{"RedisKeyPrefixLong", devEnv("REDIS_KEY_PREFIX", strings.Repeat("c", 65)), nil, "REDIS_KEY_PREFIX", nil},
		{"AccessTTL", devEnv("ACCESS_TOKEN_TTL", "5m"), func(c *Config) bool { return c.AccessTokenTTL == 5*time.Minute }, "", nil},
		{"AccessTTLTooShort", devEnv("ACCESS_TOKEN_TTL", "10s"), nil, "ACCESS_TOKEN_TTL", nil},
		{"SessionTTL", devEnv("SESSION_TTL", "168h"), func(c *Config) bool { return c.SessionTTL == 168*time.Hour }, "", nil},
		{"SessionTTLBad", devEnv("SESSION_TTL", "30d"), nil, "SESSION_TTL", nil},
		{"SessionShorterThanAccess", devEnv("SESSION_TTL", "1h", "ACCESS_TOKEN_TTL", "2h"), nil, "SESSION_TTL", nil},
		{"ClientURL", devEnv("CLIENT_URL", "https://Coffer.Example.com/"), func(c *Config) bool { return c.ClientURL == "https://coffer.example.com" }, "", nil},
		{"ClientURLPort", devEnv("CLIENT_URL", "http://localhost:5173"), func(c *Config) bool { return c.ClientURL == "http://localhost:5173" }, "", nil},
		{"ClientURLProdLoopbackHTTP", prodEnv("CLIENT_URL", "http://127.0.0.1:8080"), func(c *Config) bool { return c.ClientURL != "" }, "", nil},
		{"ClientURLPath", devEnv("CLIENT_URL", "https://coffer.example.com/app"), nil, "CLIENT_URL", nil},
		{"ClientURLNoScheme", devEnv("CLIENT_URL", "coffer.example.com"), nil, "CLIENT_URL", nil},
		{"ClientURLQuery", devEnv("CLIENT_URL", "https://coffer.example.com?x=1"), nil, "CLIENT_URL", nil},
		{"ClientURLUserinfo", devEnv("CLIENT_URL", "https://u@coffer.example.com"), nil, "CLIENT_URL", nil},
		{"ClientURLFTP", devEnv("CLIENT_URL", "ftp://coffer.example.com"), nil, "CLIENT_URL", nil},
		{"ClientURLProdHTTP", prodEnv("CLIENT_URL", "http://coffer.example.com"), nil, "CLIENT_URL", nil},
		{"CORS", devEnv("CORS_ALLOWED_ORIGINS", "https://a.example.com, https://b.example.com:8443,https://a.example.com"),
			func(c *Config) bool {
				return slices.Equal(c.CORSAllowedOrigins, []string{"https://a.example.com", "https://b.example.com:8443"})
			}, "", nil},
		{"CORSStar", devEnv("CORS_ALLOWED_ORIGINS", "*"), nil, "CORS_ALLOWED_ORIGINS", nil},
		{"CORSNull", devEnv("CORS_ALLOWED_ORIGINS", "https://a.example.com,null"), nil, "CORS_ALLOWED_ORIGINS", nil},
		{"CORSPath", devEnv("CORS_ALLOWED_ORIGINS", "https://a.example.com/x"), nil, "CORS_ALLOWED_ORIGINS", nil},
		{"AssetBaseURLUnset", devEnv(), func(c *Config) bool { return c.AssetBaseURL == "" && c.AssetOrigin() == "" }, "", nil},
		{"AssetBaseURLCDN", prodEnv("ASSET_BASE_URL", "https://cdn.example.com/coffer/"), func(c *Config) bool {
			return c.AssetBaseURL == "https://cdn.example.com/coffer" && c.AssetOrigin() == "https://cdn.example.com"
		}, "", nil},
		{"AssetBaseURLPort", devEnv("ASSET_BASE_URL", "https://cdn.example.com:8443"), func(c *Config) bool {
			return c.AssetBaseURL == "https://cdn.example.com:8443" && c.AssetOrigin() == "https://cdn.example.com:8443"
		}, "", nil},
		{"AssetBaseURLPath", devEnv("ASSET_BASE_URL", "/static/"), func(c *Config) bool { return c.AssetBaseURL == "/static" && c.AssetOrigin() == "" }, "", nil},
		{"AssetBaseURLLoopbackHTTP", devEnv("ASSET_BASE_URL", "http://127.0.0.1:9000"), func(c *Config) bool { return c.AssetOrigin() == "http://127.0.0.1:9000" }, "", nil},
		{"AssetBaseURLHTTP", devEnv("ASSET_BASE_URL", "http://cdn.example.com"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLRelative", devEnv("ASSET_BASE_URL", "static"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLProtocolRelative", devEnv("ASSET_BASE_URL", "//cdn.example.com"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLNoHost", devEnv("ASSET_BASE_URL", "https:///assets"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLScheme", devEnv("ASSET_BASE_URL", "javascript:alert(1)"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLQuery", devEnv("ASSET_BASE_URL", "https://cdn.example.com/?v=1"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLFragment", devEnv("ASSET_BASE_URL", "https://cdn.example.com/#x"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLUserinfo", devEnv("ASSET_BASE_URL", "https://u:p@cdn.example.com"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLQuote", devEnv("ASSET_BASE_URL", `https://cdn.example.com/"><script>`), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLCSPInjection", devEnv("ASSET_BASE_URL", "https://cdn.example.com;script-src"), nil, "ASSET_BASE_URL", nil},
		{"AssetBaseURLTraversal", devEnv("ASSET_BASE_URL", "/static/../api"), nil, "ASSET_BASE_URL", nil},
		{"SignupInvite", devEnv("SIGNUP_MODE", "invite"), func(c *Config) bool { return c.SignupMode == SignupInvite }, "", nil},
		{"SignupClosed", devEnv("SIGNUP_MODE", "closed"), func(c *Config) bool { return c.SignupMode == SignupClosed }, "", nil},
		{"SignupBad", devEnv("SIGNUP_MODE", "Open"), nil, "SIGNUP_MODE", nil},
		{"LogLevelDebug", devEnv("LOG_LEVEL", "debug"), func(c *Config) bool { return c.LogLevel == slog.LevelDebug }, "", nil},
		{"LogLevelWarn", devEnv("LOG_LEVEL", "warn"), func(c *Config) bool { return c.LogLevel == slog.LevelWarn }, "", nil},
		{"LogLevelError", devEnv("LOG_LEVEL", "error"), func(c *Config) bool { return c.LogLevel == slog.LevelError }, "", nil},
		{"LogLevelBad", devEnv("LOG_LEVEL", "verbose"), nil, "LOG_LEVEL", nil},
		{"LogFormatJSON", devEnv("LOG_FORMAT", "json"), func(c *Config) bool { return c.LogFormat == "json" }, "", nil},
		{"LogFormatTextInProd", prodEnv("LOG_FORMAT", "text"), func(c *Config) bool { return c.LogFormat == "text" }, "", nil},
		{"LogFormatBad", devEnv("LOG_FORMAT", "logfmt"), nil, "LOG_FORMAT", nil},
		{"RateWindow", devEnv("RATE_LIMIT_WINDOW_MS", "1000"), func(c *Config) bool { return c.RateLimitWindow == time.Second }, "", nil},
		{"RateWindowTooSmall", devEnv("RATE_LIMIT_WINDOW_MS", "10"), nil, "RATE_LIMIT_WINDOW_MS", nil},
		{"RateMax", devEnv("RATE_LIMIT_MAX_REQUESTS", "100"), func(c *Config) bool { return c.RateLimitMaxRequests == 100 }, "", nil},
		{"RateMaxZero", devEnv("RATE_LIMIT_MAX_REQUESTS", "0"), nil, "RATE_LIMIT_MAX_REQUESTS", nil},
		{"TrustedProxies", devEnv("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7, ::1, fd00::1/64"), func(c *Config) bool {
			return slices.Equal(c.TrustedProxies, []netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
				netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fd00::/64"),
			})
		}, "", nil},
		{"TrustedProxiesBad", devEnv("TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"), nil, "TRUSTED_PROXIES", nil},
		{"MetricsToken", devEnv("METRICS_TOKEN", "t"), func(c *Config) bool { return c.MetricsToken == "t" }, "", nil},
		{"MetricsTokenShortInProd", prodEnv("METRICS_TOKEN", "short"), nil, "METRICS_TOKEN", nil},
		{"MetricsAddr", devEnv("METRICS_ADDR", ":9090"), func(c *Config) bool { return c.MetricsAddr == ":9090" }, "", nil},
		{"MetricsAddrBad", devEnv("METRICS_ADDR", "9090"), nil, "METRICS_ADDR", nil},
		{"SentryDSN", devEnv("SENTRY_DSN", "https://key@o1.ingest.sentry.io/42"), func(c *Config) bool { return c.SentryDSN != "" }, "", nil},
		{"SentryDSNBad", devEnv("SENTRY_DSN", "key@sentry"), nil, "SENTRY_DSN", nil},
		{"OTLP", devEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"), func(c *Config) bool { return c.OTLPEndpoint == "http://otel:4318" }, "", nil},
		{"OTLPBad", devEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "otel:4318"), nil, "OTEL_EXPORTER_OTLP_ENDPOINT", nil},
		{"ShutdownDrain", devEnv("SHUTDOWN_DRAIN", "0s"), func(c *Config) bool { return c.ShutdownDrain == 0 }, "", nil},
		{"ShutdownDrainBad", devEnv("SHUTDOWN_DRAIN", "5"), nil, "SHUTDOWN_DRAIN", nil},
		{"ShutdownDrainNotShorter", devEnv("SHUTDOWN_DRAIN", "30s"), nil, "SHUTDOWN_DRAIN", nil},
		{"ShutdownTimeout", devEnv("SHUTDOWN_TIMEOUT", "1m"), func(c *Config) bool { return c.ShutdownTimeout == time.Minute }, "", nil},
		{"ShutdownTimeoutZero", devEnv("SHUTDOWN_TIMEOUT", "0s"), nil, "SHUTDOWN_TIMEOUT", nil},
		{"JobLeaseTTL", devEnv("JOB_LEASE_TTL", "2s"), func(c *Config) bool { return c.JobLeaseTTL == 2*time.Second }, "", nil},
		{"JobLeaseTTLTooShort", devEnv("JOB_LEASE_TTL", "100ms"), nil, "JOB_LEASE_TTL", nil},
		{"CleanupInterval", devEnv("CLEANUP_INTERVAL", "15m"), func(c *Config) bool { return c.CleanupInterval == 15*time.Minute }, "", nil},
		{"CleanupIntervalZero", devEnv("CLEANUP_INTERVAL", "0s"), nil, "CLEANUP_INTERVAL", nil},
		{"DeletedSecretRetention", devEnv("DELETED_SECRET_RETENTION", "2160h"), func(c *Config) bool { return c.DeletedSecretRetention == 90*24*time.Hour }, "", nil},
		{"DeletedSecretRetentionTooShort", devEnv("DELETED_SECRET_RETENTION", "10m"), nil, "DELETED_SECRET_RETENTION", nil},
		{"TLSPair", devEnv("TLS_CERT_FILE", "/c.pem", "TLS_KEY_FILE", "/k.pem", "HTTP_REDIRECT_ADDR", ":80"),
			func(c *Config) bool { return c.TLS() && c.TLSKeyFile == "/k.pem" && c.HTTPRedirectAddr == ":80" }, "",
			map[string]string{"/c.pem": "cert", "/k.pem": "key"}},
		{"TLSCertOnly", devEnv("TLS_CERT_FILE", "/c.pem"), nil, "TLS_KEY_FILE", map[string]string{"/c.pem": "cert"}},
		{"TLSKeyOnly", devEnv("TLS_KEY_FILE", "/k.pem"), nil, "TLS_CERT_FILE", map[string]string{"/k.pem": "key"}},
		{"TLSCertMissingFile", devEnv("TLS_CERT_FILE", "/nope.pem", "TLS_KEY_FILE", "/k.pem"), nil, "TLS_CERT_FILE", map[string]string{"/k.pem": "key"}},
		{"RedirectWithoutTLS", devEnv("HTTP_REDIRECT_ADDR", ":80"), nil, "HTTP_REDIRECT_ADDR", nil},
		{"RedirectAddrBad", devEnv("HTTP_REDIRECT_ADDR", "localhost"), nil, "HTTP_REDIRECT_ADDR", nil},
		{"DiskMinFree", devEnv("DISK_MIN_FREE_MB", "0"), func(c *Config) bool { return c.DiskMinFreeMB == 0 }, "", nil},
		{"DiskMinFreeBad", devEnv("DISK_MIN_FREE_MB", "1.5"), nil, "DISK_MIN_FREE_MB", nil},
		{"GCMinHeapOff", devEnv("GC_MIN_HEAP_MB", "0"), func(c *Config) bool { return c.GCMinHeapMB == 0 }, "", nil},
		{"GCMinHeapBad", devEnv("GC_MIN_HEAP_MB", "-1"), nil, "GC_MIN_HEAP_MB", nil},
		{"MaxBody", devEnv("MAX_BODY_BYTES", "2048"), func(c *Config) bool { return c.MaxBodyBytes == 2048 }, "", nil},
		{"MaxBodyTooSmall", devEnv("MAX_BODY_BYTES", "100"), nil, "MAX_BODY_BYTES", nil},
		{"MaxImport", devEnv("MAX_IMPORT_BYTES", "16777216"), func(c *Config) bool { return c.MaxImportBytes == 16<<20 }, "", nil},
		{"MaxImportBad", devEnv("MAX_IMPORT_BYTES", "8MB"), nil, "MAX_IMPORT_BYTES", nil},
		{"BcryptCostDevLow", devEnv("BCRYPT_COST", "4"), func(c *Config) bool { return c.BcryptCost == 4 }, "", nil},
		{"BcryptCostDevTooLow", devEnv("BCRYPT_COST", "3"), nil, "BCRYPT_COST", nil},
		{"BcryptCostProd", prodEnv("BCRYPT_COST", "14"), func(c *Config) bool { return c.BcryptCost == 14 }, "", nil},
		{"BcryptCostProdLow", prodEnv("BCRYPT_COST", "10"), nil, "BCRYPT_COST", nil},
		{"BcryptCostTooHigh", devEnv("BCRYPT_COST", "17"), nil, "BCRYPT_COST", nil},
		{"EmptyMeansUnset", devEnv("PORT", "", "LOG_LEVEL", ""), func(c *Config) bool { return c.Port == 8080 && c.LogLevel == slog.LevelInfo }, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, problems := load(tt.env, tt.files)
			if tt.ok != nil {
				if len(problems) > 0 {
					t.Fatalf("unexpected problems: %v", problems)
				}
				if !tt.ok(c) {
					t.Fatalf("value not applied: %v", c)
				}
				return
			}
			if !hasProblem(problems, tt.bad) {
				t.Fatalf("no problem for %s; got %v", tt.bad, problems)
			}
		})
	}
}

func TestLoad_AllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"APP_ENV": "production", "PORT": "x", "DB_MAX_CONNS": "-3", "DB_STATEMENT_TIMEOUT": "soon",
		"REDIS_URL": "memcached://x", "SIGNUP_MODE": "maybe", "LOG_LEVEL": "loud",
		"CORS_ALLOWED_ORIGINS": "*", "TRUSTED_PROXIES": "nope", "BCRYPT_COST": "4",
		"TLS_CERT_FILE": "/missing.pem", "HTTP_WRITE_TIMEOUT": "5s",
	}
	_, problems := load(env, nil)
	want := []string{
		"PORT", "HTTP_WRITE_TIMEOUT", "DB_MAX_CONNS", "DB_STATEMENT_TIMEOUT", "REDIS_URL", "JWT_SECRET", "ENCRYPTION_KEY",
		"CORS_ALLOWED_ORIGINS", "SIGNUP_MODE", "LOG_LEVEL", "TRUSTED_PROXIES",
		"TLS_CERT_FILE", "TLS_KEY_FILE", "BCRYPT_COST",
	}
	for _, v := range want {
		if !hasProblem(problems, v) {
			t.Errorf("missing problem for %s", v)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(problems), len(want), joinProblems(problems))
	}
}

func TestProblem_String(t *testing.T) {
	t.Parallel()
	_, problems := load(devEnv("PORT", "http"), nil)
	if len(problems) != 1 || !strings.HasPrefix(problems[0].String(), `PORT: invalid value "http": `) {
		t.Fatalf("got %v", problems)
	}
}

func TestLoad_BadValueShownOnlyIfNotSecret(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-d41d8cd98f00b204"
	env := map[string]string{
		"APP_ENV": "production", "PORT": "bad" + canary,
		"JWT_SECRET": canary, "JWT_SECRET_PREVIOUS": canary, "ENCRYPTION_KEY": canary,
		"ENCRYPTION_KEY_PREVIOUS": canary, "METRICS_TOKEN": canary,
		"SENTRY_DSN": "sentry:" + canary, "DATABASE_URL": "mysql://u:" + canary + "@h/db",
		"DATABASE_REPLICA_URLS": "mysql://u:" + canary + "@h/db", "REDIS_URL": "http://:" + canary + "@h",
	}
	_, problems := load(env, nil)
	all := joinProblems(problems)
	if n := strings.Count(all, canary); n != 1 {
		t.Fatalf("canary appears %d times (want once, for PORT):\n%s", n, all)
	}
	if p, _ := findProblem(problems, "PORT"); !strings.Contains(p.Message, canary) {
		t.Fatalf("non-secret value not shown: %v", p)
	}
	for v := range secretVars {
		if !hasProblem(problems, v) {
			t.Errorf("no problem for %s", v)
		}
	}
}

func TestLoad_FileVariants(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"/run/secrets/jwt":   goodJWT + "\n",
		"/run/secrets/key":   goodKey + "\r\n",
		"/run/secrets/port":  "9999",
		"/run/secrets/empty": "\n",
		"/run/secrets/db":    "postgres://u:p@db/coffer\n",
	}
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		c := mustLoad(t, map[string]string{
			"APP_ENV": "production", "JWT_SECRET_FILE": "/run/secrets/jwt", "ENCRYPTION_KEY_FILE": "/run/secrets/key",
			"PORT_FILE": "/run/secrets/port", "DATABASE_URL_FILE": "/run/secrets/db",
		}, files)
		if c.JWTSecret != goodJWT || len(c.EncryptionKey) != 32 || c.Port != 9999 || c.DatabaseURL != "postgres://u:p@db/coffer" {
			t.Fatalf("got %v", c)
		}
	})
	for _, tt := range []struct {
		name, wantVar string
		env           map[string]string
	}{
		{"BothSet", "JWT_SECRET", prodEnv("JWT_SECRET_FILE", "/run/secrets/jwt")},
		{"Unreadable", "ENCRYPTION_KEY_FILE", prodEnv("ENCRYPTION_KEY", "", "ENCRYPTION_KEY_FILE", "/run/secrets/nope")},
		{"Empty", "PORT_FILE", devEnv("PORT_FILE", "/run/secrets/empty")},
		{"BadContent", "LOG_LEVEL", devEnv("LOG_LEVEL_FILE", "/run/secrets/port")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, problems := load(tt.env, files)
			if !hasProblem(problems, tt.wantVar) {
				t.Fatalf("no problem for %s: %v", tt.wantVar, problems)
			}
		})
	}
}
