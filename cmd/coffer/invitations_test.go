package main

import (
	"net/http"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// TestInvitationRevoked: a revoked invitation is listed no more, and the
// email that signs up later (invited elsewhere) does not join.
func TestInvitationRevoked(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, map[string]string{"SIGNUP_MODE": "invite"})
		admin, _ := s.signup(t, "admin")
		ctx := t.Context()
		const guest = "guest@example.test"
		for _, slug := range []string{"shop", "cafe"} {
			ok(admin.CreateProject(ctx, api.CreateProjectRequest{Slug: slug, Name: slug})).get(t)
		}

		added := ok(admin.AddMember(ctx, "shop", api.AddMemberRequest{Email: "Guest@Example.test", Role: "developer"})).get(t)
		if added.Member != nil || added.Invitation == nil || added.Invitation.Email != guest || added.Invitation.Role != "developer" {
			t.Fatalf("want an invitation of %s, got %+v", guest, added)
		}
		_, err := admin.AddMember(ctx, "shop", api.AddMemberRequest{Email: guest, Role: "viewer"})
		wantStatus(t, err, http.StatusConflict)
		ok(admin.AddMember(ctx, "cafe", api.AddMemberRequest{Email: guest, Role: "viewer"})).get(t)

		list := ok(admin.ListInvitations(ctx, "shop")).get(t)
		if len(list) != 1 || list[0].Email != guest || list[0].Role != "developer" {
			t.Fatalf("pending invitations: %+v", list)
		}

		noErr(t, admin.RevokeInvitation(ctx, "shop", guest))
		wantStatus(t, admin.RevokeInvitation(ctx, "shop", guest), http.StatusNotFound)
		wantStatus(t, admin.RevokeInvitation(ctx, "shop", "not an email"), http.StatusNotFound)
		if list := ok(admin.ListInvitations(ctx, "shop")).get(t); len(list) != 0 {
			t.Fatalf("revoked invitation still listed: %+v", list)
		}
		events := ok(admin.Audit(ctx, "shop", client.AuditQuery{Action: api.AuditActionMemberInvitationRevoked})).get(t)
		if len(events.Events) != 1 || events.Events[0].Target != guest {
			t.Fatalf("revocation audit: %+v", events.Events)
		}

		// The other project's invitation still lets the email sign up.
		c := s.newClient(t, client.WithCookieJar())
		ok(c.Signup(ctx, api.SignupRequest{Email: guest, Name: "Guest", Password: testPassword})).get(t)
		_, err = c.Project(ctx, "shop")
		wantStatus(t, err, http.StatusNotFound)
		if p := ok(c.Project(ctx, "cafe")).get(t); p.Role != "viewer" {
			t.Fatalf("cafe role: %s", p.Role)
		}
	})
}

// TestInvitationOfOwner: only an owner revokes an invitation to ownership,
// as only an owner makes owners.
func TestInvitationOfOwner(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, map[string]string{"SIGNUP_MODE": "invite"})
		owner, _ := s.signup(t, "owner")
		ctx := t.Context()
		ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		ok(owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: "boss@example.test", Role: "owner"})).get(t)
		ok(owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: "aide@example.test", Role: "admin"})).get(t)
		aide := s.newClient(t, client.WithCookieJar())
		ok(aide.Signup(ctx, api.SignupRequest{Email: "aide@example.test", Name: "Aide", Password: testPassword})).get(t)

		wantStatus(t, aide.RevokeInvitation(ctx, "shop", "boss@example.test"), http.StatusForbidden)
		noErr(t, owner.RevokeInvitation(ctx, "shop", "boss@example.test"))
	})
}
