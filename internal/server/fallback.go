package server

import (
	"net/http"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/httpx"
)

// openAPI serves the API contract as JSON.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := api.JSON()
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(doc)
}

// apiDocs serves the API reference page, which renders the document that
// openAPI serves; it is part of the web client's build.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Docs == nil {
		httpx.Error(w, r, coffer.Errorf(coffer.ENOTFOUND, "The API reference is part of the web client, which is not built; the document itself is at /api/v1/openapi.json."))
		return
	}
	s.cfg.Docs.ServeHTTP(w, r)
}

// fallback answers what no route matched: API paths get a problem, other
// paths go to the web client when it is built.
func (s *Server) fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			httpx.WriteProblem(w, r, http.StatusMethodNotAllowed, coffer.EMETHOD, r.Method+" is not allowed here; use "+strings.Join(allow, ", ")+".")
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/health") || s.cfg.Web == nil {
			httpx.Error(w, r, coffer.Errorf(coffer.ENOTFOUND, "No such endpoint: %s %s.", r.Method, r.URL.Path))
			return
		}
		s.cfg.Web.ServeHTTP(w, r)
	})
}

// allowed lists the methods that some route serves at r's path.
func allowed(mux *http.ServeMux, r *http.Request) []string {
	var methods []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			methods = append(methods, m)
		}
	}
	return methods
}
