// Package redis holds Coffer's Redis adapters: the event bus that carries
// live events between instances and the rate limiter that shares counters
// between them. Both degrade on their own when Redis is unreachable —
// events stay local, limits become per instance — so Redis is never on
// the path of a secret read or write. Redis never holds a secret value or
// a raw token: events carry ids, keys, versions and revisions, and rate
// limit keys are hashed.
package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cofferhq/coffer/internal/recovery"
)

// retryDownAfter is how long callers skip Redis after it failed, so that
// an outage costs one timeout per interval, not one per request.
const retryDownAfter = 2 * time.Second

// Config is what Open needs.
type Config struct {
	URL string // redis:// or rediss://
	// Name identifies the connections in CLIENT LIST ("coffer" if empty).
	Name string
	// KeyPrefix starts every key and channel (REDIS_KEY_PREFIX), so that
	// deployments sharing one Redis database stay apart.
	KeyPrefix string
	Logger    *slog.Logger
	// OnState, if set, is told whether Redis is reachable whenever that
	// changes (the coffer_redis_up gauge).
	OnState func(up bool)
	// PanicHook, if set, is passed a panic recovered in the bus's
	// goroutines (the error reporter); the log gets it either way.
	PanicHook recovery.Hook
}

// Client is a Redis connection pool that remembers whether Redis is up,
// so that its users fall back at once during an outage and the change is
// logged once, not per request.
type Client struct {
	rdb       *goredis.Client
	prefix    string
	log       *slog.Logger
	onState   func(bool)
	panicHook recovery.Hook

	mu        sync.Mutex
	up        bool
	retryAtNS atomic.Int64 // while down: when to try Redis again
}

// Open parses cfg.URL and returns a client; it does not connect (Redis
// may come up later). Timeouts are short: every use has a fallback, and
// waiting longer than that for Redis is worse than using it.
func Open(cfg Config) (*Client, error) {
	quietLibraryLog.Do(func() { goredis.SetLogger(libraryLog{cfg.Logger}) })
	opt, err := goredis.ParseURL(cfg.URL)
	if err != nil {
		// ParseURL errors can quote the URL, which may hold a password.
		return nil, fmt.Errorf("REDIS_URL is not a valid redis:// or rediss:// URL")
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.MaxRetries = 1
	opt.ClientName = cfg.Name
	if opt.ClientName == "" {
		opt.ClientName = "coffer"
	}
	c := &Client{rdb: goredis.NewClient(opt), prefix: cfg.KeyPrefix, log: cfg.Logger, onState: cfg.OnState, panicHook: cfg.PanicHook, up: true}
	if c.onState != nil {
		c.onState(true)
	}
	return c, nil
}

// quietLibraryLog routes go-redis's own messages (the dial failures it
// retries) once per process: without it they go to stderr unstructured,
// and the Client already logs each outage, once.
var quietLibraryLog sync.Once

type libraryLog struct{ log *slog.Logger }

func (l libraryLog) Printf(ctx context.Context, format string, v ...any) {
	if l.log != nil {
		l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
	}
}

// Ping checks that Redis answers: the redis health check.
func (c *Client) Ping(ctx context.Context) error {
	err := c.rdb.Ping(ctx).Err()
	c.report(err)
	return err
}

// Close closes the pool.
func (c *Client) Close() error { return c.rdb.Close() }

// usable reports whether Redis is worth trying now: it is up, or it has
// been down long enough to try again.
func (c *Client) usable() bool {
	return time.Now().UnixNano() >= c.retryAtNS.Load()
}

// report records the outcome of a Redis command and logs the transitions
// between up and down once each.
func (c *Client) report(err error) {
	up := err == nil
	if !up {
		c.retryAtNS.Store(time.Now().Add(retryDownAfter).UnixNano())
	} else {
		c.retryAtNS.Store(0)
	}
	c.mu.Lock()
	changed := c.up != up
	c.up = up
	c.mu.Unlock()
	if !changed {
		return
	}
	if up {
		c.log.Info("redis reachable again")
	} else {
		c.log.Warn("redis unreachable; events stay on this instance and rate limits are per instance until it is back", "error", err)
	}
	if c.onState != nil {
		c.onState(up)
	}
}
