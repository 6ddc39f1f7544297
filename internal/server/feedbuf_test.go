package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// recordingConn is the socket under a frameWriter: it keeps every write.
type recordingConn struct {
	net.Conn
	writes [][]byte
	out    int // bytes written
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	c.out += len(p)
	return len(p), nil
}

// serverFrame encodes payload as an unmasked final frame with opcode op.
func serverFrame(op byte, payload []byte) (header, frame []byte) {
	h := []byte{0x80 | op, 0}
	switch n := len(payload); {
	case n < 126:
		h[1] = byte(n)
	case n <= 0xffff:
		h[1] = 126
		h = binary.BigEndian.AppendUint16(h, uint16(n))
	default:
		h[1] = 127
		h = binary.BigEndian.AppendUint64(h, uint64(n))
	}
	return h, append(bytes.Clone(h), payload...)
}

// TestFrameWriterSendsEachFrameInOneWrite writes frames through a buffer
// of feedBufferSize the way the WebSocket library does — the header, the
// payload, then a flush — and expects one write per frame, with the bytes
// unchanged.
func TestFrameWriterSendsEachFrameInOneWrite(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 20, 122, 123, 124, 125, 126, 127, 128, 129, 300, 1000, 4096, 65535, 65536, 70000}
	conn := &recordingConn{}
	bw := bufio.NewWriterSize(&frameWriter{conn: conn}, feedBufferSize)
	var want []byte
	for i, n := range sizes {
		op := byte(0x1) // text
		if i%3 == 0 && n <= 125 {
			op = 0x9 // ping
		}
		payload := bytes.Repeat([]byte{byte('a' + i)}, n)
		header, frame := serverFrame(op, payload)
		want = append(want, frame...)
		if _, err := bw.Write(header); err != nil {
			t.Fatal(err)
		}
		if _, err := bw.Write(payload); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		if len(conn.writes) != i+1 {
			t.Fatalf("a frame of %d bytes: %d writes so far, want %d", n, len(conn.writes), i+1)
		}
		if got := conn.writes[i]; !bytes.Equal(got, frame) {
			t.Fatalf("a frame of %d bytes went out as %d bytes that differ", n, len(got))
		}
	}
	if got := bytes.Join(conn.writes, nil); !bytes.Equal(got, want) {
		t.Fatal("the stream changed")
	}
}

// TestFrameWriterNeverHoldsACompleteFrame: however the stream is cut, a
// frame that is complete goes out with the write that completes it.
func TestFrameWriterNeverHoldsACompleteFrame(t *testing.T) {
	t.Parallel()
	var stream []byte
	var ends []int
	for _, n := range []int{3, 0, 200, 125, 126, 70000, 7} {
		_, frame := serverFrame(0x2, bytes.Repeat([]byte{'x'}, n))
		stream = append(stream, frame...)
		ends = append(ends, len(stream))
	}
	for _, cut := range []int{1, 2, 3, 7, 128, 1000} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			conn := &recordingConn{}
			w := &frameWriter{conn: conn}
			for i := 0; i < len(stream); i += cut {
				piece := stream[i:min(i+cut, len(stream))]
				if _, err := w.Write(piece); err != nil {
					t.Fatal(err)
				}
				in, out := i+len(piece), conn.out
				for _, end := range ends {
					if end <= in && out < end {
						t.Fatalf("after %d bytes in, %d out: the frame ending at %d is held", in, out, end)
					}
				}
			}
			if got := bytes.Join(conn.writes, nil); !bytes.Equal(got, stream) {
				t.Fatal("the stream changed")
			}
			if w.held != nil {
				t.Fatal("bytes held after the last frame")
			}
		})
	}
}

// TestSmallBuffersCarryMessagesWhole runs the library over the feed's
// buffers, both ways, with messages around and far past their size.
// (The feed tests in cmd/coffer cover pings, closes and a frame sent
// with the handshake.)
func TestSmallBuffersCarryMessagesWhole(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 100, 127, 128, 129, 500, 4000, 70000}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(smallBuffers{w}, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(1 << 20)
		for range sizes { // echo
			typ, b, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			if err := ws.Write(r.Context(), typ, b); err != nil {
				return
			}
		}
		_ = ws.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	for _, n := range sizes {
		msg := strings.Repeat("y", n)
		if err := ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("echo of %d bytes: %v", n, err)
		}
		if string(b) != msg {
			t.Fatalf("echo of %d bytes came back as %d bytes", n, len(b))
		}
	}
}
