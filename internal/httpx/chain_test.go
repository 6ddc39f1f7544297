package httpx

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ratelimit"
)

// fullChain is every middleware of this package in the suggested order.
func fullChain(h http.Handler, logger *slog.Logger, limiter ratelimit.Limiter) http.Handler {
	return Chain(h,
		RequestID,
		WithLogger(logger),
		NewProxyTrust([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}).Middleware,
		AccessLog(logger),
		Recover(logger, nil),
		SecurityHeaders,
		MaxURLLength(DefaultMaxURLLength),
		CORS([]string{"https://app.example.com"}),
		Compress,
		MaxBytes(1<<20),
		Timeout(30*time.Second),
		RateLimit(RateLimitConfig{
			Limiter: limiter, Limit: ratelimit.PerSecond(1_000_000_000), Scope: "ip", Key: KeyByClientIP, Logger: logger,
		}),
	)
}

func TestChainKeepsHijackWorking(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	m := ratelimit.NewMemory()
	defer m.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		// What a WebSocket library does: status first, then take the socket.
		w.WriteHeader(http.StatusSwitchingProtocols)
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nhello")
		_ = brw.Flush()
	})
	srv := httptest.NewServer(fullChain(Routes(mux), logger, m))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nAccept-Encoding: gzip, br\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), `"status":101`) {
		if time.Now().After(deadline) {
			t.Fatalf("access log: %s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestChainKeepsFlushWorking(t *testing.T) {
	t.Parallel()
	logger, _ := newTestLogger()
	m := ratelimit.NewMemory()
	defer m.Close()
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: first\n\n"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		<-release // the first event must reach the client before the handler ends
		_, _ = w.Write([]byte("data: second\n\n"))
	})
	srv := httptest.NewServer(fullChain(h, logger, m))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v1/stream", nil)
	req.Header.Set("Accept-Encoding", "br")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: first\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: second") {
		t.Fatalf("rest %q", rest)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Request-ID") == "" {
		t.Fatalf("headers %v", resp.Header)
	}
}

func TestStatusWriterHijackUnsupported(t *testing.T) {
	t.Parallel()
	for _, w := range []http.ResponseWriter{
		&StatusWriter{ResponseWriter: httptest.NewRecorder()},
		&headerHook{ResponseWriter: httptest.NewRecorder(), hook: noStore},
		&compressWriter{ResponseWriter: httptest.NewRecorder(), encoding: "gzip"},
	} {
		if _, _, err := http.NewResponseController(w).Hijack(); err == nil {
			t.Errorf("%T: hijack of a recorder succeeded", w)
		}
	}
	sw := &StatusWriter{ResponseWriter: httptest.NewRecorder()}
	sw.Flush()
	if sw.Status() != 200 || !sw.HeaderWritten() {
		t.Fatal("flush did not record the implicit 200")
	}
}

// BenchmarkChain measures the overhead of every middleware of the package
// stacked around a handler that writes a small JSON body.
func BenchmarkChain(b *testing.B) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	m := ratelimit.NewMemory()
	defer m.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/projects/{project}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"slug":"shop"}`))
	})
	benchHandler(b, fullChain(Routes(mux), logger, m))
}

// discardWriter is the cheapest ResponseWriter, so that the benchmarks
// measure the middlewares rather than httptest.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

func benchHandler(b *testing.B, h http.Handler) {
	r := httptest.NewRequest("GET", "/api/v1/projects/shop", nil)
	r.Header.Set("Accept-Encoding", "gzip, br")
	w := &discardWriter{}
	b.ReportAllocs()
	for b.Loop() {
		w.h = http.Header{}
		h.ServeHTTP(w, r)
	}
}

// BenchmarkBare is the same request without the middlewares, the baseline
// BenchmarkChain is compared to.
func BenchmarkBare(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/projects/{project}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"slug":"shop"}`))
	})
	benchHandler(b, mux)
}
