package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/trace"

	"github.com/cofferhq/coffer/internal/httpx"
)

// SentryConfig says where error reports go and what produced them.
type SentryConfig struct {
	DSN         string // SENTRY_DSN; "" turns reporting off
	Release     string // the version of the binary
	Environment string // APP_ENV
	// HTTPClient sends the reports; nil uses the SDK's default. Tests set
	// it to trust a local receiver.
	HTTPClient *http.Client
}

// Reporter sends panics and internal errors to Sentry. A nil *Reporter is
// valid and reports nothing, so callers hold one whether or not SENTRY_DSN
// is set.
type Reporter struct {
	client *sentry.Client
}

// NewReporter returns the reporter cfg asks for, or nil when cfg.DSN is
// empty. It uses its own client and a fresh scope per event rather than
// sentry.Init's global hub, so that nothing leaks between requests and
// tests can run several side by side.
func NewReporter(cfg SentryConfig) (*Reporter, error) {
	if cfg.DSN == "" {
		return nil, nil //nolint:nilnil // a nil *Reporter is the documented "off"
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:              cfg.DSN,
		Release:          cfg.Release,
		Environment:      cfg.Environment,
		AttachStacktrace: true,
		MaxBreadcrumbs:   -1, // breadcrumbs would copy log lines and requests
		HTTPClient:       cfg.HTTPClient,
		BeforeSend:       scrub,
	})
	if err != nil {
		return nil, fmt.Errorf("SENTRY_DSN: %w", err)
	}
	return &Reporter{client: client}, nil
}

// PanicHook returns the hook httpx.Recover and httpx.Go call with a
// recovered panic, or nil when reporting is off.
func (r *Reporter) PanicHook() httpx.PanicHook {
	if r == nil {
		return nil
	}
	return func(ctx context.Context, v any, _ []byte) {
		// The SDK takes its own stack trace; ours is already in the log.
		r.client.Recover(v, &sentry.EventHint{RecoveredException: v, Context: ctx}, r.scope(ctx))
	}
}

// ErrorReporter returns the reporter httpx.Error calls with an internal
// error, or nil when reporting is off.
func (r *Reporter) ErrorReporter() httpx.ErrorReporter {
	if r == nil {
		return nil
	}
	return func(ctx context.Context, err error) {
		r.client.CaptureException(err, &sentry.EventHint{OriginalException: err, Context: ctx}, r.scope(ctx))
	}
}

// Flush waits until the reports already captured are sent or ctx ends, and
// reports whether everything was sent.
func (r *Reporter) Flush(ctx context.Context) bool {
	if r == nil {
		return true
	}
	return r.client.FlushWithContext(ctx)
}

// Close sends what is still buffered, as Flush does, then stops the
// client's background workers; the reporter must not be used after it.
func (r *Reporter) Close(ctx context.Context) bool {
	if r == nil {
		return true
	}
	sent := r.Flush(ctx)
	r.client.Close()
	return sent
}

// scope tags an event with what identifies its request: the request id
// (the key to its log lines), the route pattern and method, and the trace.
func (r *Reporter) scope(ctx context.Context) *sentry.Scope {
	scope := sentry.NewScope()
	info := httpx.InfoFrom(ctx)
	if info.RequestID != "" {
		scope.SetTag("request_id", info.RequestID)
	}
	if info.Route != "" {
		scope.SetTag("route", info.Route)
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		scope.SetTag("trace_id", sc.TraceID().String())
	}
	return scope
}

// scrub is the last word on what leaves the process: of the request it
// keeps the method only (the route is a tag); no URL, query string,
// cookies, headers, body or environment, and no user, which would hold an
// IP address. Whatever an integration or a future SDK version collects,
// this runs last.
func scrub(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	var method string
	if ev.Request != nil {
		method = ev.Request.Method
	}
	if m, _, ok := strings.Cut(ev.Tags["route"], " "); ok && method == "" {
		method = m
	}
	ev.Request = nil
	if method != "" {
		ev.Request = &sentry.Request{Method: method}
	}
	ev.User = sentry.User{}
	ev.Breadcrumbs = nil
	return ev
}
