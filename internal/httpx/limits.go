package httpx

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

// DefaultMaxURLLength is the longest request target MaxURLLength accepts by
// default. Coffer's URLs are short; a longer one is a mistake or an attack.
const DefaultMaxURLLength = 8 << 10

// MaxBytes returns a middleware that limits every request body to n bytes.
// Reading past the limit fails with *http.MaxBytesError, which DecodeJSON
// reports as ETOOLARGE. A route that needs another limit wraps its handler
// in WithMaxBytes.
func MaxBytes(n int64) Middleware {
	return func(next http.Handler) http.Handler {
		return WithMaxBytes(n, next)
	}
}

// limitedBody is a body limited by MaxBytes; it keeps the original body so
// that WithMaxBytes can replace the limit, raising it as well as lowering
// it, where nesting http.MaxBytesReader could only lower it.
type limitedBody struct {
	io.ReadCloser               // the http.MaxBytesReader
	orig          io.ReadCloser // what it limits
}

// WithMaxBytes returns h with its request bodies limited to n bytes,
// replacing any limit set by an outer MaxBytes. It must run before the body
// is first read.
func WithMaxBytes(n int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			body := r.Body
			if lb, ok := body.(*limitedBody); ok {
				body = lb.orig
			}
			r2 := *r // a shallow copy, as http.Request.WithContext makes
			r2.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, body, n), orig: body}
			r = &r2
		}
		h.ServeHTTP(w, r)
	})
}

// MaxURLLength returns a middleware that answers 414 to a request whose
// target (path and query) is longer than n bytes.
func MaxURLLength(n int) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			target := r.RequestURI
			if target == "" { // a request built by a client or a test
				target = r.URL.RequestURI()
			}
			if len(target) > n {
				WriteProblem(w, r, http.StatusRequestURITooLong, coffer.ETOOLARGE, "The request URL is too long.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Timeout returns a middleware that gives each request a deadline of d
// through its context, which handlers and the store honour. It is not
// http.TimeoutHandler: that buffers the whole response and breaks streaming.
// Protocol upgrades (WebSocket) are exempt: their lifetime is governed by
// heartbeats, not by a request deadline. The deadline's timer starts only
// when something waits on the context (see deadlineCtx); once the handler
// returns, the request's own context ends it, as net/http cancels that.
func Timeout(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				next.ServeHTTP(w, r)
				return
			}
			ctx := withLazyDeadline(r.Context(), time.Now().Add(d))
			defer ctx.stop()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
