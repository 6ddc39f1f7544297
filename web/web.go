// Package web embeds the browser client (built by `make web` into web/dist)
// and serves it: hashed assets with a year-long immutable cache, index.html
// revalidated on every load, pre-compressed brotli and gzip variants when the
// browser accepts them, and index.html for every other path so that the
// client's router can handle deep links.
package web

import (
	"bytes"
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

// DefaultAssetBase is the URL path of the hashed assets when Handler is given
// "": Vite's build.assetsDir under the site root.
const DefaultAssetBase = "/assets/"

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

// Handler returns the handler of the embedded client and true, or nil and
// false when the client was not built (dist holds only its placeholder), in
// which case the server should say "web client not built: run `make web`".
// assetBase is the URL path under which the content-hashed assets are
// served ("" means DefaultAssetBase); it must match the build's assetsDir.
func Handler(assetBase string) (http.Handler, bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	return newHandler(sub, assetBase)
}

// file is one servable file with its pre-compressed variants.
type file struct {
	body     []byte
	ctype    string
	etag     string
	variants map[string][]byte // by encoding name
}

type handler struct {
	files     map[string]*file // by slash path relative to dist, e.g. "assets/index-abc.js"
	assetBase string           // e.g. "/assets/"
	assetDir  string           // e.g. "assets/"
}

// newHandler reads every file of fsys (the root of a build) into memory: a
// build is a few hundred KiB, and this way a request costs no file system
// work. It reports false when fsys has no index.html.
func newHandler(fsys fs.FS, assetBase string) (http.Handler, bool) {
	if assetBase == "" {
		assetBase = DefaultAssetBase
	}
	assetBase = "/" + strings.Trim(assetBase, "/") + "/"
	h := &handler{files: map[string]*file{}, assetBase: assetBase, assetDir: strings.TrimPrefix(assetBase, "/")}
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
	for p, b := range raw {
		if isVariant(p) || path.Base(p) == ".keep" {
			continue
		}
		sum := sha256.Sum256(b)
		f := &file{body: b, ctype: typeOf(p), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, variants: map[string][]byte{}}
		for _, e := range encodings {
			if v, ok := raw[p+e.suffix]; ok {
				f.variants[e.name] = v
			}
		}
		h.files[p] = f
	}
	if _, ok := h.files[indexFile]; !ok {
		return nil, false
	}
	return h, true
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

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
func (h *handler) serve(w http.ResponseWriter, r *http.Request, f *file, cacheControl string) {
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
