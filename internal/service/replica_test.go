package service

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

// seedEnv stores a project and an environment at revision rev in st.
func seedEnv(t *testing.T, st *store.Store, projectID, envID string, rev int64) *coffer.Environment {
	t.Helper()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	p := &coffer.Project{ID: projectID, Slug: "p" + projectID[:8], Name: "p", WrappedDEK: []byte("w"), KEKID: "k", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	e := &coffer.Environment{ID: envID, ProjectID: projectID, Slug: "dev", Name: "dev", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEnvironment(ctx, e); err != nil {
		t.Fatal(err)
	}
	for range rev {
		if _, err := st.BumpRevision(ctx, envID, now); err != nil {
			t.Fatal(err)
		}
	}
	e.Revision = rev
	return e
}

func TestReplicasRead(t *testing.T) {
	t.Parallel()
	projectID, envID := uuid.NewString(), uuid.NewString()
	tests := []struct {
		name string
		// replica returns the replica store given the primary's file.
		replica  func(t *testing.T, primaryPath string) *store.Store
		served   bool
		fallback string
		down     bool
	}{
		{"CaughtUpReplicaServes", func(t *testing.T, path string) *store.Store {
			return storetest.Open(t, store.Config{SQLitePath: path})
		}, true, "", false},
		{"BehindReplicaFallsBack", func(t *testing.T, _ string) *store.Store {
			st := storetest.OpenSQLite(t)
			seedEnv(t, st, projectID, envID, 1) // the primary is at 2
			return st
		}, false, FallbackBehind, false},
		{"EnvironmentNotReplayedFallsBack", func(t *testing.T, _ string) *store.Store {
			return storetest.OpenSQLite(t)
		}, false, FallbackBehind, false},
		{"FailingReplicaIsTakenOut", func(t *testing.T, _ string) *store.Store {
			st, err := store.Open(t.Context(), store.Config{SQLitePath: filepath.Join(t.TempDir(), "gone.db")})
			if err != nil {
				t.Fatal(err)
			}
			_ = st.Close() // every query now fails
			return st
		}, false, FallbackError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "primary.db")
			primary := storetest.Open(t, store.Config{SQLitePath: path})
			storetest.Migrate(t, primary)
			env := seedEnv(t, primary, projectID, envID, 2)
			var reads []string
			var fallbacks []string
			r := NewReplicas(ReplicaConfig{
				Stores:     []*store.Store{tt.replica(t, path)},
				OnRead:     func(name string) { reads = append(reads, name) },
				OnFallback: func(reason string) { fallbacks = append(fallbacks, reason) },
			})
			svc := New(Config{Store: primary, Replicas: r})
			since := int64(0)
			if _, _, err := svc.secretRows(t.Context(), env, &since); err != nil {
				t.Fatalf("read failed: %v", err) // a replica never fails a read
			}
			if served := len(reads) == 1 && reads[0] == "replica-1"; served != tt.served {
				t.Errorf("served by replica = %v (%v), want %v", served, reads, tt.served)
			}
			if tt.fallback != "" && (len(fallbacks) != 1 || fallbacks[0] != tt.fallback) {
				t.Errorf("fallbacks %v, want [%s]", fallbacks, tt.fallback)
			}
			if down := r.list[0].down.Load(); down != tt.down {
				t.Errorf("replica down = %v, want %v", down, tt.down)
			}
			if tt.down {
				fallbacks = nil
				if _, _, err := svc.secretRows(t.Context(), env, nil); err != nil {
					t.Fatal(err)
				}
				if len(fallbacks) != 1 || fallbacks[0] != FallbackDown {
					t.Errorf("next read: fallbacks %v, want [down]", fallbacks)
				}
			}
		})
	}
}

func TestReplicasWatch(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "replica.db")
	st := storetest.Open(t, store.Config{SQLitePath: path})
	r := NewReplicas(ReplicaConfig{Stores: []*store.Store{st}})
	r.list[0].down.Store(true) // as after a failed read
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Watch(ctx, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for r.pick() == nil {
		if time.Now().After(deadline) {
			t.Fatal("a replica that answers pings was not put back in rotation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
