package storetest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/store"
)

func testLeases(t *testing.T, s *store.Store) {
	ctx := t.Context()
	const ttl = time.Minute
	acquire := func(t *testing.T, name, holder string, now time.Time) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, name, holder, now, ttl)
		check(t, err)
		return ok
	}
	t.Run("TakeRenewRefuseExpire", func(t *testing.T) {
		equal(t, "take free lease", acquire(t, "purge", "a", t0), true)
		equal(t, "renew own lease", acquire(t, "purge", "a", at(30*time.Second)), true)
		equal(t, "other holder while held", acquire(t, "purge", "b", at(80*time.Second)), false)
		// a's renewal runs to t0+90s.
		equal(t, "other holder after expiry", acquire(t, "purge", "b", at(90*time.Second)), true)
		equal(t, "former holder now refused", acquire(t, "purge", "a", at(100*time.Second)), false)
	})
	t.Run("Release", func(t *testing.T) {
		equal(t, "take", acquire(t, "rotate", "a", t0), true)
		check(t, s.ReleaseLease(ctx, "rotate", "b")) // not b's: no effect
		equal(t, "still held", acquire(t, "rotate", "b", t0), false)
		check(t, s.ReleaseLease(ctx, "rotate", "a"))
		equal(t, "free after release", acquire(t, "rotate", "b", t0), true)
	})
	t.Run("IndependentNames", func(t *testing.T) {
		equal(t, "one", acquire(t, "job-1", "a", t0), true)
		equal(t, "two", acquire(t, "job-2", "b", t0), true)
	})
}
