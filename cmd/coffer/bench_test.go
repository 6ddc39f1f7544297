package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// BenchmarkBulkRead measures the hot path of the product: a service token
// reading a 20-secret environment, through the whole middleware chain,
// authentication, policy, store, barrier and audit — everything but the
// network — and the same read with the chain off (authentication only), to
// show what the chain costs. Run with COFFER_TEST_DATABASE_URL set to
// include PostgreSQL.
func BenchmarkBulkRead(b *testing.B) {
	for _, backend := range backends {
		for _, chain := range []string{"chain", "unchained"} {
			b.Run(backend+"/"+chain, func(b *testing.B) { benchBulkRead(b, backend, chain == "chain") })
		}
	}
}

func benchBulkRead(b *testing.B, backend string, chained bool) {
	// As scripts/loadtest.sh runs it: no access-log lines.
	s := startServer(b, backend, nil, discardLogs)
	token := seedEnvironment(b, s, 20)
	handler := s.Server.Unchained()
	if chained {
		handler = s.Server
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/projects/bench/environments/prod/secrets", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.RemoteAddr = "127.0.0.1:40000"
	b.SetParallelism(32) // many clients, as a service fleet starting up
	b.ReportAllocs()
	cpu := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req.Clone(req.Context()))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body.String())
				return
			}
		}
	})
	b.StopTimer()
	// The wall time per read is bound by the audit commits the parallel
	// readers wait on; the process's CPU time per read is what the chain,
	// or any other layer, adds.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the CPU time, user and system, the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedEnvironment creates project "bench" with n secrets in prod and
// returns a read-only service token for it.
func seedEnvironment(b testing.TB, s *testServer, n int) string {
	b.Helper()
	ctx := b.Context()
	c, err := client.New(s.URL, client.WithCookieJar())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Signup(ctx, api.SignupRequest{Email: "bench@example.test", Name: "Bench", Password: testPassword}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateProject(ctx, api.CreateProjectRequest{Slug: "bench", Name: "Bench"}); err != nil {
		b.Fatal(err)
	}
	in := make([]api.SecretInput, n)
	for i := range in {
		in[i] = api.SecretInput{Key: fmt.Sprintf("SECRET_%02d", i), Value: fmt.Sprintf("value-%02d-%s", i, "0123456789abcdef0123456789abcdef")}
	}
	if _, err := c.PutSecrets(ctx, "bench", "prod", in, client.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	tok, err := c.CreateServiceToken(ctx, "bench", api.CreateServiceTokenRequest{Name: "bench", Environments: []string{"prod"}, Access: "read"})
	if err != nil {
		b.Fatal(err)
	}
	return tok.Secret
}
