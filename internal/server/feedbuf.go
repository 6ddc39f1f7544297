package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
)

// feedBufferSize sizes the buffers the WebSocket library reads and writes
// feed frames through, which every connection holds for its whole life:
// net/http hands a hijacker 4 KiB for each, and the library has no option
// to release or size them. Memory per connection bounds how many
// connections one instance holds (docs/benchmarks.md), and an idle feed
// reads a pong and writes a ping every heartbeat, nothing more. 128 bytes
// take every control frame whole (at most 2 + 125 bytes) and a client's
// subscribe in a read or two; frameWriter sends longer frames in one
// write all the same.
const feedBufferSize = 128

// smallBuffers is the response writer the feed upgrades through: its
// Hijack trades net/http's buffers for feedBufferSize ones.
type smallBuffers struct{ http.ResponseWriter }

// Hijack hijacks the connection underneath. Bytes the client sent after
// its handshake may already sit in net/http's read buffer; they are moved
// into the new one, where the library looks for them.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriterSize(&frameWriter{conn: conn}, feedBufferSize)
	n := brw.Reader.Buffered()
	if n == 0 {
		return conn, bufio.NewReadWriter(bufio.NewReaderSize(conn, feedBufferSize), bw), nil
	}
	early, _ := brw.Reader.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(feedBufferSize, n))
	if _, err := r.Peek(n); err != nil { // from memory: cannot block
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, bufio.NewReadWriter(r, bw), nil
}

// frameWriter is what the library's small write buffer flushes to. The
// library writes a frame's header into the buffer, then its payload: a
// payload longer than the room left fills the buffer, which is flushed,
// and the rest follows in a write of its own. Sent as they come, a feed
// event (a few hundred bytes) would take two writes and two TCP segments.
// frameWriter follows the frames in the byte stream, holds the start of
// one until its end arrives, and sends the frame in one write. What it
// holds sits in a pooled buffer for that instant only, so an idle
// connection holds none.
type frameWriter struct {
	conn net.Conn
	held *[]byte // the start of an unfinished frame; nil when none

	hdr  [14]byte // the current frame's header, while it is incomplete
	nhdr int
	left uint64 // payload bytes of the current frame still to come
}

// maxHeld bounds what frameWriter holds: past it (a frame written in many
// pieces, which the library does not do) the pieces go out as they come.
const maxHeld = 16 << 10

var heldBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1<<10); return &b }}

// Write sends the frames p completes, and holds the start of a frame
// that p ends inside of.
func (w *frameWriter) Write(p []byte) (int, error) {
	end := w.follow(p)
	if end < 0 { // no frame ends in p
		if w.held == nil {
			w.held = heldBuffers.Get().(*[]byte)
			*w.held = (*w.held)[:0]
		}
		if len(*w.held)+len(p) <= maxHeld {
			*w.held = append(*w.held, p...)
			return len(p), nil
		}
		end = len(p)
	}
	if n, err := w.send(p[:end]); err != nil {
		return n, err
	}
	if end < len(p) {
		w.held = heldBuffers.Get().(*[]byte)
		*w.held = append((*w.held)[:0], p[end:]...)
	}
	return len(p), nil
}

// send writes what is held and then q, in one write, and lets the held
// buffer go. It returns how much of q was written.
func (w *frameWriter) send(q []byte) (int, error) {
	if w.held == nil {
		return w.conn.Write(q)
	}
	held := len(*w.held)
	*w.held = append(*w.held, q...)
	n, err := w.conn.Write(*w.held)
	if cap(*w.held) <= maxHeld {
		heldBuffers.Put(w.held)
	}
	w.held = nil
	return max(n-held, 0), err
}

// follow advances through p's bytes — the header of each frame, then as
// many payload bytes as it announced (RFC 6455, section 5.2) — and
// returns the offset in p just past the last frame that ends in it, or -1
// if none does.
func (w *frameWriter) follow(p []byte) int {
	end := -1
	for i := 0; i < len(p); {
		if w.left > 0 {
			n := min(uint64(len(p)-i), w.left)
			w.left -= n
			i += int(n)
		} else {
			w.hdr[w.nhdr] = p[i]
			w.nhdr++
			i++
			if size := frameHeaderSize(w.hdr[:w.nhdr]); w.nhdr == size {
				w.left = framePayloadSize(w.hdr[:size])
				w.nhdr = 0
			}
		}
		if w.left == 0 && w.nhdr == 0 {
			end = i
		}
	}
	return end
}

// frameHeaderSize returns the length of the header that h begins, or 0
// while h is too short to tell.
func frameHeaderSize(h []byte) int {
	if len(h) < 2 {
		return 0
	}
	size := 2
	switch h[1] & 0x7f {
	case 126:
		size += 2
	case 127:
		size += 8
	}
	if h[1]&0x80 != 0 { // masked: only clients mask, but follow it anyway
		size += 4
	}
	return size
}

// framePayloadSize returns the payload length the complete header h
// announces.
func framePayloadSize(h []byte) uint64 {
	switch n := h[1] & 0x7f; n {
	case 126:
		return uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		return binary.BigEndian.Uint64(h[2:10])
	default:
		return uint64(n)
	}
}
