package main

import (
	"bytes"
	"io"
	"net/http"
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
	if err != nil || !strings.HasPrefix(req.URL.Path, "/api/") {
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
// ways: no undocumented route, no documented operation left unserved.
func TestRoutesMatchContract(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	served := map[string]bool{}
	for _, rt := range s.Server.Routes() {
		served[rt.Method+" "+rt.Path] = true
	}
	documented := map[string]bool{}
	for _, op := range api.Operations() {
		documented[op.Method+" "+op.Path] = true
		if !served[op.Method+" "+op.Path] {
			t.Errorf("%s %s (%s) is documented but not served", op.Method, op.Path, op.OperationID)
		}
	}
	for route := range served {
		if !documented[route] {
			t.Errorf("%s is served but not documented in api/openapi.yaml", route)
		}
	}
}
