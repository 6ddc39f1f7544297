package storetest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testInvitations(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := mustProject(t, s, "invited")
	inviter := mustUser(t, s, "inviter@example.com")
	inv := &coffer.Invitation{ProjectID: p.ID, Email: "new@example.com", Role: coffer.RoleDeveloper, InvitedBy: inviter.ID, CreatedAt: t0}

	check(t, s.CreateInvitation(ctx, inv))
	wantCode(t, s.CreateInvitation(ctx, inv), coffer.ECONFLICT)

	ok, err := s.HasInvitation(ctx, "new@example.com")
	check(t, err)
	equal(t, "invited", ok, true)
	ok, err = s.HasInvitation(ctx, "other@example.com")
	check(t, err)
	equal(t, "not invited", ok, false)

	u := mustUser(t, s, "new@example.com")
	check(t, s.AcceptInvitations(ctx, u))
	role, err := s.MemberRole(ctx, p.ID, u.ID)
	check(t, err)
	equal(t, "role", role, coffer.RoleDeveloper)
	ok, err = s.HasInvitation(ctx, "new@example.com")
	check(t, err)
	equal(t, "invitation used", ok, false)
}

func testListInvitations(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := mustProject(t, s, "listed")
	other := mustProject(t, s, "elsewhere")

	list, err := s.ListInvitations(ctx, p.ID)
	check(t, err)
	equal(t, "none yet", len(list), 0)

	zed := &coffer.Invitation{ProjectID: p.ID, Email: "zed@example.com", Role: coffer.RoleViewer, InvitedBy: newID(), CreatedAt: t0}
	amy := &coffer.Invitation{ProjectID: p.ID, Email: "amy@example.com", Role: coffer.RoleAdmin, CreatedAt: at(time.Minute)} // no inviting user
	for _, inv := range []*coffer.Invitation{zed, amy, {ProjectID: other.ID, Email: "bob@example.com", Role: coffer.RoleViewer, CreatedAt: t0}} {
		check(t, s.CreateInvitation(ctx, inv))
	}
	list, err = s.ListInvitations(ctx, p.ID)
	check(t, err)
	equal(t, "ordered by email, this project only", list, []*coffer.Invitation{amy, zed})
}

func testDeleteInvitation(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := mustProject(t, s, "revoked")
	other := mustProject(t, s, "kept")
	for _, pid := range []string{p.ID, other.ID} {
		check(t, s.CreateInvitation(ctx, &coffer.Invitation{ProjectID: pid, Email: "gone@example.com", Role: coffer.RoleViewer, CreatedAt: t0}))
	}

	t.Run("OK", func(t *testing.T) {
		check(t, s.DeleteInvitation(ctx, p.ID, "gone@example.com"))
		list, err := s.ListInvitations(ctx, p.ID)
		check(t, err)
		equal(t, "after revoking", len(list), 0)
		list, err = s.ListInvitations(ctx, other.ID)
		check(t, err)
		equal(t, "other project keeps its invitation", len(list), 1)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		wantCode(t, s.DeleteInvitation(ctx, p.ID, "gone@example.com"), coffer.ENOTFOUND)
		wantCode(t, s.DeleteInvitation(ctx, p.ID, "never@example.com"), coffer.ENOTFOUND)
	})
}
