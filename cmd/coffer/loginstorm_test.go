package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// TestLoginStormDoesNotStarveReads: a flood of sign-ins, each paying for a
// bcrypt comparison at cost 10, runs beside a service token reading its
// environment in bulk. bcrypt waits for one of a few hash slots
// (internal/service hashSlot: half the CPUs), so the flood queues instead
// of taking every core, and the reads keep their pace. The bound is
// relative: the reads are compared with a baseline taken by the same
// process just before, so a slow or busy machine moves both.
func TestLoginStormDoesNotStarveReads(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of deliberate CPU load")
	}
	s := startServer(t, "sqlite", map[string]string{"BCRYPT_COST": "10"})
	owner, _, _ := s.owner(t, "owner", "shop")
	ctx := t.Context()
	var secrets []api.SecretInput
	for i := range 20 {
		secrets = append(secrets, api.SecretInput{Key: api.Key(fmt.Sprintf("KEY_%02d", i)), Value: strings.Repeat("v", 40)})
	}
	ok(owner.PutSecrets(ctx, "shop", "dev", secrets, client.ImportOptions{})).get(t)
	svc := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "app", Environments: []string{"dev"}, Access: "read"})).get(t)

	// Raw requests: the test measures the server, not the contract check.
	reader := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	read := func() (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/projects/shop/environments/dev/secrets", nil)
		req.Header.Set("Authorization", "Bearer "+svc.Secret)
		start := time.Now()
		resp, err := reader.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), err
	}
	// reads reads for d and returns the latencies, sorted.
	reads := func(d time.Duration) []time.Duration {
		var out []time.Duration
		for end := time.Now().Add(d); time.Now().Before(end); {
			took, err := read()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			out = append(out, took)
		}
		slices.Sort(out)
		return out
	}
	reads(300 * time.Millisecond) // warm the caches and connections
	base := reads(1500 * time.Millisecond)

	stormCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var answered, n atomic.Int64
	storm := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	for range 32 {
		wg.Go(func() {
			for stormCtx.Err() == nil {
				// A new unknown email each time: no per-account throttle
				// stops it, and an unknown email costs a full comparison.
				body := fmt.Sprintf(`{"email":"storm-%d@example.test","password":"wrong-password-1234"}`, n.Add(1))
				req, _ := http.NewRequestWithContext(stormCtx, "POST", s.URL+"/api/v1/auth/login", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := storm.Do(req)
				if err != nil {
					continue // cancelled at the end
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized {
					answered.Add(1)
				}
			}
		})
	}
	checksBefore := s.Service.PasswordChecks()
	time.Sleep(200 * time.Millisecond) // let the queue fill
	during := reads(1500 * time.Millisecond)
	checks := s.Service.PasswordChecks() - checksBefore
	stop()
	wg.Wait()

	q := func(l []time.Duration, p float64) time.Duration { return l[int(float64(len(l)-1)*p)] }
	t.Logf("baseline: %d reads, p50 %s, p90 %s; during the storm: %d reads, p50 %s, p90 %s; %d password checks, %d logins answered",
		len(base), q(base, .5), q(base, .9), len(during), q(during, .5), q(during, .9), checks, answered.Load())
	if checks == 0 { // a dozen or more; one under -race, where bcrypt crawls
		t.Fatal("no password check during the storm: it did not reach bcrypt")
	}
	// Generous, for a busy 2-core machine: a read may run up to twenty
	// times slower than alone (plus 25 ms). With bcrypt unbounded the
	// reads queue behind dozens of comparisons of tens of milliseconds
	// each: hundreds of milliseconds, a handful of reads in the window.
	for _, p := range []float64{.5, .9} {
		if limit := 20*q(base, p) + 25*time.Millisecond; q(during, p) > limit {
			t.Errorf("p%.0f read latency %s during the storm, over %s (20 × baseline %s + 25 ms)", p*100, q(during, p), limit, q(base, p))
		}
	}
	if len(during) < len(base)/20 {
		t.Errorf("%d reads during the storm, against %d in the baseline", len(during), len(base))
	}
}
