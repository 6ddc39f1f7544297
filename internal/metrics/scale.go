package metrics

import "github.com/prometheus/client_golang/prometheus"

// scaleMetrics are the metrics of running as several instances: lease-held
// background jobs and read replicas.
type scaleMetrics struct {
	jobRuns          *prometheus.CounterVec
	jobLeader        *prometheus.GaugeVec
	replicaReads     *prometheus.CounterVec
	replicaFallbacks *prometheus.CounterVec
}

func newScaleMetrics(reg prometheus.Registerer) scaleMetrics {
	s := scaleMetrics{
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_job_runs_total",
			Help: "Runs of a background job on this instance, by job and outcome (success, failure).",
		}, []string{"job", "outcome"}),
		jobLeader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "coffer_job_leader",
			Help: "1 while this instance holds the job's lease (and so runs it), else 0.",
		}, []string{"job"}),
		replicaReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_db_replica_reads_total",
			Help: "Reads served by a read replica, by replica (replica-1, replica-2, …).",
		}, []string{"replica"}),
		replicaFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_db_replica_fallbacks_total",
			Help: "Replica-eligible reads served by the primary instead, by reason (down, behind, error).",
		}, []string{"reason"}),
	}
	reg.MustRegister(s.jobRuns, s.jobLeader, s.replicaReads, s.replicaFallbacks)
	return s
}

// JobRun counts one run of job with outcome "success" or "failure".
func (m *Metrics) JobRun(job, outcome string) { m.scale.jobRuns.WithLabelValues(job, outcome).Inc() }

// JobLeader records whether this instance holds job's lease.
func (m *Metrics) JobLeader(job string, leader bool) {
	v := 0.0
	if leader {
		v = 1
	}
	m.scale.jobLeader.WithLabelValues(job).Set(v)
}

// ReplicaRead counts a read served by the named replica.
func (m *Metrics) ReplicaRead(replica string) { m.scale.replicaReads.WithLabelValues(replica).Inc() }

// ReplicaFallback counts a replica-eligible read that went to the primary,
// and why: every replica "down", the chosen one "behind" the revision the
// primary reported, or an "error" from it mid-read.
func (m *Metrics) ReplicaFallback(reason string) {
	m.scale.replicaFallbacks.WithLabelValues(reason).Inc()
}
