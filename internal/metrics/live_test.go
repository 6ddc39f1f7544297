package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLiveMetrics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		do   func(m *Metrics)
		want map[string]float64
	}{
		{"ConnectionsGoUpAndDown", func(m *Metrics) { m.WSConnected(); m.WSConnected(); m.WSDisconnected() },
			map[string]float64{"coffer_ws_connections": 1}},
		{"EventsSentAdd", func(m *Metrics) { m.WSEventsSent(3); m.WSEventsSent(1) },
			map[string]float64{"coffer_ws_events_sent_total": 4}},
		{"SlowConsumerClosesCount", func(m *Metrics) { m.WSSlowConsumerClosed() },
			map[string]float64{"coffer_ws_slow_consumer_closes_total": 1}},
		{"RedisUp", func(m *Metrics) { m.RedisUp(true) }, map[string]float64{"coffer_redis_up": 1}},
		{"RedisDown", func(m *Metrics) { m.RedisUp(true); m.RedisUp(false) }, map[string]float64{"coffer_redis_up": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := New(Build{})
			tt.do(m)
			for name, want := range tt.want {
				var got float64
				switch name {
				case "coffer_ws_connections":
					got = testutil.ToFloat64(m.live.wsConnections)
				case "coffer_ws_events_sent_total":
					got = testutil.ToFloat64(m.live.wsEventsSent)
				case "coffer_ws_slow_consumer_closes_total":
					got = testutil.ToFloat64(m.live.wsSlowCloses)
				case "coffer_redis_up":
					got = testutil.ToFloat64(m.live.redisUp)
				}
				if got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if n, err := testutil.GatherAndCount(m.Registry(), "coffer_ws_connections", "coffer_ws_events_sent_total",
				"coffer_ws_slow_consumer_closes_total", "coffer_redis_up"); err != nil || n != 4 {
				t.Errorf("registered live metrics = %d (%v), want 4", n, err)
			}
		})
	}
}
