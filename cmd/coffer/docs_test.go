package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/web"
)

// webBuilt reports whether this binary embeds a built web client (CI builds
// it before the Go tests; a bare `go test` may not have).
func webBuilt() bool {
	_, ok := web.New(web.Config{})
	return ok
}

// get fetches path from s through the contract check and returns the
// response with its body read.
func get(t *testing.T, s *testServer, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	resp, b := exchange(t, &http.Client{Transport: contractTransport{t: t, next: http.DefaultTransport}}, req)
	return resp, string(b)
}

// exchange sends req with hc and returns the response with its body read and
// closed, failing the test when the exchange fails.
func exchange(t *testing.T, hc *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestAPIDocs: /api/docs answers the API reference page with the same
// security headers as every page, or a 404 problem when the client is not
// built.
func TestAPIDocs(t *testing.T) {
	t.Parallel()
	s := startServer(t, "sqlite", nil)
	resp, body := get(t, s, "/api/docs")
	if !webBuilt() {
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("without a built client: %d %q, want a 404 problem", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		t.Skip("web client not built: the page itself is tested after `make web`")
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /api/docs = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != httpx.ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy = %q, want %q", got, httpx.ContentSecurityPolicy)
	}
	for name, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !regexp.MustCompile(`<script type="module" crossorigin src="/assets/docs-[\w-]+\.js"></script>`).MatchString(body) ||
		!strings.Contains(body, `<div id="docs">`) || strings.Contains(body, "<style") {
		t.Errorf("GET /api/docs is not the API reference page:\n%s", body)
	}
	// Its scripts and styles are served like the app's.
	for _, m := range regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(body, -1) {
		if r, _ := get(t, s, m[1]); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", m[1], r.StatusCode)
		}
	}
}

// TestAssetBaseURL: with ASSET_BASE_URL the pages load the hashed assets
// from the CDN, which the CSP allows, and the assets may be loaded across
// origins; without it, nothing changes.
func TestAssetBaseURL(t *testing.T) {
	t.Parallel()
	if !webBuilt() {
		t.Skip("web client not built (the rewriting is unit-tested in ./web)")
	}
	cdn := startServer(t, "sqlite", map[string]string{"ASSET_BASE_URL": "https://cdn.example.com/coffer/"})
	plain := startServer(t, "sqlite", nil)
	assetRef := regexp.MustCompile(`(?:src|href)="([^"]*/assets/[^"]+)"`)
	for _, path := range []string{"/", "/projects/shop/env/dev", "/api/docs"} {
		t.Run("CDN"+path, func(t *testing.T) {
			resp, body := get(t, cdn, path)
			refs := assetRef.FindAllStringSubmatch(body, -1)
			if resp.StatusCode != http.StatusOK || len(refs) == 0 {
				t.Fatalf("GET %s = %d with %d asset references", path, resp.StatusCode, len(refs))
			}
			for _, ref := range refs {
				if !strings.HasPrefix(ref[1], "https://cdn.example.com/coffer/assets/") {
					t.Errorf("asset reference %q is not on the CDN", ref[1])
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, d := range []string{"script-src 'self' https://cdn.example.com", "style-src 'self' https://cdn.example.com", "connect-src 'self';"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %q", csp, d)
				}
			}
			// The CDN fetches the file from this server at the same path
			// under /assets/, and must get the cross-origin headers.
			asset := "/assets/" + strings.TrimPrefix(refs[0][1], "https://cdn.example.com/coffer/assets/")
			r, _ := get(t, cdn, asset)
			if r.StatusCode != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != "*" ||
				r.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
				t.Errorf("GET %s = %d, ACAO %q, CORP %q", asset, r.StatusCode,
					r.Header.Get("Access-Control-Allow-Origin"), r.Header.Get("Cross-Origin-Resource-Policy"))
			}
		})
		t.Run("Unset"+path, func(t *testing.T) {
			resp, body := get(t, plain, path)
			if got := resp.Header.Get("Content-Security-Policy"); got != httpx.ContentSecurityPolicy {
				t.Errorf("CSP = %q, want the default", got)
			}
			for _, ref := range assetRef.FindAllStringSubmatch(body, -1) {
				if !strings.HasPrefix(ref[1], "/assets/") {
					t.Errorf("asset reference %q moved without ASSET_BASE_URL", ref[1])
				}
				if r, _ := get(t, plain, ref[1]); r.Header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("GET %s has Access-Control-Allow-Origin without ASSET_BASE_URL", ref[1])
				}
			}
		})
	}
}

// TestConfigCheckAssetBaseURL: a bad ASSET_BASE_URL stops `coffer config
// check` (and `coffer server`, which loads the configuration the same way)
// with a message naming the variable.
func TestConfigCheckAssetBaseURL(t *testing.T) {
	t.Setenv("DATA_DIR", t.TempDir())
	t.Setenv("ASSET_BASE_URL", "http://cdn.example.com/coffer")
	r := runCLI(t, "", "config", "check")
	if r.code == 0 || !strings.Contains(r.err, "ASSET_BASE_URL: invalid value \"http://cdn.example.com/coffer\": must use https") {
		t.Fatalf("config check with an http ASSET_BASE_URL: exit %d\n%s", r.code, r.err)
	}
	r = runCLI(t, "", "server")
	if r.code == 0 || !strings.Contains(r.err, "ASSET_BASE_URL") {
		t.Fatalf("server with an http ASSET_BASE_URL: exit %d\n%s", r.code, r.err)
	}
	t.Setenv("ASSET_BASE_URL", "https://cdn.example.com/coffer")
	runCLI(t, "", "config", "check").must(t)
}
