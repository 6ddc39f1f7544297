package client

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	validator "github.com/pb33f/libopenapi-validator"

	"github.com/cofferhq/coffer/api/apitest"
)

// exchange is one expected request and the canned answer to it.
type exchange struct {
	method  string
	path    string            // escaped, as on the wire
	query   string            // raw query, as url.Values.Encode writes it
	header  map[string]string // headers that must be present with these values
	absent  []string          // headers that must not be sent
	body    string            // expected body: JSON compared by value, other types byte for byte
	ctype   string            // expected Content-Type of the body
	status  int
	rheader map[string]string // "\n" separates repeated headers
	resp    any               // encoded as JSON unless a string
}

// server answers the exchanges in order and fails the test on any
// difference, on extra requests and (at cleanup) on missing ones.
func server(t *testing.T, exchanges ...exchange) *httptest.Server {
	t.Helper()
	v, err := apitest.Validator()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	var mu sync.Mutex
	next := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if next >= len(exchanges) {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		ex := exchanges[next]
		next++
		checkRequest(t, v, ex, r)
		for k, val := range ex.rheader {
			for _, v := range strings.Split(val, "\n") { // several Set-Cookie lines
				w.Header().Add(k, v)
			}
		}
		var body []byte
		switch resp := ex.resp.(type) {
		case nil:
		case string:
			body = []byte(resp)
		default:
			body, _ = json.Marshal(resp)
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "application/json")
			}
		}
		status := ex.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(func() {
		srv.Close()
		if next != len(exchanges) {
			t.Errorf("%d requests made, want %d", next, len(exchanges))
		}
	})
	return srv
}

func checkRequest(t *testing.T, v validator.Validator, ex exchange, r *http.Request) {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != ex.method || r.URL.EscapedPath() != ex.path {
		t.Errorf("request %s %s, want %s %s", r.Method, r.URL.EscapedPath(), ex.method, ex.path)
	}
	if r.URL.RawQuery != ex.query {
		t.Errorf("%s %s: query %q, want %q", r.Method, r.URL.Path, r.URL.RawQuery, ex.query)
	}
	for k, want := range ex.header {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s %s: header %s = %q, want %q", r.Method, r.URL.Path, k, got, want)
		}
	}
	for _, k := range ex.absent {
		if got := r.Header.Get(k); got != "" {
			t.Errorf("%s %s: header %s = %q, want none", r.Method, r.URL.Path, k, got)
		}
	}
	if ex.ctype != "" && r.Header.Get("Content-Type") != ex.ctype {
		t.Errorf("%s %s: Content-Type %q, want %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"), ex.ctype)
	}
	switch {
	case ex.body == "" && len(body) > 0:
		t.Errorf("%s %s: unexpected body %s", r.Method, r.URL.Path, body)
	case ex.body != "" && r.Header.Get("Content-Type") == "application/json":
		var got, want any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
		}
		if err := json.Unmarshal([]byte(ex.body), &want); err != nil {
			t.Fatalf("bad expected body: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s: body %s, want %s", r.Method, r.URL.Path, body, ex.body)
		}
	case ex.body != "" && string(body) != ex.body:
		t.Errorf("%s %s: body %q, want %q", r.Method, r.URL.Path, body, ex.body)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := v.ValidateHttpRequest(r); !ok {
		for _, e := range errs {
			t.Errorf("%s %s breaks the contract: %s: %s", r.Method, r.URL.Path, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s: %s", se.KeywordLocation, se.Reason)
			}
		}
	}
}

// mustNew returns a client of srv.
func mustNew(t *testing.T, srv *httptest.Server, opts ...Option) *Client {
	t.Helper()
	c, err := New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
