package httpx

import (
	"log/slog"
	"net/http"
	"time"
)

// maxUserAgent caps the user agent in a log line; the header is the client's
// to fill and could otherwise bloat every line.
const maxUserAgent = 256

// AccessLog returns a middleware that logs one line per request: INFO, or
// ERROR for a 5xx. It records the route pattern, never the raw path or
// query (they hold project and key names, sometimes tokens pasted by
// mistake), and no header, cookie or body.
func AccessLog(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, info := EnsureInfo(r)
			start := time.Now()
			sw := NewStatusWriter(w)
			// Deferred so that a request whose handler panics past Recover
			// (http.ErrAbortHandler) is still logged.
			defer func() {
				status := sw.Status()
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				ua := r.UserAgent()
				if len(ua) > maxUserAgent {
					ua = ua[:maxUserAgent]
				}
				logger.LogAttrs(r.Context(), level, "request",
					slog.String("method", r.Method),
					slog.String("route", routeOf(r, info)),
					slog.Int("status", status),
					slog.Int64("bytes", sw.Bytes()),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.String("request_id", info.RequestID),
					slog.String("actor_id", info.ActorID),
					slog.String("client_ip", info.ClientIP),
					slog.String("user_agent", ua),
				)
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// RouteUnmatched is the route of a request no pattern matched.
const RouteUnmatched = "unmatched"

// routeOf returns the route pattern of r: r.Pattern when the router ran on
// this very *Request, Info.Route when it ran on a copy, RouteUnmatched
// otherwise. It never returns the raw path.
func routeOf(r *http.Request, info *Info) string {
	switch {
	case r.Pattern != "":
		return r.Pattern
	case info.Route != "":
		return info.Route
	}
	return RouteUnmatched
}

// RouteOf returns the route pattern of r for logs and metric labels, or
// RouteUnmatched; see Routes.
func RouteOf(r *http.Request) string { return routeOf(r, InfoFrom(r.Context())) }
