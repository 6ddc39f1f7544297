package httpx

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"AcceptsWellFormed", "abc-123_4.5:6", true},
		{"AcceptsMaxLength", strings.Repeat("a", 128), true},
		{"GeneratesWhenMissing", "", false},
		{"RejectsShort", "abc1234", false},
		{"RejectsLong", strings.Repeat("a", 129), false},
		{"RejectsSpaces", "abc 12345678", false},
		{"RejectsLogInjection", "abcdefgh\nlevel=ERROR", false},
		{"RejectsQuotes", `abcdefgh"x`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestIDFrom(r.Context())
			}))
			r := httptest.NewRequest("GET", "/", nil)
			if tt.incoming != "" {
				r.Header.Set(HeaderRequestID, tt.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if got := rec.Header().Get(HeaderRequestID); got != seen {
				t.Fatalf("echoed %q, context %q", got, seen)
			}
			if tt.keep && seen != tt.incoming {
				t.Fatalf("id = %q, want incoming %q", seen, tt.incoming)
			}
			if !tt.keep && !generated.MatchString(seen) {
				t.Fatalf("id = %q, want a generated 128-bit hex id", seen)
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestInfoFromOutsideChainIsDetached(t *testing.T) {
	t.Parallel()
	info := InfoFrom(t.Context())
	info.ActorID = "x"
	if InfoFrom(t.Context()).ActorID != "" {
		t.Fatal("detached Info shared between calls")
	}
}

func TestInfoIsSharedWithOuterLayers(t *testing.T) {
	t.Parallel()
	var outer *Info
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/projects/{project}", func(w http.ResponseWriter, r *http.Request) {
		InfoFrom(r.Context()).ActorID = "user-1"
	})
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outer = InfoFrom(r.Context())
		// A layer that copies the request, as most middlewares do.
		Routes(mux).ServeHTTP(w, r.WithContext(r.Context()))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/projects/shop", nil))
	if outer.ActorID != "user-1" || outer.Route != "GET /api/v1/projects/{project}" {
		t.Fatalf("outer sees %+v", outer)
	}
}

func TestRoutesUnmatchedLeavesRouteEmpty(t *testing.T) {
	t.Parallel()
	var route string
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Routes(http.NewServeMux()).ServeHTTP(w, r)
		route = RouteOf(r)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nope/123", nil))
	if route != RouteUnmatched {
		t.Fatalf("route = %q, want %q", route, RouteUnmatched)
	}
}

func TestChainOrder(t *testing.T) {
	t.Parallel()
	var order []string
	mw := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	Chain(okHandler, mw("a"), mw("b"), mw("c")).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if strings.Join(order, "") != "abc" {
		t.Fatalf("order = %v, want first middleware outermost", order)
	}
}
