package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/httpx"
)

// TestDeprecatedRouteOption: a route with the deprecated option answers
// with the Deprecation, Sunset and Link headers — a refused request too —
// and a route without it sends none. No route of the table is deprecated
// today, so the routes here are made for the test.
func TestDeprecatedRouteOption(t *testing.T) {
	t.Parallel()
	dep := &httpx.Deprecation{
		Since:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Sunset: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		Link:   "https://coffer.example.com/docs/api-versioning#deprecations",
	}
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	s := &Server{}
	for _, tt := range []struct {
		name       string
		route      Route
		wantStatus int
		wantHeader bool
	}{
		{"Deprecated", Route{Method: "GET", Path: "/api/v1/old", handler: ok, public: true, anonymous: true, deprecated: dep},
			http.StatusNoContent, true},
		{"DeprecatedRefused", Route{Method: "GET", Path: "/api/v1/old", handler: ok, public: true, deprecated: dep},
			http.StatusUnauthorized, true},
		{"Current", Route{Method: "GET", Path: "/api/v1/new", handler: ok, public: true, anonymous: true},
			http.StatusNoContent, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			s.wrap(tt.route).ServeHTTP(rec, httptest.NewRequest(tt.route.Method, tt.route.Path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			want := map[string]string{
				"Deprecation": "@1767225600",
				"Sunset":      "Wed, 01 Jul 2026 00:00:00 GMT",
				"Link":        `<https://coffer.example.com/docs/api-versioning#deprecations>; rel="deprecation"; type="text/html"`,
			}
			for name, value := range want {
				got := rec.Header().Get(name)
				if !tt.wantHeader {
					value = ""
				}
				if got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
			if got := tt.route.Deprecation() != nil; got != tt.wantHeader {
				t.Errorf("Deprecation() != nil is %v, want %v", got, tt.wantHeader)
			}
		})
	}
}
