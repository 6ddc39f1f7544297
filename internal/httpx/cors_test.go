package httpx

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	mw := CORS([]string{"https://app.example.com/", "null", "*", " "})
	tests := []struct {
		name        string
		method      string
		origin      string
		reqMethod   string
		status      int
		allowOrigin string
		reachedNext bool
	}{
		{"SameOriginNoHeader", "GET", "", "", 200, "", true},
		{"AllowedOrigin", "GET", "https://app.example.com", "", 200, "https://app.example.com", true},
		{"DisallowedOriginNotReflected", "GET", "https://evil.example", "", 200, "", true},
		{"NullOriginNeverAllowed", "GET", "null", "", 200, "", true},
		{"SubdomainIsNotExact", "GET", "https://x.app.example.com", "", 200, "", true},
		{"SchemeIsNotExact", "GET", "http://app.example.com", "", 200, "", true},
		{"PreflightAllowed", "OPTIONS", "https://app.example.com", "PUT", 204, "https://app.example.com", false},
		{"PreflightDisallowedOrigin", "OPTIONS", "https://evil.example", "PUT", 403, "", false},
		{"PreflightNullOrigin", "OPTIONS", "null", "DELETE", 403, "", false},
		{"PreflightDisallowedMethod", "OPTIONS", "https://app.example.com", "TRACE", 403, "", false},
		{"PlainOptionsPassesThrough", "OPTIONS", "https://app.example.com", "", 200, "https://app.example.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reached := false
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
			r := httptest.NewRequest(tt.method, "/api/v1/me", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.reqMethod != "" {
				r.Header.Set("Access-Control-Request-Method", tt.reqMethod)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			hd := rec.Header()
			if rec.Code != tt.status || reached != tt.reachedNext {
				t.Fatalf("status %d reached %v, want %d %v", rec.Code, reached, tt.status, tt.reachedNext)
			}
			if hd.Get("Access-Control-Allow-Origin") != tt.allowOrigin {
				t.Fatalf("Allow-Origin = %q, want %q", hd.Get("Access-Control-Allow-Origin"), tt.allowOrigin)
			}
			if got := hd.Get("Access-Control-Allow-Credentials") == "true"; got != (tt.allowOrigin != "") {
				t.Fatalf("Allow-Credentials %v with Allow-Origin %q", got, tt.allowOrigin)
			}
			if !slices.Contains(hd.Values("Vary"), "Origin") {
				t.Fatalf("Vary = %v", hd.Values("Vary"))
			}
			if tt.status == 204 {
				if hd.Get("Access-Control-Allow-Methods") != "GET, POST, PUT, PATCH, DELETE" ||
					hd.Get("Access-Control-Allow-Headers") != "Content-Type, Authorization, X-CSRF-Token, X-Request-ID, If-None-Match" ||
					hd.Get("Access-Control-Max-Age") != "600" {
					t.Fatalf("preflight headers %v", hd)
				}
			}
			if tt.status == 403 {
				if p := decodeProblem(t, rec); p.Code != "forbidden" {
					t.Fatalf("problem %+v", p)
				}
			}
		})
	}
}
