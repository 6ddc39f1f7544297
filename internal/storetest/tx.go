package storetest

import (
	"errors"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testTx(t *testing.T, s *store.Store) {
	ctx := t.Context()
	newUser := func(email string) *coffer.User {
		return &coffer.User{ID: newID(), Email: email, Name: "x", PasswordHash: []byte("x"), CreatedAt: t0, UpdatedAt: t0}
	}
	t.Run("Commit", func(t *testing.T) {
		u := newUser("commit@example.com")
		check(t, s.Tx(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, u) }))
		_, err := s.UserByID(ctx, u.ID)
		check(t, err)
	})
	t.Run("ErrorWritesNothing", func(t *testing.T) {
		u := newUser("rollback@example.com")
		boom := errors.New("boom")
		err := s.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := tx.SetMeta(ctx, "rolled-back", []byte("x")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want the function's error", err)
		}
		_, err = s.UserByID(ctx, u.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.Meta(ctx, "rolled-back")
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("DomainErrorKeepsCode", func(t *testing.T) {
		err := s.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.ProjectBySlug(ctx, "missing")
			return err
		})
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("PanicRollsBackAndRepanics", func(t *testing.T) {
		u := newUser("panic@example.com")
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Fatalf("recovered %v, want the panic to go on", r)
				}
			}()
			_ = s.Tx(ctx, func(tx *store.Tx) error {
				check(t, tx.CreateUser(ctx, u))
				panic("boom")
			})
		}()
		_, err := s.UserByID(ctx, u.ID)
		wantCode(t, err, coffer.ENOTFOUND)
	})
	t.Run("MultiRowWritesNestInTx", func(t *testing.T) {
		// Methods that open their own transaction outside a Tx (DeleteUser,
		// CreateToken, InsertAuditEvents) must join the caller's inside one.
		// On PostgreSQL the audit insert goes through pgx on the
		// transaction's own connection: it must be part of it too.
		u := newUser("nested@example.com")
		boom := errors.New("boom")
		head, headHash, err := s.LockAuditHead(ctx)
		check(t, err)
		err = s.Tx(ctx, func(tx *store.Tx) error {
			check(t, tx.CreateUser(ctx, u))
			check(t, tx.CreateToken(ctx, &coffer.Token{ID: newID(), Kind: coffer.TokenPersonal, Name: "n", Hash: []byte("nested"), UserID: u.ID, CreatedAt: t0}))
			check(t, tx.DeleteUser(ctx, u.ID))
			seq, prev, err := tx.LockAuditHead(ctx)
			check(t, err)
			e := event(coffer.AuditUserDelete, "", "", u.ID, t0)
			e.Seq, e.PrevHash, e.Hash = seq+1, prev, []byte("rolled back")
			check(t, tx.InsertAuditEvents(ctx, []*coffer.AuditEvent{e}))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v", err)
		}
		_, err = s.TokenByHash(ctx, []byte("nested"))
		wantCode(t, err, coffer.ENOTFOUND)
		after, afterHash, err := s.LockAuditHead(ctx)
		check(t, err)
		equal(t, "audit head after the rollback", after, head)
		equal(t, "audit head hash after the rollback", afterHash, headHash)
		events, err := s.ScanAudit(ctx, head, 10)
		check(t, err)
		equal(t, "audit events after the rollback", len(events), 0)
	})
}

func testMigrations(t *testing.T, s *store.Store) {
	ctx := t.Context()
	status, err := s.MigrationStatus(ctx)
	check(t, err)
	if len(status) == 0 {
		t.Fatal("no migrations")
	}
	for _, m := range status {
		if m.AppliedAt == nil || m.Name == "" || m.Version <= 0 {
			t.Fatalf("migration %+v: want applied, named and numbered", m)
		}
	}
	pending := func() int {
		n, err := s.PendingMigrations(ctx)
		check(t, err)
		return n
	}
	equal(t, "pending after up", pending(), 0)
	mustUser(t, s, "before-down@example.com")

	check(t, s.MigrateDown(ctx, 1))
	equal(t, "pending after one step down", pending(), 1)
	check(t, s.MigrateUp(ctx))

	check(t, s.MigrateDown(ctx, 0))
	equal(t, "pending after down to zero", pending(), len(status))
	if _, err := s.CountUsers(ctx); err == nil {
		t.Fatal("users table still there after migrating down to zero")
	}
	check(t, s.MigrateDown(ctx, 3)) // nothing left to undo: no error

	check(t, s.MigrateUp(ctx))
	equal(t, "pending after up again", pending(), 0)
	n, err := s.CountUsers(ctx)
	check(t, err)
	equal(t, "users after down and up", n, 0)
	mustUser(t, s, "after-up@example.com")
	seq, _, err := s.LockAuditHead(ctx)
	check(t, err)
	equal(t, "audit head recreated", seq, int64(0))
}
