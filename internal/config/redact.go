package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

const redacted = "[redacted]"

// LogValue implements slog.LogValuer. Secrets appear only as "[redacted]"
// (or empty when unset); passwords inside connection URLs are masked, the
// rest of the URL kept so an operator can see where Coffer connects.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(c.attrs()...)
}

// String returns the configuration as key=value pairs with every secret
// redacted.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.attrs() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%v", a.Key, a.Value)
	}
	return b.String()
}

// GoString keeps %#v, which would otherwise print every field, from
// revealing secrets.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

func (c Config) attrs() []slog.Attr {
	replicas := make([]string, len(c.DatabaseReplicaURLs))
	for i, u := range c.DatabaseReplicaURLs {
		replicas[i] = redactURL(u)
	}
	prev := func(n int) string {
		if n == 0 {
			return ""
		}
		return fmt.Sprintf("%s x%d", redacted, n)
	}
	return []slog.Attr{
		slog.String("app_env", c.AppEnv),
		slog.String("addr", c.Addr()),
		slog.String("data_dir", c.DataDir),
		slog.Duration("http_read_header_timeout", c.HTTPReadHeaderTimeout),
		slog.Duration("http_read_timeout", c.HTTPReadTimeout),
		slog.Duration("http_write_timeout", c.HTTPWriteTimeout),
		slog.Duration("http_idle_timeout", c.HTTPIdleTimeout),
		slog.Duration("http_request_timeout", c.HTTPRequestTimeout),
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("sqlite_path", c.SQLitePath),
		slog.String("database_replica_urls", strings.Join(replicas, ",")),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.Int("db_min_conns", c.DBMinConns),
		slog.Duration("db_conn_max_lifetime", c.DBConnMaxLifetime),
		slog.Duration("db_conn_max_idle_time", c.DBConnMaxIdleTime),
		slog.Duration("db_statement_timeout", c.DBStatementTimeout),
		slog.Duration("db_slow_query_threshold", c.DBSlowQueryThreshold),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("redis_key_prefix", c.RedisKeyPrefix),
		slog.String("jwt_secret", secret(c.JWTSecret != "")),
		slog.String("jwt_secret_previous", prev(len(c.JWTSecretPrevious))),
		slog.String("encryption_key", secret(len(c.EncryptionKey) > 0)),
		slog.String("encryption_key_previous", prev(len(c.EncryptionKeyPrevious))),
		slog.Duration("access_token_ttl", c.AccessTokenTTL),
		slog.Duration("session_ttl", c.SessionTTL),
		slog.String("client_url", c.ClientURL),
		slog.String("cors_allowed_origins", strings.Join(c.CORSAllowedOrigins, ",")),
		slog.String("signup_mode", c.SignupMode),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.Duration("rate_limit_window", c.RateLimitWindow),
		slog.Int("rate_limit_max_requests", c.RateLimitMaxRequests),
		slog.Int("rate_limit_auth_per_minute", c.RateLimitAuthPerMin),
		slog.Int("rate_limit_token_per_minute", c.RateLimitTokenPerMin),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.String("metrics_token", secret(c.MetricsToken != "")),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("sentry_dsn", secret(c.SentryDSN != "")),
		slog.String("otel_exporter_otlp_endpoint", redactURL(c.OTLPEndpoint)),
		slog.Duration("shutdown_drain", c.ShutdownDrain),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Duration("job_lease_ttl", c.JobLeaseTTL),
		slog.Duration("cleanup_interval", c.CleanupInterval),
		slog.Duration("deleted_secret_retention", c.DeletedSecretRetention),
		slog.String("tls_cert_file", c.TLSCertFile),
		slog.String("tls_key_file", c.TLSKeyFile),
		slog.String("http_redirect_addr", c.HTTPRedirectAddr),
		slog.Int64("disk_min_free_mb", c.DiskMinFreeMB),
		slog.Int64("gc_min_heap_mb", c.GCMinHeapMB),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Int64("max_import_bytes", c.MaxImportBytes),
		slog.Int("bcrypt_cost", c.BcryptCost),
	}
}

func secret(set bool) string {
	if set {
		return redacted
	}
	return ""
}

// redactURL masks the password in a URL's user info and in any query
// parameter that may hold a credential (PostgreSQL accepts ?password=).
// Anything unparsable is redacted whole.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Fragment != "" || u.Opaque != "" {
		// A connection URL has neither; a '#' most likely split a password.
		return redacted
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if lk := strings.ToLower(k); strings.Contains(lk, "pass") || strings.Contains(lk, "secret") ||
				strings.Contains(lk, "token") || strings.Contains(lk, "key") {
				q.Set(k, "redacted")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
