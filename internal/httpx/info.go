package httpx

import (
	"context"
	"log/slog"
	"net/http"
)

// Info is what the layers of one request learn about it. The outermost
// middleware allocates it and inner layers fill it in through the pointer
// (the auth layer sets ActorID, the router Route), so that outer layers such
// as the access log see values decided deeper in the chain.
type Info struct {
	RequestID string
	ClientIP  string
	ActorID   string
	Route     string // the ServeMux pattern that matched, "" if none
	HTTPS     bool
	Logger    *slog.Logger // set by WithLogger; nil means slog.Default
}

type infoKey struct{}

// NewContextWithInfo returns a copy of ctx that carries info.
func NewContextWithInfo(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, infoKey{}, info)
}

// InfoFrom returns the Info of the request ctx belongs to. Outside a request
// chain it returns a fresh, detached Info, so callers never check for nil.
func InfoFrom(ctx context.Context) *Info {
	if info, ok := ctx.Value(infoKey{}).(*Info); ok {
		return info
	}
	return &Info{}
}

// EnsureInfo returns r carrying an Info and that Info, allocating one if no
// outer layer did. Middlewares that read or fill Info call it, so that the
// order of the chain is a choice rather than a hidden dependency.
func EnsureInfo(r *http.Request) (*http.Request, *Info) {
	if info, ok := r.Context().Value(infoKey{}).(*Info); ok {
		return r, info
	}
	info := &Info{}
	return r.WithContext(NewContextWithInfo(r.Context(), info)), info
}

// Routes wraps the router (a ServeMux) so that Info.Route holds the pattern
// that matched. ServeMux sets Request.Pattern on the *Request it is given,
// but every middleware that adds to the context passes a copy inward, so
// outer layers cannot read it from their own *Request: they read Info.Route.
func Routes(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, info := EnsureInfo(r)
		// Deferred so that a panicking handler is still logged with its route.
		defer func() {
			if info.Route == "" {
				info.Route = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// MethodLabel returns method when HTTP defines it and "_OTHER" otherwise,
// as OpenTelemetry labels methods: any client can send any token as a
// method, and metrics or traces labelled with it would grow a series per
// token.
func MethodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "_OTHER"
}
