package main

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

const testPassword = "correct-battery-staple-42"

// result holds a call's two results until a test checks them:
// ok(c.Me(ctx)).get(t).
type result[T any] struct {
	v   T
	err error
}

func ok[T any](v T, err error) result[T] { return result[T]{v, err} }

// get fails the test on an error and returns the value.
func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

// noErr fails the test on err.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantCode fails unless err is a client error with the given status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a %d answer, got %v", status, err)
	}
	if ce.Status != status {
		t.Fatalf("want status %d, got %d (%s: %s)", status, ce.Status, ce.Code, ce.Detail)
	}
	if ce.RequestID == "" {
		t.Errorf("problem without request_id")
	}
}

// signup creates an account and returns a cookie-session client for it.
func (s *testServer) signup(t *testing.T, name string) (*client.Client, *api.User) {
	t.Helper()
	c := s.newClient(t, client.WithCookieJar())
	sess := ok(c.Signup(t.Context(), api.SignupRequest{Email: uniqueEmail(t, name), Name: name, Password: testPassword})).get(t)
	return c, &sess.User
}

// bearer signs in through /auth/token and returns a bearer client.
func (s *testServer) bearer(t *testing.T, email string) (*client.Client, *api.TokenResponse) {
	t.Helper()
	tok := ok(s.newClient(t).Token(t.Context(), api.TokenRequest{GrantType: "password", Email: email, Password: testPassword})).get(t)
	return s.newClient(t, client.WithToken(tok.AccessToken)), tok
}

func TestFirstUserIsAdmin(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		_, first := s.signup(t, "first")
		_, second := s.signup(t, "second")
		if !first.IsAdmin || second.IsAdmin {
			t.Fatalf("admin flags: first %v, second %v", first.IsAdmin, second.IsAdmin)
		}
	})
}

func TestSignupModeClosed(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, map[string]string{"SIGNUP_MODE": "closed"})
		s.signup(t, "admin") // the first account is always allowed
		_, err := s.newClient(t).Signup(t.Context(), api.SignupRequest{Email: "late@example.test", Name: "Late", Password: testPassword})
		wantStatus(t, err, http.StatusForbidden)
	})
}

func TestSignupModeInvite(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, map[string]string{"SIGNUP_MODE": "invite"})
		admin, _ := s.signup(t, "admin")
		ctx := t.Context()
		ok(admin.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		_, err := s.newClient(t).Signup(ctx, api.SignupRequest{Email: "guest@example.test", Name: "Guest", Password: testPassword})
		wantStatus(t, err, http.StatusForbidden)

		added := ok(admin.AddMember(ctx, "shop", api.AddMemberRequest{Email: "guest@example.test", Role: "developer"})).get(t)
		if added.Member != nil || added.Invitation == nil || added.Invitation.Email != "guest@example.test" {
			t.Fatalf("want an invitation, got %+v", added)
		}
		guest := s.newClient(t, client.WithCookieJar())
		ok(guest.Signup(ctx, api.SignupRequest{Email: "guest@example.test", Name: "Guest", Password: testPassword})).get(t)
		p := ok(guest.Project(ctx, "shop")).get(t)
		if p.Role != "developer" {
			t.Fatalf("invited role: %s", p.Role)
		}
		if left := ok(admin.ListInvitations(ctx, "shop")).get(t); len(left) != 0 {
			t.Fatalf("accepted invitation still pending: %+v", left)
		}
	})
}

func TestSecretLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		c, _ := s.signup(t, "owner")
		ctx := t.Context()
		p := ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		if p.Role != "owner" {
			t.Fatalf("creator role %s", p.Role)
		}
		envs := ok(c.Environments(ctx, "shop")).get(t)
		if len(envs) != 3 || envs[0].Slug != "dev" {
			t.Fatalf("default environments: %+v", envs)
		}

		sec, created := mustPut(t, c, "DB_URL", "postgres://one", "first")
		if !created || sec.Version != 1 || *sec.Value != "postgres://one" {
			t.Fatalf("create: %+v created=%v", sec, created)
		}
		sec, created = mustPut(t, c, "DB_URL", "postgres://two", "second")
		if created || sec.Version != 2 {
			t.Fatalf("update: %+v created=%v", sec, created)
		}
		got := ok(c.Secret(ctx, "shop", "dev", "DB_URL")).get(t)
		if *got.Value != "postgres://two" || got.Comment != "second" {
			t.Fatalf("read: %+v", got)
		}

		versions := ok(c.SecretVersions(ctx, "shop", "dev", "DB_URL", "", 0)).get(t)
		if len(versions.Versions) != 2 || *versions.Versions[1].Value != "postgres://one" {
			t.Fatalf("versions: %+v", versions)
		}
		rolled := ok(c.RollbackSecret(ctx, "shop", "dev", "DB_URL", 1)).get(t)
		if rolled.Version != 3 || *rolled.Value != "postgres://one" || rolled.Comment != "first" {
			t.Fatalf("rollback: %+v", rolled)
		}
		_, err := c.RollbackSecret(ctx, "shop", "dev", "DB_URL", 9)
		wantStatus(t, err, http.StatusNotFound)

		noErr(t, c.DeleteSecret(ctx, "shop", "dev", "DB_URL"))
		_, err = c.Secret(ctx, "shop", "dev", "DB_URL")
		wantStatus(t, err, http.StatusNotFound)
		wantStatus(t, c.DeleteSecret(ctx, "shop", "dev", "DB_URL"), http.StatusNotFound)

		// A deleted secret comes back by rollback, with its history intact.
		back := ok(c.RollbackSecret(ctx, "shop", "dev", "DB_URL", 2)).get(t)
		if back.Version != 5 || *back.Value != "postgres://two" {
			t.Fatalf("restore: %+v", back)
		}
	})
}

// A deleted secret stays restorable for DELETED_SECRET_RETENTION; then the
// cleanup job destroys its values and keeps the record of the deletion.
func TestDeletedSecretValuesArePurgedAfterRetention(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, map[string]string{"DELETED_SECRET_RETENTION": "2h"})
		c, _ := s.signup(t, "owner")
		ctx := t.Context()
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		mustPut(t, c, "OLD", "v1", "")
		mustPut(t, c, "OLD", "v2", "")
		mustPut(t, c, "KEPT", "k1", "")
		noErr(t, c.DeleteSecret(ctx, "shop", "dev", "OLD"))
		deletedAt := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t).Bundle.Revision
		cleanup := func(after time.Duration) {
			t.Helper()
			if err := s.cleanupJob(func() time.Time { return time.Now().Add(after) }).Run(ctx); err != nil {
				t.Fatalf("cleanup %s on: %v", after, err)
			}
		}
		history := func(key string) (versions []int64) {
			t.Helper()
			for _, v := range ok(c.SecretVersions(ctx, "shop", "dev", key, "", 0)).get(t).Versions {
				versions = append(versions, v.Version)
			}
			return versions
		}

		restorable := func() []string {
			t.Helper()
			var keys []string
			for _, d := range ok(c.DeletedSecrets(ctx, "shop", "dev", "", 0)).get(t).Secrets {
				keys = append(keys, d.Key)
			}
			return keys
		}

		cleanup(time.Hour)
		if got := history("OLD"); !slices.Equal(got, []int64{3, 2, 1}) {
			t.Fatalf("inside the retention OLD has versions %v, want 3 2 1", got)
		}
		if got := restorable(); !slices.Equal(got, []string{"OLD"}) {
			t.Fatalf("inside the retention the deleted secrets are %v, want OLD", got)
		}
		cleanup(3 * time.Hour)
		if got := history("OLD"); !slices.Equal(got, []int64{3}) {
			t.Fatalf("after the retention OLD has versions %v, want the deletion (3) only", got)
		}
		if got := restorable(); len(got) != 0 {
			t.Fatalf("after the retention the deleted secrets are %v, want none", got)
		}
		_, err := c.RollbackSecret(ctx, "shop", "dev", "OLD", 2)
		wantStatus(t, err, http.StatusNotFound)
		if got := history("KEPT"); !slices.Equal(got, []int64{1}) {
			t.Fatalf("a live secret lost versions: %v", got)
		}
		since := deletedAt - 1
		delta := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{Since: &since})).get(t).Bundle
		if len(delta.Secrets) != 1 || delta.Secrets[0].Key != "OLD" || !delta.Secrets[0].Deleted {
			t.Fatalf("since %d after the purge: %+v, want OLD's deletion", since, delta.Secrets)
		}
		mustPut(t, c, "OLD", "v4", "")
		if got := history("OLD"); !slices.Equal(got, []int64{4, 3}) {
			t.Fatalf("written again, OLD has versions %v, want 4 3", got)
		}
	})
}

// The deleted secrets of an environment are listed, by key and page, with
// the version that restores each; restoring one takes it off the list.
// Viewers and read tokens may list them; the list holds no value.
func TestDeletedSecretsListAndRestore(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		c, _ := s.signup(t, "owner")
		ctx := t.Context()
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		mustPut(t, c, "LIVE", "l1", "")
		for _, key := range []string{"C_KEY", "A_KEY", "B_KEY"} {
			mustPut(t, c, key, "first-"+key, "")
			mustPut(t, c, key, "last-"+key, "the one to keep")
			noErr(t, c.DeleteSecret(ctx, "shop", "dev", key))
		}

		page := ok(c.DeletedSecrets(ctx, "shop", "dev", "", 2)).get(t)
		if len(page.Secrets) != 2 || page.Secrets[0].Key != "A_KEY" || page.Secrets[1].Key != "B_KEY" || page.NextCursor != "B_KEY" {
			t.Fatalf("first page: %+v", page)
		}
		a := page.Secrets[0]
		if a.Version != 3 || a.RestoreVersion != 2 || a.DeletedBy.Type != "user" || a.DeletedAt.IsZero() {
			t.Fatalf("A_KEY: %+v, want deleted in version 3, restorable from version 2", a)
		}
		rest := ok(c.DeletedSecrets(ctx, "shop", "dev", page.NextCursor, 2)).get(t)
		if len(rest.Secrets) != 1 || rest.Secrets[0].Key != "C_KEY" || rest.NextCursor != "" {
			t.Fatalf("second page: %+v", rest)
		}
		pat := ok(c.CreatePersonalToken(ctx, api.CreatePersonalTokenRequest{Name: "raw"})).get(t)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/projects/shop/environments/dev/deleted-secrets", nil)
		req.Header.Set("Authorization", "Bearer "+pat.Secret)
		_, raw := exchange(t, http.DefaultClient, req)
		if bytes.Contains(raw, []byte("last-")) || bytes.Contains(raw, []byte("first-")) || bytes.Contains(raw, []byte("the one to keep")) {
			t.Fatalf("the list carries a value or comment: %s", raw)
		}

		restored := ok(c.RollbackSecret(ctx, "shop", "dev", a.Key, a.RestoreVersion)).get(t)
		if restored.Value == nil || *restored.Value != "last-A_KEY" || restored.Comment != "the one to keep" {
			t.Fatalf("restored %+v", restored)
		}
		left := ok(c.DeletedSecrets(ctx, "shop", "dev", "", 0)).get(t)
		if len(left.Secrets) != 2 || left.Secrets[0].Key != "B_KEY" {
			t.Fatalf("after the restore: %+v, want B_KEY and C_KEY", left.Secrets)
		}

		_, err := c.DeletedSecrets(ctx, "shop", "dev", "not a key!", 0)
		wantStatus(t, err, http.StatusBadRequest)
		_, err = c.DeletedSecrets(ctx, "shop", "nope", "", 0)
		wantStatus(t, err, http.StatusNotFound)
	})
}

func mustPut(t *testing.T, c *client.Client, key, value, comment string) (*api.Secret, bool) {
	t.Helper()
	sec, created, err := c.PutSecret(t.Context(), "shop", "dev", key, api.PutSecretRequest{Value: value, Comment: comment})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return sec, created
}

// Every bulk read records one event naming the keys it returned: the
// whole environment from the cache, the changes for a read since a
// revision.
func TestBulkReadAuditNamesItsKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		c, _ := s.signup(t, "owner")
		ctx := t.Context()
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		mustPut(t, c, "B", "2", "")
		mustPut(t, c, "A", "1", "")
		ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t)
		ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t) // from the bundle cache
		since := int64(1)
		ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{Since: &since})).get(t)
		var got [][]string // newest first
		for _, e := range ok(c.Audit(ctx, "shop", client.AuditQuery{Action: api.AuditActionSecretsRead})).get(t).Events {
			got = append(got, e.Keys)
		}
		want := [][]string{{"A"}, {"A", "B"}, {"A", "B"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("secrets.read events name %q, want %q", got, want)
		}
	})
}

func TestBulkReadRevisionsAndETag(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		c, _ := s.signup(t, "owner")
		ctx := t.Context()
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		mustPut(t, c, "A", "1", "")
		mustPut(t, c, "B", "2", "")

		full := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t)
		if full.Bundle.Revision != 2 || len(full.Bundle.Secrets) != 2 || full.ETag != `"2"` {
			t.Fatalf("bundle: %+v etag %s", full.Bundle, full.ETag)
		}
		same := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{IfNoneMatch: full.ETag})).get(t)
		if !same.NotModified {
			t.Fatalf("want 304 for the current revision")
		}

		mustPut(t, c, "A", "1b", "")
		noErr(t, c.DeleteSecret(ctx, "shop", "dev", "B"))
		since := int64(2)
		delta := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{Since: &since})).get(t)
		if delta.Bundle.Revision != 4 || len(delta.Bundle.Secrets) != 2 {
			t.Fatalf("delta: %+v", delta.Bundle)
		}
		byKey := map[string]api.Secret{}
		for _, sec := range delta.Bundle.Secrets {
			byKey[sec.Key] = sec
		}
		if !byKey["B"].Deleted || byKey["B"].Value != nil || *byKey["A"].Value != "1b" {
			t.Fatalf("delta content: %+v", byKey)
		}

		dotenv := ok(c.SecretsDotenv(ctx, "shop", "dev")).get(t)
		if !strings.Contains(dotenv, `A="1b"`) && !strings.Contains(dotenv, "A=1b") {
			t.Fatalf("dotenv: %q", dotenv)
		}
	})
}

func TestImportAllOrNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		c, _ := s.signup(t, "owner")
		ctx := t.Context()
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		mustPut(t, c, "KEEP", "same", "")
		mustPut(t, c, "OLD", "x", "")

		preview := ok(c.ImportDotenv(ctx, "shop", "dev", "KEEP=same\nNEW=\"a b\"\nexport OTHER=3\n", client.ImportOptions{DryRun: true, Prune: true})).get(t)
		if !preview.DryRun || len(preview.Created) != 2 || len(preview.Unchanged) != 1 || len(preview.Deleted) != 1 {
			t.Fatalf("preview: %+v", preview)
		}
		if b := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t); len(b.Bundle.Secrets) != 2 || b.Bundle.Revision != 2 {
			t.Fatalf("dry run changed something: %+v", b.Bundle)
		}

		res := ok(c.ImportDotenv(ctx, "shop", "dev", "KEEP=same\nNEW=\"a b\"\nexport OTHER=3\n", client.ImportOptions{Prune: true})).get(t)
		if res.Revision != 3 {
			t.Fatalf("an import is one revision: %+v", res)
		}
		b := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t)
		if len(b.Bundle.Secrets) != 3 {
			t.Fatalf("after import: %+v", b.Bundle.Secrets)
		}

		// One bad key refuses the whole import.
		_, err := c.PutSecrets(ctx, "shop", "dev", []api.SecretInput{{Key: "GOOD", Value: "1"}, {Key: "9bad", Value: "2"}}, client.ImportOptions{})
		wantStatus(t, err, http.StatusBadRequest)
		_, err = c.PutSecrets(ctx, "shop", "dev", []api.SecretInput{{Key: "DUP", Value: "1"}, {Key: "DUP", Value: "2"}}, client.ImportOptions{})
		wantStatus(t, err, http.StatusBadRequest)
		_, err = c.Secret(ctx, "shop", "dev", "GOOD")
		wantStatus(t, err, http.StatusNotFound)
		if b := ok(c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t); b.Bundle.Revision != 3 {
			t.Fatalf("a refused import moved the revision to %d", b.Bundle.Revision)
		}
	})
}

func TestSessionsRefreshAndRevocation(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		ctx := t.Context()
		browser, u := s.signup(t, "owner")
		cli, tok := s.bearer(t, u.Email)
		ok(cli.Me(ctx)).get(t)

		// Refresh rotates; the old refresh token replayed revokes the session.
		fresh := ok(s.newClient(t).Token(ctx, api.TokenRequest{GrantType: "refresh_token", RefreshToken: tok.RefreshToken})).get(t)
		if fresh.RefreshToken == tok.RefreshToken {
			t.Fatal("refresh token did not rotate")
		}
		_, err := s.newClient(t).Token(ctx, api.TokenRequest{GrantType: "refresh_token", RefreshToken: tok.RefreshToken})
		wantStatus(t, err, http.StatusUnauthorized)
		_, err = s.newClient(t).Token(ctx, api.TokenRequest{GrantType: "refresh_token", RefreshToken: fresh.RefreshToken})
		wantStatus(t, err, http.StatusUnauthorized)
		_, err = s.newClient(t, client.WithToken(fresh.AccessToken)).Me(ctx)
		wantStatus(t, err, http.StatusUnauthorized)

		// Logout takes effect at once.
		cli2, _ := s.bearer(t, u.Email)
		noErr(t, cli2.Logout(ctx))
		_, err = cli2.Me(ctx)
		wantStatus(t, err, http.StatusUnauthorized)

		// Browser refresh works with the cookie.
		ok(browser.Refresh(ctx)).get(t)
		ok(browser.Me(ctx)).get(t)

		// A password change signs out every other session.
		other, _ := s.bearer(t, u.Email)
		np := testPassword + "-new"
		ok(browser.UpdateMe(ctx, api.UpdateMeRequest{CurrentPassword: testPassword, NewPassword: np})).get(t)
		_, err = other.Me(ctx)
		wantStatus(t, err, http.StatusUnauthorized)
		ok(browser.Me(ctx)).get(t)

		sessions := ok(browser.Sessions(ctx)).get(t)
		var current string
		for _, sess := range sessions {
			if sess.Current {
				current = sess.ID
			}
		}
		if current == "" {
			t.Fatalf("no current session in %+v", sessions)
		}
		noErr(t, browser.RevokeSession(ctx, current))
		_, err = browser.Me(ctx)
		wantStatus(t, err, http.StatusUnauthorized)
	})
}

func TestPersonalAndServiceTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		ctx := t.Context()
		owner, _ := s.signup(t, "owner")
		ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		mustPut(t, owner, "API_KEY", "k1", "")

		pat := ok(owner.CreatePersonalToken(ctx, api.CreatePersonalTokenRequest{Name: "laptop"})).get(t)
		if !strings.HasPrefix(pat.Secret, "cof_pat_") {
			t.Fatalf("personal token %q", pat.Secret)
		}
		patc := s.newClient(t, client.WithToken(pat.Secret))
		ok(patc.Secret(ctx, "shop", "dev", "API_KEY")).get(t)
		list := ok(owner.PersonalTokens(ctx)).get(t)
		if len(list) != 1 || list[0].LastUsedAt == nil {
			t.Fatalf("token list / last use: %+v", list)
		}
		noErr(t, owner.RevokePersonalToken(ctx, pat.Token.ID))
		_, err := patc.Me(ctx)
		wantStatus(t, err, http.StatusUnauthorized)

		past := time.Now().Add(-time.Hour)
		_, err = owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "ci", Environments: []string{"dev"}, Access: "read", ExpiresAt: &past})
		wantStatus(t, err, http.StatusBadRequest)
		_, err = owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "ci", Environments: []string{"nope"}, Access: "read"})
		wantStatus(t, err, http.StatusBadRequest)

		ro := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "ci", Environments: []string{"dev"}, Access: "read"})).get(t)
		roc := s.newClient(t, client.WithToken(ro.Secret))
		b := ok(roc.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t)
		if len(b.Bundle.Secrets) != 1 {
			t.Fatalf("service read: %+v", b.Bundle)
		}
		_, _, err = roc.PutSecret(ctx, "shop", "dev", "X", api.PutSecretRequest{Value: "1"})
		wantStatus(t, err, http.StatusForbidden)
		_, err = roc.Secrets(ctx, "shop", "prod", client.SecretsOptions{})
		wantStatus(t, err, http.StatusNotFound)
		envs := ok(roc.Environments(ctx, "shop")).get(t)
		if len(envs) != 1 || envs[0].Slug != "dev" {
			t.Fatalf("service token sees %+v", envs)
		}
		_, err = roc.Me(ctx)
		wantStatus(t, err, http.StatusForbidden)

		rw := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "deploy", Environments: []string{"dev"}, Access: "read_write"})).get(t)
		rwc := s.newClient(t, client.WithToken(rw.Secret))
		sec, _ := mustPut(t, rwc, "FROM_CI", "v", "")
		if sec.UpdatedBy.Type != "token" || sec.UpdatedBy.ID != rw.Token.ID {
			t.Fatalf("written by %+v", sec.UpdatedBy)
		}

		noErr(t, owner.RevokeServiceToken(ctx, "shop", ro.Token.ID))
		_, err = roc.Secrets(ctx, "shop", "dev", client.SecretsOptions{})
		wantStatus(t, err, http.StatusUnauthorized)
		tokens := ok(owner.ServiceTokens(ctx, "shop")).get(t)
		if len(tokens) != 1 || tokens[0].ID != rw.Token.ID {
			t.Fatalf("live tokens: %+v", tokens)
		}
	})
}

func TestMembersAndLastOwner(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		ctx := t.Context()
		owner, ou := s.signup(t, "owner")
		dev, du := s.signup(t, "dev")
		ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)

		_, err := dev.Project(ctx, "shop")
		wantStatus(t, err, http.StatusNotFound)
		ok(owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: du.Email, Role: "developer"})).get(t)
		_, err = owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: du.Email, Role: "viewer"})
		wantStatus(t, err, http.StatusConflict)
		_, err = owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: "nobody@example.test", Role: "viewer"})
		wantStatus(t, err, http.StatusNotFound)

		mustPut(t, dev, "DEV_WROTE", "1", "")
		_, err = dev.AddMember(ctx, "shop", api.AddMemberRequest{Email: ou.Email, Role: "viewer"})
		wantStatus(t, err, http.StatusForbidden)

		wantStatus(t, owner.RemoveMember(ctx, "shop", ou.ID), http.StatusConflict)
		_, err = owner.UpdateMember(ctx, "shop", ou.ID, "admin")
		wantStatus(t, err, http.StatusConflict)
		wantStatus(t, owner.DeleteMe(ctx, testPassword), http.StatusConflict)

		ok(owner.UpdateMember(ctx, "shop", du.ID, "owner")).get(t)
		ok(owner.UpdateMember(ctx, "shop", ou.ID, "viewer")).get(t) // two owners: demotion allowed
		members := ok(dev.Members(ctx, "shop")).get(t)
		if len(members) != 2 {
			t.Fatalf("members: %+v", members)
		}
		noErr(t, owner.RemoveMember(ctx, "shop", ou.ID)) // a member may leave
		_, err = owner.Project(ctx, "shop")
		wantStatus(t, err, http.StatusNotFound)
	})
}

func TestAccountExportAndErasure(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		ctx := t.Context()
		c, u := s.signup(t, "person")
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "mine", Name: "Mine"})).get(t)
		data := ok(c.ExportMe(ctx)).get(t)
		if data.User.ID != u.ID || len(data.Memberships) != 1 || len(data.AuditEvents) == 0 || len(data.Sessions) != 1 {
			t.Fatalf("export: %+v", data)
		}
		wantStatus(t, c.DeleteMe(ctx, testPassword), http.StatusConflict)
		noErr(t, c.DeleteProject(ctx, "mine"))
		wantStatus(t, c.DeleteMe(ctx, "wrong-password-123"), http.StatusForbidden)
		noErr(t, c.DeleteMe(ctx, testPassword))
		_, err := s.newClient(t).Login(ctx, api.LoginRequest{Email: u.Email, Password: testPassword})
		wantStatus(t, err, http.StatusUnauthorized)
	})
}
