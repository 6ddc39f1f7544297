package server

import (
	"net/http"

	"github.com/cofferhq/coffer/internal/httpx"
)

// Telemetry is what the chain reports to besides logs and metrics. Every
// field is optional; the zero value reports nothing and adds no layer.
type Telemetry struct {
	// Trace starts a span per request (telemetry.Tracing.Middleware).
	Trace httpx.Middleware
	// PanicHook receives the panics Recover catches.
	PanicHook httpx.PanicHook
	// ReportError receives the internal errors httpx.Error writes.
	ReportError httpx.ErrorReporter
}

// trace returns the tracing middleware, or the identity.
func (t Telemetry) trace() httpx.Middleware {
	if t.Trace == nil {
		return func(h http.Handler) http.Handler { return h }
	}
	return t.Trace
}
