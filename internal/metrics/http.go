package metrics

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/httpx"
)

// Middleware records coffer_http_* metrics for every request. Requests are
// labelled by route pattern ("GET /api/v1/projects/{project}"), never by raw
// path, which would create a series per project and secret; a request no
// route matched is labelled "unmatched". It reads the pattern after the
// handler ran, so it may sit anywhere outside httpx.Routes.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Ensure Info exists here, so that httpx.Routes inside fills the
		// one this layer reads the route from.
		r, _ = httpx.EnsureInfo(r)
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		start := time.Now()
		sw := httpx.NewStatusWriter(w)
		defer func() {
			route := httpx.RouteOf(r)
			m.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.Status())).Inc()
			m.requestDuration.WithLabelValues(r.Method, route).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// Handler serves the metrics in the Prometheus text format. With a
// non-empty token it requires "Authorization: Bearer <token>" and answers
// 401 otherwise: metrics reveal request rates, routes and pool sizes, which
// are nobody else's business.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			httpx.WriteProblem(w, r, http.StatusUnauthorized, coffer.EUNAUTHORIZED, "A valid metrics token is required.")
			return
		}
		h.ServeHTTP(w, r)
	})
}
