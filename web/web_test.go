package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><script type="module" src="/assets/index-abc123.js"></script>`

func build() fstest.MapFS {
	return fstest.MapFS{
		".keep":                     {Data: nil},
		"index.html":                {Data: []byte(indexHTML)},
		"index.html.br":             {Data: []byte("br-index")},
		"index.html.gz":             {Data: []byte("gz-index")},
		"robots.txt":                {Data: []byte("User-agent: *\nDisallow: /\n")},
		"assets/index-abc123.js":    {Data: []byte("console.log(1)")},
		"assets/index-abc123.js.br": {Data: []byte("br-js")},
		"assets/index-abc123.js.gz": {Data: []byte("gz-js")},
		"assets/app-def456.css":     {Data: []byte("body{}")},
		"assets/app-def456.css.gz":  {Data: []byte("gz-css")},
	}
}

func mustHandler(t *testing.T, fsys fstest.MapFS, base string) http.Handler {
	t.Helper()
	h, ok := newHandler(fsys, base)
	if !ok {
		t.Fatal("newHandler: not ok for a built client")
	}
	return h
}

func do(h http.Handler, method, target string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNotBuilt(t *testing.T) {
	t.Parallel()
	for name, fsys := range map[string]fstest.MapFS{
		"Placeholder": {".keep": {Data: nil}},
		"Empty":       {},
		"NoIndex":     {"assets/x.js": {Data: []byte("1")}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if h, ok := newHandler(fsys, ""); ok || h != nil {
				t.Fatalf("newHandler = %v, %v; want nil, false", h, ok)
			}
		})
	}
}

func TestEmbedded(t *testing.T) {
	t.Parallel()
	// Whether or not the client was built, Handler must not panic, and a
	// built client must serve index.html.
	h, ok := Handler("")
	if !ok {
		t.Skip("web client not built (dist holds only .keep)")
	}
	if w := do(h, "GET", "/"); w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET / = %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	h := mustHandler(t, build(), "")
	tests := []struct {
		name, method, path, accept string
		status                     int
		body, ctype, cache, enc    string
	}{
		{name: "Index", method: "GET", path: "/", status: 200, body: indexHTML, ctype: "text/html; charset=utf-8", cache: "no-cache"},
		{name: "IndexBrotli", method: "GET", path: "/", accept: "gzip, deflate, br", status: 200, body: "br-index", ctype: "text/html; charset=utf-8", cache: "no-cache", enc: "br"},
		{name: "IndexFile", method: "GET", path: "/index.html", status: 200, body: indexHTML, cache: "no-cache"},
		{name: "SPAFallback", method: "GET", path: "/projects/shop/env/dev", status: 200, body: indexHTML, ctype: "text/html; charset=utf-8", cache: "no-cache"},
		{name: "SPAFallbackDotted", method: "GET", path: "/projects/my.app", status: 200, body: indexHTML, cache: "no-cache"},
		{name: "RootFile", method: "GET", path: "/robots.txt", status: 200, body: "User-agent: *\nDisallow: /\n", ctype: "text/plain; charset=utf-8", cache: "no-cache"},
		{name: "Asset", method: "GET", path: "/assets/index-abc123.js", status: 200, body: "console.log(1)", ctype: "text/javascript; charset=utf-8", cache: "public, max-age=31536000, immutable"},
		{name: "AssetBrotliPreferred", method: "GET", path: "/assets/index-abc123.js", accept: "gzip, br", status: 200, body: "br-js", ctype: "text/javascript; charset=utf-8", cache: "public, max-age=31536000, immutable", enc: "br"},
		{name: "AssetGzip", method: "GET", path: "/assets/index-abc123.js", accept: "gzip", status: 200, body: "gz-js", ctype: "text/javascript; charset=utf-8", enc: "gzip"},
		{name: "AssetBrotliRefused", method: "GET", path: "/assets/index-abc123.js", accept: "br;q=0, gzip;q=0.5", status: 200, body: "gz-js", enc: "gzip"},
		{name: "AssetIdentityOnly", method: "GET", path: "/assets/index-abc123.js", accept: "identity", status: 200, body: "console.log(1)"},
		{name: "AssetWildcard", method: "GET", path: "/assets/index-abc123.js", accept: "*", status: 200, body: "br-js", enc: "br"},
		{name: "AssetOnlyGzipVariant", method: "GET", path: "/assets/app-def456.css", accept: "br, gzip", status: 200, body: "gz-css", ctype: "text/css; charset=utf-8", enc: "gzip"},
		{name: "MissingAssetIs404", method: "GET", path: "/assets/old-999.js", status: 404},
		{name: "Head", method: "HEAD", path: "/assets/index-abc123.js", status: 200, body: ""},
		{name: "APIIsNotTheClient", method: "GET", path: "/api/v1/nope", status: 404},
		{name: "HealthIsNotTheClient", method: "GET", path: "/health/nope", status: 404},
		{name: "TraversalStaysInside", method: "GET", path: "/assets/../../etc/passwd", status: 200, body: indexHTML},
		{name: "PlaceholderHidden", method: "GET", path: "/.keep", status: 200, body: indexHTML},
		{name: "PostRefused", method: "POST", path: "/projects", status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var headers []string
			if tt.accept != "" {
				headers = []string{"Accept-Encoding", tt.accept}
			}
			w := do(h, tt.method, tt.path, headers...)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if got := w.Body.String(); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
			if tt.ctype != "" && w.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", w.Header().Get("Content-Type"), tt.ctype)
			}
			if tt.cache != "" && w.Header().Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", w.Header().Get("Cache-Control"), tt.cache)
			}
			if got := w.Header().Get("Content-Encoding"); got != tt.enc {
				t.Errorf("Content-Encoding = %q, want %q", got, tt.enc)
			}
			if got := w.Header().Values("Vary"); len(got) != 1 || got[0] != "Accept-Encoding" {
				t.Errorf("Vary = %q, want [Accept-Encoding]", got)
			}
		})
	}
}

func TestRevalidateIndex(t *testing.T) {
	t.Parallel()
	h := mustHandler(t, build(), "")
	first := do(h, "GET", "/", "Accept-Encoding", "br")
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on index.html")
	}
	if w := do(h, "GET", "/", "Accept-Encoding", "br", "If-None-Match", etag); w.Code != http.StatusNotModified {
		t.Fatalf("revalidation = %d, want 304", w.Code)
	}
	// The identity representation has its own tag.
	if w := do(h, "GET", "/", "If-None-Match", etag); w.Code != http.StatusOK {
		t.Fatalf("other encoding = %d, want 200", w.Code)
	}
}

func TestVaryNotDuplicated(t *testing.T) {
	t.Parallel()
	h := mustHandler(t, build(), "")
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	w.Header().Add("Vary", "Accept-Encoding") // as the server's Compress middleware does
	h.ServeHTTP(w, r)
	if got := w.Header().Values("Vary"); len(got) != 1 {
		t.Fatalf("Vary = %q, want one Accept-Encoding", got)
	}
}

func TestAssetBase(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"index.html":         {Data: []byte(indexHTML)},
		"static/app-1a2b.js": {Data: []byte("js")},
	}
	h := mustHandler(t, fsys, "/static")
	if w := do(h, "GET", "/static/app-1a2b.js"); w.Code != 200 || w.Header().Get("Cache-Control") != immutable {
		t.Fatalf("asset under custom base = %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
	if w := do(h, "GET", "/static/gone.js"); w.Code != 404 {
		t.Fatalf("missing asset under custom base = %d, want 404", w.Code)
	}
}
