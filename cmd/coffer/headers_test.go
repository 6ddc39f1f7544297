package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestSecurityHeadersOnEveryRoute requests every route of the table (and
// an unknown path) and checks the headers every response must carry.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	f := newFixture(t, s, newPeople(t, s, "h"), 0, "owner", false)
	paths := []string{"GET /no/such/page", "GET /api/v1/no-such-endpoint", "DELETE /health"}
	for _, rt := range s.Server.Routes() {
		if rt.Path == "/api/v1/auth/logout" || rt.Path == "/api/v1/me" && rt.Method == "DELETE" {
			continue
		}
		paths = append(paths, rt.Method+" "+rt.Path)
	}
	for _, route := range paths {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{project}", f.slug, "{env}", "dev", "{key}", "EXISTING", "{user}", f.target,
			"{token}", f.spareToken, "{session}", "x").Replace(path)
		req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+f.creds["owner"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		// API answers carry the API's set (OWASP REST Security); pages,
		// the API reference among them, the document set.
		want := map[string]string{
			"X-Content-Type-Options":       "nosniff",
			"X-Frame-Options":              "DENY",
			"Cross-Origin-Resource-Policy": "same-origin",
			"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
		}
		if !strings.HasPrefix(path, "/api/v1/") {
			want["Referrer-Policy"] = "no-referrer"
			want["Cross-Origin-Opener-Policy"] = "same-origin"
			delete(want, "Content-Security-Policy")
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("%s: CSP %q lacks %q", route, csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-") {
				t.Errorf("%s: CSP allows unsafe sources: %q", route, csp)
			}
			if h.Get("Permissions-Policy") == "" {
				t.Errorf("%s: missing Permissions-Policy", route)
			}
		}
		for name, want := range want {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", route, name, got, want)
			}
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("%s: missing X-Request-ID", route)
		}
		if strings.HasPrefix(path, "/api/") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", route, h.Get("Cache-Control"))
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", route)
		}
	}
}
