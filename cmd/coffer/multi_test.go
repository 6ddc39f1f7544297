package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	goredis "github.com/redis/go-redis/v9"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/redis/redistest"
	"github.com/cofferhq/coffer/internal/storetest"
)

// lbProxy is the load balancer of the multi-instance tests: round robin
// over the instances that still accept connections, X-Forwarded-For set,
// WebSocket upgrades passed through. It answers each request with the
// index of the instance that served it in X-Test-Backend.
type lbProxy struct {
	backends []*url.URL
	dead     []atomic.Bool
	next     atomic.Uint64
	srv      *httptest.Server
}

func newLBProxy(t *testing.T, urls ...string) *lbProxy {
	t.Helper()
	b := &lbProxy{dead: make([]atomic.Bool, len(urls))}
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		b.backends = append(b.backends, pu)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(b.backends[0]) // the transport picks the instance
			r.SetXForwarded()
		},
		Transport: b,
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set("X-Test-Backend", resp.Request.Header.Get("X-Test-Backend"))
			return nil
		},
	}
	b.srv = httptest.NewServer(proxy)
	t.Cleanup(b.srv.Close)
	return b
}

// RoundTrip sends r to the next live instance. An instance that refuses
// the connection is dead (kill -9): it is skipped from then on and the
// request goes to the next one, as a balancer with health checks would.
func (b *lbProxy) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		_ = r.Body.Close()
	}
	var lastErr error
	for range len(b.backends) {
		i := int(b.next.Add(1) % uint64(len(b.backends)))
		if b.dead[i].Load() {
			continue
		}
		out := r.Clone(r.Context())
		out.URL.Host, out.Host = b.backends[i].Host, b.backends[i].Host
		out.Header.Set("X-Test-Backend", strconv.Itoa(i))
		if r.Body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if errors.Is(err, syscall.ECONNREFUSED) {
			b.dead[i].Store(true)
		}
	}
	return nil, fmt.Errorf("no instance answered: %w", lastErr)
}

// node is one `coffer server` process of the cluster.
type node struct {
	*process
	index int
	pid   int
}

func (in *node) server() *testServer { return &testServer{URL: in.URL} }

// cluster is three instances on one PostgreSQL schema and one Redis,
// behind a balancer.
type cluster struct {
	redisURL  string
	instances []*node
	lb        *lbProxy
	db        *sql.DB // the shared schema, for looking at the leases table
}

func mustParseRedisURL(t *testing.T, u string) *goredis.Options {
	t.Helper()
	opt, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

func randomHexKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startCluster builds the binary and starts n instances with the same keys,
// a 1 s job lease and a 1 s cleanup interval.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	redisURL := redistest.URL(t)
	if os.Getenv(storetest.EnvPostgresURL) == "" {
		t.Skip("the multi-instance tests need a shared database: " + storetest.EnvPostgresURL + " is not set")
	}
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dbURL := storetest.PostgresURL(t)
	bin := buildCoffer(t)
	env := []string{
		"DATABASE_URL=" + dbURL, "REDIS_URL=" + redisURL,
		"JWT_SECRET=" + randomHexKey(48), "ENCRYPTION_KEY=" + randomHexKey(32),
		"TRUSTED_PROXIES=127.0.0.1/32", "LOG_LEVEL=info",
		"RATE_LIMIT_AUTH_PER_MINUTE=100000", "RATE_LIMIT_MAX_REQUESTS=1000000", "RATE_LIMIT_TOKEN_PER_MINUTE=1000000",
		"JOB_LEASE_TTL=1s", "CLEANUP_INTERVAL=1s", "SHUTDOWN_DRAIN=0s",
	}
	c := &cluster{redisURL: redisURL}
	var urls []string
	for i := range n {
		p := startProcess(t, bin, env...)
		c.instances = append(c.instances, &node{process: p, index: i, pid: p.cmd.Process.Pid})
		urls = append(urls, p.URL)
	}
	c.lb = newLBProxy(t, urls...)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c.db = db
	return c
}

// kill kills instance i with SIGKILL: no shutdown, no lease released.
func (c *cluster) kill(t *testing.T, i int) {
	t.Helper()
	if err := c.instances[i].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.instances[i].done:
	case <-time.After(10 * time.Second):
		t.Fatal("killed instance did not exit")
	}
}

// leaseHolder returns the instance holding the cleanup lease now, or nil.
func (c *cluster) leaseHolder(t *testing.T) *node {
	t.Helper()
	var holder string
	var expires int64
	err := c.db.QueryRowContext(t.Context(), `SELECT holder, expires_at FROM leases WHERE name = 'cleanup'`).Scan(&holder, &expires)
	if errors.Is(err, sql.ErrNoRows) || time.Now().UnixMicro() > expires {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	for _, in := range c.instances {
		if strings.Contains(holder, "/"+strconv.Itoa(in.pid)+"/") {
			return in
		}
	}
	t.Fatalf("lease held by %q, none of ours", holder)
	return nil
}

// cleanupRuns returns how many cleanup runs instance in has counted.
func cleanupRuns(t *testing.T, in *node) float64 {
	t.Helper()
	resp, err := http.Get(in.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `coffer_job_runs_total{job="cleanup",outcome="success"} `); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// pollUntil polls cond every 20 ms until it holds, failing after d.
func pollUntil(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// subscriber is a live feed subscriber that keeps every revision it saw.
type subscriber struct {
	f       *feed
	backend int
	seen    map[int64]bool
	last    int64
}

// dialSubscriber connects through the balancer and subscribes to shop/dev
// from since (nil: now).
func (c *cluster) dialSubscriber(t *testing.T, token string, since *int64, w *subscriber) *subscriber {
	t.Helper()
	ws, resp, err := websocket.Dial(t.Context(), c.lb.srv.URL+"/api/v1/events", &websocket.DialOptions{HTTPHeader: bearerHeader(token)})
	if err != nil {
		t.Fatalf("dial feed through the balancer: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	if w == nil {
		w = &subscriber{seen: map[int64]bool{}}
	}
	w.f = &feed{t: t, ws: ws}
	w.backend, _ = strconv.Atoi(resp.Header.Get("X-Test-Backend"))
	replay, rev := w.f.subscribe("shop", "dev", since)
	for _, fr := range replay {
		w.add(fr)
	}
	if since == nil {
		w.last = rev
	}
	return w
}

func (w *subscriber) add(fr frame) {
	if strings.HasPrefix(fr.Type, "secret.") {
		w.seen[fr.Revision] = true
		w.last = max(w.last, fr.Revision)
	}
}

// until reads events until the watcher has seen revision rev.
func (w *subscriber) until(rev int64) {
	w.f.t.Helper()
	for w.last < rev {
		w.add(w.f.mustNext())
	}
}

// missing lists the revisions in (from, to] the watcher never saw.
func (w *subscriber) missing(from, to int64) []int64 {
	var out []int64
	for r := from + 1; r <= to; r++ {
		if !w.seen[r] {
			out = append(out, r)
		}
	}
	return out
}

// TestMultiInstance runs three `coffer server` processes against one
// PostgreSQL schema and one Redis behind a round-robin balancer, and
// proves that they behave as one server: sessions, sign-out, events and
// rate limits are shared, a killed instance's subscribers resume on
// another without missing an event, and the cleanup job runs on exactly
// one instance and moves when that one dies.
func TestMultiInstance(t *testing.T) {
	start := time.Now()
	c := startCluster(t, 3)
	t.Logf("three instances up in %v", time.Since(start))
	ctx := t.Context()
	a, b, cc := c.instances[0].server(), c.instances[1].server(), c.instances[2].server()
	lb := &testServer{URL: c.lb.srv.URL}
	owner, token, u := lb.owner(t, "owner", "shop")

	t.Run("SessionMadeOnAWorksOnBAndC", func(t *testing.T) {
		_, tok := a.bearer(t, u.Email)
		for _, s := range []*testServer{a, b, cc} {
			ok(s.newClient(t, client.WithToken(tok.AccessToken)).Me(ctx)).get(t)
		}
	})

	t.Run("LogoutOnBEnforcedOnAWithinOneSecond", func(t *testing.T) {
		_, tok := a.bearer(t, u.Email)
		onA := a.newClient(t, client.WithToken(tok.AccessToken))
		ok(onA.Me(ctx)).get(t)
		noErr(t, b.newClient(t, client.WithToken(tok.AccessToken)).Logout(ctx))
		took := pollUntil(t, time.Second, "sign-out on B enforced on A", func() bool {
			_, err := onA.Me(ctx)
			return statusOf(err) == http.StatusUnauthorized
		})
		t.Logf("enforced on A %v after the sign-out on B returned", took)
	})

	t.Run("WriteOnAReachesSubscribersOnBAndC", func(t *testing.T) {
		feeds := []*feed{dialFeed(t, b, bearerHeader(token), nil), dialFeed(t, cc, bearerHeader(token), nil)}
		var rev int64
		for _, f := range feeds {
			_, rev = f.subscribe("shop", "dev", nil)
		}
		onA := a.newClient(t, client.WithToken(token))
		put(t, onA, "shop", "FROM_A", "x")
		for i, f := range feeds {
			fr := f.mustNext()
			if fr.Type != "secret.created" || fr.Key != "FROM_A" || fr.Revision != rev+1 {
				t.Errorf("subscriber %d got %+v", i, fr)
			}
		}
	})

	t.Run("BulkReadsShareSealedBundlesAndSeeOtherInstancesWrites", func(t *testing.T) {
		onA := a.newClient(t, client.WithToken(token))
		onB := b.newClient(t, client.WithToken(token))
		ok(onA.CreateProject(ctx, api.CreateProjectRequest{Slug: "cached", Name: "Cached"})).get(t)
		if _, _, err := onA.PutSecret(ctx, "cached", "dev", "K", api.PutSecretRequest{Value: "v1", Comment: "from the database"}); err != nil {
			t.Fatal(err)
		}
		ok(onA.Secrets(ctx, "cached", "dev", client.SecretsOptions{})).get(t) // A fills Redis
		env := ok(onA.Environment(ctx, "cached", "dev")).get(t)

		// Mark the shared copy (a comment is not sealed): B, which never
		// read this environment, must answer from it, not from PostgreSQL.
		rdb := goredis.NewClient(mustParseRedisURL(t, c.redisURL))
		defer rdb.Close()
		key := fmt.Sprintf("coffer:bundle:%s:%d", env.ID, env.Revision)
		cached, err := rdb.Get(ctx, key).Result()
		if err != nil {
			t.Fatalf("A did not share the bundle: %v", err)
		}
		marked := strings.Replace(cached, "from the database", "from redis", 1)
		if err := rdb.Set(ctx, key, marked, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		got := ok(onB.Secrets(ctx, "cached", "dev", client.SecretsOptions{})).get(t)
		if len(got.Bundle.Secrets) != 1 || got.Bundle.Secrets[0].Comment != "from redis" || *got.Bundle.Secrets[0].Value != "v1" {
			t.Fatalf("B answered %+v, want the shared bundle (comment %q)", got.Bundle.Secrets, "from redis")
		}

		// A write on A: a fresh read on B sees it at once, a plain one
		// once the event has arrived.
		if _, _, err := onA.PutSecret(ctx, "cached", "dev", "K", api.PutSecretRequest{Value: "v2"}); err != nil {
			t.Fatal(err)
		}
		fresh := ok(onB.Secrets(ctx, "cached", "dev", client.SecretsOptions{Fresh: true})).get(t)
		if *fresh.Bundle.Secrets[0].Value != "v2" {
			t.Fatalf("fresh read on B after the write on A: %q", *fresh.Bundle.Secrets[0].Value)
		}
		if _, _, err := onA.PutSecret(ctx, "cached", "dev", "K", api.PutSecretRequest{Value: "v3"}); err != nil {
			t.Fatal(err)
		}
		took := pollUntil(t, time.Second, "B serves the write made on A", func() bool {
			res := ok(onB.Secrets(ctx, "cached", "dev", client.SecretsOptions{})).get(t)
			return *res.Bundle.Secrets[0].Value == "v3"
		})
		t.Logf("B served A's write %v after it returned", took)
	})

	t.Run("LoginAttemptsShareOneLimit", func(t *testing.T) {
		_, victim := lb.signup(t, "victim") // an account no sign-in has counted against yet
		var codes []int
		backends := map[string]bool{}
		for range 13 {
			req, _ := http.NewRequestWithContext(ctx, "POST", lb.URL+"/api/v1/auth/login",
				strings.NewReader(`{"email":"`+victim.Email+`","password":"not-the-password-1"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
			backends[resp.Header.Get("X-Test-Backend")] = true
		}
		if len(backends) != 3 {
			t.Fatalf("attempts reached %d instances, want 3", len(backends))
		}
		// 10 per minute per account, wherever they land: the 11th and
		// later are refused (a slow machine may earn back one attempt).
		allowed := 0
		for _, code := range codes {
			if code != http.StatusTooManyRequests {
				allowed++
			}
		}
		if allowed < 10 || allowed > 11 || codes[len(codes)-1] != http.StatusTooManyRequests {
			t.Fatalf("statuses %v: want 10 attempts let through across the three instances, then 429", codes)
		}
	})

	t.Run("CleanupRunsOnExactlyOneInstance", func(t *testing.T) {
		var holder *node
		pollUntil(t, 10*time.Second, "a cleanup lease holder", func() bool { holder = c.leaseHolder(t); return holder != nil })
		before := make([]float64, 3)
		for i, in := range c.instances {
			before[i] = cleanupRuns(t, in)
		}
		pollUntil(t, 10*time.Second, "two more runs on the holder", func() bool { return cleanupRuns(t, holder) >= before[holder.index]+2 })
		for i, in := range c.instances {
			if in != holder && cleanupRuns(t, in) != before[i] {
				t.Errorf("instance %d ran the cleanup while %d held the lease", i, holder.index)
			}
		}
		if !strings.Contains(holder.logs.String(), `"msg":"cleanup"`) {
			t.Errorf("the holder did not log its cleanup counts")
		}
	})

	t.Run("KillNineHolderFeedsResumeAndJobMoves", func(t *testing.T) {
		watchers := make([]*subscriber, 3)
		for i := range watchers {
			watchers[i] = c.dialSubscriber(t, token, nil, nil)
		}
		base := watchers[0].last
		var holder *node
		pollUntil(t, 10*time.Second, "a cleanup lease holder", func() bool { holder = c.leaseHolder(t); return holder != nil })
		victim := holder.index
		var dropped []*subscriber
		for _, w := range watchers {
			if w.backend == victim {
				dropped = append(dropped, w)
			}
		}
		if len(dropped) == 0 {
			t.Fatalf("no subscriber on instance %d (backends %d %d %d)", victim, watchers[0].backend, watchers[1].backend, watchers[2].backend)
		}
		put(t, owner, "shop", "BEFORE_KILL", "x")
		for _, w := range watchers {
			w.until(base + 1)
		}

		killed := time.Now()
		c.kill(t, victim)
		for _, w := range dropped {
			if _, err := w.f.next(5 * time.Second); err == nil {
				t.Fatal("a subscriber of the killed instance still gets frames")
			}
		}
		// Writes during the outage, each a new key so that a replay
		// cannot collapse them.
		for i := range 3 {
			put(t, owner, "shop", fmt.Sprintf("DURING_OUTAGE_%d", i), "x")
		}
		for _, w := range dropped {
			c.dialSubscriber(t, token, &w.last, w) // resumes from its last revision
			if w.backend == victim {
				t.Fatal("reconnected to the dead instance")
			}
		}
		put(t, owner, "shop", "AFTER_RECONNECT", "x")
		final := base + 5
		for i, w := range watchers {
			w.until(final)
			if miss := w.missing(base, final); len(miss) > 0 {
				t.Errorf("subscriber %d (instance %d) missed revisions %v", i, w.backend, miss)
			}
		}

		var next *node
		took := pollUntil(t, 10*time.Second, "another instance takes the cleanup lease", func() bool {
			next = c.leaseHolder(t)
			return next != nil && next.index != victim
		})
		runs := cleanupRuns(t, next)
		pollUntil(t, 10*time.Second, "the new holder runs the cleanup", func() bool { return cleanupRuns(t, next) > runs })
		t.Logf("lease moved from instance %d to %d %v after the kill (%v after polling began); TTL 1s",
			victim, next.index, time.Since(killed), took)
	})
	t.Logf("multi-instance test took %v", time.Since(start))
}
