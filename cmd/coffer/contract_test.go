package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/api/apitest"
)

// contractTransport fails the test when a response of the API does not
// match the contract. Every integration test's client goes through it, so
// every answer the tests see is checked.
type contractTransport struct {
	t    testing.TB
	next http.RoundTripper
}

func (c contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil || !(strings.HasPrefix(req.URL.Path, "/api/") || strings.HasPrefix(req.URL.Path, "/health")) {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	v, verr := apitest.Validator()
	if verr != nil {
		c.t.Fatalf("load contract: %v", verr)
	}
	checkReq := req.Clone(req.Context())
	checkReq.Body = io.NopCloser(bytes.NewReader(reqBody))
	checkResp := *resp
	checkResp.Body = io.NopCloser(bytes.NewReader(respBody))
	if ok, errs := v.ValidateHttpResponse(checkReq, &checkResp); !ok {
		for _, e := range errs {
			c.t.Errorf("%s %s → %d breaks the contract: %s %s", req.Method, req.URL.Path, resp.StatusCode, e.Message, e.Reason)
		}
	}
	return resp, nil
}

// TestRoutesMatchContract compares the route table with the document, both
// ways: no undocumented route, no documented operation left unserved, and
// the same routes deprecated in both (each within the deprecation policy).
func TestRoutesMatchContract(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	served := map[string]bool{}
	servedDeprecated := map[string]bool{}
	for _, rt := range s.Server.Routes() {
		served[rt.Method+" "+rt.Path] = true
		if d := rt.Deprecation(); d != nil {
			servedDeprecated[rt.Method+" "+rt.Path] = true
			if err := d.Validate(); err != nil {
				t.Errorf("%s %s: %v (docs/api-versioning.md)", rt.Method, rt.Path, err)
			}
		}
	}
	documented := map[string]bool{}
	documentedDeprecated := map[string]bool{}
	for _, op := range api.Operations() {
		documented[op.Method+" "+op.Path] = true
		documentedDeprecated[op.Method+" "+op.Path] = op.Deprecated
		if !served[op.Method+" "+op.Path] {
			t.Errorf("%s %s (%s) is documented but not served", op.Method, op.Path, op.OperationID)
		}
	}
	for route := range served {
		if !documented[route] {
			t.Errorf("%s is served but not documented in api/openapi.yaml", route)
		}
	}
	for _, m := range deprecationMismatches(servedDeprecated, documentedDeprecated) {
		t.Error(m)
	}
}

// deprecationMismatches lists the routes deprecated on one side only:
// route table (served) or document (documented), keyed "METHOD /path".
func deprecationMismatches(served, documented map[string]bool) []string {
	var out []string
	for _, route := range slices.Sorted(maps.Keys(served)) {
		if served[route] && !documented[route] {
			out = append(out, route+" is deprecated in the route table (internal/server/routes.go) but not `deprecated: true` in api/openapi.yaml")
		}
	}
	for _, route := range slices.Sorted(maps.Keys(documented)) {
		if documented[route] && !served[route] {
			out = append(out, route+" is `deprecated: true` in api/openapi.yaml but its route in internal/server/routes.go has no deprecation")
		}
	}
	return out
}

// TestDeprecationMismatches: the agreement check fails in both directions.
// No route is deprecated today, so the real table cannot show that it can.
func TestDeprecationMismatches(t *testing.T) {
	served := map[string]bool{"GET /a": true, "GET /b": false, "GET /c": true}
	documented := map[string]bool{"GET /a": false, "GET /b": true, "GET /c": true, "GET /d": false}
	got := deprecationMismatches(served, documented)
	if len(got) != 2 ||
		!strings.HasPrefix(got[0], "GET /a is deprecated in the route table") ||
		!strings.HasPrefix(got[1], "GET /b is `deprecated: true` in api/openapi.yaml") {
		t.Errorf("mismatches = %q, want GET /a (route table only) and GET /b (document only)", got)
	}
	if got := deprecationMismatches(map[string]bool{"GET /c": true}, map[string]bool{"GET /c": true}); len(got) != 0 {
		t.Errorf("agreeing flags reported: %q", got)
	}
}

// TestHealthAnswersMatchTheContract reads every health endpoint of a server
// without Redis through the contract check: /health/redis then says
// "disabled" with 200, as the document promises.
func TestHealthAnswersMatchTheContract(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	hc := &http.Client{Transport: contractTransport{t: t, next: http.DefaultTransport}}
	for _, path := range []string{"/health", "/health/ready", "/health/db", "/health/redis", "/health/disk"} {
		resp, err := hc.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Status string }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %v", path, resp.StatusCode, err)
		}
		want := "ok"
		if path == "/health/redis" {
			want = "disabled"
		}
		if body.Status != want {
			t.Errorf("%s: status %q, want %q", path, body.Status, want)
		}
	}
}
