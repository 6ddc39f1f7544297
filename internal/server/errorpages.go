package server

import (
	"bytes"
	"embed"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/cofferhq/coffer/internal/httpx"
)

// errorCSSPath serves the stylesheet of the error pages. The CSP allows
// styles from 'self' only, never inline, hence a file of its own.
const errorCSSPath = "/_coffer/error.css"

//go:embed errorpages
var errorPageFiles embed.FS

// errorPageTmpl is parsed on first use rather than at package
// initialisation, which every run of the binary pays for, the CLI's
// included; TestErrorPages parses it, so a broken template still fails CI.
var errorPageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(errorPageFiles, "errorpages/error.html"))
})

// errorPageText is what a person reads for each status that has a page.
// Other statuses keep their problem body: a browser rarely meets them
// outside the API, and the web client renders those itself.
var errorPageText = map[int][2]string{
	http.StatusNotFound:            {"Page not found", "There is nothing at this address. Check the link, or start again from the home page."},
	http.StatusInternalServerError: {"Something went wrong", "Coffer could not complete this request. It has been logged; if it keeps happening, give your administrator the request ID below."},
}

// errorCSS serves the error pages' stylesheet.
func errorCSS() http.Handler {
	css, err := errorPageFiles.ReadFile("errorpages/error.css")
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(css)
	})
}

// errorPages is a middleware that gives browsers a small HTML page instead
// of a problem+json body for a 404 or a 500 outside the API. It must run
// outside Recover so that a recovered panic's 500 is turned into a page
// too. API, health and metrics paths, and clients that do not ask for HTML,
// keep the problem body unchanged.
func errorPages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsHTML(r) {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&htmlErrorWriter{ResponseWriter: w, r: r}, r)
	})
}

// wantsHTML reports whether r is a browser navigation to a non-API page.
func wantsHTML(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/health") || p == "/metrics" {
		return false
	}
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/html" {
				return true
			}
		}
	}
	return false
}

// htmlErrorWriter replaces a problem response that has a page with the
// page: the status stays, the body is swapped.
type htmlErrorWriter struct {
	http.ResponseWriter
	r       *http.Request
	decided bool // the final status has been written
	swallow bool // the problem body is dropped; the page was written
}

func (w *htmlErrorWriter) WriteHeader(code int) {
	if w.decided || code < 200 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.decided = true
	text, ok := errorPageText[code]
	if !ok || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	var page bytes.Buffer
	_ = errorPageTmpl().Execute(&page, map[string]any{ // fixed data: cannot fail
		"Status": code, "Title": text[0], "Message": text[1], "CSS": errorCSSPath,
		"RequestID": httpx.RequestIDFrom(w.r.Context()),
	})
	h := w.Header()
	h.Del("Content-Encoding") // set by Compress only if it saw a large body
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(page.Len()))
	h.Set("Cache-Control", "no-store")
	w.swallow = true
	w.ResponseWriter.WriteHeader(code)
	if w.r.Method != http.MethodHead {
		_, _ = w.ResponseWriter.Write(page.Bytes())
	}
}

func (w *htmlErrorWriter) Write(b []byte) (int, error) {
	if !w.decided {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *htmlErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
