package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/recovery"
)

// errPanic stands for a recovered panic when asking for the generic message.
var errPanic = errors.New("panic")

// PanicHook reports a recovered panic elsewhere than the log (e.g. to
// Sentry). ctx is the request's context, or context.Background for Go. It
// is recovery.Hook, so that packages below httpx take the same hook.
type PanicHook = recovery.Hook

// Recover returns a middleware that turns a panic into an ERROR log line
// with the stack and the request id, a call to hook (which may be nil), and
// a 500 problem, keeping the process up. http.ErrAbortHandler is re-raised:
// it is how a handler asks net/http to abort the response silently. When
// the response had already started, the panic is turned into
// http.ErrAbortHandler too, so the client sees a broken response rather than
// a truncated one that looks complete.
func Recover(logger *slog.Logger, hook PanicHook) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Reuses the access log's writer when it is the next layer out.
			sw := NewStatusWriter(w)
			w = sw
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel compared as net/http does
					panic(v)
				}
				stack := debug.Stack()
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("panic", fmt.Sprint(v)),
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("method", r.Method),
					slog.String("route", RouteOf(r)),
					slog.String("stack", string(stack)),
				)
				if hook != nil {
					hook(r.Context(), v, stack)
				}
				if sw.HeaderWritten() {
					panic(http.ErrAbortHandler)
				}
				// Not Error: the panic is logged above, and logged once.
				WriteProblem(w, r, http.StatusInternalServerError, coffer.EINTERNAL, coffer.ErrorMessage(errPanic))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// Go runs fn in a new goroutine with the same protection as Recover: a
// panic is logged with its stack under name and passed to hook (which may
// be nil) instead of crashing the process. Background jobs use it; it is
// recovery.Go, for callers that already import httpx.
func Go(logger *slog.Logger, name string, fn func(), hook PanicHook) {
	recovery.Go(logger, name, fn, hook)
}
