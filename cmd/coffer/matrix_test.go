package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// access says who may call a route.
type access struct {
	public bool        // no credentials needed
	self   bool        // any signed-in user; service tokens refused
	user   bool        // any signed-in user or service token (project listing)
	min    coffer.Role // project routes: the least role
	svc    string      // project routes: "" refused, "read" any service token in scope, "write" read_write only
	body   string      // a valid body, so that only authorization decides
}

// matrix is the expected authorization of every route. A route the server
// serves that is missing here fails the test, and so does an entry here
// that the server does not serve.
var matrix = map[string]access{
	"POST /api/v1/auth/signup":  {public: true},
	"POST /api/v1/auth/login":   {public: true},
	"POST /api/v1/auth/refresh": {public: true},
	"GET /api/v1/auth/status":   {public: true},
	"POST /api/v1/auth/token":   {public: true},
	"GET /api/v1/openapi.json":  {public: true},
	"GET /api/docs":             {public: true},
	"GET /health":               {public: true},
	"GET /health/ready":         {public: true},
	"GET /health/db":            {public: true},
	"GET /health/redis":         {public: true},
	"GET /health/disk":          {public: true},
	"GET /metrics":              {public: true},

	"POST /api/v1/auth/logout":             {self: true},
	"GET /api/v1/me":                       {self: true},
	"PATCH /api/v1/me":                     {self: true, body: `{"name":"Renamed"}`},
	"DELETE /api/v1/me":                    {self: true, body: `{"password":"` + testPassword + `"}`},
	"GET /api/v1/me/export":                {self: true},
	"GET /api/v1/me/sessions":              {self: true},
	"DELETE /api/v1/me/sessions/{session}": {self: true},
	"GET /api/v1/me/tokens":                {self: true},
	"POST /api/v1/me/tokens":               {self: true, body: `{"name":"laptop"}`},
	"DELETE /api/v1/me/tokens/{token}":     {self: true},
	"GET /api/v1/projects":                 {user: true},
	"GET /api/v1/events":                   {user: true},
	"POST /api/v1/projects":                {self: true, body: `{"slug":"fresh","name":"Fresh"}`},

	"GET /api/v1/projects/{project}":                                            {min: coffer.RoleViewer, svc: "read"},
	"PATCH /api/v1/projects/{project}":                                          {min: coffer.RoleAdmin, body: `{"name":"Renamed"}`},
	"DELETE /api/v1/projects/{project}":                                         {min: coffer.RoleOwner},
	"GET /api/v1/projects/{project}/members":                                    {min: coffer.RoleViewer},
	"POST /api/v1/projects/{project}/members":                                   {min: coffer.RoleAdmin, body: `{"email":"{newbie}","role":"viewer"}`},
	"PATCH /api/v1/projects/{project}/members/{user}":                           {min: coffer.RoleAdmin, body: `{"role":"developer"}`},
	"DELETE /api/v1/projects/{project}/members/{user}":                          {min: coffer.RoleAdmin},
	"GET /api/v1/projects/{project}/invitations":                                {min: coffer.RoleViewer},
	"DELETE /api/v1/projects/{project}/invitations/{email}":                     {min: coffer.RoleAdmin},
	"GET /api/v1/projects/{project}/environments":                               {min: coffer.RoleViewer, svc: "read"},
	"POST /api/v1/projects/{project}/environments":                              {min: coffer.RoleAdmin, body: `{"slug":"qa"}`},
	"GET /api/v1/projects/{project}/environments/{env}":                         {min: coffer.RoleViewer, svc: "read"},
	"PATCH /api/v1/projects/{project}/environments/{env}":                       {min: coffer.RoleAdmin, body: `{"name":"Development"}`},
	"DELETE /api/v1/projects/{project}/environments/{env}":                      {min: coffer.RoleAdmin},
	"GET /api/v1/projects/{project}/environments/{env}/secrets":                 {min: coffer.RoleViewer, svc: "read"},
	"PUT /api/v1/projects/{project}/environments/{env}/secrets":                 {min: coffer.RoleDeveloper, svc: "write", body: `{"secrets":[{"key":"BULK","value":"1"}]}`},
	"GET /api/v1/projects/{project}/environments/{env}/secrets/{key}":           {min: coffer.RoleViewer, svc: "read"},
	"PUT /api/v1/projects/{project}/environments/{env}/secrets/{key}":           {min: coffer.RoleDeveloper, svc: "write", body: `{"value":"v2"}`},
	"DELETE /api/v1/projects/{project}/environments/{env}/secrets/{key}":        {min: coffer.RoleDeveloper, svc: "write"},
	"GET /api/v1/projects/{project}/environments/{env}/secrets/{key}/versions":  {min: coffer.RoleViewer, svc: "read"},
	"POST /api/v1/projects/{project}/environments/{env}/secrets/{key}/rollback": {min: coffer.RoleDeveloper, svc: "write", body: `{"version":1}`},
	"GET /api/v1/projects/{project}/environments/{env}/deleted-secrets":         {min: coffer.RoleViewer, svc: "read"},
	"GET /api/v1/projects/{project}/tokens":                                     {min: coffer.RoleAdmin},
	"POST /api/v1/projects/{project}/tokens":                                    {min: coffer.RoleAdmin, body: `{"name":"ci","environments":["dev"],"access":"read"}`},
	"DELETE /api/v1/projects/{project}/tokens/{token}":                          {min: coffer.RoleAdmin},
	"GET /api/v1/projects/{project}/audit":                                      {min: coffer.RoleAdmin},
}

// actors of the matrix: four roles, a signed-in stranger, nobody, and two
// service tokens scoped to dev.
var actors = []string{"anonymous", "outsider", "viewer", "developer", "admin", "owner", "svc_read", "svc_write"}

// people are the accounts of the matrix, shared by every case.
type people struct {
	emails map[string]string
	ids    map[string]string
	pats   map[string]string // personal access tokens, so cases need no sign-in
}

var roles = []string{"owner", "admin", "developer", "viewer", "outsider", "target", "newbie"}

func newPeople(t *testing.T, s *testServer, tag string) *people {
	t.Helper()
	p := &people{emails: map[string]string{}, ids: map[string]string{}, pats: map[string]string{}}
	for _, role := range roles {
		email := role + "-" + tag + "-" + uniqueEmail(t, "m")
		c := s.newClient(t, client.WithCookieJar())
		sess := ok(c.Signup(t.Context(), api.SignupRequest{Email: email, Name: role, Password: testPassword})).get(t)
		pat := ok(c.CreatePersonalToken(t.Context(), api.CreatePersonalTokenRequest{Name: "matrix"})).get(t)
		p.emails[role], p.ids[role], p.pats[role] = email, sess.User.ID, pat.Secret
	}
	return p
}

// fixture is one project with a member of each role, a secret, service
// tokens, and a fresh bearer credential for the case's actor.
type fixture struct {
	slug, target, spareToken, newbie, invited string
	creds                                     map[string]string
}

// A case whose route needs a session (sign-out) signs its actor in; the
// others use the actor's personal token.
func newFixture(t *testing.T, s *testServer, p *people, n int, actor string, session bool) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{
		slug: fmt.Sprintf("p%d", n), creds: map[string]string{}, target: p.ids["target"], newbie: p.emails["newbie"],
		invited: "invited@example.test",
	}
	owner := s.newClient(t, client.WithToken(p.pats["owner"]))
	proj := ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: f.slug, Name: "Matrix"})).get(t)
	// The server signs up in open mode, where the API invites nobody; the
	// invitation is stored as an invite-mode server would store it.
	noErr(t, s.Store.CreateInvitation(ctx, &coffer.Invitation{
		ProjectID: proj.ID, Email: f.invited, Role: coffer.RoleViewer, InvitedBy: p.ids["owner"], CreatedAt: time.Now(),
	}))
	for _, role := range []string{"admin", "developer", "viewer", "target"} {
		r := api.Role(role)
		if role == "target" {
			r = "viewer"
		}
		ok(owner.AddMember(ctx, f.slug, api.AddMemberRequest{Email: p.emails[role], Role: r})).get(t)
	}
	if _, _, err := owner.PutSecret(ctx, f.slug, "dev", "EXISTING", api.PutSecretRequest{Value: "v1"}); err != nil {
		t.Fatal(err)
	}
	for name, acc := range map[string]api.Access{"svc_read": "read", "svc_write": "read_write", "spare": "read"} {
		tok := ok(owner.CreateServiceToken(ctx, f.slug, api.CreateServiceTokenRequest{Name: name, Environments: []string{"dev"}, Access: acc})).get(t)
		f.creds[name] = tok.Secret
		if name == "spare" {
			f.spareToken = tok.Token.ID
		}
	}
	if pat, ok := p.pats[actor]; ok {
		f.creds[actor] = pat
		if session {
			_, tok := s.bearer(t, p.emails[actor])
			f.creds[actor] = tok.AccessToken
		}
	}
	return f
}

// expect returns the statuses an actor may get: allowed means any answer
// but 401, 403 and 404; a refusal is exactly one of those.
func expect(a access, actor string) (allowed bool, refusal int) {
	switch {
	case a.public:
		return true, 0
	case actor == "anonymous":
		return false, http.StatusUnauthorized
	case a.self || a.user:
		if strings.HasPrefix(actor, "svc_") && !a.user {
			return false, http.StatusForbidden
		}
		return true, 0
	case actor == "outsider":
		return false, http.StatusNotFound
	case actor == "svc_read":
		return a.svc == "read", http.StatusForbidden
	case actor == "svc_write":
		return a.svc == "read" || a.svc == "write", http.StatusForbidden
	}
	return coffer.Role(actor).AtLeast(a.min), http.StatusForbidden
}

func TestAuthorizationMatrix(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		served := map[string]bool{}
		for _, rt := range s.Server.Routes() {
			served[rt.Method+" "+rt.Path] = true
			if _, ok := matrix[rt.Method+" "+rt.Path]; !ok {
				t.Errorf("route %s %s is missing from the authorization matrix", rt.Method, rt.Path)
			}
		}
		for route := range matrix {
			if !served[route] {
				t.Errorf("the matrix names %s, which the server does not serve", route)
			}
		}
		shared := newPeople(t, s, "shared")
		n := 0
		for route, a := range matrix {
			if a.public {
				continue
			}
			for _, actor := range actors {
				n++
				p := shared
				if route == "DELETE /api/v1/me" {
					p = newPeople(t, s, fmt.Sprint(n)) // the case erases its actor
				}
				f := newFixture(t, s, p, n, actor, route == "POST /api/v1/auth/logout")
				status := call(t, s, f, route, a, actor)
				allowed, refusal := expect(a, actor)
				switch {
				case allowed && (status == 401 || status == 403 || (status == 404 && !strings.Contains(route, "/me/"))):
					t.Errorf("%s as %s: want allowed, got %d", route, actor, status)
				case !allowed && status != refusal:
					t.Errorf("%s as %s: want %d, got %d", route, actor, refusal, status)
				}
			}
		}
	})
}

func call(t *testing.T, s *testServer, f *fixture, route string, a access, actor string) int {
	t.Helper()
	method, path, _ := strings.Cut(route, " ")
	path = strings.NewReplacer(
		"{project}", f.slug, "{env}", "dev", "{key}", "EXISTING", "{user}", f.target,
		"{token}", f.spareToken, "{session}", "01900000-0000-7000-8000-000000000000", "{email}", f.invited,
	).Replace(path)
	var body io.Reader
	if a.body != "" {
		body = bytes.NewBufferString(strings.ReplaceAll(a.body, "{newbie}", f.newbie))
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cred := f.creds[actor]; cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
