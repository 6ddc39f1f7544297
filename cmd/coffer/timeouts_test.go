package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// closedAfter reads conn until the server closes it and sends how long
// after start that was, with what the server had sent.
func closedAfter(conn net.Conn, start time.Time) <-chan closed {
	done := make(chan closed, 1)
	go func() {
		got, _ := io.ReadAll(conn) // EOF or reset: either way the server let go
		done <- closed{after: time.Since(start), got: string(got)}
	}()
	return done
}

type closed struct {
	after time.Duration
	got   string
}

func dialServer(t *testing.T, s *testServer) net.Conn {
	t.Helper()
	return dial(t, strings.TrimPrefix(s.URL, "http://"))
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// TestSlowHeadersAreCutOff: on every listener — the API, METRICS_ADDR and
// HTTP_REDIRECT_ADDR — a slow-loris client that trickles header lines
// forever is disconnected once HTTP_READ_HEADER_TIMEOUT has passed, without
// an answer, while a client that sends its headers at once is answered.
func TestSlowHeadersAreCutOff(t *testing.T) {
	const timeout = 300 * time.Millisecond
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, "sqlite", map[string]string{"HTTP_READ_HEADER_TIMEOUT": timeout.String(), "METRICS_ADDR": metrics})
	certFile, keyFile, _ := selfSigned(t)
	secure := startServer(t, "sqlite", map[string]string{
		"HTTP_READ_HEADER_TIMEOUT": timeout.String(),
		"TLS_CERT_FILE":            certFile, "TLS_KEY_FILE": keyFile, "HTTP_REDIRECT_ADDR": "127.0.0.1:0",
	})
	for name, addr := range map[string]string{
		"API":                strings.TrimPrefix(s.URL, "http://"),
		"METRICS_ADDR":       metrics,
		"HTTP_REDIRECT_ADDR": secure.tlsS.redirectLn.Addr().String(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wantSlowHeadersCutOff(t, addr, timeout)
		})
	}
}

func wantSlowHeadersCutOff(t *testing.T, addr string, timeout time.Duration) {
	prompt := dial(t, addr)
	if _, err := io.WriteString(prompt, "GET /health HTTP/1.1\r\nHost: coffer\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(prompt), nil)
	if err != nil {
		t.Fatalf("a prompt client got no answer: %v", err)
	}
	resp.Body.Close()

	start := time.Now()
	conn := dial(t, addr)
	done := closedAfter(conn, start)
	if _, err := io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: coffer\r\n"); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(5 * time.Second) // half the default header timeout
	for i := 0; ; i++ {
		select {
		case c := <-done:
			if c.after < timeout-50*time.Millisecond || c.after > 3*time.Second {
				t.Errorf("cut off after %s, want about %s", c.after, timeout)
			}
			if c.got != "" {
				t.Errorf("the slow client got an answer: %q", c.got)
			}
			return
		case <-giveUp:
			t.Fatalf("a client trickling headers for %s is still connected", time.Since(start))
		case <-tick.C:
			// A write may fail once the server has closed; the read
			// above reports that.
			_, _ = io.WriteString(conn, "X-Slow: "+strings.Repeat("a", i%8+1)+"\r\n")
		}
	}
}

// TestIdleKeepAliveIsClosed: a keep-alive connection is reused while it
// is busy and closed by the server once it has been idle for
// HTTP_IDLE_TIMEOUT.
func TestIdleKeepAliveIsClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	s := startServer(t, "sqlite", map[string]string{"HTTP_IDLE_TIMEOUT": idle.String()})
	conn := dialServer(t, s)
	br := bufio.NewReader(conn)
	get := func() {
		t.Helper()
		if _, err := io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: coffer\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("status %d, close %v", resp.StatusCode, resp.Close)
		}
	}
	get()
	time.Sleep(idle / 3)
	get() // still open: it was idle for less than the timeout

	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(10 * time.Second))
	n, err := br.Read(make([]byte, 1))
	took := time.Since(start)
	if n != 0 || err == nil {
		t.Fatalf("read %d bytes from an idle connection", n)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the idle connection was still open after %s", took)
	}
	if took < idle-50*time.Millisecond || took > 3*time.Second {
		t.Errorf("closed after %s idle, want about %s", took, idle)
	}
}

// TestFeedOutlivesHTTPTimeouts: a live feed stays up and keeps delivering
// events long after the read, write and request timeouts that apply to
// every other request have passed.
func TestFeedOutlivesHTTPTimeouts(t *testing.T) {
	s := startServer(t, "sqlite", map[string]string{
		"HTTP_READ_HEADER_TIMEOUT": "1s", "HTTP_READ_TIMEOUT": "1s",
		"HTTP_REQUEST_TIMEOUT": "1s", "HTTP_WRITE_TIMEOUT": "1500ms",
	})
	c, token, _ := s.owner(t, "owner", "shop")
	f := dialFeed(t, s, bearerHeader(token), nil)
	f.subscribe("shop", "dev", nil)
	time.Sleep(3 * time.Second) // twice the write timeout
	put(t, c, "shop", "LATE", "v")
	if fr := f.mustNext(); fr.Type != "secret.created" || fr.Key != "LATE" {
		t.Fatalf("frame %+v", fr)
	}
	// The feed reads too: a second subscription is answered.
	f.subscribe("shop", "dev", sincePtr(0))
}
