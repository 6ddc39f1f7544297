package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAPIDocsHandler: /api/docs serves the client's API reference page, or
// a 404 problem that points to the JSON document when the client is not
// built. (cmd/coffer's TestAPIDocs checks the real page through the whole
// chain.)
func TestAPIDocsHandler(t *testing.T) {
	t.Parallel()
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Coffer API reference</title>"))
	})
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		(&Server{cfg: Config{Docs: page}}).apiDocs(rec, httptest.NewRequest("GET", "/api/docs", nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Coffer API reference") {
			t.Fatalf("GET /api/docs = %d %q", rec.Code, rec.Body.String())
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		(&Server{}).apiDocs(rec, httptest.NewRequest("GET", "/api/docs", nil))
		if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(rec.Body.String(), "/api/v1/openapi.json") {
			t.Fatalf("without a built client: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	})
}

// TestDocsRoute: the page is in the route table (so the contract test
// holds it to api/openapi.yaml), public and anonymous: a reader needs no
// account, and static pages do not spend the API rate limit.
func TestDocsRoute(t *testing.T) {
	t.Parallel()
	var found bool
	for _, rt := range (&Server{}).routes() {
		if rt.Method == "GET" && rt.Path == "/api/docs" {
			found = true
			if !rt.public || !rt.anonymous {
				t.Errorf("GET /api/docs: public %v, anonymous %v; want both", rt.public, rt.anonymous)
			}
		}
	}
	if !found {
		t.Fatal("GET /api/docs is not in the route table")
	}
}
