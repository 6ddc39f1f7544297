package httpx

import (
	"context"
	"log/slog"
	"net/http"
)

type loggerKey struct{}

// WithLogger returns a middleware that makes l the logger of every request,
// the one Logger and Error use.
func WithLogger(l *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loggerKey{}, l)))
		})
	}
}

// Logger returns the request's logger (set by WithLogger) with the request
// id attached. Without WithLogger it falls back to slog.Default rather than
// dropping what a handler needs to report.
func Logger(ctx context.Context) *slog.Logger {
	l, ok := ctx.Value(loggerKey{}).(*slog.Logger)
	if !ok {
		l = slog.Default()
	}
	if id := RequestIDFrom(ctx); id != "" {
		l = l.With(slog.String("request_id", id))
	}
	return l
}
