package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

func mustHandler(t *testing.T, fsys fstest.MapFS, base string) *Handler {
	t.Helper()
	h, ok := newHandler(fsys, Config{AssetPath: base})
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
			if h, ok := newHandler(fsys, Config{}); ok || h != nil {
				t.Fatalf("newHandler = %v, %v; want nil, false", h, ok)
			}
		})
	}
}

func TestEmbedded(t *testing.T) {
	t.Parallel()
	// Whether or not the client was built, Handler must not panic, and a
	// built client must serve index.html.
	h, ok := New(Config{})
	if !ok {
		t.Skip("web client not built (dist holds only .keep)")
	}
	if w := do(h, "GET", "/"); w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET / = %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
	// The build's second page: the API reference, served at /api/docs.
	docs := h.Docs()
	if docs == nil {
		t.Fatal("the build has no docs.html (vite.config.ts inputs)")
	}
	if w := do(docs, "GET", "/api/docs"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<script type="module" crossorigin src="/assets/docs-`) {
		t.Fatalf("docs page = %d %q", w.Code, w.Body.String())
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

// page is a built page as Vite writes it: assets named from the site root.
const page = `<!doctype html><html><head>` +
	`<script type="module" crossorigin src="/assets/index-abc123.js"></script>` +
	`<link rel="modulepreload" crossorigin href="/assets/shared-9f8e.js">` +
	`<link rel="stylesheet" crossorigin href="/assets/app-def456.css">` +
	`</head><body><a href="/assets-guide">not an asset</a></body></html>`

func cdnBuild() fstest.MapFS {
	fsys := build()
	fsys["index.html"] = &fstest.MapFile{Data: []byte(page)}
	fsys["docs.html"] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(page, "index-abc123", "docs-77aa"))}
	fsys["docs.html.br"] = &fstest.MapFile{Data: []byte("br-docs")}
	return fsys
}

func TestAssetBaseURL(t *testing.T) {
	t.Parallel()
	h, ok := newHandler(cdnBuild(), Config{AssetBaseURL: "https://cdn.example.com/coffer/"})
	if !ok {
		t.Fatal("newHandler: not ok")
	}
	want := strings.NewReplacer(`src="/assets/`, `src="https://cdn.example.com/coffer/assets/`,
		`href="/assets/`, `href="https://cdn.example.com/coffer/assets/`).Replace(page)
	if !strings.Contains(want, `<a href="/assets-guide">`) || strings.Contains(want, `"/assets/`) {
		t.Fatalf("bad expectation %q", want)
	}
	for name, get := range map[string]func(...string) *httptest.ResponseRecorder{
		"Index":       func(hdr ...string) *httptest.ResponseRecorder { return do(h, "GET", "/", hdr...) },
		"SPAFallback": func(hdr ...string) *httptest.ResponseRecorder { return do(h, "GET", "/projects/shop", hdr...) },
		"Docs":        func(hdr ...string) *httptest.ResponseRecorder { return do(h.Docs(), "GET", "/api/docs", hdr...) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wantPage := want
			if name == "Docs" {
				wantPage = strings.ReplaceAll(want, "index-abc123", "docs-77aa")
			}
			w := get()
			if w.Code != 200 || w.Body.String() != wantPage {
				t.Fatalf("page = %d %q, want %q", w.Code, w.Body.String(), wantPage)
			}
			// The build's brotli variant holds the old references: it
			// must not be sent; a fresh gzip variant is.
			w = get("Accept-Encoding", "br, gzip")
			if w.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding = %q, want gzip", w.Header().Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := io.ReadAll(zr); string(b) != wantPage {
				t.Fatalf("gzip variant = %q, want %q", b, wantPage)
			}
		})
	}
	t.Run("AssetsAreCrossOrigin", func(t *testing.T) {
		t.Parallel()
		w := do(h, "GET", "/assets/index-abc123.js", "Origin", "https://coffer.example.com")
		if w.Code != 200 || w.Header().Get("Cache-Control") != immutable {
			t.Fatalf("asset = %d %q", w.Code, w.Header().Get("Cache-Control"))
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		if got := w.Header().Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
			t.Errorf("Cross-Origin-Resource-Policy = %q, want cross-origin", got)
		}
	})
	t.Run("PagesAreNotCrossOrigin", func(t *testing.T) {
		t.Parallel()
		if got := do(h, "GET", "/").Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("index.html Access-Control-Allow-Origin = %q, want none", got)
		}
	})
}

func TestAssetBasePathOnly(t *testing.T) {
	t.Parallel()
	h, ok := newHandler(cdnBuild(), Config{AssetBaseURL: "/static"})
	if !ok {
		t.Fatal("newHandler: not ok")
	}
	w := do(h, "GET", "/")
	if !strings.Contains(w.Body.String(), `src="/static/assets/index-abc123.js"`) || strings.Contains(w.Body.String(), `"/assets/`) {
		t.Fatalf("index.html = %q", w.Body.String())
	}
	if got := do(h, "GET", "/assets/index-abc123.js").Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("same-origin assets got Access-Control-Allow-Origin %q", got)
	}
}

func TestNoAssetBaseURLChangesNothing(t *testing.T) {
	t.Parallel()
	h := mustHandler(t, cdnBuild(), "")
	if w := do(h, "GET", "/"); w.Body.String() != page {
		t.Fatalf("index.html = %q, want the build's bytes", w.Body.String())
	}
	if w := do(h.Docs(), "GET", "/api/docs", "Accept-Encoding", "br"); w.Body.String() != "br-docs" {
		t.Fatalf("docs.html br = %q, want the build's variant", w.Body.String())
	}
	w := do(h, "GET", "/assets/index-abc123.js")
	if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Cross-Origin-Resource-Policy") != "" {
		t.Fatalf("asset CORS/CORP headers without ASSET_BASE_URL: %v", w.Header())
	}
}

func TestDocs(t *testing.T) {
	t.Parallel()
	if d := mustHandler(t, build(), "").Docs(); d != nil {
		t.Fatal("Docs() of a build without docs.html is not nil")
	}
	w := do(mustHandler(t, cdnBuild(), "").Docs(), "GET", "/api/docs")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("docs = %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
	}
}
