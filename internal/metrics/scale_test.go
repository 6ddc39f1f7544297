package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestScaleMetrics(t *testing.T) {
	t.Parallel()
	type sample struct {
		value func(m *Metrics) float64
		want  float64
	}
	tests := []struct {
		name string
		do   func(m *Metrics)
		want []sample
	}{
		{"JobRunsCountByOutcome", func(m *Metrics) {
			m.JobRun("cleanup", "success")
			m.JobRun("cleanup", "success")
			m.JobRun("cleanup", "failure")
		}, []sample{
			{func(m *Metrics) float64 {
				return testutil.ToFloat64(m.scale.jobRuns.WithLabelValues("cleanup", "success"))
			}, 2},
			{func(m *Metrics) float64 {
				return testutil.ToFloat64(m.scale.jobRuns.WithLabelValues("cleanup", "failure"))
			}, 1},
		}},
		{"LeaderTakenThenLost", func(m *Metrics) { m.JobLeader("cleanup", true); m.JobLeader("cleanup", false) },
			[]sample{{func(m *Metrics) float64 { return testutil.ToFloat64(m.scale.jobLeader.WithLabelValues("cleanup")) }, 0}}},
		{"LeaderHeld", func(m *Metrics) { m.JobLeader("cleanup", true) },
			[]sample{{func(m *Metrics) float64 { return testutil.ToFloat64(m.scale.jobLeader.WithLabelValues("cleanup")) }, 1}}},
		{"ReplicaReadsPerReplica", func(m *Metrics) { m.ReplicaRead("replica-1"); m.ReplicaRead("replica-1"); m.ReplicaRead("replica-2") },
			[]sample{
				{func(m *Metrics) float64 { return testutil.ToFloat64(m.scale.replicaReads.WithLabelValues("replica-1")) }, 2},
				{func(m *Metrics) float64 { return testutil.ToFloat64(m.scale.replicaReads.WithLabelValues("replica-2")) }, 1},
			}},
		{"FallbacksByReason", func(m *Metrics) { m.ReplicaFallback("behind"); m.ReplicaFallback("down") },
			[]sample{{func(m *Metrics) float64 {
				return testutil.ToFloat64(m.scale.replicaFallbacks.WithLabelValues("behind"))
			}, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := New(Build{})
			tt.do(m)
			for i, s := range tt.want {
				if got := s.value(m); got != s.want {
					t.Errorf("sample %d = %v, want %v", i, got, s.want)
				}
			}
			if n, err := testutil.GatherAndCount(m.Registry(), "coffer_job_runs_total", "coffer_job_leader",
				"coffer_db_replica_reads_total", "coffer_db_replica_fallbacks_total"); err != nil || n == 0 {
				t.Errorf("scale metrics not gathered: %d, %v", n, err)
			}
		})
	}
}
