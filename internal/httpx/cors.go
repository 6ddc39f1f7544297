package httpx

import (
	"net/http"
	"strings"

	"github.com/cofferhq/coffer"
)

// CORS constants: what a cross-origin client of the API may use.
const (
	corsMethods       = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders       = "Content-Type, Authorization, X-CSRF-Token, X-Request-ID, If-None-Match"
	corsExposeHeaders = "X-Request-ID, ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Deprecation, Sunset, Link"
	corsMaxAge        = "600"
)

// CORS returns a middleware that lets the exact origins in allowed (e.g.
// "https://coffer.example.com") call the API with credentials. Any other
// origin gets no CORS headers at all, so browsers keep their same-origin
// protection; the Origin header is never reflected unless it is on the
// list. "null" (sandboxed frames, file: pages) and "*" are never allowed,
// even when listed, because with credentials they would let any page read
// a signed-in user's secrets. A preflight from an allowed origin for an
// allowed method is answered 204; any other preflight is a 403 problem.
func CORS(allowed []string) Middleware {
	origins := make(map[string]struct{}, len(allowed))
	for _, o := range allowed {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		if o != "" && o != "null" && o != "*" {
			origins[o] = struct{}{}
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Add("Vary", "Origin")
			origin := r.Header.Get("Origin")
			_, ok := origins[origin]
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" && origin != "" {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				if !ok || !corsMethodAllowed(r.Header.Get("Access-Control-Request-Method")) {
					WriteProblem(w, r, http.StatusForbidden, coffer.EFORBIDDEN, "This cross-origin request is not allowed.")
					return
				}
				allowOrigin(h, origin)
				h.Set("Access-Control-Allow-Methods", corsMethods)
				h.Set("Access-Control-Allow-Headers", corsHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if ok {
				allowOrigin(h, origin)
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func allowOrigin(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
}

func corsMethodAllowed(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead:
		return true
	}
	return false
}
