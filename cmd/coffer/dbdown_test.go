package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/health"
	"github.com/cofferhq/coffer/internal/storetest"
)

// When PostgreSQL goes away under a running server, /health/db and
// readiness say so with 503 and an error that names no credential, while
// liveness stays up (restarting the process would not bring the database
// back); when it returns, both recover without a restart.
func TestHealthFollowsADatabaseOutage(t *testing.T) {
	dbURL, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	gate := newTCPGate(t, dbURL.Host)
	dbURL.Host = gate.Addr()
	s := startServer(t, "postgres", map[string]string{"DATABASE_URL": dbURL.String()})
	hc := &http.Client{Transport: contractTransport{t: t, next: http.DefaultTransport}}
	check := func(path string) (int, health.Report) {
		t.Helper()
		resp, err := hc.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep health.Report
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp.StatusCode, rep
	}
	if code, _ := check("/health/db"); code != http.StatusOK {
		t.Fatalf("/health/db with the database up: %d", code)
	}

	gate.Down()
	code, rep := check("/health/db")
	if db := rep.Components["db"]; code != http.StatusServiceUnavailable || db.Status != health.StatusDown || db.Error == "" {
		t.Errorf("/health/db with the database gone: %d %+v, want 503 down with an error", code, rep)
	}
	if raw, _ := json.Marshal(rep); strings.Contains(string(raw), dbURL.Host) || strings.Contains(string(raw), "postgres@") {
		t.Errorf("the health answer names the database: %s", raw)
	}
	if code, rep := check("/health/ready"); code != http.StatusServiceUnavailable || rep.Components["db"].Status != health.StatusDown {
		t.Errorf("/health/ready with the database gone: %d %+v", code, rep)
	}
	if got := status(s.URL + "/health"); got != http.StatusOK {
		t.Errorf("liveness %d with the database gone, want 200", got)
	}

	gate.Up()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := check("/health/ready")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health/ready still %d 10 s after the database came back", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := check("/health/db"); code != http.StatusOK {
		t.Errorf("/health/db after the database came back: %d", code)
	}
}

// tcpGate forwards TCP connections to target while it is up. Down cuts
// every connection and refuses new ones, as a database host that goes
// away does; Up lets them through again.
type tcpGate struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	up    bool
	conns map[net.Conn]struct{}
}

func newTCPGate(t *testing.T, target string) *tcpGate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &tcpGate{target: target, ln: ln, up: true, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() {
		_ = ln.Close()
		g.Down()
	})
	go g.accept()
	return g
}

func (g *tcpGate) Addr() string { return g.ln.Addr().String() }

func (g *tcpGate) accept() {
	for {
		in, err := g.ln.Accept()
		if err != nil {
			return // closed
		}
		go g.forward(in)
	}
}

func (g *tcpGate) forward(in net.Conn) {
	out, err := net.Dial("tcp", g.target)
	if err != nil {
		_ = in.Close()
		return
	}
	if !g.track(in, out) {
		_ = in.Close()
		_ = out.Close()
		return
	}
	go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
	_, _ = io.Copy(in, out)
	_ = in.Close()
}

// track records a forwarded pair, or reports false while the gate is down.
func (g *tcpGate) track(conns ...net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.up {
		return false
	}
	for _, c := range conns {
		g.conns[c] = struct{}{}
	}
	return true
}

func (g *tcpGate) Down() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.up = false
	for c := range g.conns {
		_ = c.Close()
	}
	clear(g.conns)
}

func (g *tcpGate) Up() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.up = true
}
