package storetest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

func testProjects(t *testing.T, s *store.Store) {
	ctx := t.Context()
	t.Run("OK", func(t *testing.T) {
		p := mustProject(t, s, "shop")
		got, err := s.ProjectByID(ctx, p.ID)
		check(t, err)
		equal(t, "by id", got, p)
		got, err = s.ProjectBySlug(ctx, "shop")
		check(t, err)
		equal(t, "by slug", got, p)
	})
	t.Run("ErrConflictSlug", func(t *testing.T) {
		mustProject(t, s, "taken")
		p := &coffer.Project{ID: newID(), Slug: "taken", Name: "x", WrappedDEK: []byte("k"), KEKID: "kek1", CreatedAt: t0, UpdatedAt: t0}
		wantCode(t, s.CreateProject(ctx, p), coffer.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.ProjectByID(ctx, newID())
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.ProjectByID(ctx, "shop")
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.ProjectBySlug(ctx, "missing")
		wantCode(t, err, coffer.ENOTFOUND)
		wantCode(t, s.UpdateProject(ctx, &coffer.Project{ID: newID(), Slug: "x", WrappedDEK: []byte("k")}), coffer.ENOTFOUND)
		wantCode(t, s.DeleteProject(ctx, newID()), coffer.ENOTFOUND)
	})
	t.Run("Update", func(t *testing.T) {
		p := mustProject(t, s, "old-slug")
		p.Slug, p.Name, p.WrappedDEK, p.KEKID, p.UpdatedAt = "new-slug", "Renamed", []byte("rewrapped"), "kek2", at(time.Hour)
		check(t, s.UpdateProject(ctx, p))
		got, err := s.ProjectBySlug(ctx, "new-slug")
		check(t, err)
		equal(t, "updated", got, p)
		mustProject(t, s, "other-slug")
		p.Slug = "other-slug"
		wantCode(t, s.UpdateProject(ctx, p), coffer.ECONFLICT)
	})
	t.Run("ListUserProjectsBySlug", func(t *testing.T) {
		u := mustUser(t, s, "member-of-two@example.com")
		b := mustProject(t, s, "list-b")
		a := mustProject(t, s, "list-a")
		mustProject(t, s, "list-c") // not a member
		mustMember(t, s, b.ID, u.ID, coffer.RoleViewer)
		mustMember(t, s, a.ID, u.ID, coffer.RoleAdmin)
		got, err := s.ListUserProjects(ctx, u.ID)
		check(t, err)
		equal(t, "projects", got, []store.ProjectRole{{Project: a, Role: coffer.RoleAdmin}, {Project: b, Role: coffer.RoleViewer}})
	})
	t.Run("DeleteCascades", func(t *testing.T) {
		w := newWorld(t, s, "doomed")
		sec := mustWriteSecret(t, s, w.env.ID, "DB_URL", "v1")
		svc := mustToken(t, s, &coffer.Token{Kind: coffer.TokenService, UserID: w.user.ID, ProjectID: w.project.ID,
			Environments: []string{w.env.ID}, Access: coffer.AccessRead})
		pat := mustToken(t, s, &coffer.Token{Kind: coffer.TokenPersonal, UserID: w.user.ID})

		check(t, s.DeleteProject(ctx, w.project.ID))

		_, err := s.ProjectByID(ctx, w.project.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.EnvironmentByID(ctx, w.env.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.SecretByKey(ctx, w.env.ID, "DB_URL")
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.SecretVersion(ctx, sec.ID, 1)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.MemberRole(ctx, w.project.ID, w.user.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.TokenByID(ctx, svc.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.TokenByID(ctx, pat.ID)
		check(t, err) // personal tokens belong to the user, not the project
		_, err = s.UserByID(ctx, w.user.ID)
		check(t, err)

		wantCode(t, s.DeleteProject(ctx, w.project.ID), coffer.ENOTFOUND)
	})
}

func testMembers(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := mustProject(t, s, "team")
	owner := mustUser(t, s, "owner@example.com")
	dev := mustUser(t, s, "dev@example.com")
	viewer := mustUser(t, s, "a-viewer@example.com")
	mustMember(t, s, p.ID, owner.ID, coffer.RoleOwner)
	mustMember(t, s, p.ID, dev.ID, coffer.RoleDeveloper)
	mustMember(t, s, p.ID, viewer.ID, coffer.RoleViewer)

	t.Run("Role", func(t *testing.T) {
		role, err := s.MemberRole(ctx, p.ID, dev.ID)
		check(t, err)
		equal(t, "role", role, coffer.RoleDeveloper)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		err := s.AddMember(ctx, &coffer.Member{ProjectID: p.ID, UserID: dev.ID, Role: coffer.RoleAdmin, CreatedAt: t0})
		wantCode(t, err, coffer.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		outsider := mustUser(t, s, "outsider@example.com")
		_, err := s.MemberRole(ctx, p.ID, outsider.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		_, err = s.MemberRole(ctx, "team", outsider.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		wantCode(t, s.UpdateMemberRole(ctx, p.ID, outsider.ID, coffer.RoleAdmin), coffer.ENOTFOUND)
		wantCode(t, s.RemoveMember(ctx, p.ID, outsider.ID), coffer.ENOTFOUND)
	})
	t.Run("ListByEmail", func(t *testing.T) {
		got, err := s.ListMembers(ctx, p.ID)
		check(t, err)
		member := func(u *coffer.User, r coffer.Role) *coffer.Member {
			return &coffer.Member{ProjectID: p.ID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: r, CreatedAt: t0}
		}
		equal(t, "members", got, []*coffer.Member{
			member(viewer, coffer.RoleViewer), member(dev, coffer.RoleDeveloper), member(owner, coffer.RoleOwner),
		})
	})
	t.Run("UpdateRemoveCountOwners", func(t *testing.T) {
		q := mustProject(t, s, "owners")
		a := mustUser(t, s, "owner-a@example.com")
		b := mustUser(t, s, "owner-b@example.com")
		mustMember(t, s, q.ID, a.ID, coffer.RoleOwner)
		mustMember(t, s, q.ID, b.ID, coffer.RoleViewer)
		n, err := s.CountOwners(ctx, q.ID)
		check(t, err)
		equal(t, "owners", n, 1)

		check(t, s.UpdateMemberRole(ctx, q.ID, b.ID, coffer.RoleOwner))
		n, err = s.CountOwners(ctx, q.ID)
		check(t, err)
		equal(t, "owners after promotion", n, 2)

		check(t, s.RemoveMember(ctx, q.ID, a.ID))
		_, err = s.MemberRole(ctx, q.ID, a.ID)
		wantCode(t, err, coffer.ENOTFOUND)
		n, err = s.CountOwners(ctx, q.ID)
		check(t, err)
		equal(t, "owners after removal", n, 1)
	})
	t.Run("SoleOwnerProjects", func(t *testing.T) {
		u := mustUser(t, s, "sole@example.com")
		co := mustUser(t, s, "co-owner@example.com")
		sole2 := mustProject(t, s, "sole-2")
		sole1 := mustProject(t, s, "sole-1")
		shared := mustProject(t, s, "shared-ownership")
		adminOnly := mustProject(t, s, "admin-only")
		mustMember(t, s, sole2.ID, u.ID, coffer.RoleOwner)
		mustMember(t, s, sole2.ID, co.ID, coffer.RoleAdmin)
		mustMember(t, s, sole1.ID, u.ID, coffer.RoleOwner)
		mustMember(t, s, shared.ID, u.ID, coffer.RoleOwner)
		mustMember(t, s, shared.ID, co.ID, coffer.RoleOwner)
		mustMember(t, s, adminOnly.ID, u.ID, coffer.RoleAdmin)

		got, err := s.SoleOwnerProjects(ctx, u.ID)
		check(t, err)
		equal(t, "sole-owner projects", got, []*coffer.Project{sole1, sole2})
		got, err = s.SoleOwnerProjects(ctx, co.ID)
		check(t, err)
		equal(t, "co-owner's", len(got), 0)
	})
}
