package httpx

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDeprecatedHeaders(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sunset := time.Date(2026, 7, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	for _, tt := range []struct {
		name       string
		d          Deprecation
		status     int
		wantSunset string
	}{
		{"OK", Deprecation{Since: since, Sunset: sunset, Link: "/docs/api-versioning#deprecations"}, http.StatusOK,
			"Wed, 01 Jul 2026 10:00:00 GMT"}, // an HTTP-date is always GMT
		{"NoSunsetYet", Deprecation{Since: since, Link: "https://coffer.example.com/docs"}, http.StatusOK, ""},
		{"ErrorAnswer", Deprecation{Since: since, Sunset: sunset, Link: "/docs"}, http.StatusUnauthorized,
			"Wed, 01 Jul 2026 10:00:00 GMT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := Deprecated(tt.d)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Add("Link", `</api/v1/projects?cursor=x>; rel="next"`)
				w.WriteHeader(tt.status)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/old", nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			// RFC 9745: an sf-date, seconds since the epoch after "@".
			if got := rec.Header().Get("Deprecation"); got != "@1767225600" {
				t.Errorf("Deprecation = %q, want @1767225600", got)
			}
			if got := rec.Header().Get("Sunset"); got != tt.wantSunset {
				t.Errorf("Sunset = %q, want %q", got, tt.wantSunset)
			}
			if tt.wantSunset != "" {
				if _, err := http.ParseTime(rec.Header().Get("Sunset")); err != nil {
					t.Errorf("Sunset is not an HTTP-date: %v", err)
				}
			}
			links := rec.Header().Values("Link")
			want := "<" + tt.d.Link + `>; rel="deprecation"; type="text/html"`
			if !slices.Contains(links, want) {
				t.Errorf("Link = %q, want one %q", links, want)
			}
			if !slices.ContainsFunc(links, func(l string) bool { return strings.Contains(l, `rel="next"`) }) {
				t.Errorf("Link = %q: the handler's own link was lost", links)
			}
		})
	}
}

func TestDeprecationValidate(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		d    Deprecation
		want string // "" for valid
	}{
		{"OK", Deprecation{Since: since, Sunset: since.Add(MinDeprecationNotice), Link: "/docs/api-versioning.md"}, ""},
		{"OKNoSunset", Deprecation{Since: since, Link: "https://coffer.example.com/docs"}, ""},
		{"ErrNoSince", Deprecation{Link: "/docs"}, "Since is not set"},
		{"ErrSunsetTooSoon", Deprecation{Since: since, Sunset: since.Add(MinDeprecationNotice - time.Hour), Link: "/docs"}, "less than"},
		{"ErrSunsetBeforeSince", Deprecation{Since: since, Sunset: since.Add(-time.Hour), Link: "/docs"}, "less than"},
		{"ErrNoLink", Deprecation{Since: since}, "Link"},
		{"ErrRelativeLink", Deprecation{Since: since, Link: "docs/x"}, "Link"},
		{"ErrSchemeRelativeLink", Deprecation{Since: since, Link: "//evil.example/x"}, "Link"},
		{"ErrOtherScheme", Deprecation{Since: since, Link: "javascript:alert(1)"}, "Link"},
		{"ErrBreaksHeader", Deprecation{Since: since, Link: "/docs>; rel=\"x\""}, "Link"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.d.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// TestCORSExposesDeprecation: a browser client on an allowed origin can
// read the deprecation headers, so the web client can warn about them.
func TestCORSExposesDeprecation(t *testing.T) {
	t.Parallel()
	h := CORS([]string{"https://app.example.com"})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/api/v1/old", nil)
	req.Header.Set("Origin", "https://app.example.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	exposed := strings.Split(rec.Header().Get("Access-Control-Expose-Headers"), ", ")
	for _, name := range []string{"Deprecation", "Sunset", "Link"} {
		if !slices.Contains(exposed, name) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, name)
		}
	}
}
