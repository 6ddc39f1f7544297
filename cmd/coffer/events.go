//go:build !coffer_cli

package main

import (
	"context"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/events"
	"github.com/cofferhq/coffer/internal/health"
	"github.com/cofferhq/coffer/internal/ratelimit"
	"github.com/cofferhq/coffer/internal/redis"
	"github.com/cofferhq/coffer/internal/service"
)

// live is what Main owns for live events and, with REDIS_URL, for sharing
// state between instances: the local broker, the Redis client, the bus,
// the shared bundle cache and the shared rate limiter.
type live struct {
	broker  *events.Broker
	redis   *redis.Client // nil without REDIS_URL
	bus     *redis.Bus
	bundles *redis.Bundles
	limiter ratelimit.Limiter
}

// startLive builds the broker and, when REDIS_URL is set, the Redis bus
// and limiter, falling back to local for the limiter. Redis being down at
// start is not an error: both degrade until it is back.
func (m *Main) startLive(local *ratelimit.Memory) error {
	m.live = &live{broker: events.NewBroker(events.DefaultQueueSize), limiter: local}
	if m.Config.RedisURL == "" {
		return nil
	}
	c, err := redis.Open(redis.Config{
		URL: m.Config.RedisURL, KeyPrefix: m.Config.RedisKeyPrefix, Logger: m.Logger, OnState: m.Metrics.RedisUp,
		PanicHook: m.obs.reporter.PanicHook(), // the bus's goroutines
	})
	if err != nil {
		return err
	}
	m.live.redis = c
	m.live.bus = redis.NewBus(c, m.live.broker, "")
	m.live.bundles = redis.NewBundles(c)
	m.live.limiter = redis.NewLimiter(c, local)
	return nil
}

// publisher is what the service announces committed changes to.
func (l *live) publisher() coffer.EventPublisher {
	if l.bus != nil {
		return l.bus
	}
	return l.broker
}

// sharedBundles is the bundle cache shared through Redis, if any.
func (l *live) sharedBundles() service.SharedBundles {
	if l.bundles == nil {
		return nil // not a typed nil: the service tests for nil
	}
	return l.bundles
}

// healthChecks adds the redis check, critical only when REDIS_URL is set
// (it exists only then): an instance cut off from Redis serves, but its
// limits and events are local, so load balancers should prefer others.
func (l *live) healthChecks() []health.Check {
	if l.redis == nil {
		return nil
	}
	return []health.Check{{Name: "redis", Critical: true, Run: l.redis.Ping}}
}

// closeFeeds closes every live feed with 1001 (the http.Server does not
// track hijacked connections), waiting at most a few seconds.
func (m *Main) closeFeeds(ctx context.Context) error {
	if m.Server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return m.Server.CloseFeeds(ctx)
}

// closeLive stops the bus and closes Redis.
func (l *live) close() {
	if l == nil {
		return
	}
	if l.bus != nil {
		l.bus.Close()
	}
	if l.redis != nil {
		_ = l.redis.Close()
	}
}
