package main

import (
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/redis/redistest"
	"github.com/cofferhq/coffer/internal/storetest"
)

// twoInstances starts two servers sharing one PostgreSQL schema, one data
// directory (so one set of dev keys) and one Redis, as two replicas behind
// a load balancer.
func twoInstances(t *testing.T, env map[string]string) (a, b *testServer) {
	t.Helper()
	redisURL := redistest.URL(t)
	if os.Getenv(storetest.EnvPostgresURL) == "" {
		t.Skip("two instances need a shared database: " + storetest.EnvPostgresURL + " is not set")
	}
	shared := map[string]string{
		"DATABASE_URL": storetest.PostgresURL(t),
		"DATA_DIR":     t.TempDir(),
		"REDIS_URL":    redisURL,
		// Its own prefix: tests running at the same time share the Redis.
		"REDIS_KEY_PREFIX": testRedisPrefix(),
	}
	for k, v := range env {
		shared[k] = v
	}
	return startServer(t, "postgres", shared), startServer(t, "postgres", shared)
}

func TestEventsReachSubscribersOnEveryInstance(t *testing.T) {
	a, b := twoInstances(t, nil)
	c, token, _ := a.owner(t, "owner", "shop")
	onB := dialFeed(t, b, bearerHeader(token), nil)
	_, rev := onB.subscribe("shop", "dev", nil)
	time.Sleep(100 * time.Millisecond) // B's bus subscription is confirmed at start; this is margin
	start := time.Now()
	put(t, c, "shop", "DB_URL", "postgres://a") // written on A
	fr := onB.mustNext()
	if fr.Type != "secret.created" || fr.Key != "DB_URL" || fr.Revision != rev+1 {
		t.Fatalf("subscriber on B got %+v", fr)
	}
	t.Logf("write on A reached B's subscriber in %v", time.Since(start))
}

func TestRateLimitSharedByInstances(t *testing.T) {
	a, b := twoInstances(t, map[string]string{"RATE_LIMIT_AUTH_PER_MINUTE": "4"})
	statuses := []int{}
	for i := range 6 {
		s := a
		if i%2 == 1 {
			s = b
		}
		_, err := s.newClient(t).Login(t.Context(), api.LoginRequest{Email: "nobody@example.test", Password: "wrong-password-123"})
		statuses = append(statuses, statusOf(err))
	}
	refused := 0
	for _, st := range statuses {
		if st == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 2 {
		t.Fatalf("statuses %v: want the 5th and 6th attempts (across both instances) refused", statuses)
	}
}

// testRedisPrefix returns a REDIS_KEY_PREFIX no other test uses.
func testRedisPrefix() string { return "coffer-test-" + uuid.NewString()[:8] + ":" }

// Two deployments sharing one Redis database stay apart with their own
// REDIS_KEY_PREFIX: the attempts on one never count against the other,
// while instances of one deployment still share their limits.
func TestRedisKeyPrefixSeparatesDeployments(t *testing.T) {
	redisURL := redistest.URL(t)
	prefix := testRedisPrefix()
	instance := func(deployment string) *testServer {
		return startServer(t, "sqlite", map[string]string{
			"REDIS_URL": redisURL, "REDIS_KEY_PREFIX": deployment + "-" + prefix, "RATE_LIMIT_AUTH_PER_MINUTE": "2",
		})
	}
	login := func(s *testServer) int {
		_, err := s.newClient(t).Login(t.Context(), api.LoginRequest{Email: "nobody@example.test", Password: "wrong-password-123"})
		return statusOf(err)
	}
	staging, production := instance("staging"), instance("production")
	for range 2 {
		if st := login(staging); st != http.StatusUnauthorized {
			t.Fatalf("attempt within the limit: %d", st)
		}
	}
	if st := login(staging); st != http.StatusTooManyRequests {
		t.Fatalf("third attempt on staging: %d, want 429", st)
	}
	if st := login(production); st != http.StatusUnauthorized {
		t.Errorf("first attempt on production: %d, want 401: staging's attempts counted against it", st)
	}
	if st := login(instance("staging")); st != http.StatusTooManyRequests {
		t.Errorf("a second staging instance: %d, want 429 (one deployment shares its limits)", st)
	}
}

func TestRedisDownLimiterFallsBackAndLoginWorks(t *testing.T) {
	s := startServer(t, "sqlite", map[string]string{"REDIS_URL": redistest.Unreachable, "RATE_LIMIT_AUTH_PER_MINUTE": "3"})
	c, token, u := s.owner(t, "owner", "shop") // signup, token grant: through the fallback limiter
	put(t, c, "shop", "STILL", "works")
	f := dialFeed(t, s, bearerHeader(token), nil)
	f.subscribe("shop", "dev", nil)
	put(t, c, "shop", "LOCAL", "event")
	if fr := f.mustNext(); fr.Key != "LOCAL" {
		t.Fatalf("local subscriber got %+v", fr)
	}
	// The limit still holds, per instance: never open.
	var last int
	for range 4 {
		_, err := s.newClient(t).Login(t.Context(), api.LoginRequest{Email: u.Email, Password: testPassword})
		last = statusOf(err)
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("auth limit with Redis down: last status %d, want 429", last)
	}
	for _, path := range []string{"/health/redis", "/health/ready"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want 503", path, resp.StatusCode)
		}
	}
	if v := metricValue(t, s, "coffer_redis_up"); v != 0 {
		t.Errorf("coffer_redis_up = %v with Redis down", v)
	}
}

// statusOf returns the HTTP status of a client error, 200 for none.
func statusOf(err error) int {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Status
	}
	if err != nil {
		return -1
	}
	return http.StatusOK
}
