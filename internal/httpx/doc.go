// Package httpx holds the small, separately tested units of Coffer's HTTP
// layer: problem responses, JSON decoding, and the middlewares the server
// stacks into one chain. It uses net/http from the standard library only
// (plus a brotli encoder), and knows nothing of routes or handlers.
//
// A suggested order, outermost first:
//
//	RequestID, WithLogger(l), proxies.Middleware, AccessLog(l), metrics,
//	Recover(l, hook), SecurityHeaders, MaxURLLength(DefaultMaxURLLength),
//	CORS(origins), Compress, MaxBytes(n), Timeout(d), rate limits, auth,
//	Routes(mux)
//
// Every middleware that needs the per-request Info allocates it when an
// outer layer has not, so the order is a choice, not a hidden dependency.
package httpx

import "net/http"

// Middleware wraps a handler with behaviour that runs around it.
type Middleware func(http.Handler) http.Handler

// Chain wraps h in mws so that the first middleware is the outermost: the
// first to see the request and the last to see the response.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
