// Package metrics exposes Coffer's Prometheus metrics. Everything is
// registered on a registry of its own, never the global default one, so
// that two servers in one test process do not collide and no library can
// add metrics behind our back.
package metrics

import (
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Build identifies the running binary in coffer_build_info.
type Build struct {
	Version string
	Commit  string
}

// Metrics holds Coffer's collectors and the registry they live on.
type Metrics struct {
	reg *prometheus.Registry

	requests         *prometheus.CounterVec
	requestDuration  *prometheus.HistogramVec
	series           sync.Map // httpKey -> *httpSeriesOf, see httpSeries
	inFlight         prometheus.Gauge
	authFailures     *prometheus.CounterVec
	rateLimitRejects *prometheus.CounterVec
	auditWrites      *prometheus.CounterVec
	auditDuration    prometheus.Histogram
	auditBatchSize   prometheus.Histogram
	dbQueryDuration  *prometheus.HistogramVec
	live             liveMetrics
	scale            scaleMetrics
}

// latencyBuckets spans a cached secret read (sub-millisecond) to a slow
// bcrypt login or bulk import (seconds).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns Metrics registered on a new registry, with the Go runtime and
// process collectors and coffer_build_info set from b.
func New(b Build) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "coffer_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by method and route pattern.",
			Buckets: latencyBuckets,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "coffer_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_auth_failures_total",
			Help: "Failed authentication attempts, by reason.",
		}, []string{"reason"}),
		rateLimitRejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_rate_limit_rejections_total",
			Help: "Requests refused by a rate limit, by scope.",
		}, []string{"scope"}),
		auditWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_audit_writes_total",
			Help: "Audit event writes, by outcome.",
		}, []string{"outcome"}),
		auditDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "coffer_audit_write_duration_seconds",
			Help:    "Time to write a batch of audit events.",
			Buckets: latencyBuckets,
		}),
		auditBatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "coffer_audit_batch_size",
			Help:    "Audit events written per batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 … 512
		}),
		dbQueryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "coffer_db_query_duration_seconds",
			Help:    "Time of a database query, by operation.",
			Buckets: latencyBuckets,
		}, []string{"op"}),
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "coffer_build_info",
		Help: "Always 1; the labels identify the running build.",
	}, []string{"version", "commit", "go_version"})
	buildInfo.WithLabelValues(b.Version, b.Commit, runtime.Version()).Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
		m.requests, m.requestDuration, m.inFlight,
		m.authFailures, m.rateLimitRejects,
		m.auditWrites, m.auditDuration, m.auditBatchSize,
		m.dbQueryDuration,
	)
	m.live = newLiveMetrics(reg)
	m.scale = newScaleMetrics(reg)
	return m
}

// Registry returns the registry the metrics live on, for tests and for
// packages that register collectors of their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// RegisterDB exports the connection pool statistics of db as
// coffer_db_* metrics labelled db_name=name ("primary", "replica-1").
func (m *Metrics) RegisterDB(db *sql.DB, name string) error {
	if err := m.reg.Register(collectors.NewDBStatsCollector(db, name)); err != nil {
		return fmt.Errorf("register db stats %q: %w", name, err)
	}
	return nil
}

// AuthFailure counts a failed authentication. reason is one of a small
// fixed set ("password", "refresh", "credential", "cross_origin"), never
// user input, which would make label cardinality unbounded.
func (m *Metrics) AuthFailure(reason string) { m.authFailures.WithLabelValues(reason).Inc() }

// RateLimitRejected counts a request refused by the rate limit of scope; it
// fits httpx.RateLimitConfig.OnReject.
func (m *Metrics) RateLimitRejected(scope string) { m.rateLimitRejects.WithLabelValues(scope).Inc() }

// AuditWrite records one write of a batch of audit events: its outcome
// ("success" or "failure"), how long it took and how many events it held.
func (m *Metrics) AuditWrite(outcome string, d time.Duration, batch int) {
	m.auditWrites.WithLabelValues(outcome).Inc()
	m.auditDuration.Observe(d.Seconds())
	m.auditBatchSize.Observe(float64(batch))
}

// DBQuery records the duration of a database operation named op (a fixed
// name such as "secret.get", never the SQL text).
func (m *Metrics) DBQuery(op string, d time.Duration) {
	m.dbQueryDuration.WithLabelValues(op).Observe(d.Seconds())
}
