// Package web embeds the browser client (built by `make web` into web/dist)
// and serves it: hashed assets with a year-long immutable cache, index.html
// revalidated on every load, pre-compressed brotli and gzip variants when the
// browser accepts them, and index.html for every other path so that the
// client's router can handle deep links. The build has a second page, the
// API reference (docs.html), which the server answers at /api/docs.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// DefaultAssetBase is the URL path of the hashed assets when
// Config.AssetPath is "": Vite's build.assetsDir under the site root.
const DefaultAssetBase = "/assets/"

// docsFile is the API reference page of the build (Vite's second input).
const docsFile = "docs.html"

const (
	immutable   = "public, max-age=31536000, immutable"
	revalidate  = "no-cache"
	indexFile   = "index.html"
	varyHeader  = "Vary"
	acceptEnc   = "Accept-Encoding"
	contentEnc  = "Content-Encoding"
	contentType = "Content-Type"
)

// encodings lists the pre-compressed variants in order of preference, with
// the file suffix the build gives each.
var encodings = []struct{ name, suffix string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// Config says where the client's content-hashed assets live.
type Config struct {
	// AssetPath is the URL path under which this server serves the hashed
	// assets ("" means DefaultAssetBase); it must match the build's
	// assetsDir.
	AssetPath string
	// AssetBaseURL, when set, is where the pages load the hashed assets
	// from instead of this server (ASSET_BASE_URL, validated by
	// config.Load): an https URL, e.g. a CDN that pulls them from this
	// server, or a path. The pages' references to AssetPath are rewritten
	// to AssetBaseURL+AssetPath; scripts and styles name one another
	// relative to themselves, so the rest follows. With a URL, the assets
	// are also answered with CORS and CORP headers that let pages of any
	// origin load them, as a CDN in front of this server must pass them on
	// (they are public and the same for everyone).
	AssetBaseURL string
}

// New returns the handler of the embedded client and true, or nil and false
// when the client was not built (dist holds only its placeholder), in which
// case the server should say "web client not built: run `make web`".
func New(cfg Config) (*Handler, bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	return newHandler(sub, cfg)
}

// file is one servable file with its pre-compressed variants.
type file struct {
	body     []byte
	ctype    string
	etag     string
	variants map[string][]byte // by encoding name
}

// Handler serves the built client: the app (ServeHTTP) and the API
// reference page (Docs).
type Handler struct {
	files       map[string]*file // by slash path relative to dist, e.g. "assets/index-abc.js"
	assetBase   string           // e.g. "/assets/"
	assetDir    string           // e.g. "assets/"
	crossOrigin bool             // the pages load the assets from another origin (a CDN)
}

// newHandler reads every file of fsys (the root of a build) into memory: a
// build is a few hundred KiB, and this way a request costs no file system
// work. It reports false when fsys has no index.html.
func newHandler(fsys fs.FS, cfg Config) (*Handler, bool) {
	assetBase := cfg.AssetPath
	if assetBase == "" {
		assetBase = DefaultAssetBase
	}
	assetBase = "/" + strings.Trim(assetBase, "/") + "/"
	h := &Handler{
		files: map[string]*file{}, assetBase: assetBase, assetDir: strings.TrimPrefix(assetBase, "/"),
		crossOrigin: strings.Contains(cfg.AssetBaseURL, "://"),
	}
	raw := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		raw[p] = b
		return nil
	})
	if err != nil {
		return nil, false
	}
	base := strings.TrimSuffix(cfg.AssetBaseURL, "/")
	for p, b := range raw {
		if isVariant(p) || path.Base(p) == ".keep" {
			continue
		}
		variants := map[string][]byte{}
		if base != "" && path.Ext(p) == ".html" {
			b = rebase(b, assetBase, base)
			// The build's variants hold the old references; gzip is in
			// the standard library, brotli is not.
			variants["gzip"] = gzipBytes(b)
		} else {
			for _, e := range encodings {
				if v, ok := raw[p+e.suffix]; ok {
					variants[e.name] = v
				}
			}
		}
		sum := sha256.Sum256(b)
		h.files[p] = &file{body: b, ctype: typeOf(p), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, variants: variants}
	}
	if _, ok := h.files[indexFile]; !ok {
		return nil, false
	}
	return h, true
}

// rebase points a page's references to the hashed assets (src="/assets/…",
// href="/assets/…", as Vite writes them) at base+assetBase.
func rebase(page []byte, assetBase, base string) []byte {
	for _, attr := range []string{`src="`, `href="`} {
		page = bytes.ReplaceAll(page, []byte(attr+assetBase), []byte(attr+base+assetBase))
	}
	return page
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = zw.Write(b)                                       // a bytes.Buffer does not fail
	_ = zw.Close()
	return buf.Bytes()
}

func isVariant(p string) bool {
	for _, e := range encodings {
		if strings.HasSuffix(p, e.suffix) {
			return true
		}
	}
	return false
}

// typeOf names the media type of a file by its extension; JavaScript is
// spelled out because system MIME tables disagree about it.
func typeOf(p string) string {
	switch ext := path.Ext(p); ext {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".webmanifest":
		return "application/manifest+json"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".woff2":
		return "font/woff2"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return "application/octet-stream"
	}
}

// Docs returns the handler of the API reference page, or nil when the
// build has none.
func (h *Handler) Docs() http.Handler {
	f, ok := h.files[docsFile]
	if !ok {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, f, revalidate)
	})
}

// ServeHTTP serves the app: assets, root files and index.html for every
// other path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/api" || strings.HasPrefix(p, "/api/") || p == "/health" || strings.HasPrefix(p, "/health/") {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(p+"/", h.assetBase) {
		// A missing asset is a 404, never index.html: a browser holding an
		// old page must not get HTML where it asked for a script.
		f, ok := h.files[h.assetDir+strings.TrimPrefix(p, h.assetBase)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if h.crossOrigin {
			// Pages load scripts and styles with crossorigin (CORS mode)
			// from the CDN: they need these, whatever page asks.
			hdr := w.Header()
			hdr.Set("Access-Control-Allow-Origin", "*")
			hdr.Del("Access-Control-Allow-Credentials")
			hdr.Set("Cross-Origin-Resource-Policy", "cross-origin")
		}
		h.serve(w, r, f, immutable)
		return
	}
	if f, ok := h.files[strings.TrimPrefix(p, "/")]; ok {
		h.serve(w, r, f, revalidate)
		return
	}
	h.serve(w, r, h.files[indexFile], revalidate)
}

// serve writes f, or its best pre-compressed variant the request accepts,
// with conditional-request and range support from http.ServeContent.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, f *file, cacheControl string) {
	hdr := w.Header()
	addVary(hdr)
	hdr.Set("Cache-Control", cacheControl)
	hdr.Set(contentType, f.ctype)
	body, etag := f.body, f.etag
	if enc := negotiate(r.Header.Values(acceptEnc), f.variants); enc != "" {
		body = f.variants[enc]
		etag = strings.TrimSuffix(f.etag, `"`) + "-" + enc + `"`
		hdr.Set(contentEnc, enc)
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func addVary(h http.Header) {
	for _, v := range h.Values(varyHeader) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), acceptEnc) {
				return
			}
		}
	}
	h.Add(varyHeader, acceptEnc)
}

// negotiate picks the preferred encoding among the variants that
// Accept-Encoding allows (q > 0, directly or through "*"), or "".
func negotiate(accept []string, variants map[string][]byte) string {
	if len(variants) == 0 {
		return ""
	}
	q := map[string]float64{}
	for _, line := range accept {
		for _, item := range strings.Split(line, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			weight := 1.0
			if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					weight = f
				}
			}
			q[name] = weight
		}
	}
	best, bestQ := "", 0.0
	for _, e := range encodings {
		if _, ok := variants[e.name]; !ok {
			continue
		}
		w, ok := q[e.name]
		if !ok {
			w, ok = q["*"]
		}
		if ok && w > bestQ {
			best, bestQ = e.name, w
		}
	}
	return best
}
