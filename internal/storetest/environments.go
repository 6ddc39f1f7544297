package storetest

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testEnvironments(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := mustProject(t, s, "envs")
	t.Run("OK", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "qa")
		got, err := s.EnvironmentByID(ctx, e.ID)
		check(t, err)
		equal(t, "by id", got, e)
		got, err = s.EnvironmentBySlug(ctx, p.ID, "qa")
		check(t, err)
		equal(t, "by slug", got, e)
	})
	t.Run("ErrConflictSlugInProject", func(t *testing.T) {
		mustEnv(t, s, p.ID, "dup")
		err := s.CreateEnvironment(ctx, &coffer.Environment{ID: newID(), ProjectID: p.ID, Slug: "dup", Name: "x", CreatedAt: t0, UpdatedAt: t0})
		wantCode(t, err, coffer.ECONFLICT)
		mustEnv(t, s, mustProject(t, s, "envs-other").ID, "dup") // fine in another project
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.EnvironmentByID(ctx, newID())
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.EnvironmentByID(ctx, "dev")
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.EnvironmentBySlug(ctx, p.ID, "missing")
		wantCode(t, err, coffer.ENOTFOUND)
		wantCode(t, s.UpdateEnvironment(ctx, &coffer.Environment{ID: newID(), Slug: "x"}), coffer.ENOTFOUND)
		wantCode(t, s.DeleteEnvironment(ctx, newID()), coffer.ENOTFOUND)
		_, err = s.BumpRevision(ctx, newID(), t0)
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("ListByCreationThenSlug", func(t *testing.T) {
		q := mustProject(t, s, "env-order")
		mk := func(slug string, created time.Time) *coffer.Environment {
			e := &coffer.Environment{ID: newID(), ProjectID: q.ID, Slug: slug, Name: slug, CreatedAt: created, UpdatedAt: created}
			check(t, s.CreateEnvironment(ctx, e))
			return e
		}
		prod := mk("prod", t0)
		dev := mk("dev", t0)
		staging := mk("staging", t0)
		later := mk("a-later", at(time.Minute))
		got, err := s.ListEnvironments(ctx, q.ID)
		check(t, err)
		equal(t, "environments", got, []*coffer.Environment{dev, prod, staging, later})
	})
	t.Run("Update", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "before")
		e.Slug, e.Name, e.UpdatedAt = "after", "After", at(time.Hour)
		check(t, s.UpdateEnvironment(ctx, e))
		got, err := s.EnvironmentBySlug(ctx, p.ID, "after")
		check(t, err)
		equal(t, "updated", got, e)
		mustEnv(t, s, p.ID, "occupied")
		e.Slug = "occupied"
		wantCode(t, s.UpdateEnvironment(ctx, e), coffer.ECONFLICT)
	})
	t.Run("DeleteCascadesSecrets", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "gone")
		sec := mustWriteSecret(t, s, e.ID, "KEY", "v")
		check(t, s.DeleteEnvironment(ctx, e.ID))
		_, err := s.EnvironmentByID(ctx, e.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.SecretByKey(ctx, e.ID, "KEY")
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.SecretVersion(ctx, sec.ID, 1)
		wantCode(t, err, coffer.ENOTFOUND)
	})
}

// testBumpRevision checks that concurrent writers of one environment get
// distinct, gapless revisions: each transaction bumps, then holds the row
// lock until it commits.
func testBumpRevision(t *testing.T, s *store.Store) {
	ctx := t.Context()
	e := mustEnv(t, s, mustProject(t, s, "bump").ID, "dev")
	rev, err := s.BumpRevision(ctx, e.ID, at(time.Second))
	check(t, err)
	equal(t, "first revision", rev, int64(1))

	const writers = 20
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			err := s.Tx(ctx, func(tx *store.Tx) error {
				rev, err := tx.BumpRevision(ctx, e.ID, at(time.Minute))
				if err != nil {
					return err
				}
				// Write something under the lock, as a secret write would.
				if err := tx.SetMeta(ctx, "bump", []byte{byte(rev)}); err != nil {
					return err
				}
				mu.Lock()
				got = append(got, rev)
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	want := make([]int64, writers)
	for i := range want {
		want[i] = int64(i + 2)
	}
	equal(t, "revisions", got, want)

	env, err := s.EnvironmentByID(ctx, e.ID)
	check(t, err)
	equal(t, "final revision", env.Revision, int64(writers+1))
	equal(t, "updated at", env.UpdatedAt, at(time.Minute))
}
