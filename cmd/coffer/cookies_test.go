package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// wantSessionCookies checks the three cookies a sign-in sets: the access
// and refresh tokens HttpOnly, the CSRF token readable by the web client
// (it sends it back in a header), all SameSite=Strict for the whole host
// (Path=/, no Domain); Secure with the __Host- prefix exactly when the
// client-facing scheme is HTTPS, and no cookie of the other naming.
func wantSessionCookies(t *testing.T, cookies []*http.Cookie, https bool) {
	t.Helper()
	prefix, other := "", "__Host-"
	if https {
		prefix, other = other, prefix
	}
	byName := map[string]*http.Cookie{}
	var names []string // never the values: they are credentials
	for _, c := range cookies {
		byName[c.Name] = c
		names = append(names, c.Name)
	}
	for _, want := range []struct {
		name     string
		httpOnly bool
	}{{"coffer_access", true}, {"coffer_refresh", true}, {"coffer_csrf", false}} {
		c := byName[prefix+want.name]
		if c == nil {
			t.Errorf("no %s cookie among %v", prefix+want.name, names)
			continue
		}
		if c.HttpOnly != want.httpOnly || c.Secure != https || c.SameSite != http.SameSiteStrictMode ||
			c.Path != "/" || c.Domain != "" || c.Value == "" || c.MaxAge <= 0 {
			t.Errorf("%s: HttpOnly=%v Secure=%v SameSite=%v Path=%q Domain=%q MaxAge=%d empty=%v; want HttpOnly=%v Secure=%v SameSite=Strict Path=/ no Domain",
				c.Name, c.HttpOnly, c.Secure, c.SameSite, c.Path, c.Domain, c.MaxAge, c.Value == "", want.httpOnly, https)
		}
		if byName[other+want.name] != nil {
			t.Errorf("%s set as well as %s", other+want.name, c.Name)
		}
	}
}

// TestSessionCookiesBehindProxy runs the scheme decision end to end: a
// server behind a TLS-terminating proxy listed in TRUSTED_PROXIES hands out
// Secure __Host- cookies when the proxy says X-Forwarded-Proto: https, and
// accepts them back; the same header from a peer that is not a trusted
// proxy changes nothing, so a client cannot pick the cookie names.
func TestSessionCookiesBehindProxy(t *testing.T) {
	trusted := startServer(t, "sqlite", map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32,::1/128"})
	untrusted := startServer(t, "sqlite", map[string]string{"TRUSTED_PROXIES": "192.0.2.0/24"})
	for _, tt := range []struct {
		name  string
		s     *testServer
		proto string // X-Forwarded-Proto sent, "" for none
		https bool
	}{
		{"TrustedProxyHTTPS", trusted, "https", true},
		{"TrustedProxyHTTP", trusted, "http", false},
		{"TrustedProxyNoHeader", trusted, "", false},
		{"UntrustedPeerHTTPS", untrusted, "https", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			do := func(method, path string, body any, cookies []*http.Cookie) *http.Response {
				t.Helper()
				var r io.Reader
				if body != nil {
					b, _ := json.Marshal(body)
					r = bytes.NewReader(b)
				}
				req, _ := http.NewRequestWithContext(t.Context(), method, tt.s.URL+path, r)
				req.Header.Set("Content-Type", "application/json")
				if tt.proto != "" {
					req.Header.Set("X-Forwarded-Proto", tt.proto)
				}
				for _, c := range cookies {
					req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp
			}
			resp := do("POST", "/api/v1/auth/signup", map[string]string{
				"email": uniqueEmail(t, "owner"), "name": "Owner", "password": testPassword,
			}, nil)
			if resp.StatusCode/100 != 2 {
				t.Fatalf("signup: %d", resp.StatusCode)
			}
			wantSessionCookies(t, resp.Cookies(), tt.https)
			if got := do("GET", "/api/v1/me", nil, resp.Cookies()).StatusCode; got != http.StatusOK {
				t.Errorf("the session cookies sent back: %d", got)
			}
		})
	}
}
