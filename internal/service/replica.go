package service

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// Reasons a replica-eligible read went to the primary (metrics labels).
const (
	FallbackDown   = "down"   // no replica is up
	FallbackBehind = "behind" // the replica has not replayed the revision yet
	FallbackError  = "error"  // the replica failed mid-read; it is marked down
)

// replicaCheckTimeout bounds the revision check on a replica, so that one
// that hangs (a partition rather than a refusal) costs a request at most
// this before it is marked down and the primary answers.
const replicaCheckTimeout = 2 * time.Second

// ReplicaConfig is what Replicas need. Stores is required.
type ReplicaConfig struct {
	Stores []*store.Store // one per DATABASE_REPLICA_URLS entry, in order
	Logger *slog.Logger
	// OnRead and OnFallback report to metrics; either may be nil.
	OnRead     func(replica string)
	OnFallback func(reason string)
}

// Replicas are read-only copies of the primary that serve the rows of bulk
// secret reads. A replica is used only when it has replayed at least the
// environment revision that the primary just reported for the request, so
// a reader never sees older data than the primary would have shown it
// (read-your-writes included: a write commits before its writer's next
// read looks up the revision). Authorization lookups and the revision
// itself always come from the primary, so a removed member is refused at
// once whatever the lag.
type Replicas struct {
	cfg  ReplicaConfig
	list []*replica
	next atomic.Uint64 // round robin
}

type replica struct {
	name  string
	store *store.Store
	down  atomic.Bool
}

// NewReplicas returns Replicas over cfg.Stores, named replica-1, replica-2…
// like their pool metrics. All start up; Watch keeps their state.
func NewReplicas(cfg ReplicaConfig) *Replicas {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Replicas{cfg: cfg}
	for i, st := range cfg.Stores {
		r.list = append(r.list, &replica{name: ReplicaName(i), store: st})
	}
	return r
}

// ReplicaName is the name of the i-th replica (from 0) in logs and metrics.
func ReplicaName(i int) string { return fmt.Sprintf("replica-%d", i+1) }

// Watch pings every replica each period until ctx ends: a replica that
// fails is taken out of rotation, one that answers again is put back.
func (r *Replicas) Watch(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		for _, rep := range r.list {
			pctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
			err := rep.store.Ping(pctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			r.setDown(rep, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setDown records whether rep failed, logging changes only.
func (r *Replicas) setDown(rep *replica, err error) {
	if was := rep.down.Swap(err != nil); was != (err != nil) {
		if err != nil {
			r.cfg.Logger.Warn("read replica down: reads go to the primary", "replica", rep.name, "error", err)
		} else {
			r.cfg.Logger.Info("read replica back in rotation", "replica", rep.name)
		}
	}
}

// pick returns the next replica that is up, or nil.
func (r *Replicas) pick() *replica {
	n := uint64(len(r.list))
	start := r.next.Add(1)
	for i := range n {
		if rep := r.list[(start+i)%n]; !rep.down.Load() {
			return rep
		}
	}
	return nil
}

func (r *Replicas) fallback(reason string) {
	if r.cfg.OnFallback != nil {
		r.cfg.OnFallback(reason)
	}
}

// secretRows is the part of a store a bulk read needs.
type secretRows interface {
	SecretBundle(ctx context.Context, envID string) (int64, []*coffer.Secret, error)
	SecretsSince(ctx context.Context, envID string, revision int64) ([]*coffer.Secret, error)
}

// readRows reads env's whole bundle, or with since the changes after it,
// and the revision the rows are at (with since: at least env's).
func readRows(ctx context.Context, q secretRows, env *coffer.Environment, since *int64) (int64, []*coffer.Secret, error) {
	if since != nil {
		rows, err := q.SecretsSince(ctx, env.ID, *since)
		return env.Revision, rows, err
	}
	return q.SecretBundle(ctx, env.ID)
}

// read reads env's secret rows from a replica that has env's revision,
// and reports false when none could, saying why in the metrics; the
// caller then reads from the primary, so a replica never fails a request.
func (r *Replicas) read(ctx context.Context, env *coffer.Environment, since *int64) (int64, []*coffer.Secret, bool) {
	rep := r.pick()
	if rep == nil {
		r.fallback(FallbackDown)
		return 0, nil, false
	}
	// A whole bundle says its revision; changes since a revision need the
	// replica's revision checked first. The replica only moves forward, so
	// rows read after the check are at least as new as the revision seen.
	if since != nil && !r.caughtUp(ctx, rep, env) {
		return 0, nil, false
	}
	rev, rows, err := readRows(ctx, rep.store, env, since)
	switch {
	case coffer.ErrorCode(err) == coffer.ENOTFOUND: // created on the primary, not replayed yet
		r.fallback(FallbackBehind)
		return 0, nil, false
	case err != nil:
		r.failed(ctx, rep, err)
		return 0, nil, false
	case rev < env.Revision:
		r.fallback(FallbackBehind)
		return 0, nil, false
	}
	if r.cfg.OnRead != nil {
		r.cfg.OnRead(rep.name)
	}
	return rev, rows, true
}

// caughtUp reports whether rep has replayed env's revision, saying why not
// in the metrics.
func (r *Replicas) caughtUp(ctx context.Context, rep *replica, env *coffer.Environment) bool {
	cctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
	seen, err := rep.store.EnvironmentByID(cctx, env.ID)
	cancel()
	switch {
	case coffer.ErrorCode(err) == coffer.ENOTFOUND:
		r.fallback(FallbackBehind)
		return false
	case err != nil:
		r.failed(ctx, rep, err)
		return false
	case seen.Revision < env.Revision:
		r.fallback(FallbackBehind)
		return false
	}
	return true
}

// failed takes rep out of rotation after an error, unless the request
// itself was cancelled (the replica is not to blame then).
func (r *Replicas) failed(ctx context.Context, rep *replica, err error) {
	if ctx.Err() == nil {
		r.setDown(rep, err)
	}
	r.fallback(FallbackError)
}

// secretRows reads the rows of a bulk read and the revision they are at:
// from a replica when one is configured and caught up, from the primary
// otherwise.
func (s *Service) secretRows(ctx context.Context, env *coffer.Environment, since *int64) (int64, []*coffer.Secret, error) {
	if s.Replicas != nil {
		if rev, rows, ok := s.Replicas.read(ctx, env, since); ok {
			return rev, rows, nil
		}
	}
	return readRows(ctx, s.Store, env, since)
}
