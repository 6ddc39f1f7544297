package storetest

import (
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// testKeys covers what KEK rotation needs: paging through every project's
// wrapped key, counting keys per KEK, and a compare-and-swap replacement.
func testKeys(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := mustProject(t, s, "keys-a") // KEK "kek1"
	b := mustProject(t, s, "keys-b")
	c := mustProject(t, s, "keys-c")

	t.Run("ListPages", func(t *testing.T) {
		first, err := s.ListProjectKeys(ctx, "", 2)
		check(t, err)
		rest, err := s.ListProjectKeys(ctx, first[len(first)-1].ProjectID, 2)
		check(t, err)
		all := append(first, rest...)
		if len(first) != 2 || len(all) != 3 {
			t.Fatalf("pages of %d and %d keys, want 2 and 1", len(first), len(rest))
		}
		byID := map[string]store.ProjectKey{}
		for _, k := range all {
			byID[k.ProjectID] = k
		}
		for _, p := range []*coffer.Project{a, b, c} {
			equal(t, "key of "+p.Slug, byID[p.ID], store.ProjectKey{ProjectID: p.ID, WrappedDEK: p.WrappedDEK, KEKID: p.KEKID})
		}
	})
	t.Run("ReplaceAndCount", func(t *testing.T) {
		old := store.ProjectKey{ProjectID: a.ID, WrappedDEK: a.WrappedDEK, KEKID: a.KEKID}
		check(t, s.ReplaceProjectKey(ctx, old, []byte("rewrapped-a"), "kek2"))
		// The same write again (a resumed rotation) is not a conflict.
		check(t, s.ReplaceProjectKey(ctx, old, []byte("rewrapped-a"), "kek2"))
		got, err := s.ProjectByID(ctx, a.ID)
		check(t, err)
		equal(t, "wrapped key", string(got.WrappedDEK), "rewrapped-a")
		equal(t, "kek id", got.KEKID, "kek2")
		equal(t, "updated_at untouched", got.UpdatedAt, a.UpdatedAt)
		counts, err := s.CountProjectsByKEK(ctx)
		check(t, err)
		equal(t, "counts", counts, map[string]int{"kek1": 2, "kek2": 1})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		// A stale read: the key was replaced by someone else meanwhile.
		stale := store.ProjectKey{ProjectID: b.ID, WrappedDEK: b.WrappedDEK, KEKID: b.KEKID}
		check(t, s.ReplaceProjectKey(ctx, stale, []byte("first"), "kek2"))
		wantCode(t, s.ReplaceProjectKey(ctx, stale, []byte("second"), "kek3"), coffer.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		wantCode(t, s.ReplaceProjectKey(ctx, store.ProjectKey{ProjectID: newID(), KEKID: "kek1"}, []byte("x"), "kek2"), coffer.ENOTFOUND)
		wantCode(t, s.ReplaceProjectKey(ctx, store.ProjectKey{ProjectID: "not-a-uuid", KEKID: "kek1"}, []byte("x"), "kek2"), coffer.ENOTFOUND)
	})
}
