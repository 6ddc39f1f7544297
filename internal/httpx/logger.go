package httpx

import (
	"context"
	"log/slog"
	"net/http"
)

// WithLogger returns a middleware that makes l the logger of every request,
// the one Logger and Error use. It keeps l in the request's Info, so that
// it costs no copy of the request.
func WithLogger(l *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, info := EnsureInfo(r)
			info.Logger = l
			next.ServeHTTP(w, r)
		})
	}
}

// Logger returns the request's logger (set by WithLogger) with the request
// id attached. Without WithLogger it falls back to slog.Default rather than
// dropping what a handler needs to report.
func Logger(ctx context.Context) *slog.Logger {
	info, _ := ctx.Value(infoKey{}).(*Info)
	if info == nil {
		return slog.Default()
	}
	l := info.Logger
	if l == nil {
		l = slog.Default()
	}
	if info.RequestID != "" {
		l = l.With(slog.String("request_id", info.RequestID))
	}
	return l
}
