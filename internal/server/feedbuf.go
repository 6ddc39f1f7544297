package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// feedBufferSize sizes the buffers the WebSocket library reads and writes
// feed frames through. net/http hands a hijacker 4 KiB for each; feed
// frames are a few hundred bytes, and every idle connection would hold
// both for its whole life (memory per connection bounds how many one
// instance holds; docs/benchmarks.md).
const feedBufferSize = 1 << 10

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
	n := brw.Reader.Buffered()
	early, _ := brw.Reader.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(feedBufferSize, n))
	if _, err := r.Peek(n); err != nil { // from memory: cannot block
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, feedBufferSize)), nil
}
