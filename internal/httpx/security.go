package httpx

import (
	"net/http"
	"strings"
)

// ContentSecurityPolicy allows the web client's own scripts, styles, fonts
// and API calls and nothing else: no inline code, no eval, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// permissionsPolicy turns off the powerful browser features a secrets
// manager never needs, so injected content cannot ask for them either.
const permissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()"

// hstsValue asks browsers to use HTTPS only, for two years.
const hstsValue = "max-age=63072000; includeSubDomains"

// SecurityHeaders is a middleware that sets the browser security headers on
// every response: a strict CSP, nosniff, no referrer, no framing, opener and
// resource isolation, and HSTS when the request arrived over HTTPS (per
// Info.HTTPS, so it must run inside ProxyTrust.Middleware; HSTS on plain
// HTTP is ignored by browsers and would break development). Every response
// under /api/ gets Cache-Control: no-store, applied when the header is sent
// so that a handler cannot weaken it: API responses carry secrets and must
// never sit in a shared or browser cache.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil || InfoFrom(r.Context()).HTTPS {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w = &headerHook{ResponseWriter: w, hook: noStore}
		}
		next.ServeHTTP(w, r)
	})
}

func noStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Del("Expires")
	h.Del("Pragma")
}
