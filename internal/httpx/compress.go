package httpx

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// MinCompressSize is the smallest response Compress compresses; below it the
// encoding overhead outweighs the saving.
const MinCompressSize = 1 << 10

// brotliLevel trades ratio for speed on dynamic responses: levels above 5
// cost several times the CPU for a few percent.
const brotliLevel = 5

// encoder is what gzip.Writer and brotli.Writer have in common.
type encoder interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}

var encoderPools = map[string]*sync.Pool{
	"br": {New: func() any { return brotli.NewWriterLevel(io.Discard, brotliLevel) }},
	"gzip": {New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression) // the level is valid
		return w
	}},
}

// Compress is a middleware that compresses responses with brotli or gzip,
// as the client's Accept-Encoding allows (brotli preferred), when the
// response is of a compressible type and at least MinCompressSize bytes.
// It always sets Vary: Accept-Encoding so that caches keep the variants
// apart. Flush, Hijack and Unwrap keep working through it.
//
// Responses that carry secret values must be wrapped in NoCompress (or call
// DisableCompression). Coffer's answer to BREACH: when a response
// compresses a secret together with anything an attacker can influence (a
// reflected parameter, a secret they may write), its length leaks the
// secret byte by byte to someone who can observe sizes. Masking or padding
// lengths is subtle and easy to get wrong; not compressing those responses
// is simple and certain, and secret payloads are small anyway.
func Compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		enc := negotiateEncoding(r.Header.Values("Accept-Encoding"))
		if enc == "" || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w, encoding: enc}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// NoCompress wraps a handler whose responses carry secret values so that
// they are never compressed; see Compress for why.
func NoCompress(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		DisableCompression(w)
		h.ServeHTTP(w, r)
	})
}

// DisableCompression turns compression off for the response written to w,
// finding the Compress layer through the Unwrap chain. It must be called
// before the first byte of the body is written; it does nothing when no
// Compress layer is present.
func DisableCompression(w http.ResponseWriter) {
	for w != nil {
		if cw, ok := w.(*compressWriter); ok {
			cw.disabled = true
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// negotiateEncoding picks "br", "gzip" or "" (identity) from the
// Accept-Encoding values: the highest q wins, brotli on a tie.
func negotiateEncoding(values []string) string {
	var br, gz, any float64 = -1, -1, -1
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			q := 1.0
			if k, val, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
				parsed, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil {
					continue
				}
				q = parsed
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "br":
				br = q
			case "gzip", "x-gzip":
				gz = q
			case "*":
				any = q
			}
		}
	}
	if br < 0 {
		br = any
	}
	if gz < 0 {
		gz = any
	}
	switch {
	case br > 0 && br >= gz:
		return "br"
	case gz > 0:
		return "gzip"
	}
	return ""
}

// compressible reports whether a response of content type ct is worth
// compressing: text and structured data, not images, archives or video,
// which are compressed already.
func compressible(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/xml",
		"application/wasm", "image/svg+xml", "application/x-ndjson":
		return true
	}
	return false
}

// compressWriter holds back the status and the first MinCompressSize bytes
// until it can decide whether to compress, then writes through an encoder
// or straight on.
type compressWriter struct {
	http.ResponseWriter
	encoding string
	disabled bool

	status   int // held back until decided; 0 if the handler set none
	buf      []byte
	decided  bool
	enc      encoder // nil when not compressing
	hijacked bool
}

func (w *compressWriter) WriteHeader(code int) {
	switch {
	case w.decided:
		w.ResponseWriter.WriteHeader(code)
	case code < 200 && code != http.StatusSwitchingProtocols:
		w.ResponseWriter.WriteHeader(code) // informational: passes straight on
	case w.status == 0:
		w.status = code
		if !bodyAllowed(code) {
			w.decide(false)
		}
	}
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if !w.decided {
		if w.disabled {
			w.decide(false)
		} else {
			w.buf = append(w.buf, b...)
			if len(w.buf) >= MinCompressSize {
				if err := w.decide(true); err != nil {
					return 0, err
				}
			}
			return len(b), nil
		}
	}
	if w.enc != nil {
		return w.enc.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// decide sends the header, with an encoder when want allows and the
// response qualifies, then what was buffered.
func (w *compressWriter) decide(want bool) error {
	w.decided = true
	h := w.ResponseWriter.Header()
	if h.Get("Content-Type") == "" && len(w.buf) > 0 {
		// net/http would sniff the compressed bytes; sniff the plain ones.
		h.Set("Content-Type", http.DetectContentType(w.buf))
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	if want && !w.disabled && bodyAllowed(status) && h.Get("Content-Encoding") == "" &&
		compressible(h.Get("Content-Type")) {
		h.Set("Content-Encoding", w.encoding)
		h.Del("Content-Length")
		h.Del("Accept-Ranges") // ranges would index the compressed bytes
		w.enc = encoderPools[w.encoding].Get().(encoder)
		w.enc.Reset(w.ResponseWriter)
	}
	w.ResponseWriter.WriteHeader(status)
	buf := w.buf
	w.buf = nil
	if len(buf) == 0 {
		return nil
	}
	var err error
	if w.enc != nil {
		_, err = w.enc.Write(buf)
	} else {
		_, err = w.ResponseWriter.Write(buf)
	}
	return err
}

// Flush sends what is buffered. Flushing before MinCompressSize bytes means
// a streaming response whose size is unknown; it is sent uncompressed.
func (w *compressWriter) Flush() {
	if !w.decided {
		_ = w.decide(len(w.buf) >= MinCompressSize)
	}
	if w.enc != nil {
		_ = w.enc.Flush()
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to the caller (a WebSocket upgrade, which
// writes its 101 status first; that status never selects an encoder).
func (w *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.enc != nil {
		return nil, nil, errors.New("httpx: hijack of a compressed response")
	}
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// close ends the response: small bodies go out uncompressed, the encoder is
// finished and returned to its pool.
func (w *compressWriter) close() {
	if w.hijacked {
		return
	}
	if !w.decided {
		if w.status == 0 && len(w.buf) == 0 {
			return // nothing written: leave net/http's defaults alone
		}
		_ = w.decide(false)
	}
	if w.enc != nil {
		_ = w.enc.Close()
		w.enc.Reset(io.Discard) // drop the reference to the ResponseWriter
		encoderPools[w.encoding].Put(w.enc)
		w.enc = nil
	}
}

// bodyAllowed reports whether a response with status may carry a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
