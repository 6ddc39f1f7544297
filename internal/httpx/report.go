package httpx

import (
	"context"
	"net/http"
)

// ErrorReporter reports an internal error elsewhere than the log (e.g. to
// Sentry). ctx is the request's context.
type ErrorReporter func(ctx context.Context, err error)

type reporterKey struct{}

// WithErrorReporter returns a middleware that makes rep the reporter Error
// calls for every EINTERNAL error of a request, as WithLogger does for the
// logger. With a nil rep it returns next unchanged.
func WithErrorReporter(rep ErrorReporter) Middleware {
	return func(next http.Handler) http.Handler {
		if rep == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reporterKey{}, rep)))
		})
	}
}

// reportError passes err to the request's reporter, if any.
func reportError(ctx context.Context, err error) {
	if rep, ok := ctx.Value(reporterKey{}).(ErrorReporter); ok {
		rep(ctx, err)
	}
}
