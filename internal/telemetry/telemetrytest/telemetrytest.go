// Package telemetrytest runs local receivers that stand in for an OTLP/HTTP
// trace collector and for Sentry, capturing what Coffer sends so that tests
// can assert on it (and grep it for secrets).
package telemetrytest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one span as the collector received it.
type Span struct {
	Name     string
	TraceID  string // hex
	SpanID   string // hex
	ParentID string // hex; "" for a root span
	Attrs    map[string]string
	Resource map[string]string
}

// OTLP is a fake OTLP/HTTP traces endpoint.
type OTLP struct {
	URL string // the base URL, for OTEL_EXPORTER_OTLP_ENDPOINT

	mu    sync.Mutex
	spans []Span
	raw   bytes.Buffer
}

// NewOTLP starts a receiver that lives as long as the test.
func NewOTLP(t testing.TB) *OTLP {
	t.Helper()
	o := &OTLP{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.add(body, &req)
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

func (o *OTLP) add(body []byte, req *coltracepb.ExportTraceServiceRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.raw.Write(body)
	for _, rs := range req.GetResourceSpans() {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				o.spans = append(o.spans, Span{
					Name: s.GetName(), TraceID: hex.EncodeToString(s.GetTraceId()),
					SpanID: hex.EncodeToString(s.GetSpanId()), ParentID: hex.EncodeToString(s.GetParentSpanId()),
					Attrs: attrMap(s.GetAttributes()), Resource: res,
				})
			}
		}
	}
}

// Spans returns the spans received so far.
func (o *OTLP) Spans() []Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Span(nil), o.spans...)
}

// Raw returns every request body received, concatenated, for greps.
func (o *OTLP) Raw() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return bytes.Clone(o.raw.Bytes())
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			m[kv.GetKey()] = v.GetStringValue()
		default:
			m[kv.GetKey()] = strings.TrimSpace(fmt.Sprint(v.GetValue()))
			if iv, ok := v.GetValue().(*commonpb.AnyValue_IntValue); ok {
				m[kv.GetKey()] = fmt.Sprint(iv.IntValue)
			}
		}
	}
	return m
}

// Sentry is a fake Sentry envelope endpoint.
type Sentry struct {
	DSN string // a DSN pointing at the receiver

	mu     sync.Mutex
	events []map[string]any
	raw    bytes.Buffer
}

// NewSentry starts a receiver that lives as long as the test.
func NewSentry(t testing.TB) *Sentry {
	t.Helper()
	s := &Sentry{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil || r.URL.Path != "/api/42/envelope/" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		s.add(body, r.Header)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"00000000000000000000000000000000"}`)
	}))
	t.Cleanup(srv.Close)
	s.DSN = strings.Replace(srv.URL, "http://", "http://publickey@", 1) + "/42"
	return s
}

// add keeps the raw envelope (with the request headers, which must not
// carry anything either) and decodes its event items.
func (s *Sentry) add(body []byte, h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range h {
		fmt.Fprintf(&s.raw, "%s: %s\n", k, strings.Join(v, ", "))
	}
	s.raw.Write(body)
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	sc.Scan() // envelope header
	for sc.Scan() {
		var item struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(sc.Bytes(), &item)
		if !sc.Scan() {
			break
		}
		if item.Type != "event" {
			continue
		}
		var ev map[string]any
		if json.Unmarshal(sc.Bytes(), &ev) == nil {
			s.events = append(s.events, ev)
		}
	}
}

// Events returns the error events received so far.
func (s *Sentry) Events() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.events...)
}

// Raw returns every envelope received, with its headers, for greps.
func (s *Sentry) Raw() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.raw.Bytes())
}

// Tags returns an event's tags.
func Tags(ev map[string]any) map[string]string {
	out := map[string]string{}
	switch tags := ev["tags"].(type) {
	case map[string]any:
		for k, v := range tags {
			out[k] = fmt.Sprint(v)
		}
	case []any: // the [[key, value], …] form
		for _, kv := range tags {
			if p, ok := kv.([]any); ok && len(p) == 2 {
				out[fmt.Sprint(p[0])] = fmt.Sprint(p[1])
			}
		}
	}
	return out
}

func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		rd = zr
	}
	return io.ReadAll(rd)
}
