package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The live feed keeps what an idle connection costs small (see
// docs/benchmarks.md, "Live events"): an idle connection holds one
// goroutine, its reader; two wheels per server ping and recheck every
// connection in turn; and the connection reads and writes through buffers
// of its own size. These tests cover what those choices could break.

// TestEventsHeartbeatClosesSilentPeers: a client that answers pings keeps
// its feed across many heartbeats; one that stopped reading (a vanished
// peer never answers) is closed once its ping goes unanswered.
func TestEventsHeartbeatClosesSilentPeers(t *testing.T) {
	t.Parallel()
	const interval = 250 * time.Millisecond // long enough for a loaded machine to answer in time
	s := startServer(t, "sqlite", nil, func(m *Main) { m.FeedLimits.PingInterval = interval })
	_, token, _ := s.owner(t, "owner", "shop")

	answering := dialFeed(t, s, bearerHeader(token), nil)
	answering.subscribe("shop", "dev", nil)
	answering.ws.CloseRead(t.Context()) // reads from now on, which answers pings
	silent := dialFeed(t, s, bearerHeader(token), nil)
	silent.subscribe("shop", "dev", nil) // and then never reads again

	took := pollUntil(t, 5*time.Second, "the silent peer is closed", func() bool { return s.Server.FeedConnections() == 1 })
	t.Logf("silent peer closed after %v", took)
	time.Sleep(10 * interval)
	if n := s.Server.FeedConnections(); n != 1 {
		t.Fatalf("%d feed connections after ten heartbeats, want the answering one", n)
	}
	select {
	case <-answering.ws.CloseRead(t.Context()).Done():
		t.Fatal("the answering peer was closed")
	default:
	}
}

// TestEventsHeartbeatPingsEveryConnection: the heartbeat wheel pings each
// connection once per interval — not never, and not at every tick.
func TestEventsHeartbeatPingsEveryConnection(t *testing.T) {
	t.Parallel()
	const interval, conns, intervals = 200 * time.Millisecond, 12, 8
	s := startServer(t, "sqlite", nil, func(m *Main) { m.FeedLimits.PingInterval = interval })
	_, token, _ := s.owner(t, "owner", "shop")
	pings := make([]atomic.Int32, conns)
	for i := range conns {
		ws, _, err := websocket.Dial(t.Context(), s.URL+"/api/v1/events", &websocket.DialOptions{
			HTTPHeader: bearerHeader(token),
			OnPingReceived: func(context.Context, []byte) bool {
				pings[i].Add(1)
				return true
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.CloseNow() })
		ws.CloseRead(t.Context()) // reads, which answers the pings
	}
	time.Sleep(intervals * interval)
	for i := range pings {
		// Loose bounds for a loaded machine; a wheel that pinged at every
		// tick would send ~20 per interval.
		if n := pings[i].Load(); n < intervals/3 || n > intervals+2 {
			t.Errorf("connection %d got %d pings in %d intervals", i, n, intervals)
		}
	}
	if n := s.Server.FeedConnections(); n != conns {
		t.Fatalf("%d feed connections, want %d: answering peers were closed", n, conns)
	}
}

// TestEventsIdleConnectionHoldsOneGoroutine: an idle subscribed feed
// holds its reader and nothing else. Not parallel: it counts the
// process's goroutines.
func TestEventsIdleConnectionHoldsOneGoroutine(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	_, token, _ := s.owner(t, "owner", "shop")
	settled := func() int { // the count once transient goroutines are gone
		n := runtime.NumGoroutine()
		for range 50 {
			time.Sleep(20 * time.Millisecond)
			m := runtime.NumGoroutine()
			if m == n {
				return n
			}
			n = m
		}
		return n
	}
	before := settled()
	const conns = 20
	for range conns {
		dialFeed(t, s, bearerHeader(token), nil).subscribe("shop", "dev", nil)
	}
	held := settled() - before
	t.Logf("%d idle feeds hold %d goroutines (client side included)", conns, held)
	// One reader each, and the hub's two wheels; the client's side of a
	// connection that it does not read holds none.
	if held > conns+3 {
		t.Fatalf("%d idle feeds hold %d goroutines, want one each", conns, held)
	}
}

// TestEventsFrameSentWithTheHandshake: a client may send its first frame
// right behind the upgrade request, so that both arrive in net/http's read
// buffer; the feed's own buffers must not lose it.
func TestEventsFrameSentWithTheHandshake(t *testing.T) {
	t.Parallel()
	s := startServer(t, "sqlite", nil)
	_, token, _ := s.owner(t, "owner", "shop")
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	handshake := "GET /api/v1/events HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key) + "\r\n" +
		"Authorization: Bearer " + token + "\r\n\r\n"
	subscribe := maskedTextFrame([]byte(`{"type":"subscribe","project":"shop","environment":"dev"}`))
	if _, err := conn.Write(append([]byte(handshake), subscribe...)); err != nil { // one write, one segment
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %s", resp.Status)
	}
	msg := readServerFrame(t, br)
	if !strings.Contains(msg, `"type":"subscribed"`) {
		t.Fatalf("first frame %s, want the acknowledgement of the early subscribe", msg)
	}
}

// maskedTextFrame encodes payload (under 126 bytes) as a client's final
// text frame.
func maskedTextFrame(payload []byte) []byte {
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	f := append([]byte{0x81, 0x80 | byte(len(payload))}, mask...)
	for i, b := range payload {
		f = append(f, b^mask[i%4])
	}
	return f
}

// readServerFrame reads one unmasked, unfragmented frame and returns its
// payload.
func readServerFrame(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		t.Fatal("unexpectedly large frame")
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatalf("read frame payload: %v", err)
	}
	return string(payload)
}
