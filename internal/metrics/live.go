package metrics

import "github.com/prometheus/client_golang/prometheus"

// liveMetrics are the metrics of the live feed and of Redis.
type liveMetrics struct {
	wsConnections prometheus.Gauge
	wsEventsSent  prometheus.Counter
	wsSlowCloses  prometheus.Counter
	redisUp       prometheus.Gauge
}

func newLiveMetrics(reg prometheus.Registerer) liveMetrics {
	l := liveMetrics{
		wsConnections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "coffer_ws_connections",
			Help: "Open live feed (WebSocket) connections.",
		}),
		wsEventsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "coffer_ws_events_sent_total",
			Help: "Events sent to live feed clients, replayed ones included.",
		}),
		wsSlowCloses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "coffer_ws_slow_consumer_closes_total",
			Help: "Live feed connections closed because their queue filled.",
		}),
		redisUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "coffer_redis_up",
			Help: "1 when Redis answered the last command or health check, 0 when it did not.",
		}),
	}
	reg.MustRegister(l.wsConnections, l.wsEventsSent, l.wsSlowCloses, l.redisUp)
	return l
}

// WSConnected counts a live feed connection opening.
func (m *Metrics) WSConnected() { m.live.wsConnections.Inc() }

// WSDisconnected counts a live feed connection closing.
func (m *Metrics) WSDisconnected() { m.live.wsConnections.Dec() }

// WSEventsSent counts n events sent to a live feed client.
func (m *Metrics) WSEventsSent(n int) { m.live.wsEventsSent.Add(float64(n)) }

// WSSlowConsumerClosed counts a live feed closed for falling behind.
func (m *Metrics) WSSlowConsumerClosed() { m.live.wsSlowCloses.Inc() }

// RedisUp records whether Redis is reachable.
func (m *Metrics) RedisUp(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.live.redisUp.Set(v)
}
