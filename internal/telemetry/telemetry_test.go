package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/logtest"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/telemetry"
	"github.com/cofferhq/coffer/internal/telemetry/telemetrytest"
)

const route = "GET /api/v1/projects/{project}"

// canary is planted in every part of a request that must never be sent.
const canary = "CANARY-7f3a-do-not-send"

// request sends a browser-like request full of canaries through h.
func request(h http.Handler) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/api/v1/projects/"+canary+"?token="+canary, strings.NewReader(`{"value":"`+canary+`"}`))
	r.Method = "GET"
	r.Header.Set("Authorization", "Bearer "+canary)
	r.Header.Set("Cookie", "__Host-coffer_access="+canary+"; coffer_refresh="+canary)
	r.Header.Set("X-CSRF-Token", canary)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

type countHandler struct{ n int }

func (c *countHandler) ServeHTTP(http.ResponseWriter, *http.Request) { c.n++ }

func TestTracingOffIsFree(t *testing.T) {
	t.Parallel()
	tr, err := telemetry.NewTracing(t.Context(), telemetry.TracingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	next := &countHandler{}
	if tr.Enabled() || tr.Tracer() != nil || tr.Middleware(next) != http.Handler(next) {
		t.Fatal("tracing off still adds a layer or a tracer")
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestTracingExportsRequestAndQuerySpans(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	otlp := telemetrytest.NewOTLP(t)
	tr, err := telemetry.NewTracing(ctx, telemetry.TracingConfig{Endpoint: otlp.URL, Version: "1.2.3", Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	logger := slog.New(telemetry.LogHandler(slog.NewJSONHandler(logs, nil)))
	st, err := store.Open(ctx, store.Config{SQLitePath: filepath.Join(t.TempDir(), "t.db"), Logger: logger, Tracer: tr.Tracer()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		_, err := st.Meta(r.Context(), "missing")
		httpx.Logger(r.Context()).InfoContext(r.Context(), "looked up", "found", err == nil)
	})
	h := httpx.Chain(httpx.Routes(mux), httpx.RequestID, httpx.WithLogger(logger), tr.Middleware, httpx.AccessLog(logger))
	rec := request(h)
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	var server, query *telemetrytest.Span
	spans := otlp.Spans()
	for i := range spans {
		switch {
		case spans[i].Name == route:
			server = &spans[i]
		case spans[i].Attrs["db.query.text"] == "SELECT value FROM meta WHERE name = $1":
			query = &spans[i]
		}
	}
	if server == nil || query == nil {
		t.Fatalf("spans %+v: want the request's and the query's", spans)
	}
	if server.Attrs["http.route"] != route || server.Attrs["coffer.request_id"] != rec.Header().Get(httpx.HeaderRequestID) ||
		server.Attrs["http.response.status_code"] != "200" {
		t.Errorf("server span attributes %v", server.Attrs)
	}
	if query.TraceID != server.TraceID || query.ParentID != server.SpanID || query.Name != "SELECT" || query.Attrs["db.system.name"] != "sqlite" {
		t.Errorf("query span %+v is not a child of the request's %+v", query, server)
	}
	if r := server.Resource; r["service.name"] != "coffer" || r["service.version"] != "1.2.3" || r["deployment.environment.name"] != "production" {
		t.Errorf("resource %v", r)
	}
	var lines int
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l["msg"] == "request" || l["msg"] == "looked up" {
			lines++
			if l["trace_id"] != server.TraceID || l["span_id"] == "" {
				t.Errorf("log line without the request's trace: %v", l)
			}
		}
	}
	if lines != 2 {
		t.Errorf("found %d request log lines: %s", lines, logs)
	}
	if bytes.Contains(otlp.Raw(), []byte(canary)) {
		t.Error("a canary from the path, query, headers or body was exported in a span")
	}
}

func TestTracingContinuesCallersTrace(t *testing.T) {
	t.Parallel()
	otlp := telemetrytest.NewOTLP(t)
	tr, err := telemetry.NewTracing(t.Context(), telemetry.TracingConfig{Endpoint: otlp.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	tr.Middleware(&countHandler{}).ServeHTTP(httptest.NewRecorder(), r)
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	spans := otlp.Spans()
	if len(spans) != 1 || spans[0].TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || spans[0].ParentID != "00f067aa0ba902b7" ||
		spans[0].Name != httpx.RouteUnmatched {
		t.Fatalf("spans %+v", spans)
	}
}

func TestLogHandlerWithoutSpanAddsNothing(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	slog.New(telemetry.LogHandler(slog.NewJSONHandler(&b, nil))).With("a", 1).WithGroup("g").InfoContext(context.Background(), "x")
	if strings.Contains(b.String(), "trace_id") || !strings.Contains(b.String(), `"a":1`) {
		t.Fatalf("line %s", b.String())
	}
}

func TestSentryOff(t *testing.T) {
	t.Parallel()
	rep, err := telemetry.NewReporter(telemetry.SentryConfig{})
	if err != nil || rep != nil || rep.PanicHook() != nil || rep.ErrorReporter() != nil || !rep.Flush(t.Context()) {
		t.Fatalf("reporter %v, %v", rep, err)
	}
}

func TestSentryReports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		events  int
		level   string
	}{
		{"Panic", func(http.ResponseWriter, *http.Request) { panic("boom") }, 1, "fatal"},
		{"InternalError", func(w http.ResponseWriter, r *http.Request) {
			httpx.Error(w, r, errors.New("database is on fire"))
		}, 1, "error"},
		{"ClientErrorNotReported", func(w http.ResponseWriter, r *http.Request) {
			httpx.Error(w, r, coffer.Errorf(coffer.ENOTFOUND, "no"))
		}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recv := telemetrytest.NewSentry(t)
			rep, err := telemetry.NewReporter(telemetry.SentryConfig{DSN: recv.DSN, Release: "1.2.3", Environment: "production"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rep.Close(context.Background()) })
			logger := slog.New(slog.DiscardHandler)
			mux := http.NewServeMux()
			mux.Handle(route, tt.handler)
			h := httpx.Chain(httpx.Routes(mux), httpx.RequestID, httpx.WithLogger(logger),
				httpx.WithErrorReporter(rep.ErrorReporter()), httpx.Recover(logger, rep.PanicHook()))
			rec := request(h)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if !rep.Flush(ctx) {
				t.Fatal("flush timed out")
			}
			events := recv.Events()
			if len(events) != tt.events {
				t.Fatalf("got %d events, want %d", len(events), tt.events)
			}
			if tt.events == 0 {
				return
			}
			ev := events[0]
			tags := telemetrytest.Tags(ev)
			if tags["request_id"] != rec.Header().Get(httpx.HeaderRequestID) || tags["route"] != route {
				t.Errorf("tags %v", tags)
			}
			if ev["release"] != "1.2.3" || ev["environment"] != "production" || ev["level"] != tt.level {
				t.Errorf("release %v environment %v level %v", ev["release"], ev["environment"], ev["level"])
			}
			if req, _ := json.Marshal(ev["request"]); string(req) != `{"method":"GET"}` {
				t.Errorf("request %s, want the method only", req)
			}
			raw := recv.Raw()
			for _, leak := range []string{canary, "Authorization", "Cookie", "coffer_refresh", "token="} {
				if bytes.Contains(raw, []byte(leak)) {
					t.Errorf("the Sentry payload contains %q", leak)
				}
			}
		})
	}
}

func TestSentryReportsBackgroundPanic(t *testing.T) {
	t.Parallel()
	recv := telemetrytest.NewSentry(t)
	rep, err := telemetry.NewReporter(telemetry.SentryConfig{DSN: recv.DSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Close(context.Background()) })
	done := make(chan struct{})
	httpx.Go(slog.New(slog.DiscardHandler), "sweeper", func() {
		defer close(done)
		panic("background boom")
	}, rep.PanicHook())
	<-done
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// The hook runs after fn's deferred close; wait for the event.
	for len(recv.Events()) == 0 && ctx.Err() == nil {
		rep.Flush(ctx)
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(recv.Events()); n != 1 || !bytes.Contains(recv.Raw(), []byte("background boom")) {
		t.Fatalf("got %d events: %s", n, recv.Raw())
	}
}

// A method HTTP does not define is recorded as "_OTHER", with the original
// kept apart, as OpenTelemetry's conventions say.
func TestTracingLabelsUnknownMethods(t *testing.T) {
	t.Parallel()
	otlp := telemetrytest.NewOTLP(t)
	tr, err := telemetry.NewTracing(t.Context(), telemetry.TracingConfig{Endpoint: otlp.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "BREW"} {
		tr.Middleware(&countHandler{}).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/x", nil))
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range otlp.Spans() {
		got[s.Attrs["http.request.method"]] = s.Attrs["http.request.method_original"]
	}
	if want := map[string]string{"GET": "", "_OTHER": "BREW"}; !maps.Equal(got, want) {
		t.Fatalf("method attributes %v, want %v", got, want)
	}
}
