package storetest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testMeta(t *testing.T, s *store.Store) {
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.Meta(t.Context(), "missing")
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("SetThenReplace", func(t *testing.T) {
		check(t, s.SetMeta(t.Context(), "kcv", []byte("one")))
		check(t, s.SetMeta(t.Context(), "kcv", []byte("two")))
		v, err := s.Meta(t.Context(), "kcv")
		check(t, err)
		equal(t, "meta", string(v), "two")
	})
}

func testUsers(t *testing.T, s *store.Store) {
	ctx := t.Context()
	t.Run("OK", func(t *testing.T) {
		u := mustUser(t, s, "ada@example.com")
		got, err := s.UserByID(ctx, u.ID)
		check(t, err)
		equal(t, "by id", got, u)
		got, err = s.UserByEmail(ctx, "ada@example.com")
		check(t, err)
		equal(t, "by email", got, u)
	})
	t.Run("ErrConflictEmail", func(t *testing.T) {
		mustUser(t, s, "dup@example.com")
		err := s.CreateUser(ctx, &coffer.User{ID: newID(), Email: "dup@example.com", PasswordHash: []byte("x"), CreatedAt: t0, UpdatedAt: t0})
		wantCode(t, err, coffer.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.UserByID(ctx, newID())
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.UserByID(ctx, "not-a-uuid") // a path parameter can be anything
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.UserByEmail(ctx, "nobody@example.com")
		wantCode(t, err, coffer.ENOTFOUND)
		wantCode(t, s.UpdateUser(ctx, &coffer.User{ID: newID(), Email: "x@example.com", PasswordHash: []byte("x")}), coffer.ENOTFOUND)
		wantCode(t, s.DeleteUser(ctx, newID()), coffer.ENOTFOUND)
	})
	t.Run("Update", func(t *testing.T) {
		u := mustUser(t, s, "before@example.com")
		u.Email, u.Name, u.PasswordHash, u.IsAdmin, u.UpdatedAt = "after@example.com", "Renamed", []byte("new"), true, at(time.Hour)
		check(t, s.UpdateUser(ctx, u))
		got, err := s.UserByID(ctx, u.ID)
		check(t, err)
		equal(t, "updated", got, u)

		mustUser(t, s, "taken@example.com")
		u.Email = "taken@example.com"
		wantCode(t, s.UpdateUser(ctx, u), coffer.ECONFLICT)
	})
	t.Run("Count", func(t *testing.T) {
		n, err := s.CountUsers(ctx)
		check(t, err)
		mustUser(t, s, "count@example.com")
		m, err := s.CountUsers(ctx)
		check(t, err)
		equal(t, "count", m, n+1)
	})
	t.Run("DeleteCascades", func(t *testing.T) {
		w := newWorld(t, s, "erased")
		sess := mustSession(t, s, w.user.ID, t0)
		rt := &coffer.RefreshToken{Hash: []byte("rt-erased"), SessionID: sess.ID, CreatedAt: t0}
		check(t, s.CreateRefreshToken(ctx, rt))
		pat := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: w.user.ID})
		svc := mustToken(t, s, &coffer.Token{
			Kind: coffer.TokenService, UserID: w.user.ID, ProjectID: w.project.ID,
			Environments: []string{w.env.ID}, Access: coffer.AccessRead,
		})

		check(t, s.DeleteUser(ctx, w.user.ID))

		_, err := s.UserByID(ctx, w.user.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.SessionByID(ctx, sess.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.RefreshTokenByHash(ctx, rt.Hash)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.TokenByID(ctx, pat.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.MemberRole(ctx, w.project.ID, w.user.ID)
		wantCode(t, err, coffer.ENOTFOUND)

		got, err := s.TokenByID(ctx, svc.ID)
		check(t, err)
		svc.UserID = "" // the service token outlives its creator
		equal(t, "service token", got, svc)

		wantCode(t, s.DeleteUser(ctx, w.user.ID), coffer.ENOTFOUND)
	})
}
