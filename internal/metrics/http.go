package metrics

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/httpx"
)

// Middleware records coffer_http_* metrics for every request. Requests are
// labelled by route pattern ("GET /api/v1/projects/{project}"), never by raw
// path, which would create a series per project and secret; a request no
// route matched is labelled "unmatched", and a method HTTP does not define
// "_OTHER" (httpx.MethodLabel). It reads the pattern after the handler ran,
// so it may sit anywhere outside httpx.Routes.
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
			s := m.httpSeries(httpx.MethodLabel(r.Method), httpx.RouteOf(r), sw.Status())
			s.requests.Inc()
			s.duration.Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// httpKey names the series of one method, route and status.
type httpKey struct {
	method, route string
	code          int
}

// httpSeriesOf is the request counter and duration histogram of one key.
type httpSeriesOf struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// httpSeries returns the series of a method, route and status, looked up
// in the vectors once: the labels are few (methods, routes and the statuses
// the handlers write), and every request needs them.
func (m *Metrics) httpSeries(method, route string, code int) *httpSeriesOf {
	k := httpKey{method, route, code}
	if s, ok := m.series.Load(k); ok {
		return s.(*httpSeriesOf)
	}
	s, _ := m.series.LoadOrStore(k, &httpSeriesOf{
		requests: m.requests.WithLabelValues(method, route, strconv.Itoa(code)),
		duration: m.requestDuration.WithLabelValues(method, route),
	})
	return s.(*httpSeriesOf)
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
