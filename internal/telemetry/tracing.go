// Package telemetry sends what Coffer's logs and metrics cannot show to
// systems an operator runs: OpenTelemetry traces over OTLP/HTTP and error
// reports to Sentry. Each is on only when configured; off, it costs nothing
// on the request path (the middlewares are the identity, the hooks nil).
//
// Neither ever carries a secret: spans hold route patterns, statement text
// and ids, never paths, queries, headers, bodies or statement arguments;
// Sentry events keep only the method and route of a request.
package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/cofferhq/coffer/internal/httpx"
)

// ServiceName is the service.name of every span.
const ServiceName = "coffer"

// instrumentation names the tracer, as OpenTelemetry asks of libraries.
const instrumentation = "github.com/cofferhq/coffer"

// TracingConfig says where traces go and what produced them.
type TracingConfig struct {
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT, the collector's base URL
	// (spans are posted to Endpoint/v1/traces); "" turns tracing off.
	Endpoint    string
	Version     string // service.version
	Environment string // deployment.environment.name (APP_ENV)
	// BatchTimeout is how long spans wait to be sent together; 0 keeps
	// the SDK's default (5 s). Tests shorten it.
	BatchTimeout time.Duration
}

// Tracing is the process's tracer provider: the OpenTelemetry SDK exporting
// over OTLP/HTTP, or a no-op one when no endpoint is configured.
type Tracing struct {
	provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when off
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
}

// NewTracing returns the tracing cfg asks for. The exporter connects lazily,
// so an unreachable collector does not stop the server; export failures go
// to OpenTelemetry's error handler.
func NewTracing(ctx context.Context, cfg TracingConfig) (*Tracing, error) {
	if cfg.Endpoint == "" {
		p := noop.NewTracerProvider()
		return &Tracing{provider: p, tracer: p.Tracer(instrumentation)}, nil
	}
	// The exporter also reads OTEL_EXPORTER_OTLP_HEADERS and friends from
	// the environment; the endpoint is passed explicitly so that the
	// validated configuration wins.
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(strings.TrimSuffix(cfg.Endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(ServiceName),
		semconv.ServiceVersion(cfg.Version),
		semconv.DeploymentEnvironmentName(cfg.Environment),
	)
	var batch []sdktrace.BatchSpanProcessorOption
	if cfg.BatchTimeout > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(cfg.BatchTimeout))
	}
	sdk := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, batch...),
		sdktrace.WithResource(res),
	)
	return &Tracing{
		provider: sdk, sdk: sdk, tracer: sdk.Tracer(instrumentation),
		prop: propagation.TraceContext{},
	}, nil
}

// Enabled reports whether spans are exported.
func (t *Tracing) Enabled() bool { return t != nil && t.sdk != nil }

// Tracer returns the tracer the store and the HTTP layer start spans with,
// or nil when tracing is off so that callers skip span creation entirely.
func (t *Tracing) Tracer() trace.Tracer {
	if !t.Enabled() {
		return nil
	}
	return t.tracer
}

// Shutdown sends the spans still buffered and stops the exporter. Call it
// after the HTTP server has drained, so that the last requests are in it.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	if err := t.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("flush traces: %w", err)
	}
	return nil
}

// Middleware starts a server span for each request, continuing the caller's
// trace when a W3C traceparent header is sent. The span is named by the
// route pattern once the router has run ("GET /api/v1/projects/{project}"),
// never by the raw path, which holds project and key names; it carries the
// request id so that a trace leads to the log lines of its request. When
// tracing is off it returns next itself.
//
// It must run inside RequestID and outside AccessLog, so that the access
// log line of the request carries the trace id.
func (t *Tracing) Middleware(next http.Handler) http.Handler {
	if !t.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, info := httpx.EnsureInfo(r)
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		method := httpx.MethodLabel(r.Method)
		ctx, span := t.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				semconv.HTTPRequestMethodKey.String(method),
				attribute.String("coffer.request_id", info.RequestID),
			))
		if method != r.Method {
			span.SetAttributes(semconv.HTTPRequestMethodOriginal(r.Method))
		}
		sw := httpx.NewStatusWriter(w)
		// Deferred so that a panic that escapes Recover (an aborted
		// response) still ends the span.
		defer func() {
			route := httpx.RouteOf(r)
			status := sw.Status()
			span.SetName(route)
			span.SetAttributes(semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			span.End()
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// Flush sends the spans ended so far without stopping the exporter.
func (t *Tracing) Flush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.sdk.ForceFlush(ctx)
}
