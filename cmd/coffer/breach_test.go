package main

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/server"
)

// credentialFields are the response properties that carry a secret value
// or a credential: a response holding one must never be compressed
// (BREACH, docs/security.md).
var credentialFields = []string{"value", "secret", "access_token", "refresh_token", "csrf_token"}

// TestCredentialAnswersAreSecretRoutes derives from the contract which
// operations answer with a secret value or a credential (a property in
// credentialFields, at any depth of a success answer) and checks that the
// route table flags exactly those secret, so that a new route returning a
// token cannot be compressed by omission.
func TestCredentialAnswersAreSecretRoutes(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	carries := credentialOperations(t)
	for _, rt := range s.Server.Routes() {
		route := rt.Method + " " + rt.Path
		switch {
		case len(carries[route]) > 0 && !rt.Secret():
			t.Errorf("%s answers with %v but is not flagged secret in internal/server/routes.go: it would be compressed (BREACH)", route, carries[route])
		case len(carries[route]) == 0 && rt.Secret():
			t.Errorf("%s is flagged secret but its documented answer carries none of %v: document the field or drop the flag", route, credentialFields)
		}
	}
	// The token-returning routes by name, in case the document loses a field.
	for _, route := range []string{
		"POST /api/v1/auth/signup", "POST /api/v1/auth/login", "POST /api/v1/auth/refresh", "POST /api/v1/auth/token",
		"POST /api/v1/me/tokens", "POST /api/v1/projects/{project}/tokens",
	} {
		if !slices.ContainsFunc(s.Server.Routes(), func(rt server.Route) bool { return rt.Method+" "+rt.Path == route && rt.Secret() }) {
			t.Errorf("%s returns a token but is not flagged secret", route)
		}
	}
}

// credentialOperations maps "METHOD /path" to the credential fields its
// success answers hold, read from api/openapi.yaml.
func credentialOperations(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	resolve := func(node any) map[string]any {
		m, _ := node.(map[string]any)
		for m != nil {
			ref, ok := m["$ref"].(string)
			if !ok {
				break
			}
			var cur any = doc
			for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				cur = cur.(map[string]any)[p]
			}
			m, _ = cur.(map[string]any)
		}
		return m
	}
	var fields func(schema any, seen map[string]bool, found map[string]bool)
	fields = func(schema any, seen map[string]bool, found map[string]bool) {
		if m, ok := schema.(map[string]any); ok {
			if ref, ok := m["$ref"].(string); ok {
				if seen[ref] {
					return
				}
				seen[ref] = true
			}
		}
		sc := resolve(schema)
		if sc == nil {
			return
		}
		props, _ := sc["properties"].(map[string]any)
		for name, p := range props {
			if slices.Contains(credentialFields, name) {
				found[name] = true
			}
			fields(p, seen, found)
		}
		fields(sc["items"], seen, found)
		fields(sc["additionalProperties"], seen, found)
		for _, k := range []string{"allOf", "oneOf", "anyOf"} {
			list, _ := sc[k].([]any)
			for _, sub := range list {
				fields(sub, seen, found)
			}
		}
	}
	out := map[string][]string{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			opm, ok := op.(map[string]any)
			if !ok {
				continue
			}
			responses, _ := opm["responses"].(map[string]any)
			found := map[string]bool{}
			for code, resp := range responses {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				content, _ := resolve(resp)["content"].(map[string]any)
				for _, media := range content {
					if mm, ok := media.(map[string]any); ok {
						fields(mm["schema"], map[string]bool{}, found)
					}
				}
			}
			for name := range found {
				out[strings.ToUpper(method)+" "+path] = append(out[strings.ToUpper(method)+" "+path], name)
			}
		}
	}
	return out
}

// TestSecretRoutesNeverCompressed calls every route the table flags secret
// as a client accepting brotli and gzip, with an answer above the
// compression threshold, and checks that it comes back uncompressed. The
// same user data from an unflagged route (GET /api/v1/me) is compressed,
// so the check is not vacuous. The store plays no part: SQLite only.
func TestSecretRoutesNeverCompressed(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	ctx := t.Context()
	// JSON escapes '<' as \u003c: six bytes a character, so a name (100
	// characters at most) and an email of them make big answers.
	name := strings.Repeat("<", 100)
	email := strings.Repeat("<", 150) + "owner@example.test"
	owner := s.newClient(t, client.WithCookieJar())
	ok(owner.Signup(ctx, api.SignupRequest{Email: email, Name: name, Password: testPassword})).get(t)
	c, tok := s.bearer(t, email)
	ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	envs := []string{"dev"}
	for _, e := range []string{"a", "b", "c", "d"} {
		slug := e + strings.Repeat("x", 62)
		ok(c.CreateEnvironment(ctx, "shop", api.CreateEnvironmentRequest{Slug: slug})).get(t)
		envs = append(envs, slug)
	}
	big := strings.Repeat("s3cr3t-", 600) // ~4 KiB
	put(t, c, "shop", "KEY", big+"1")
	put(t, c, "shop", "KEY", big+"2")
	_, refreshable := s.bearer(t, email)
	envList, _ := json.Marshal(envs)

	type call struct {
		body   string
		header map[string]string
		bearer bool
		// small answers cannot reach the threshold (a personal token's
		// name is capped at 100 characters): only the flag protects them.
		small bool
	}
	creds := `"email":"` + jsonEscape(email) + `","password":"` + testPassword + `"`
	calls := map[string]call{
		"POST /api/v1/auth/signup": {body: `{"email":"` + jsonEscape(strings.Repeat("<", 150)+"new@example.test") + `","name":"` + jsonEscape(name) + `","password":"` + testPassword + `"}`},
		"POST /api/v1/auth/login":  {body: `{` + creds + `}`},
		"POST /api/v1/auth/refresh": {header: map[string]string{
			"Cookie": "coffer_refresh=" + refreshable.RefreshToken,
		}},
		"POST /api/v1/auth/token":                                                   {body: `{"grant_type":"password",` + creds + `}`},
		"POST /api/v1/me/tokens":                                                    {bearer: true, body: `{"name":"` + jsonEscape(name) + `"}`, small: true},
		"GET /api/v1/projects/{project}/environments/{env}/secrets":                 {bearer: true},
		"GET /api/v1/projects/{project}/environments/{env}/secrets/{key}":           {bearer: true},
		"PUT /api/v1/projects/{project}/environments/{env}/secrets/{key}":           {bearer: true, body: `{"value":"` + big + `3"}`},
		"GET /api/v1/projects/{project}/environments/{env}/secrets/{key}/versions":  {bearer: true},
		"POST /api/v1/projects/{project}/environments/{env}/secrets/{key}/rollback": {bearer: true, body: `{"version":1}`},
		"POST /api/v1/projects/{project}/tokens":                                    {bearer: true, body: `{"name":"` + jsonEscape(name) + `","environments":` + string(envList) + `,"access":"read"}`},
	}
	request := func(method, path string, cl call) (status int, encoding string, size int) {
		t.Helper()
		path = strings.NewReplacer("{project}", "shop", "{env}", "dev", "{key}", "KEY").Replace(path)
		req, err := http.NewRequestWithContext(ctx, method, s.URL+path, strings.NewReader(cl.body))
		if err != nil {
			t.Fatal(err)
		}
		if cl.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		// Set by hand, the transport neither adds its own nor decodes.
		req.Header.Set("Accept-Encoding", "gzip, br")
		if cl.bearer {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
		for k, v := range cl.header {
			req.Header.Set(k, v)
		}
		resp, b := exchange(t, http.DefaultClient, req)
		return resp.StatusCode, resp.Header.Get("Content-Encoding"), len(b)
	}

	// Every flagged route, and every route with a request here, so that a
	// route that lost its flag shows compressed.
	routes := map[string]server.Route{}
	for _, rt := range s.Server.Routes() {
		route := rt.Method + " " + rt.Path
		if _, found := calls[route]; found || rt.Secret() {
			routes[route] = rt
		}
	}
	for _, route := range slices.Sorted(maps.Keys(routes)) {
		rt := routes[route]
		cl, found := calls[route]
		if !found {
			t.Errorf("%s is flagged secret: add a request for it here", route)
			continue
		}
		status, enc, size := request(rt.Method, rt.Path, cl)
		switch {
		case status >= 300:
			t.Errorf("%s: status %d", route, status)
		case enc != "":
			t.Errorf("%s: answered with Content-Encoding %q: a secret compressed (BREACH)", route, enc)
		case !cl.small && size < httpx.MinCompressSize:
			t.Errorf("%s: a %d-byte answer is below the %d-byte threshold: the check proves nothing", route, size, httpx.MinCompressSize)
		case cl.small && size >= httpx.MinCompressSize:
			t.Errorf("%s: the answer is now %d bytes: drop small, it is checked like the others", route, size)
		}
	}
	if len(routes) != len(calls) {
		t.Errorf("%d routes here, %d served: a route is gone or renamed", len(calls), len(routes))
	}
	// The control: the same big user, from a route that is not secret.
	if status, enc, size := request("GET", "/api/v1/me", call{bearer: true}); status != 200 || enc == "" {
		t.Errorf("GET /api/v1/me: status %d, Content-Encoding %q (%d bytes): compression is not on, so the checks above prove nothing", status, enc, size)
	}
}

// jsonEscape returns s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
