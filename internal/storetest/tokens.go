package storetest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testTokens(t *testing.T, s *store.Store) {
	ctx := t.Context()
	w := newWorld(t, s, "tokens")
	staging := mustEnv(t, s, w.project.ID, "staging")

	t.Run("Personal", func(t *testing.T) {
		tok := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: w.user.ID, ExpiresAt: ptr(at(time.Hour))})
		got, err := s.TokenByHash(ctx, tok.Hash)
		check(t, err)
		equal(t, "by hash", got, tok)
		got, err = s.TokenByID(ctx, tok.ID)
		check(t, err)
		equal(t, "by id", got, tok)
	})
	t.Run("ServiceKeepsScopeOrder", func(t *testing.T) {
		tok := mustToken(t, s, &coffer.Token{
			Kind: coffer.TokenService, UserID: w.user.ID, ProjectID: w.project.ID,
			Environments: []string{staging.ID, w.env.ID}, Access: coffer.AccessReadWrite,
		})
		got, err := s.TokenByHash(ctx, tok.Hash)
		check(t, err)
		equal(t, "by hash", got, tok)
	})
	t.Run("ErrConflictHash", func(t *testing.T) {
		tok := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: w.user.ID})
		dup := &coffer.Token{ID: newID(), Kind: coffer.TokenPersonal, UserID: w.user.ID, Name: "dup", Hash: tok.Hash, CreatedAt: t0}
		wantCode(t, s.CreateToken(ctx, dup), coffer.ECONFLICT)
	})
	t.Run("FailedScopeWritesNothing", func(t *testing.T) {
		tok := &coffer.Token{
			ID: newID(), Kind: coffer.TokenService, Name: "bad scope", Hash: []byte("bad-scope"),
			ProjectID: w.project.ID, Environments: []string{w.env.ID, newID()}, Access: coffer.AccessRead, CreatedAt: t0,
		}
		if err := s.CreateToken(ctx, tok); err == nil {
			t.Fatal("CreateToken with an unknown environment succeeded")
		}
		_, err := s.TokenByID(ctx, tok.ID)
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.TokenByHash(ctx, []byte("nope"))
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.TokenByID(ctx, newID())
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.TokenByID(ctx, "nope")
		wantCode(t, err, coffer.ENOTFOUND)
		wantCode(t, s.RevokeToken(ctx, newID(), t0), coffer.ENOTFOUND)
		wantCode(t, s.TouchToken(ctx, newID(), t0), coffer.ENOTFOUND)
	})
	t.Run("ListsNotRevokedNewestFirst", func(t *testing.T) {
		u := mustUser(t, s, "lister@example.com")
		p := mustProject(t, s, "token-list")
		dev := mustEnv(t, s, p.ID, "dev")
		prod := mustEnv(t, s, p.ID, "prod")
		pat1 := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: u.ID, CreatedAt: at(1 * time.Minute)})
		pat2 := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: u.ID, CreatedAt: at(2 * time.Minute), ExpiresAt: ptr(at(-time.Hour))})
		patRevoked := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: u.ID, CreatedAt: at(3 * time.Minute)})
		check(t, s.RevokeToken(ctx, patRevoked.ID, at(time.Hour)))
		svc1 := mustToken(t, s, &coffer.Token{Kind: coffer.TokenService, UserID: u.ID, ProjectID: p.ID,
			Environments: []string{prod.ID, dev.ID}, Access: coffer.AccessRead, CreatedAt: at(4 * time.Minute)})
		svc2 := mustToken(t, s, &coffer.Token{Kind: coffer.TokenService, UserID: u.ID, ProjectID: p.ID,
			Environments: []string{dev.ID}, Access: coffer.AccessReadWrite, CreatedAt: at(5 * time.Minute)})
		svcRevoked := mustToken(t, s, &coffer.Token{Kind: coffer.TokenService, UserID: u.ID, ProjectID: p.ID,
			Environments: []string{dev.ID}, Access: coffer.AccessRead, CreatedAt: at(6 * time.Minute)})
		check(t, s.RevokeToken(ctx, svcRevoked.ID, at(time.Hour)))

		personal, err := s.ListPersonalTokens(ctx, u.ID)
		check(t, err)
		equal(t, "personal", personal, []*coffer.Token{pat2, pat1})
		service, err := s.ListProjectTokens(ctx, p.ID)
		check(t, err)
		equal(t, "service", service, []*coffer.Token{svc2, svc1})
		none, err := s.ListProjectTokens(ctx, mustProject(t, s, "no-tokens").ID)
		check(t, err)
		equal(t, "no tokens", len(none), 0)
	})
	t.Run("RevokeTouch", func(t *testing.T) {
		tok := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: w.user.ID})
		check(t, s.TouchToken(ctx, tok.ID, at(time.Minute)))
		check(t, s.RevokeToken(ctx, tok.ID, at(2*time.Minute)))
		check(t, s.RevokeToken(ctx, tok.ID, at(3*time.Minute)))
		got, err := s.TokenByID(ctx, tok.ID)
		check(t, err)
		tok.LastUsedAt, tok.RevokedAt = ptr(at(time.Minute)), ptr(at(2*time.Minute))
		equal(t, "token", got, tok)
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		u := mustUser(t, s, "token-purge@example.com")
		expired := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: u.ID, ExpiresAt: ptr(at(-time.Hour))})
		revoked := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: u.ID})
		check(t, s.RevokeToken(ctx, revoked.ID, at(-time.Minute)))
		later := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: u.ID, ExpiresAt: ptr(at(time.Hour))})
		forever := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: u.ID})

		n, err := s.DeleteExpiredTokens(ctx, t0)
		check(t, err)
		if n < 2 { // other behaviours leave expired tokens too
			t.Fatalf("deleted %d tokens, want at least 2", n)
		}
		for _, id := range []string{expired.ID, revoked.ID} {
			_, err := s.TokenByID(ctx, id)
			wantCode(t, err, coffer.ENOTFOUND)
		}
		for _, id := range []string{later.ID, forever.ID} {
			_, err := s.TokenByID(ctx, id)
			check(t, err)
		}
	})
	t.Run("DeletedEnvironmentLeavesScope", func(t *testing.T) {
		p := mustProject(t, s, "scope-drop")
		a := mustEnv(t, s, p.ID, "a")
		b := mustEnv(t, s, p.ID, "b")
		tok := mustToken(t, s, &coffer.Token{Kind: coffer.TokenService, ProjectID: p.ID,
			Environments: []string{a.ID, b.ID}, Access: coffer.AccessRead})
		check(t, s.DeleteEnvironment(ctx, a.ID))
		got, err := s.TokenByID(ctx, tok.ID)
		check(t, err)
		equal(t, "scope", got.Environments, []string{b.ID})
	})
}
