//go:build !coffer_cli

package main

import (
	"context"
	"errors"
	"log/slog"

	"go.opentelemetry.io/otel"

	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/telemetry"
)

// observability is what Main reports to besides its logs and metrics:
// traces (OTEL_EXPORTER_OTLP_ENDPOINT) and error reports (SENTRY_DSN).
// Each is off when its variable is unset, and then costs nothing.
type observability struct {
	tracing  *telemetry.Tracing
	reporter *telemetry.Reporter // nil when Sentry is off
}

// startTelemetry sets up tracing and error reporting. It runs before the
// store opens, so that the store gets the tracer and every component gets a
// logger that stamps trace ids on its lines.
func (m *Main) startTelemetry(ctx context.Context) error {
	cfg := m.Config
	tracing, err := telemetry.NewTracing(ctx, telemetry.TracingConfig{
		Endpoint: cfg.OTLPEndpoint, Version: version, Environment: cfg.AppEnv,
	})
	if err != nil {
		return err
	}
	reporter, err := telemetry.NewReporter(telemetry.SentryConfig{
		DSN: cfg.SentryDSN, Release: version, Environment: cfg.AppEnv,
	})
	if err != nil {
		return err
	}
	m.obs = observability{tracing: tracing, reporter: reporter}
	if tracing.Enabled() {
		m.Logger = slog.New(telemetry.LogHandler(m.Logger.Handler()))
		// The SDK reports export failures through a process-wide handler
		// that otherwise prints with the standard logger, outside the JSON
		// log stream.
		logger := m.Logger
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			logger.Warn("OpenTelemetry", "error", err)
		}))
	}
	m.Logger.Info("telemetry", "tracing", tracing.Enabled(), "sentry", reporter != nil)
	return nil
}

// serverTelemetry is the server's share of it.
func (m *Main) serverTelemetry() server.Telemetry {
	return server.Telemetry{
		Trace:       m.obs.tracing.Middleware,
		PanicHook:   m.obs.reporter.PanicHook(),
		ReportError: m.obs.reporter.ErrorReporter(),
	}
}

// goSafe runs a background job under httpx.Go: a panic is logged, reported
// to Sentry when it is on, and the process stays up.
func (m *Main) goSafe(name string, fn func()) {
	httpx.Go(m.Logger, name, fn, m.obs.reporter.PanicHook())
}

// stopTelemetry sends what is still buffered and stops the exporters. It
// runs last in Close, after the requests and the stores, so that their
// final spans and reports are included.
func (m *Main) stopTelemetry(ctx context.Context) error {
	var err error
	if m.obs.tracing != nil {
		err = m.obs.tracing.Shutdown(ctx)
	}
	if !m.obs.reporter.Close(ctx) {
		err = errors.Join(err, errors.New("flush Sentry reports: deadline reached"))
	}
	return err
}
