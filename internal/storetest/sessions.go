package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testSessions(t *testing.T, s *store.Store) {
	ctx := t.Context()
	t.Run("OK", func(t *testing.T) {
		u := mustUser(t, s, "sess@example.com")
		sess := mustSession(t, s, u.ID, t0)
		got, err := s.SessionByID(ctx, sess.ID)
		check(t, err)
		equal(t, "session", got, sess)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.SessionByID(ctx, newID())
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.SessionByID(ctx, "garbage")
		wantCode(t, err, coffer.ENOTFOUND)
		wantCode(t, s.TouchSession(ctx, newID(), t0), coffer.ENOTFOUND)
		wantCode(t, s.RevokeSession(ctx, newID(), t0), coffer.ENOTFOUND)
		wantCode(t, s.RevokeSession(ctx, "garbage", t0), coffer.ENOTFOUND)
	})
	t.Run("ListActiveNewestFirst", func(t *testing.T) {
		u := mustUser(t, s, "list-sessions@example.com")
		other := mustUser(t, s, "other-sessions@example.com")
		older := mustSession(t, s, u.ID, at(1*time.Minute))
		newer := mustSession(t, s, u.ID, at(2*time.Minute))
		revoked := mustSession(t, s, u.ID, at(3*time.Minute))
		check(t, s.RevokeSession(ctx, revoked.ID, at(4*time.Minute)))
		mustSession(t, s, u.ID, at(-48*time.Hour)) // expired a day ago
		mustSession(t, s, other.ID, at(5*time.Minute))

		got, err := s.ListSessions(ctx, u.ID, at(10*time.Minute))
		check(t, err)
		equal(t, "sessions", got, []*coffer.Session{newer, older})
	})
	t.Run("TouchAndRevoke", func(t *testing.T) {
		u := mustUser(t, s, "touch@example.com")
		sess := mustSession(t, s, u.ID, t0)
		check(t, s.TouchSession(ctx, sess.ID, at(time.Minute)))
		check(t, s.RevokeSession(ctx, sess.ID, at(2*time.Minute)))
		check(t, s.RevokeSession(ctx, sess.ID, at(3*time.Minute))) // idempotent
		got, err := s.SessionByID(ctx, sess.ID)
		check(t, err)
		sess.LastSeenAt, sess.RevokedAt = at(time.Minute), ptr(at(2*time.Minute))
		equal(t, "session", got, sess)
	})
	t.Run("RevokeUserSessions", func(t *testing.T) {
		u := mustUser(t, s, "revoke-all@example.com")
		other := mustUser(t, s, "bystander@example.com")
		keep := mustSession(t, s, u.ID, at(1*time.Minute))
		mustSession(t, s, u.ID, at(2*time.Minute))
		mustSession(t, s, u.ID, at(3*time.Minute))
		theirs := mustSession(t, s, other.ID, at(4*time.Minute))

		n, err := s.RevokeUserSessions(ctx, u.ID, keep.ID, at(time.Hour))
		check(t, err)
		equal(t, "revoked", n, 2)
		got, err := s.ListSessions(ctx, u.ID, at(time.Hour))
		check(t, err)
		equal(t, "left", got, []*coffer.Session{keep})

		n, err = s.RevokeUserSessions(ctx, u.ID, "", at(time.Hour))
		check(t, err)
		equal(t, "revoked without exception", n, 1)
		got, err = s.ListSessions(ctx, u.ID, at(time.Hour))
		check(t, err)
		equal(t, "left", len(got), 0)

		got, err = s.ListSessions(ctx, other.ID, at(time.Hour))
		check(t, err)
		equal(t, "other user's sessions", got, []*coffer.Session{theirs})
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		u := mustUser(t, s, "purge@example.com")
		expired := mustSession(t, s, u.ID, at(-72*time.Hour))
		rt := &coffer.RefreshToken{Hash: []byte("rt-purged"), SessionID: expired.ID, CreatedAt: t0}
		check(t, s.CreateRefreshToken(ctx, rt))
		revokedLongAgo := mustSession(t, s, u.ID, t0)
		check(t, s.RevokeSession(ctx, revokedLongAgo.ID, at(-time.Hour)))
		revokedJustNow := mustSession(t, s, u.ID, t0)
		check(t, s.RevokeSession(ctx, revokedJustNow.ID, at(time.Hour)))
		active := mustSession(t, s, u.ID, t0)

		n, err := s.DeleteExpiredSessions(ctx, t0)
		check(t, err)
		if n < 2 { // other behaviours leave expired sessions too
			t.Fatalf("deleted %d sessions, want at least 2", n)
		}
		for _, id := range []string{expired.ID, revokedLongAgo.ID} {
			_, err := s.SessionByID(ctx, id)
			wantCode(t, err, coffer.ENOTFOUND)
		}
		for _, id := range []string{revokedJustNow.ID, active.ID} {
			_, err := s.SessionByID(ctx, id)
			check(t, err)
		}
		_, err = s.RefreshTokenByHash(ctx, rt.Hash)
		wantCode(t, err, coffer.ENOTFOUND)
	})
}

func testRefreshTokens(t *testing.T, s *store.Store) {
	ctx := t.Context()
	u := mustUser(t, s, "refresh@example.com")
	sess := mustSession(t, s, u.ID, t0)

	t.Run("OK", func(t *testing.T) {
		rt := &coffer.RefreshToken{Hash: []byte("rt-ok"), SessionID: sess.ID, CreatedAt: t0}
		check(t, s.CreateRefreshToken(ctx, rt))
		got, err := s.RefreshTokenByHash(ctx, rt.Hash)
		check(t, err)
		equal(t, "refresh token", got, rt)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		rt := &coffer.RefreshToken{Hash: []byte("rt-dup"), SessionID: sess.ID, CreatedAt: t0}
		check(t, s.CreateRefreshToken(ctx, rt))
		wantCode(t, s.CreateRefreshToken(ctx, rt), coffer.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.RefreshTokenByHash(ctx, []byte("missing"))
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.UseRefreshToken(ctx, []byte("missing"), t0)
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("UseOnceThenReplay", func(t *testing.T) {
		rt := &coffer.RefreshToken{Hash: []byte("rt-use"), SessionID: sess.ID, CreatedAt: t0}
		check(t, s.CreateRefreshToken(ctx, rt))
		ok, err := s.UseRefreshToken(ctx, rt.Hash, at(time.Minute))
		check(t, err)
		equal(t, "first use", ok, true)
		ok, err = s.UseRefreshToken(ctx, rt.Hash, at(2*time.Minute))
		check(t, err)
		equal(t, "replay", ok, false)
		got, err := s.RefreshTokenByHash(ctx, rt.Hash)
		check(t, err)
		equal(t, "used at", got.UsedAt, ptr(at(time.Minute)))
	})
	t.Run("ConcurrentUseHasOneWinner", func(t *testing.T) {
		rt := &coffer.RefreshToken{Hash: []byte("rt-race"), SessionID: sess.ID, CreatedAt: t0}
		check(t, s.CreateRefreshToken(ctx, rt))
		const n = 8
		var wg sync.WaitGroup
		results := make(chan bool, n)
		for range n {
			wg.Go(func() {
				ok, err := s.UseRefreshToken(ctx, rt.Hash, at(time.Minute))
				if err != nil {
					t.Error(err)
				}
				results <- ok
			})
		}
		wg.Wait()
		close(results)
		wins := 0
		for ok := range results {
			if ok {
				wins++
			}
		}
		equal(t, "winners", wins, 1)
	})
}
