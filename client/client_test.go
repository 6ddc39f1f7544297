package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
)

const (
	userID    = "0b8f6a52-3c1e-4d5a-9a57-0c7f4b3c2d10"
	tokenID   = "7d3c9a10-5b2e-4f8e-8f3a-2a1b0c9d8e7f"
	bearer    = "cof_pat_example"
	secretsEP = "/api/v1/projects/shop/environments/dev/secrets"
)

var (
	ctx     = context.Background()
	created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	user    = api.User{ID: userID, Email: "ada@example.com", Name: "Ada", CreatedAt: created}
	actor   = api.Actor{Type: api.ActorTypeUser, ID: userID}
)

func ptr[T any](v T) *T { return &v }

func TestNew(t *testing.T) {
	for _, base := range []string{"", "ftp://x", "http://", "http://x?q=1", "http://u:p@x", "://"} {
		if _, err := New(base); err == nil {
			t.Errorf("New(%q) accepted", base)
		}
	}
	c, err := New("https://example.com/coffer/")
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "https://example.com/coffer" {
		t.Errorf("base = %q", c.base)
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	srv := server(t,
		exchange{
			method: "GET", path: "/api/v1/me",
			header: map[string]string{"Authorization": "Bearer " + bearer, "User-Agent": "coffer-cli/test"},
			resp:   user,
		},
		exchange{
			method: "POST", path: "/api/v1/projects",
			header: map[string]string{"Authorization": "Bearer " + bearer},
			absent: []string{"X-CSRF-Token", "Cookie"},
			ctype:  "application/json",
			body:   `{"slug":"shop","name":"Shop"}`,
			status: http.StatusCreated,
			resp:   api.Project{ID: "p1", Slug: "shop", Name: "Shop", Role: api.RoleOwner},
		},
		exchange{
			method: "DELETE", path: "/api/v1/me",
			ctype: "application/json", body: `{"password":"correct horse battery"}`,
			status: http.StatusNoContent,
		},
	)
	c := mustNew(t, srv, WithToken(bearer), WithUserAgent("coffer-cli/test"))
	me, err := c.Me(ctx)
	if err != nil || me.Email != "ada@example.com" || !me.CreatedAt.Equal(created) {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	p, err := c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})
	if err != nil || p.Role != api.RoleOwner {
		t.Fatalf("CreateProject = %+v, %v", p, err)
	}
	if err := c.DeleteMe(ctx, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
}

// TestCookieFlow plays a browser: the session lives in cookies and every
// change carries the CSRF token, which follows the server's rotation.
func TestCookieFlow(t *testing.T) {
	t.Parallel()
	setCookies := func(csrf string) map[string]string {
		return map[string]string{"Set-Cookie": "coffer_access=jwt-" + csrf + "; Path=/; HttpOnly; SameSite=Strict\n" +
			"coffer_csrf=" + csrf + "; Path=/; SameSite=Strict"}
	}
	session := func(csrf string) api.Session {
		return api.Session{User: user, CSRFToken: csrf, AccessExpiresAt: created}
	}
	srv := server(t,
		exchange{
			method: "POST", path: "/api/v1/auth/login",
			absent: []string{"X-CSRF-Token", "Authorization"},
			ctype:  "application/json", body: `{"email":"ada@example.com","password":"pw"}`,
			rheader: setCookies("csrf-1"), resp: session("csrf-1"),
		},
		exchange{
			method: "GET", path: "/api/v1/me/sessions",
			header: map[string]string{"Cookie": "coffer_access=jwt-csrf-1; coffer_csrf=csrf-1"},
			absent: []string{"X-CSRF-Token"},
			resp:   api.SessionList{Sessions: []api.SessionInfo{{ID: userID, Current: true}}},
		},
		exchange{
			method: "POST", path: "/api/v1/auth/refresh",
			header:  map[string]string{"X-CSRF-Token": "csrf-1"},
			rheader: setCookies("csrf-2"), resp: session("csrf-2"),
		},
		exchange{
			method: "DELETE", path: "/api/v1/me/sessions/" + userID,
			header: map[string]string{"X-CSRF-Token": "csrf-2"},
			status: http.StatusNoContent,
		},
		exchange{
			method: "POST", path: "/api/v1/auth/logout",
			header: map[string]string{"X-CSRF-Token": "csrf-2"},
			status: http.StatusNoContent,
		},
	)
	hc := &http.Client{}
	c := mustNew(t, srv, WithHTTPClient(hc), WithCookieJar())
	s, err := c.Login(ctx, api.LoginRequest{Email: "ada@example.com", Password: "pw"})
	if err != nil || s.CSRFToken != "csrf-1" {
		t.Fatalf("Login = %+v, %v", s, err)
	}
	sessions, err := c.Sessions(ctx)
	if err != nil || len(sessions) != 1 || !sessions[0].Current {
		t.Fatalf("Sessions = %+v, %v", sessions, err)
	}
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeSession(ctx, userID); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if hc.Jar != nil {
		t.Error("WithCookieJar changed the caller's http.Client")
	}
}

// TestCookieCSRFFromSession covers a server whose CSRF cookie the jar does
// not return for API paths: the token of the Session answer is used.
func TestCookieCSRFFromSession(t *testing.T) {
	t.Parallel()
	srv := server(t,
		exchange{
			method: "POST", path: "/api/v1/auth/signup",
			ctype: "application/json", body: `{"email":"ada@example.com","name":"Ada","password":"a long passphrase"}`,
			status: http.StatusCreated,
			rheader: map[string]string{"Set-Cookie": "coffer_access=jwt; Path=/; HttpOnly\n" +
				"coffer_csrf=from-body; Path=/web"},
			resp: api.Session{User: user, CSRFToken: "from-body"},
		},
		exchange{
			method: "PATCH", path: "/api/v1/me",
			header: map[string]string{"X-CSRF-Token": "from-body", "Cookie": "coffer_access=jwt"},
			ctype:  "application/json", body: `{"name":"Ada L."}`,
			resp: user,
		},
	)
	c := mustNew(t, srv, WithCookieJar())
	if _, err := c.Signup(ctx, api.SignupRequest{Email: "ada@example.com", Name: "Ada", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateMe(ctx, api.UpdateMeRequest{Name: ptr("Ada L.")}); err != nil {
		t.Fatal(err)
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	srv := server(t, exchange{
		method: "POST", path: "/api/v1/auth/token",
		ctype: "application/json", body: `{"grant_type":"refresh_token","refresh_token":"cof_rt_x"}`,
		resp: api.TokenResponse{AccessToken: "jwt", RefreshToken: "cof_rt_y", TokenType: api.TokenTypeBearer, ExpiresIn: 900, User: user},
	})
	tok, err := mustNew(t, srv, WithToken(bearer)).Token(ctx, api.TokenRequest{GrantType: api.GrantTypeRefreshToken, RefreshToken: "cof_rt_x"})
	if err != nil || tok.AccessToken != "jwt" || tok.ExpiresIn != 900 {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
}

// TestPathEscaping: every argument is one escaped path segment, and an
// empty one is refused before anything is sent.
func TestPathEscaping(t *testing.T) {
	t.Parallel()
	srv := server(t,
		exchange{
			method: "GET", path: secretsEP + "/DB.URL-1",
			resp: api.Secret{Key: "DB.URL-1", Value: ptr("x"), Version: 3, UpdatedAt: created, UpdatedBy: actor},
		},
		exchange{
			method: "DELETE", path: "/api/v1/projects/shop/members/" + userID,
			status: http.StatusNoContent,
		},
	)
	c := mustNew(t, srv, WithToken(bearer))
	s, err := c.Secret(ctx, "shop", "dev", "DB.URL-1")
	if err != nil || *s.Value != "x" || s.Version != 3 {
		t.Fatalf("Secret = %+v, %v", s, err)
	}
	if err := c.RemoveMember(ctx, "shop", userID); err != nil {
		t.Fatal(err)
	}
	// Not sent: a segment that would address another resource.
	for _, bad := range []string{"", ".", ".."} {
		if _, err := c.Project(ctx, bad); err == nil {
			t.Errorf("Project(%q) sent", bad)
		}
	}
	if p, err := path("/projects/%s", "a/b c"); err != nil || p != "/api/v1/projects/a%2Fb%20c" {
		t.Errorf("path = %q, %v", p, err)
	}
}

func TestSecretsConditional(t *testing.T) {
	t.Parallel()
	bundle := api.SecretBundle{Revision: 7, Secrets: []api.Secret{
		{Key: "A", Value: ptr("1"), Version: 2, UpdatedAt: created, UpdatedBy: actor},
		{Key: "B", Version: 3, UpdatedAt: created, UpdatedBy: actor, Deleted: true},
	}}
	srv := server(t,
		exchange{
			method: "GET", path: secretsEP, query: "since=5",
			rheader: map[string]string{"ETag": `"7"`}, resp: bundle,
		},
		exchange{
			method: "GET", path: secretsEP,
			header: map[string]string{"If-None-Match": `"7"`},
			status: http.StatusNotModified, rheader: map[string]string{"ETag": `"7"`},
		},
		exchange{
			method: "GET", path: secretsEP, query: "format=dotenv",
			header:  map[string]string{"Accept": "text/plain, application/problem+json"},
			rheader: map[string]string{"Content-Type": "text/plain; charset=utf-8"},
			resp:    "A=\"1\"\n",
		},
	)
	c := mustNew(t, srv, WithToken(bearer))
	res, err := c.Secrets(ctx, "shop", "dev", SecretsOptions{Since: ptr[int64](5)})
	if err != nil || res.NotModified || res.ETag != `"7"` || res.Bundle.Revision != 7 || len(res.Bundle.Secrets) != 2 {
		t.Fatalf("Secrets = %+v, %v", res, err)
	}
	if b := res.Bundle.Secrets[1]; !b.Deleted || b.Value != nil {
		t.Errorf("deleted key = %+v", b)
	}
	res, err = c.Secrets(ctx, "shop", "dev", SecretsOptions{IfNoneMatch: res.ETag})
	if err != nil || !res.NotModified || res.ETag != `"7"` {
		t.Fatalf("Secrets(If-None-Match) = %+v, %v", res, err)
	}
	env, err := c.SecretsDotenv(ctx, "shop", "dev")
	if err != nil || env != "A=\"1\"\n" {
		t.Fatalf("SecretsDotenv = %q, %v", env, err)
	}
}

func TestBulkWrite(t *testing.T) {
	t.Parallel()
	result := api.ImportResult{Revision: 8, Created: []string{"A"}, Updated: []string{}, Unchanged: []string{}, Deleted: []string{"OLD"}}
	srv := server(t,
		exchange{
			method: "PUT", path: secretsEP, query: "prune=true",
			ctype: "application/json", body: `{"secrets":[{"key":"A","value":"1","comment":"first"}]}`,
			resp: result,
		},
		exchange{
			method: "PUT", path: secretsEP, query: "dry_run=true&prune=true",
			ctype: "text/plain; charset=utf-8", body: "A=1\n# comment\n",
			resp: api.ImportResult{Revision: 8, Unchanged: []string{"A"}, DryRun: true},
		},
	)
	c := mustNew(t, srv, WithToken(bearer))
	got, err := c.PutSecrets(ctx, "shop", "dev", []api.SecretInput{{Key: "A", Value: "1", Comment: "first"}}, ImportOptions{Prune: true})
	if err != nil || got.Revision != 8 || got.Deleted[0] != "OLD" {
		t.Fatalf("PutSecrets = %+v, %v", got, err)
	}
	got, err = c.ImportDotenv(ctx, "shop", "dev", "A=1\n# comment\n", ImportOptions{DryRun: true, Prune: true})
	if err != nil || !got.DryRun {
		t.Fatalf("ImportDotenv = %+v, %v", got, err)
	}
}

func TestPutSecretCreated(t *testing.T) {
	t.Parallel()
	s := api.Secret{Key: "A", Value: ptr("v"), Version: 1, UpdatedAt: created, UpdatedBy: actor}
	srv := server(t,
		exchange{method: "PUT", path: secretsEP + "/A", ctype: "application/json", body: `{"value":"v"}`, status: http.StatusCreated, resp: s},
		exchange{method: "PUT", path: secretsEP + "/A", ctype: "application/json", body: `{"value":"v","comment":"again"}`, resp: s},
		exchange{method: "POST", path: secretsEP + "/A/rollback", ctype: "application/json", body: `{"version":1}`, resp: s},
		exchange{method: "GET", path: secretsEP + "/A/versions", query: "cursor=c1&limit=10", resp: api.SecretVersionList{NextCursor: "c2"}},
	)
	c := mustNew(t, srv, WithToken(bearer))
	if _, created, err := c.PutSecret(ctx, "shop", "dev", "A", api.PutSecretRequest{Value: "v"}); err != nil || !created {
		t.Errorf("first PutSecret: created %v, %v", created, err)
	}
	if _, created, err := c.PutSecret(ctx, "shop", "dev", "A", api.PutSecretRequest{Value: "v", Comment: "again"}); err != nil || created {
		t.Errorf("second PutSecret: created %v, %v", created, err)
	}
	if _, err := c.RollbackSecret(ctx, "shop", "dev", "A", 1); err != nil {
		t.Error(err)
	}
	if v, err := c.SecretVersions(ctx, "shop", "dev", "A", "c1", 10); err != nil || v.NextCursor != "c2" {
		t.Errorf("SecretVersions = %+v, %v", v, err)
	}
}

func TestQueries(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	srv := server(t,
		exchange{method: "GET", path: "/api/v1/projects", query: "", resp: api.ProjectList{Projects: []api.Project{}, NextCursor: "n"}},
		exchange{method: "GET", path: "/api/v1/projects", query: "cursor=n&limit=2", resp: api.ProjectList{}},
		exchange{
			method: "GET", path: "/api/v1/projects/shop/audit",
			query: "action=secret.read&actor=" + userID + "&environment=prod&from=2026-02-28T23%3A00%3A00Z&limit=20",
			resp:  api.AuditEventList{Events: []api.AuditEvent{{Action: api.AuditActionSecretRead, Actor: actor, Keys: []string{"A"}}}},
		},
	)
	c := mustNew(t, srv, WithToken(bearer))
	page, err := c.Projects(ctx, "", 0)
	if err != nil || page.NextCursor != "n" {
		t.Fatalf("Projects = %+v, %v", page, err)
	}
	if _, err := c.Projects(ctx, page.NextCursor, 2); err != nil {
		t.Fatal(err)
	}
	events, err := c.Audit(ctx, "shop", AuditQuery{Actor: userID, Action: api.AuditActionSecretRead, Environment: "prod", From: from, Limit: 20})
	if err != nil || len(events.Events) != 1 || events.Events[0].Keys[0] != "A" {
		t.Fatalf("Audit = %+v, %v", events, err)
	}
}

func TestServiceTokens(t *testing.T) {
	t.Parallel()
	exp := created.Add(24 * time.Hour)
	tok := api.ServiceToken{ID: tokenID, Name: "ci", Environments: []string{"dev"}, Access: api.AccessRead, CreatedAt: created, ExpiresAt: &exp}
	srv := server(t,
		exchange{
			method: "POST", path: "/api/v1/projects/shop/tokens", ctype: "application/json",
			body:   `{"name":"ci","environments":["dev"],"access":"read","expires_at":"2026-01-03T03:04:05Z"}`,
			status: http.StatusCreated, resp: api.CreatedServiceToken{Token: tok, Secret: "cof_svc_x"},
		},
		exchange{method: "GET", path: "/api/v1/projects/shop/tokens", resp: api.ServiceTokenList{Tokens: []api.ServiceToken{tok}}},
		exchange{method: "DELETE", path: "/api/v1/projects/shop/tokens/" + tokenID, status: http.StatusNoContent},
	)
	c := mustNew(t, srv, WithToken(bearer))
	ct, err := c.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "ci", Environments: []string{"dev"}, Access: api.AccessRead, ExpiresAt: &exp})
	if err != nil || ct.Secret != "cof_svc_x" {
		t.Fatalf("CreateServiceToken = %+v, %v", ct, err)
	}
	list, err := c.ServiceTokens(ctx, "shop")
	if err != nil || len(list) != 1 || !list[0].ExpiresAt.Equal(exp) {
		t.Fatalf("ServiceTokens = %+v, %v", list, err)
	}
	if err := c.RevokeServiceToken(ctx, "shop", tokenID); err != nil {
		t.Fatal(err)
	}
}

func TestMembersAndInvitations(t *testing.T) {
	t.Parallel()
	m := api.Member{UserID: userID, Email: "ada@example.com", Name: "Ada", Role: api.RoleDeveloper, CreatedAt: created}
	inv := api.Invitation{Email: "bob+ci@example.com", Role: api.RoleViewer, CreatedAt: created}
	srv := server(t,
		exchange{
			method: "POST", path: "/api/v1/projects/shop/members", ctype: "application/json",
			body: `{"email":"ada@example.com","role":"developer"}`, status: http.StatusCreated, resp: m,
		},
		exchange{
			method: "POST", path: "/api/v1/projects/shop/members", ctype: "application/json",
			body: `{"email":"bob+ci@example.com","role":"viewer"}`, status: http.StatusAccepted, resp: inv,
		},
		exchange{method: "GET", path: "/api/v1/projects/shop/invitations", resp: api.InvitationList{Invitations: []api.Invitation{inv}}},
		exchange{method: "DELETE", path: "/api/v1/projects/shop/invitations/bob+ci@example.com", status: http.StatusNoContent},
	)
	c := mustNew(t, srv, WithToken(bearer))
	added, err := c.AddMember(ctx, "shop", api.AddMemberRequest{Email: "ada@example.com", Role: api.RoleDeveloper})
	if err != nil || added.Invitation != nil || added.Member == nil || added.Member.UserID != userID {
		t.Fatalf("AddMember (account) = %+v, %v", added, err)
	}
	added, err = c.AddMember(ctx, "shop", api.AddMemberRequest{Email: "bob+ci@example.com", Role: api.RoleViewer})
	if err != nil || added.Member != nil || added.Invitation == nil || added.Invitation.Email != inv.Email {
		t.Fatalf("AddMember (invitation) = %+v, %v", added, err)
	}
	list, err := c.ListInvitations(ctx, "shop")
	if err != nil || len(list) != 1 || list[0].Role != api.RoleViewer {
		t.Fatalf("ListInvitations = %+v, %v", list, err)
	}
	if err := c.RevokeInvitation(ctx, "shop", inv.Email); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	srv := server(t,
		exchange{
			method: "GET", path: "/api/v1/projects/gone",
			status:  http.StatusNotFound,
			rheader: map[string]string{"Content-Type": "application/problem+json", "X-Request-ID": "hdr"},
			resp:    `{"type":"about:blank","title":"Not Found","status":404,"detail":"Project not found.","code":"not_found","request_id":"req-1"}`,
		},
		exchange{
			method: "POST", path: "/api/v1/projects/shop/members", ctype: "application/json",
			body:    `{"email":"bob@example.com","role":"owner"}`,
			status:  http.StatusBadRequest,
			rheader: map[string]string{"Content-Type": "application/problem+json"},
			resp:    `{"type":"about:blank","title":"Bad Request","status":400,"detail":"Check the fields.","code":"invalid","request_id":"req-2","errors":[{"field":"role","message":"no"}]}`,
		},
		exchange{
			method: "GET", path: "/api/v1/projects/shop/environments",
			status:  http.StatusBadGateway,
			rheader: map[string]string{"Content-Type": "text/html", "X-Request-ID": "proxy-1"},
			resp:    "<html>bad gateway</html>",
		},
	)
	c := mustNew(t, srv, WithToken(bearer))
	_, err := c.Project(ctx, "gone")
	var e *Error
	if !errors.As(err, &e) || e.Status != 404 || e.Code != "not_found" || e.Detail != "Project not found." || e.RequestID != "req-1" {
		t.Fatalf("Project error = %#v", err)
	}
	if !IsNotFound(err) || !HasCode(err, "not_found") || IsConflict(err) || !IsNotFound(wrap(err)) {
		t.Error("code helpers disagree with the error")
	}
	if !strings.Contains(err.Error(), "Project not found.") || !strings.Contains(err.Error(), "req-1") {
		t.Errorf("Error() = %q", err.Error())
	}
	_, err = c.AddMember(ctx, "shop", api.AddMemberRequest{Email: "bob@example.com", Role: api.RoleOwner})
	if !errors.As(err, &e) || e.Code != "invalid" || len(e.Fields) != 1 || e.Fields[0].Field != "role" {
		t.Fatalf("AddMember error = %#v", err)
	}
	_, err = c.Environments(ctx, "shop")
	if !errors.As(err, &e) || e.Status != 502 || e.Code != "unavailable" || e.RequestID != "proxy-1" {
		t.Fatalf("proxy error = %#v", err)
	}
}

func wrap(err error) error { return errors.Join(errors.New("context"), err) }

func TestHealth(t *testing.T) {
	t.Parallel()
	srv := server(t,
		exchange{method: "GET", path: "/health", resp: api.Health{Status: api.HealthStatusOk}},
		exchange{
			method: "GET", path: "/health/ready", status: http.StatusServiceUnavailable,
			resp: api.Health{Status: api.HealthStatusDown, Components: map[string]api.HealthComponent{
				"db": {Status: api.HealthStatusDown, LatencyMs: 1.5, Error: "timeout"},
			}},
		},
		exchange{method: "GET", path: "/metrics", rheader: map[string]string{"Content-Type": "text/plain"}, resp: "up 1\n"},
	)
	c := mustNew(t, srv, WithToken(bearer))
	if h, err := c.Health(ctx); err != nil || h.Status != api.HealthStatusOk {
		t.Fatalf("Health = %+v, %v", h, err)
	}
	h, err := c.HealthReady(ctx)
	if err != nil || h.Status != api.HealthStatusDown || h.Components["db"].Error != "timeout" {
		t.Fatalf("HealthReady = %+v, %v", h, err)
	}
	if m, err := c.Metrics(ctx); err != nil || m != "up 1\n" {
		t.Fatalf("Metrics = %q, %v", m, err)
	}
}
