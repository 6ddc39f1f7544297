package coffer_test

import (
	"testing"

	"github.com/cofferhq/coffer"
)

func TestCan(t *testing.T) {
	t.Parallel()
	user := coffer.Actor{Type: coffer.ActorUser, ID: "u", UserID: "u"}
	read := coffer.Actor{Type: coffer.ActorToken, ID: "t", ProjectID: "p", Environments: []string{"dev"}, Access: coffer.AccessRead}
	write := read
	write.Access = coffer.AccessReadWrite
	on := func(role coffer.Role, env string) coffer.Resource {
		return coffer.Resource{ProjectID: "p", EnvironmentID: env, Role: role}
	}
	tests := []struct {
		name string
		a    coffer.Actor
		act  coffer.Action
		r    coffer.Resource
		want bool
	}{
		{"ViewerReadsSecrets", user, coffer.ActSecretRead, on(coffer.RoleViewer, "dev"), true},
		{"ViewerCannotWrite", user, coffer.ActSecretWrite, on(coffer.RoleViewer, "dev"), false},
		{"DeveloperWrites", user, coffer.ActSecretWrite, on(coffer.RoleDeveloper, "dev"), true},
		{"DeveloperCannotManageMembers", user, coffer.ActMemberManage, on(coffer.RoleDeveloper, ""), false},
		{"AdminManagesTokens", user, coffer.ActTokenManage, on(coffer.RoleAdmin, ""), true},
		{"AdminCannotDeleteProject", user, coffer.ActProjectDelete, on(coffer.RoleAdmin, ""), false},
		{"OwnerDeletesProject", user, coffer.ActProjectDelete, on(coffer.RoleOwner, ""), true},
		{"NonMemberSeesNothing", user, coffer.ActProjectRead, on("", ""), false},
		{"UnknownRoleSeesNothing", user, coffer.ActProjectRead, on("superuser", ""), false},
		{"AnonymousSeesNothing", coffer.Actor{Type: coffer.ActorAnon}, coffer.ActProjectRead, on(coffer.RoleOwner, ""), false},
		{"TokenReadsInScope", read, coffer.ActSecretRead, on("", "dev"), true},
		{"TokenOutOfScope", read, coffer.ActSecretRead, on("", "prod"), false},
		{"TokenListsEnvironments", read, coffer.ActEnvRead, on("", ""), true},
		{"ReadTokenCannotWrite", read, coffer.ActSecretWrite, on("", "dev"), false},
		{"WriteTokenWritesInScope", write, coffer.ActSecretWrite, on("", "dev"), true},
		{"WriteTokenNotOutOfScope", write, coffer.ActSecretWrite, on("", "prod"), false},
		{"TokenOtherProject", read, coffer.ActProjectRead, coffer.Resource{ProjectID: "q"}, false},
		{"TokenNeverManages", write, coffer.ActMemberRead, on("", ""), false},
		{"TokenNeverAudits", write, coffer.ActAuditRead, on("", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := coffer.Can(tt.a, tt.act, tt.r); got != tt.want {
				t.Fatalf("Can = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRoleOrder(t *testing.T) {
	t.Parallel()
	order := []coffer.Role{coffer.RoleViewer, coffer.RoleDeveloper, coffer.RoleAdmin, coffer.RoleOwner}
	for i, lo := range order {
		for j, hi := range order {
			if got := hi.AtLeast(lo); got != (j >= i) {
				t.Errorf("%s.AtLeast(%s) = %v", hi, lo, got)
			}
		}
	}
	if coffer.Role("root").Valid() || coffer.Role("").AtLeast(coffer.RoleViewer) {
		t.Error("unknown roles must rank below viewer")
	}
}
