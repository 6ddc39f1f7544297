package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/logtest"
	"github.com/cofferhq/coffer/internal/telemetry/telemetrytest"
)

// buildCoffer builds this command into a temporary directory.
func buildCoffer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coffer")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running coffer server.
type process struct {
	cmd  *exec.Cmd
	URL  string
	done chan error // the result of Wait
	logs *logtest.Buffer
}

// startProcess runs `coffer server` with env and waits until it serves.
func startProcess(t *testing.T, bin string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, "server")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "APP_ENV=development", "HOST=127.0.0.1", "PORT=0",
		"DATA_DIR=" + t.TempDir(), "BCRYPT_COST=4", "LOG_FORMAT=json",
		// The reader stream must not be throttled: every refusal is a failure here.
		"RATE_LIMIT_MAX_REQUESTS=1000000", "RATE_LIMIT_TOKEN_PER_MINUTE=10000000",
	}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1), logs: &logtest.Buffer{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			_, _ = p.logs.Write(append(sc.Bytes(), '\n'))
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "coffer is serving" {
				addr <- l.Addr
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not start:\n%s", p.logs)
	}
	return p
}

// wait returns the exit code within d, failing the test otherwise.
func (p *process) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("still running after %s:\n%s", d, p.logs)
		return -1
	}
}

func status(url string) int {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCoffer(t)
	t.Run("DrainsAndExitsZero", func(t *testing.T) {
		const drain, timeout = 1500 * time.Millisecond, 10 * time.Second
		p := startProcess(t, bin, "SHUTDOWN_DRAIN="+drain.String(), "SHUTDOWN_TIMEOUT="+timeout.String())
		ctx := t.Context()
		s := &testServer{URL: p.URL}
		c, _ := s.signup(t, "owner")
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop", Environments: []string{"dev"}})).get(t)
		if _, _, err := c.PutSecret(ctx, "shop", "dev", "DB_URL", api.PutSecretRequest{Value: "v"}); err != nil {
			t.Fatal(err)
		}
		tok := ok(s.newClient(t).Token(ctx, api.TokenRequest{GrantType: "password", Email: uniqueEmail(t, "owner"), Password: testPassword})).get(t)
		secretURL := p.URL + "/api/v1/projects/shop/environments/dev/secrets/DB_URL"
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		get := func() (int, error) {
			req, _ := http.NewRequestWithContext(context.Background(), "GET", secretURL, nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := hc.Do(req)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			_, err = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode, err
		}

		// A stream of reads that behaves like a load balancer: it keeps
		// sending through the drain, and stops starting new requests once
		// the drain is nearly over (a balancer has seen readiness fail by
		// then). Every read it sends must succeed.
		var served, failed atomic.Int64
		var stopAt atomic.Int64 // unix nanoseconds; 0 until SIGTERM
		var failures sync.Map
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for stop := stopAt.Load(); stop == 0 || time.Now().UnixNano() < stop; stop = stopAt.Load() {
					code, err := get()
					if err == nil && code == 200 {
						served.Add(1)
						continue
					}
					failed.Add(1)
					failures.Store(fmt.Sprint(code, err), true)
					return
				}
			})
		}
		// A slow write in flight across the whole drain: its body trickles
		// in for 2 s, after SIGTERM and past SHUTDOWN_DRAIN, so it is still
		// running when the server stops accepting connections.
		slow := make(chan int, 1)
		go func() {
			pr, pw := io.Pipe()
			go func() {
				_, _ = io.WriteString(pw, `{"value":`)
				time.Sleep(2 * time.Second)
				_, _ = io.WriteString(pw, `"slow"}`)
				pw.Close()
			}()
			req, _ := http.NewRequestWithContext(context.Background(), "PUT", secretURL, pr)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				slow <- 0
				return
			}
			resp.Body.Close()
			slow <- resp.StatusCode
		}()
		time.Sleep(300 * time.Millisecond)
		if served.Load() == 0 {
			t.Fatal("no read served before SIGTERM")
		}

		start := time.Now()
		stopAt.Store(start.Add(drain - 500*time.Millisecond).UnixNano())
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		for status(p.URL+"/health/ready") != http.StatusServiceUnavailable {
			if time.Since(start) > 500*time.Millisecond {
				t.Fatal("readiness did not turn 503 at once")
			}
			time.Sleep(10 * time.Millisecond)
		}
		atReady := served.Load()
		time.Sleep(300 * time.Millisecond)
		if served.Load() == atReady {
			t.Error("no read served while draining")
		}
		if code := p.wait(t, timeout); code != 0 {
			t.Fatalf("exit code %d:\n%s", code, p.logs)
		}
		if took := time.Since(start); took > timeout {
			t.Errorf("shutdown took %s", took)
		}
		wg.Wait()
		if code := <-slow; code != http.StatusOK {
			t.Errorf("the in-flight write ended with %d", code)
		}
		if failed.Load() > 0 {
			failures.Range(func(k, _ any) bool { t.Errorf("a request failed: %v", k); return true })
		}
		if !strings.Contains(p.logs.String(), `"msg":"stopped"`) {
			t.Errorf("no clean stop in the logs:\n%s", p.logs)
		}
	})
	t.Run("TimeoutIncludesTheDrain", func(t *testing.T) {
		// SHUTDOWN_TIMEOUT counts from the signal, drain included: a
		// request that never ends holds the shutdown until then, not
		// until drain + timeout, and the process then exits 1.
		const drain, timeout = 3 * time.Second, 4 * time.Second
		p := startProcess(t, bin, "SHUTDOWN_DRAIN="+drain.String(), "SHUTDOWN_TIMEOUT="+timeout.String())
		s := &testServer{URL: p.URL}
		c, _ := s.signup(t, "owner")
		ok(c.CreateProject(t.Context(), api.CreateProjectRequest{Slug: "shop", Name: "Shop", Environments: []string{"dev"}})).get(t)
		tok := ok(s.newClient(t).Token(t.Context(), api.TokenRequest{GrantType: "password", Email: uniqueEmail(t, "owner"), Password: testPassword})).get(t)
		// A write whose body never ends: in flight until the process exits.
		pr, pw := io.Pipe()
		t.Cleanup(func() { _ = pw.Close() })
		started := make(chan struct{})
		go func() {
			_, _ = io.WriteString(pw, `{"value":`)
			close(started)
		}()
		req, _ := http.NewRequestWithContext(context.Background(), "PUT", p.URL+"/api/v1/projects/shop/environments/dev/secrets/K", pr)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		go func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		<-started
		time.Sleep(200 * time.Millisecond) // the handler is reading the body

		start := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		code := p.wait(t, drain+timeout+5*time.Second)
		took := time.Since(start)
		if code != 1 || !strings.Contains(p.logs.String(), "shutdown incomplete") {
			t.Errorf("exit code %d, want 1 with \"shutdown incomplete\" logged:\n%s", code, p.logs)
		}
		if took < timeout-200*time.Millisecond {
			t.Errorf("exited %s after SIGTERM: it did not wait for the in-flight request until SHUTDOWN_TIMEOUT (%s)", took, timeout)
		}
		if took >= drain+timeout-time.Second {
			t.Errorf("exited %s after SIGTERM: SHUTDOWN_TIMEOUT (%s) was counted after SHUTDOWN_DRAIN (%s)", took, timeout, drain)
		}
	})
	t.Run("FlushesTraces", func(t *testing.T) {
		// Spans wait up to 5 s to be sent in a batch; a request answered
		// just before SIGTERM must still reach the collector.
		otlp := telemetrytest.NewOTLP(t)
		p := startProcess(t, bin, "SHUTDOWN_DRAIN=0s", "SHUTDOWN_TIMEOUT=10s", "OTEL_EXPORTER_OTLP_ENDPOINT="+otlp.URL)
		if got := status(p.URL + "/api/v1/openapi.json"); got != http.StatusOK {
			t.Fatalf("request before shutdown: %d", got)
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("exit code %d:\n%s", code, p.logs)
		}
		for _, sp := range otlp.Spans() {
			if sp.Name == "GET /api/v1/openapi.json" {
				return
			}
		}
		t.Errorf("the request's span was not sent before the process exited; the collector got %d spans", len(otlp.Spans()))
	})
	t.Run("SecondSignalExitsAtOnce", func(t *testing.T) {
		p := startProcess(t, bin, "SHUTDOWN_DRAIN=20s", "SHUTDOWN_TIMEOUT=30s")
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// Readiness turns 503 inside Close, after the second-signal
		// handler is installed.
		deadline := time.Now().Add(5 * time.Second)
		for status(p.URL+"/health/ready") != http.StatusServiceUnavailable {
			if time.Now().After(deadline) {
				t.Fatal("readiness did not turn 503")
			}
			time.Sleep(10 * time.Millisecond)
		}
		start := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t, 3*time.Second); code != 1 {
			t.Fatalf("exit code %d, want 1", code)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("second signal took %s", took)
		}
	})
}

// TestBackgroundPanicIsRecovered panics in a background job of a running
// server: the panic is logged with its stack, reported to Sentry, and the
// server keeps serving.
func TestBackgroundPanicIsRecovered(t *testing.T) {
	recv := telemetrytest.NewSentry(t)
	s := startServer(t, "sqlite", map[string]string{"SENTRY_DSN": recv.DSN})
	done := make(chan struct{})
	s.goSafe("test-job", func() {
		defer close(done)
		panic("background job exploded")
	})
	<-done
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Logs.String(), "panic in background job") {
		if time.Now().After(deadline) {
			t.Fatalf("not logged:\n%s", s.Logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(s.Logs.String(), `"job":"test-job"`) || !strings.Contains(s.Logs.String(), "goroutine") {
		t.Errorf("log line without job or stack:\n%s", s.Logs)
	}
	if code := status(s.URL + "/health"); code != 200 {
		t.Fatalf("after the panic /health answers %d", code)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for len(recv.Events()) == 0 && ctx.Err() == nil {
		s.obs.reporter.Flush(ctx)
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(recv.Events()); n != 1 {
		t.Fatalf("%d Sentry events, want 1", n)
	}
}
