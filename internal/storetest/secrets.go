package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

var writer = coffer.Actor{Type: coffer.ActorUser, ID: "0190c0de-0000-7000-8000-000000000001"}

// writeSecret changes a key the way the service does: in one transaction,
// bump the environment's revision, then write the secret row and a new
// version row. A nil ciphertext deletes the key. It returns the secret as
// SecretByKey should now read it.
func writeSecret(t *testing.T, s *store.Store, envID, key string, ciphertext []byte, when time.Time) *coffer.Secret {
	t.Helper()
	ctx := t.Context()
	var sec *coffer.Secret
	err := s.Tx(ctx, func(tx *store.Tx) error {
		rev, err := tx.BumpRevision(ctx, envID, when)
		if err != nil {
			return err
		}
		cur, err := tx.SecretByKey(ctx, envID, key)
		isNew := coffer.ErrorCode(err) == coffer.ENOTFOUND
		if err != nil && !isNew {
			return err
		}
		if isNew {
			cur = &coffer.Secret{ID: newID(), EnvironmentID: envID, Key: key}
		}
		cur.Version++
		cur.Revision, cur.Deleted, cur.UpdatedAt, cur.UpdatedBy = rev, ciphertext == nil, when, writer
		cur.Ciphertext, cur.Comment = ciphertext, "comment of v"+strconv.Itoa(cur.Version)
		if isNew {
			err = tx.InsertSecret(ctx, cur)
		} else {
			err = tx.UpdateSecret(ctx, cur)
		}
		if err != nil {
			return err
		}
		sec = cur
		return tx.InsertSecretVersion(ctx, &coffer.SecretVersion{
			SecretID: cur.ID, Version: cur.Version, Revision: rev, Deleted: cur.Deleted,
			Comment: cur.Comment, CreatedAt: when, CreatedBy: writer, Ciphertext: ciphertext,
		})
	})
	check(t, err)
	return sec
}

func mustWriteSecret(t *testing.T, s *store.Store, envID, key, sealed string) *coffer.Secret {
	t.Helper()
	return writeSecret(t, s, envID, key, []byte(sealed), t0)
}

func testSecrets(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := mustProject(t, s, "secrets")

	t.Run("WriteReadDelete", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "lifecycle")
		writeSecret(t, s, e.ID, "API_KEY", []byte("sealed-1"), at(1*time.Minute))
		v2 := writeSecret(t, s, e.ID, "API_KEY", []byte("sealed-2"), at(2*time.Minute))
		got, err := s.SecretByKey(ctx, e.ID, "API_KEY")
		check(t, err)
		equal(t, "current", got, v2)
		equal(t, "version", got.Version, 2)

		v3 := writeSecret(t, s, e.ID, "API_KEY", nil, at(3*time.Minute))
		got, err = s.SecretByKey(ctx, e.ID, "API_KEY")
		check(t, err)
		equal(t, "deleted", got, v3)
		if !got.Deleted || got.Ciphertext != nil {
			t.Fatalf("deleted secret = %s, want Deleted and no ciphertext", show(got))
		}
	})
	t.Run("ListSkipsDeletedOrdersByKey", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "list")
		other := mustEnv(t, s, p.ID, "list-other")
		b := mustWriteSecret(t, s, e.ID, "B", "sb")
		a := mustWriteSecret(t, s, e.ID, "A", "sa")
		mustWriteSecret(t, s, e.ID, "C", "sc")
		writeSecret(t, s, e.ID, "C", nil, t0)
		mustWriteSecret(t, s, other.ID, "A", "elsewhere")
		got, err := s.ListSecrets(ctx, e.ID)
		check(t, err)
		equal(t, "secrets", got, []*coffer.Secret{a, b})
	})
	t.Run("BundleIsTheRevisionWithItsSecrets", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "bundle")
		rev, got, err := s.SecretBundle(ctx, e.ID)
		check(t, err)
		equal(t, "empty revision", rev, int64(0))
		equal(t, "empty secrets", len(got), 0)

		b := mustWriteSecret(t, s, e.ID, "B", "sb")
		a := mustWriteSecret(t, s, e.ID, "A", "sa")
		mustWriteSecret(t, s, e.ID, "C", "sc")
		writeSecret(t, s, e.ID, "C", nil, t0) // revision 4: a deletion
		mustWriteSecret(t, s, mustEnv(t, s, p.ID, "bundle-other").ID, "A", "elsewhere")
		rev, got, err = s.SecretBundle(ctx, e.ID)
		check(t, err)
		equal(t, "revision", rev, int64(4))
		equal(t, "secrets", got, []*coffer.Secret{a, b})

		writeSecret(t, s, e.ID, "A", nil, t0)
		writeSecret(t, s, e.ID, "B", nil, t0)
		rev, got, err = s.SecretBundle(ctx, e.ID)
		check(t, err)
		equal(t, "all deleted: revision", rev, int64(6))
		equal(t, "all deleted: secrets", len(got), 0)

		_, _, err = s.SecretBundle(ctx, newID())
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("SinceIncludesDeletions", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "since")
		mustWriteSecret(t, s, e.ID, "OLD", "o")       // revision 1
		mustWriteSecret(t, s, e.ID, "X", "x")         // revision 2
		gone := writeSecret(t, s, e.ID, "X", nil, t0) // revision 3
		y := mustWriteSecret(t, s, e.ID, "Y", "y")    // revision 4
		got, err := s.SecretsSince(ctx, e.ID, 1)
		check(t, err)
		equal(t, "since 1", got, []*coffer.Secret{gone, y})
		equal(t, "deletion revision", got[0].Revision, int64(3))
		got, err = s.SecretsSince(ctx, e.ID, 4)
		check(t, err)
		equal(t, "since 4", len(got), 0)
		all, err := s.SecretsSince(ctx, e.ID, 0)
		check(t, err)
		equal(t, "since 0", len(all), 3)
	})
	t.Run("PurgeDeletedValues", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "purge")
		before := at(-4 * time.Hour)
		writeSecret(t, s, e.ID, "OLD", []byte("o1"), at(-10*time.Hour))
		writeSecret(t, s, e.ID, "OLD", []byte("o2"), at(-9*time.Hour))
		old := writeSecret(t, s, e.ID, "OLD", nil, at(-5*time.Hour)) // deleted before the window
		writeSecret(t, s, e.ID, "RECENT", []byte("r1"), at(-10*time.Hour))
		writeSecret(t, s, e.ID, "RECENT", nil, at(-3*time.Hour)) // deleted inside it
		writeSecret(t, s, e.ID, "BACK", []byte("b1"), at(-10*time.Hour))
		writeSecret(t, s, e.ID, "BACK", nil, at(-9*time.Hour))
		writeSecret(t, s, e.ID, "BACK", []byte("b3"), at(-8*time.Hour)) // written again: live
		writeSecret(t, s, e.ID, "LIVE", []byte("l1"), at(-10*time.Hour))

		n, err := s.PurgeDeletedValues(ctx, before)
		check(t, err)
		if n < 2 { // other behaviours may leave old deletions too
			t.Fatalf("purged %d versions, want at least 2", n)
		}
		versions := func(key string) []int {
			sec, err := s.SecretByKey(ctx, e.ID, key)
			check(t, err)
			list, err := s.SecretVersions(ctx, sec.ID, 0, 10)
			check(t, err)
			var out []int
			for _, v := range list {
				out = append(out, v.Version)
			}
			return out
		}
		equal(t, "OLD keeps the deletion only", versions("OLD"), []int{3})
		equal(t, "RECENT", versions("RECENT"), []int{2, 1})
		equal(t, "BACK", versions("BACK"), []int{3, 2, 1})
		equal(t, "LIVE", versions("LIVE"), []int{1})
		got, err := s.SecretByKey(ctx, e.ID, "OLD")
		check(t, err)
		equal(t, "OLD is still the deletion", got, old)
		since, err := s.SecretsSince(ctx, e.ID, old.Revision-1)
		check(t, err)
		if len(since) == 0 || since[0].Key != "OLD" || !since[0].Deleted {
			t.Fatalf("since %d = %s, want OLD's deletion first", old.Revision-1, show(since))
		}

		n, err = s.PurgeDeletedValues(ctx, before)
		check(t, err)
		equal(t, "purged again", n, 0)
	})
	t.Run("DeletedSecrets", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "trash")
		writeSecret(t, s, e.ID, "LIVE", []byte("l1"), at(-10*time.Hour))
		writeSecret(t, s, e.ID, "GONE", []byte("g1"), at(-10*time.Hour))
		writeSecret(t, s, e.ID, "GONE", []byte("g2"), at(-9*time.Hour))
		gone := writeSecret(t, s, e.ID, "GONE", nil, at(-2*time.Hour))
		writeSecret(t, s, e.ID, "AGAIN", []byte("a1"), at(-10*time.Hour))
		writeSecret(t, s, e.ID, "AGAIN", nil, at(-9*time.Hour))
		writeSecret(t, s, e.ID, "AGAIN", []byte("a3"), at(-8*time.Hour))
		again := writeSecret(t, s, e.ID, "AGAIN", nil, at(-1*time.Hour))
		writeSecret(t, s, e.ID, "PURGED", []byte("p1"), at(-10*time.Hour))
		writeSecret(t, s, e.ID, "PURGED", nil, at(-6*time.Hour))
		_, err := s.PurgeDeletedValues(ctx, at(-5*time.Hour)) // PURGED's values go
		check(t, err)

		want := []*coffer.DeletedSecret{
			{Key: "AGAIN", Version: 4, DeletedAt: again.UpdatedAt, DeletedBy: writer, RestoreVersion: 3},
			{Key: "GONE", Version: 3, DeletedAt: gone.UpdatedAt, DeletedBy: writer, RestoreVersion: 2},
		}
		all, err := s.DeletedSecrets(ctx, e.ID, "", 10)
		check(t, err)
		equal(t, "deleted secrets that can be restored", all, want)
		first, err := s.DeletedSecrets(ctx, e.ID, "", 1)
		check(t, err)
		equal(t, "first page", first, want[:1])
		next, err := s.DeletedSecrets(ctx, e.ID, first[0].Key, 1)
		check(t, err)
		equal(t, "second page", next, want[1:])
		last, err := s.DeletedSecrets(ctx, e.ID, "GONE", 1)
		check(t, err)
		equal(t, "after the last", len(last), 0)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "conflict")
		sec := mustWriteSecret(t, s, e.ID, "K", "k")
		dup := &coffer.Secret{ID: newID(), EnvironmentID: e.ID, Key: "K", Version: 1, Revision: 9, UpdatedAt: t0, UpdatedBy: writer}
		wantCode(t, s.InsertSecret(ctx, dup), coffer.ECONFLICT)
		v := &coffer.SecretVersion{SecretID: sec.ID, Version: 1, Revision: 9, CreatedAt: t0, CreatedBy: writer, Ciphertext: []byte("x")}
		wantCode(t, s.InsertSecretVersion(ctx, v), coffer.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "missing")
		_, err := s.SecretByKey(ctx, e.ID, "NEVER")
		wantCode(t, err, coffer.ENOTFOUND)
		wantCode(t, s.UpdateSecret(ctx, &coffer.Secret{ID: newID(), Version: 2, UpdatedBy: writer}), coffer.ENOTFOUND)
		_, err = s.SecretVersion(ctx, newID(), 1)
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("VersionsNewestFirstWithCursor", func(t *testing.T) {
		e := mustEnv(t, s, p.ID, "history")
		var sec *coffer.Secret
		for i := range 5 {
			sec = writeSecret(t, s, e.ID, "H", []byte{'v', byte('1' + i)}, at(time.Duration(i)*time.Minute))
		}
		versionsOf := func(before, limit int) []int {
			list, err := s.SecretVersions(ctx, sec.ID, before, limit)
			check(t, err)
			var out []int
			for _, v := range list {
				out = append(out, v.Version)
			}
			return out
		}
		equal(t, "first page", versionsOf(0, 2), []int{5, 4})
		equal(t, "second page", versionsOf(4, 2), []int{3, 2})
		equal(t, "last page", versionsOf(2, 2), []int{1})
		equal(t, "default limit", versionsOf(0, 0), []int{5, 4, 3, 2, 1})

		v, err := s.SecretVersion(ctx, sec.ID, 3)
		check(t, err)
		equal(t, "version 3", v, &coffer.SecretVersion{
			SecretID: sec.ID, Version: 3, Revision: 3, Comment: "comment of v3",
			CreatedAt: at(2 * time.Minute), CreatedBy: writer, Ciphertext: []byte("v3"),
		})
		_, err = s.SecretVersion(ctx, sec.ID, 99)
		wantCode(t, err, coffer.ENOTFOUND)
	})
}
