package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/httpx"
)

func TestErrorPages(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /api/v1/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /teapot", func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, coffer.Errorf(coffer.ECONFLICT, "no"))
	})
	mux.Handle("GET "+errorCSSPath, errorCSS())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, coffer.Errorf(coffer.ENOTFOUND, "No such endpoint."))
	})
	logger := slog.New(slog.DiscardHandler)
	h := httpx.Chain(httpx.Routes(mux), httpx.RequestID, errorPages, httpx.Recover(logger, nil), httpx.SecurityHeaders, httpx.Compress)

	const html, problem = "text/html; charset=utf-8", "application/problem+json"
	tests := []struct {
		name   string
		method string
		path   string
		accept string
		status int
		ctype  string
		body   string
	}{
		{"BrowserNotFound", "GET", "/no/such/page", "text/html,application/xhtml+xml;q=0.9", 404, html, "Page not found"},
		{"BrowserPanic", "GET", "/boom", "text/html", 500, html, "Something went wrong"},
		{"BrowserHead", "HEAD", "/no/such/page", "text/html", 404, html, ""},
		{"APIKeepsProblem", "GET", "/api/v1/nothing", "text/html", 404, problem, `"code":"not_found"`},
		{"APIPanicKeepsProblem", "GET", "/api/v1/boom", "text/html", 500, problem, `"code":"internal"`},
		{"NoHTMLAcceptKeepsProblem", "GET", "/no/such/page", "*/*", 404, problem, `"code":"not_found"`},
		{"OtherStatusKeepsProblem", "GET", "/teapot", "text/html", 409, problem, `"code":"conflict"`},
		{"Stylesheet", "GET", errorCSSPath, "text/css", 200, "text/css; charset=utf-8", "body {"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r.Header.Set("Accept", tt.accept)
			r.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.String()
			if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.ctype || !strings.Contains(body, tt.body) {
				t.Fatalf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), body)
			}
			if tt.ctype != html {
				return
			}
			if tt.method == "HEAD" {
				if body != "" {
					t.Fatalf("HEAD body %q", body)
				}
				return
			}
			// The CSP forbids inline script and style: the page has none.
			for _, banned := range []string{"<script", "<style", "style=", "onload=", "/no/such/page"} {
				if strings.Contains(body, banned) {
					t.Errorf("page contains %q", banned)
				}
			}
			if !strings.Contains(body, `<link rel="stylesheet" href="/_coffer/error.css">`) ||
				!strings.Contains(body, rec.Header().Get(httpx.HeaderRequestID)) ||
				!strings.Contains(rec.Header().Get("Content-Security-Policy"), "style-src 'self'") {
				t.Errorf("page %s", body)
			}
		})
	}
}
