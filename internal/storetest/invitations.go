package storetest

import (
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testInvitations(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := mustProject(t, s, "invited")
	inviter := mustUser(t, s, "inviter@example.com")
	inv := &coffer.Member{ProjectID: p.ID, Email: "new@example.com", Role: coffer.RoleDeveloper, CreatedAt: t0}

	check(t, s.CreateInvitation(ctx, inv, inviter.ID))
	wantCode(t, s.CreateInvitation(ctx, inv, inviter.ID), coffer.ECONFLICT)

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
