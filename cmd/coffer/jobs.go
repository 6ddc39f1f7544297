//go:build !coffer_cli

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/jobs"
	"github.com/cofferhq/coffer/internal/service"
	"github.com/cofferhq/coffer/internal/store"
)

// replicaWatchPeriod is how often replicas are pinged: how long a replica
// that came back waits before it serves reads again.
const replicaWatchPeriod = 5 * time.Second

// background is what Main runs besides serving requests: the lease-held
// jobs and the replica watcher, and the replica pools they need.
type background struct {
	jobs     *jobs.Runner
	replicas []*store.Store
	cancel   context.CancelFunc // stops the replica watcher
	wg       sync.WaitGroup
}

// openReplicas opens a pool per DATABASE_REPLICA_URLS entry, with the
// primary's pool settings. A replica that does not answer at start is
// left out with a warning: reads go to the primary, and an instance
// should not refuse to start over a copy it can do without.
func (m *Main) openReplicas(ctx context.Context) (*service.Replicas, error) {
	cfg := m.Config
	for i, u := range cfg.DatabaseReplicaURLs {
		name := service.ReplicaName(i)
		st, err := store.Open(ctx, store.Config{
			URL: u, MaxConns: cfg.DBMaxConns, MinConns: cfg.DBMinConns,
			ConnMaxLifetime: cfg.DBConnMaxLifetime, ConnMaxIdleTime: cfg.DBConnMaxIdleTime,
			StatementTimeout: cfg.DBStatementTimeout, SlowQuery: cfg.DBSlowQueryThreshold,
			Logger: m.Logger, Tracer: m.obs.tracing.Tracer(),
		})
		if err != nil {
			m.Logger.Warn("read replica unavailable at start; its reads go to the primary", "replica", name, "error", err)
			continue
		}
		m.bg.replicas = append(m.bg.replicas, st)
		if err := m.Metrics.RegisterDB(st.DB(), name); err != nil {
			return nil, err
		}
	}
	if len(m.bg.replicas) == 0 {
		return nil, nil
	}
	m.Logger.Info("read replicas", "count", len(m.bg.replicas))
	return service.NewReplicas(service.ReplicaConfig{
		Stores: m.bg.replicas, Logger: m.Logger,
		OnRead: m.Metrics.ReplicaRead, OnFallback: m.Metrics.ReplicaFallback,
	}), nil
}

// cleanupJob is the job that deletes what has ended, by the configured
// retention.
func (m *Main) cleanupJob(now func() time.Time) jobs.Job {
	keep := jobs.Retention{Credentials: jobs.CredentialRetention, DeletedSecrets: m.Config.DeletedSecretRetention}
	return jobs.Cleanup(m.Store, m.Config.CleanupInterval, keep, m.Logger, now)
}

// startBackground starts the replica watcher and the jobs.
func (m *Main) startBackground(replicas *service.Replicas) {
	ctx, cancel := context.WithCancel(context.Background())
	m.bg.cancel = cancel
	if replicas != nil {
		m.bg.wg.Add(1)
		m.goSafe("replica watch", func() {
			defer m.bg.wg.Done()
			replicas.Watch(ctx, replicaWatchPeriod)
		})
	}
	m.bg.jobs = jobs.New(jobs.Config{
		Leases: m.Store, Holder: instanceID(), TTL: m.Config.JobLeaseTTL, Logger: m.Logger,
		OnRun: m.Metrics.JobRun, OnLeader: m.Metrics.JobLeader, Go: m.goSafe,
	})
	m.bg.jobs.Start(m.cleanupJob(time.Now))
}

// stopBackground stops the jobs, releasing their leases so that another
// instance takes over at once, then the watcher, then closes the replica
// pools. It runs before the primary store closes, and on a failed start.
func (m *Main) stopBackground() {
	if m.bg.jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m.bg.jobs.Stop(ctx)
		cancel()
	}
	if m.bg.cancel != nil {
		m.bg.cancel()
	}
	m.bg.wg.Wait()
	for _, st := range m.bg.replicas {
		if err := st.Close(); err != nil {
			m.Logger.Warn("close read replica", "error", err)
		}
	}
	m.bg.jobs, m.bg.cancel, m.bg.replicas = nil, nil, nil
}

// instanceID names this process in the leases table: readable in an
// incident (host and pid) and unique even when pids repeat across
// containers (a random part).
func instanceID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}
