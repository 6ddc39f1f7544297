package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/api"
)

// TestCookieRequestsNeedCSRFAndOrigin: a browser session's state-changing
// requests are refused without the session's CSRF token or from another
// site, while reads and bearer clients are unaffected.
func TestCookieRequestsNeedCSRFAndOrigin(t *testing.T) {
	s := startServer(t, "sqlite", map[string]string{"CLIENT_URL": "http://app.example.test"})
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	do := func(method, path, body string, header map[string]string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := do("POST", "/api/v1/auth/signup", `{"email":"csrf@example.test","name":"C","password":"`+testPassword+`"}`, nil); got != 201 {
		t.Fatalf("signup: %d", got)
	}
	u, _ := url.Parse(s.URL)
	var csrf string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "coffer_csrf" {
			csrf = ck.Value
		}
	}
	sess := api.Session{CSRFToken: csrf}
	project := `{"slug":"shop","name":"Shop"}`
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		header map[string]string
		want   int
	}{
		{"ReadNeedsNoToken", "GET", "/api/v1/me", "", nil, 200},
		{"MissingCSRF", "POST", "/api/v1/projects", project, nil, 403},
		{"WrongCSRF", "POST", "/api/v1/projects", project, map[string]string{"X-CSRF-Token": "forged"}, 403},
		{"OtherSessionsCSRF", "POST", "/api/v1/projects", project, map[string]string{"X-CSRF-Token": strings.Repeat("A", 43)}, 403},
		{"CrossSiteOrigin", "POST", "/api/v1/projects", project, map[string]string{"X-CSRF-Token": sess.CSRFToken, "Origin": "https://evil.example"}, 403},
		{"CrossSiteFetch", "POST", "/api/v1/projects", project, map[string]string{"X-CSRF-Token": sess.CSRFToken, "Sec-Fetch-Site": "cross-site"}, 403},
		{"NullOrigin", "POST", "/api/v1/projects", project, map[string]string{"X-CSRF-Token": sess.CSRFToken, "Origin": "null"}, 403},
		{"LoginFromOtherSite", "POST", "/api/v1/auth/login", `{"email":"csrf@example.test","password":"` + testPassword + `"}`, map[string]string{"Origin": "https://evil.example"}, 403},
		{"AllowedClientOrigin", "POST", "/api/v1/projects", `{"slug":"app","name":"App"}`, map[string]string{"X-CSRF-Token": sess.CSRFToken, "Origin": "http://app.example.test"}, 201},
		{"SameOriginWithToken", "POST", "/api/v1/projects", project, map[string]string{"X-CSRF-Token": sess.CSRFToken, "Origin": s.URL}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := do(tt.method, tt.path, tt.body, tt.header); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}

	// The cookies a browser gets are set (a jar hides their attributes:
	// wantSessionCookies checks those, in TestSessionCookiesBehindProxy
	// over plain HTTP and in TestTLSServer over HTTPS).
	names := map[string]bool{}
	for _, ck := range jar.Cookies(u) {
		names[ck.Name] = true
	}
	for _, name := range []string{"coffer_access", "coffer_refresh", "coffer_csrf"} {
		if !names[name] {
			t.Errorf("cookie %s not set (have %v)", name, names)
		}
	}
}

// TestOversizedHeadersRefused: request headers are capped.
func TestOversizedHeadersRefused(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/health", nil)
	req.Header.Set("X-Padding", strings.Repeat("p", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: %d", resp.StatusCode)
	}
}
