package httpx

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	weakening := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Expires", "Thu, 01 Jan 2099 00:00:00 GMT")
		_, _ = w.Write([]byte("{}"))
	})
	page := map[string]string{
		"Content-Security-Policy":      ContentSecurityPolicy,
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"X-Frame-Options":              "DENY",
		"Permissions-Policy":           permissionsPolicy,
	}
	// An API answer carries the API's set and none of the page-only headers.
	api := map[string]string{
		"Content-Security-Policy":      APIContentSecurityPolicy,
		"X-Content-Type-Options":       "nosniff",
		"Cross-Origin-Resource-Policy": "same-origin",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "",
		"Cross-Origin-Opener-Policy":   "",
		"Permissions-Policy":           "",
	}
	tests := []struct {
		name    string
		path    string
		https   bool
		tls     bool
		want    map[string]string
		hsts    bool
		noStore bool
	}{
		{"APIOverHTTP", "/api/v1/me", false, false, api, false, true},
		{"APIOverHTTPSProxy", "/api/v1/me", true, false, api, true, true},
		{"APIOverTLS", "/api/v1/me", false, true, api, true, true},
		{"APIReferenceIsAPage", "/api/docs", false, false, page, false, true},
		{"WebClientKeepsItsCaching", "/assets/app.js", false, false, page, false, false},
		{"PageOverTLS", "/projects", false, true, page, true, false},
		{"APIPrefixOnly", "/apidocs", false, false, page, false, false},
		{"APIVersionPrefixOnly", "/api/v1x", false, false, page, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", tt.path, nil)
			r = r.WithContext(NewContextWithInfo(r.Context(), &Info{HTTPS: tt.https}))
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			SecurityHeaders(weakening).ServeHTTP(rec, r)
			h := rec.Header()
			for k, v := range tt.want {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			if got := h.Get("Strict-Transport-Security") != ""; got != tt.hsts {
				t.Errorf("HSTS present %v, want %v", got, tt.hsts)
			}
			if tt.hsts && h.Get("Strict-Transport-Security") != "max-age=63072000; includeSubDomains" {
				t.Errorf("HSTS = %q", h.Get("Strict-Transport-Security"))
			}
			if got := h.Get("Cache-Control") == "no-store" && h.Get("Expires") == ""; got != tt.noStore {
				t.Errorf("Cache-Control %q Expires %q, no-store enforced %v, want %v", h.Get("Cache-Control"), h.Get("Expires"), got, tt.noStore)
			}
		})
	}
}

func TestCSPIsStrict(t *testing.T) {
	t.Parallel()
	for _, csp := range []string{ContentSecurityPolicy, APIContentSecurityPolicy} {
		for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*"} {
			if strings.Contains(csp, bad) {
				t.Errorf("CSP %q contains %q", csp, bad)
			}
		}
		if !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q allows framing", csp)
		}
	}
}

func TestNoStoreEnforcedOnWriteHeaderAndFlush(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"WriteHeader", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.WriteHeader(http.StatusEarlyHints) // informational: not final
			w.WriteHeader(200)
		}},
		{"Flush", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			http.NewResponseController(w).Flush()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			SecurityHeaders(tt.h).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/x", nil))
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestContentSecurityPolicyFor(t *testing.T) {
	t.Parallel()
	if got := ContentSecurityPolicyFor(""); got != ContentSecurityPolicy {
		t.Fatalf("no asset origin: CSP = %q, want ContentSecurityPolicy unchanged", got)
	}
	csp := ContentSecurityPolicyFor("https://cdn.example.com")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, "; ") {
		name, sources, _ := strings.Cut(d, " ")
		directives[name] = sources
	}
	for name, want := range map[string]string{
		"script-src":  "'self' https://cdn.example.com",
		"style-src":   "'self' https://cdn.example.com",
		"font-src":    "'self' https://cdn.example.com",
		"img-src":     "'self' data: https://cdn.example.com",
		"connect-src": "'self'", // the API stays same-origin
		"default-src": "'self'",
		"object-src":  "'none'",
		"base-uri":    "'none'",
	} {
		if directives[name] != want {
			t.Errorf("%s = %q, want %q", name, directives[name], want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP with an asset origin contains %q", bad)
		}
	}
}

func TestContentSecurityPolicyForRefusesInjection(t *testing.T) {
	t.Parallel()
	for _, origin := range []string{"https://cdn.example.com; script-src *", "'unsafe-inline'", "cdn.example.com"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ContentSecurityPolicyFor(%q) did not panic", origin)
				}
			}()
			ContentSecurityPolicyFor(origin)
		}()
	}
}

func TestSecurityHeadersWithCSP(t *testing.T) {
	t.Parallel()
	csp := ContentSecurityPolicyFor("https://cdn.example.com")
	rec := httptest.NewRecorder()
	SecurityHeadersWithCSP(csp)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != csp {
		t.Fatalf("Content-Security-Policy = %q, want %q", got, csp)
	}
	if rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Fatal("the other security headers are missing")
	}
}
