package httpx

import (
	"net/http"
	"strconv"
	"strings"
)

// ContentSecurityPolicy allows the web client's own scripts, styles, fonts
// and API calls and nothing else: no inline code, no eval, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// APIContentSecurityPolicy is the policy of API answers: JSON is never a
// page, so it may load nothing and be framed by nothing.
const APIContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// permissionsPolicy turns off the powerful browser features a secrets
// manager never needs, so injected content cannot ask for them either.
const permissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()"

// hstsValue asks browsers to use HTTPS only, for two years.
const hstsValue = "max-age=63072000; includeSubDomains"

// ContentSecurityPolicyFor returns ContentSecurityPolicy, widened so that
// pages may also load the web client's scripts, styles, fonts and images
// from assetOrigin: the origin of ASSET_BASE_URL when a CDN serves the
// hashed assets (e.g. "https://cdn.example.com"). Nothing else is widened:
// API calls, frames, forms and inline code stay as strict. "" returns
// ContentSecurityPolicy itself. assetOrigin must be a bare origin as
// config.Load validates it; anything that could end a CSP directive or
// source list panics, because it would let a value rewrite the policy.
func ContentSecurityPolicyFor(assetOrigin string) string {
	if assetOrigin == "" {
		return ContentSecurityPolicy
	}
	if strings.ContainsAny(assetOrigin, "; ,'\"\t\r\n") || !strings.Contains(assetOrigin, "://") {
		panic("httpx: asset origin " + strconv.Quote(assetOrigin) + " is not an origin")
	}
	directives := strings.Split(ContentSecurityPolicy, "; ")
	for i, d := range directives {
		switch name, _, _ := strings.Cut(d, " "); name {
		case "script-src", "style-src", "font-src", "img-src":
			directives[i] = d + " " + assetOrigin
		}
	}
	return strings.Join(directives, "; ")
}

// SecurityHeaders is a middleware that sets the browser security headers on
// every response, and HSTS when the request arrived over HTTPS (per
// Info.HTTPS, so it must run inside ProxyTrust.Middleware; HSTS on plain
// HTTP is ignored by browsers and would break development).
//
// Pages — the web client, its assets, the API reference, health and
// metrics — get a strict CSP, nosniff, no referrer, no powerful features,
// no framing, and opener and resource isolation. API answers (/api/v1/) get
// what OWASP's REST Security Cheat Sheet asks of an API: a CSP that allows
// nothing, nosniff, no framing and resource isolation; the headers that
// only govern a document (Referrer-Policy, Permissions-Policy, COOP) do
// nothing for JSON and would cost every answer their bytes. Every response
// under /api/ gets Cache-Control: no-store, applied when the header is sent
// so that a handler cannot weaken it: API responses carry secrets and must
// never sit in a shared or browser cache.
func SecurityHeaders(next http.Handler) http.Handler {
	return SecurityHeadersWithCSP(ContentSecurityPolicy)(next)
}

// SecurityHeadersWithCSP is SecurityHeaders with csp as the pages'
// Content-Security-Policy (see ContentSecurityPolicyFor).
func SecurityHeadersWithCSP(csp string) Middleware {
	page := newSharedHeaders(
		"Content-Security-Policy", csp,
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "no-referrer",
		"Permissions-Policy", permissionsPolicy,
		"Cross-Origin-Opener-Policy", "same-origin",
		"Cross-Origin-Resource-Policy", "same-origin",
		"X-Frame-Options", "DENY",
	)
	api := newSharedHeaders(
		"Content-Security-Policy", APIContentSecurityPolicy,
		"X-Content-Type-Options", "nosniff",
		"Cross-Origin-Resource-Policy", "same-origin",
		"X-Frame-Options", "DENY",
	)
	https := newSharedHeaders("Strict-Transport-Security", hstsValue)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			if strings.HasPrefix(r.URL.Path, "/api/v1/") {
				api.set(h)
			} else {
				page.set(h)
			}
			if r.TLS != nil || InfoFrom(r.Context()).HTTPS {
				https.set(h)
			}
			if strings.HasPrefix(r.URL.Path, "/api/") {
				w = &headerHook{ResponseWriter: w, hook: noStore}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// sharedHeaders are header fields whose values never change, ready to set
// on every response: keys canonical, each value a slice shared by all
// responses. Sharing is safe because nothing writes into a value slice in
// place: Set replaces it, Add appends to a full slice and so copies, and
// the server clones the map when it sends it.
type sharedHeaders []struct {
	key    string
	values []string
}

// newSharedHeaders takes alternating keys and values.
func newSharedHeaders(kv ...string) sharedHeaders {
	out := make(sharedHeaders, len(kv)/2)
	for i := range out {
		out[i].key, out[i].values = http.CanonicalHeaderKey(kv[2*i]), []string{kv[2*i+1]}
	}
	return out
}

// noStoreHeader is Cache-Control: no-store.
var noStoreHeader = newSharedHeaders("Cache-Control", "no-store")

func (s sharedHeaders) set(h http.Header) {
	for _, kv := range s {
		h[kv.key] = kv.values
	}
}

func noStore(h http.Header) {
	noStoreHeader.set(h)
	h.Del("Expires")
	h.Del("Pragma")
}
