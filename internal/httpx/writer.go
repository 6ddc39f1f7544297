package httpx

import (
	"bufio"
	"net"
	"net/http"
)

// StatusWriter records the status and size of a response for the access
// log and metrics. It implements Flush and Hijack by delegating through
// http.NewResponseController, and Unwrap, so that streaming and WebSocket
// upgrades work through it. A layer that needs the status reuses a
// StatusWriter an outer layer installed (see NewStatusWriter).
type StatusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

// WriteHeader records the first final status. 1xx informational responses
// other than 101 are passed on without being recorded: they may precede
// the real status.
func (w *StatusWriter) WriteHeader(code int) {
	if !w.wroteHeader && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200 and counts the bytes written.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client; flushing writes the header.
func (w *StatusWriter) Flush() {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to the caller (a WebSocket upgrade).
func (w *StatusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusSwitchingProtocols, true
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// NewStatusWriter returns w itself when it is already a *StatusWriter, so
// that stacked layers share one, and wraps it otherwise.
func NewStatusWriter(w http.ResponseWriter) *StatusWriter {
	if sw, ok := w.(*StatusWriter); ok {
		return sw
	}
	return &StatusWriter{ResponseWriter: w}
}

// HeaderWritten reports whether the status line has been sent.
func (w *StatusWriter) HeaderWritten() bool { return w.wroteHeader }

// Bytes returns the number of body bytes written.
func (w *StatusWriter) Bytes() int64 { return w.bytes }

// Status returns the response status, 200 if the handler wrote nothing
// (which net/http turns into a 200).
func (w *StatusWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// headerHook runs a function on the header just before it is sent, so a
// middleware can have the last word over what the handler set.
type headerHook struct {
	http.ResponseWriter
	hook func(http.Header)
	done bool
}

func (w *headerHook) run() {
	if !w.done {
		w.done = true
		w.hook(w.ResponseWriter.Header())
	}
}

func (w *headerHook) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.run()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *headerHook) Write(b []byte) (int, error) {
	w.run()
	return w.ResponseWriter.Write(b)
}

// Flush sends buffered data to the client; flushing writes the header.
func (w *headerHook) Flush() {
	w.run()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to the caller (a WebSocket upgrade).
func (w *headerHook) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *headerHook) Unwrap() http.ResponseWriter { return w.ResponseWriter }
