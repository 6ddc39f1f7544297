package main

import (
	"encoding/json"
	"mime"
	"net/http"
	"testing"

	"github.com/cofferhq/coffer"
)

// problem is the part of an RFC 9457 answer the HTTP-layer tests read.
type problem struct {
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

// doRaw sends a request with headers and returns the response with its
// problem body decoded (zero when the body is not a problem).
func doRaw(t *testing.T, method, url string, header map[string]string) (*http.Response, problem) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p problem
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/problem+json" {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatalf("%s %s: undecodable problem: %v", method, url, err)
		}
	}
	return resp, p
}

// TestMethodNotAllowed: a method no route serves at an existing path is a
// 405 problem with the stable code method_not_allowed and an Allow header
// listing the methods that are served there.
func TestMethodNotAllowed(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	tests := []struct {
		name, method, path, allow string
	}{
		{"Health", "PUT", "/health", "GET"},
		{"Readiness", "POST", "/health/ready", "GET"},
		{"Collection", "DELETE", "/api/v1/projects", "GET, POST"},
		{"Item", "POST", "/api/v1/projects/shop", "GET, PATCH, DELETE"},
		{"Secret", "PATCH", "/api/v1/projects/shop/environments/dev/secrets/KEY", "GET, PUT, DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, p := doRaw(t, tt.method, s.URL+tt.path, nil)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			// The literal, not coffer.EMETHOD: clients depend on the string.
			if p.Code != "method_not_allowed" || p.Status != 405 || p.RequestID == "" {
				t.Errorf("problem %+v, want code method_not_allowed, status 405 and a request id", p)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
	// A path nothing serves is a 404, not a 405.
	if resp, p := doRaw(t, "PUT", s.URL+"/api/v1/no-such-thing", nil); resp.StatusCode != 404 || p.Code != coffer.ENOTFOUND || resp.Header.Get("Allow") != "" {
		t.Errorf("unknown path: %d %+v Allow %q", resp.StatusCode, p, resp.Header.Get("Allow"))
	}
}
