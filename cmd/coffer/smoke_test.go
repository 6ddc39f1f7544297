package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// smokeSteps are the steps of a passing run, in order.
var smokeSteps = []string{
	"health", "ready", "sign-in", "project", "write", "read", "read-bulk", "etag",
	"delete", "read-deleted", "audit", "cleanup",
}

// wantSmokeSteps fails unless out reports exactly steps, each ok and timed.
func wantSmokeSteps(t *testing.T, out string, steps []string) {
	t.Helper()
	line := regexp.MustCompile(`(?m)^  (ok|FAIL)  +(\S+) +.* \((\d+(\.\d+)?(ms|s|µs))\)$`)
	var got []string
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		if m[1] != "ok" {
			t.Errorf("step %s failed:\n%s", m[2], out)
		}
		got = append(got, m[2])
	}
	if !slices.Equal(got, steps) {
		t.Errorf("steps %q, want %q\n%s", got, steps, out)
	}
}

// TestSmokeTemporaryProject: with a personal token the smoke test passes
// against a real server, and leaves nothing behind.
func TestSmokeTemporaryProject(t *testing.T) {
	cliHome(t)
	s := startServer(t, "sqlite", nil)
	c, _ := s.signup(t, "ops")
	pat := ok(c.CreatePersonalToken(t.Context(), api.CreatePersonalTokenRequest{Name: "smoke"})).get(t)
	t.Setenv(envToken, pat.Secret)

	r := runCLI(t, "", "smoke", "--url", s.URL).must(t)
	wantSmokeSteps(t, r.out, smokeSteps)
	for _, want := range []string{
		"Smoke test of " + s.URL,
		"with COFFER_TOKEN",
		"/smoke (",
		"304 Not Modified",
		"events secret.written, secret.read, secrets.read, secret.deleted for COFFER_SMOKE_",
		"deleted project smoke-",
		"Smoke test passed: 12 steps in ",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	projects := ok(c.Projects(t.Context(), "", 0)).get(t)
	if len(projects.Projects) != 0 {
		t.Errorf("projects left behind: %+v", projects.Projects)
	}
}

// TestSmokeGivenProjectWithPassword: --email signs in with the password
// on standard input, works in an existing project and environment,
// deletes its key and closes the session it opened.
func TestSmokeGivenProjectWithPassword(t *testing.T) {
	cliHome(t)
	s := startServer(t, "sqlite", nil)
	c, u := s.signup(t, "ops")
	ok(c.CreateProject(t.Context(), api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	_, _, err := c.PutSecret(t.Context(), "shop", "prod", "KEEP", api.PutSecretRequest{Value: "kept"})
	noErr(t, err)
	sessions := len(ok(c.Sessions(t.Context())).get(t))

	r := runCLI(t, testPassword+"\n", "smoke", "--url", s.URL, "--email", u.Email, "--project", "shop", "--env", "prod").must(t)
	wantSmokeSteps(t, r.out, smokeSteps)
	for _, want := range []string{"as " + u.Email + ", with a password", "using shop/prod (owner)", "signed out"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	left := ok(c.Secrets(t.Context(), "shop", "prod", client.SecretsOptions{})).get(t)
	if len(left.Bundle.Secrets) != 1 || left.Bundle.Secrets[0].Key != "KEEP" {
		t.Errorf("secrets of shop/prod after the smoke test: %+v", left.Bundle.Secrets)
	}
	if n := len(ok(c.Sessions(t.Context())).get(t)); n != sessions {
		t.Errorf("%d sessions after the smoke test, want %d: its own was not closed", n, sessions)
	}
}

// TestSmokeFailures: the run stops at the first failing step, names it,
// and exits with the code of its cause.
func TestSmokeFailures(t *testing.T) {
	cliHome(t)
	s := startServer(t, "sqlite", nil)
	c, u := s.signup(t, "ops")
	ok(c.CreateProject(t.Context(), api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	svc := ok(c.CreateServiceToken(t.Context(), "shop", api.CreateServiceTokenRequest{
		Name: "ci", Environments: []api.Slug{"dev"}, Access: api.AccessReadWrite,
	})).get(t)
	viewer, _ := s.signup(t, "viewer")
	vpat := ok(viewer.CreatePersonalToken(t.Context(), api.CreatePersonalTokenRequest{Name: "smoke"})).get(t)
	viewerMe := ok(viewer.Me(t.Context())).get(t)
	ok(c.AddMember(t.Context(), "shop", api.AddMemberRequest{Email: viewerMe.Email, Role: api.RoleViewer})).get(t)

	for _, tt := range []struct {
		name, token, stdin string
		args               []string
		code               int
		step               string // the failing step
		msg                string // in the error
	}{
		{"WrongToken", "cof_pat_not-a-real-token", "", nil, exitUnauthorized, "sign-in", "401 unauthorized"},
		{"WrongPassword", "", "not-the-password\n", []string{"--email", u.Email}, exitUnauthorized, "sign-in", "401 unauthorized"},
		{"ServiceToken", svc.Secret, "", nil, exitUnauthorized, "sign-in", "Service tokens cannot"},
		{"NoSuchProject", "", testPassword + "\n", []string{"--email", u.Email, "--project", "nope"}, exitNotFound, "project", "404 not_found"},
		{"NoSuchEnvironment", "", testPassword + "\n", []string{"--email", u.Email, "--project", "shop", "--env", "qa"}, exitNotFound, "project", "404 not_found"},
		{"ViewerCannotAudit", vpat.Secret, "", []string{"--project", "shop"}, exitError, "project", "needs admin or owner"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envToken, tt.token)
			r := runCLI(t, tt.stdin, append([]string{"smoke", "--url", s.URL}, tt.args...)...).wantCode(t, tt.code)
			i := slices.Index(smokeSteps, tt.step)
			wantFailedAt(t, r, tt.step, smokeSteps[:i], tt.msg)
		})
	}

	t.Run("NotReady", func(t *testing.T) {
		pat := ok(c.CreatePersonalToken(t.Context(), api.CreatePersonalTokenRequest{Name: "ready"})).get(t)
		t.Setenv(envToken, pat.Secret)
		s.Health.SetDraining(true)
		defer s.Health.SetDraining(false)
		r := runCLI(t, "", "smoke", "--url", s.URL).wantCode(t, exitError)
		wantFailedAt(t, r, "ready", []string{"health"}, "does not take traffic")
	})
}

// wantFailedAt checks a failed run: the steps before passed, step failed
// and stopped the run, cleanup still ran, and the error names the step.
func wantFailedAt(t *testing.T, r cliResult, step string, before []string, msg string) {
	t.Helper()
	var names []string
	for _, l := range strings.Split(r.out, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && (f[0] == "ok" || f[0] == "FAIL") {
			names = append(names, f[0]+" "+f[1])
		}
	}
	var want []string
	for _, b := range before {
		want = append(want, "ok "+b)
	}
	want = append(want, "FAIL "+step, "ok cleanup")
	if !slices.Equal(names, want) {
		t.Errorf("steps %q, want %q\n%s", names, want, r.out)
	}
	if !strings.Contains(r.err, `smoke test failed at step "`+step+`"`) || !strings.Contains(r.err, msg) {
		t.Errorf("stderr %q does not name step %s with %q", r.err, step, msg)
	}
	if strings.Contains(r.out, "Smoke test passed") {
		t.Errorf("a failed run says it passed:\n%s", r.out)
	}
}

// TestSmokeCatchesBrokenProxy: a proxy in front of a healthy server that
// drops If-None-Match (a deployment mistake that costs every client full
// downloads) fails the etag step.
func TestSmokeCatchesBrokenProxy(t *testing.T) {
	cliHome(t)
	s := startServer(t, "sqlite", nil)
	c, _ := s.signup(t, "ops")
	pat := ok(c.CreatePersonalToken(t.Context(), api.CreatePersonalTokenRequest{Name: "smoke"})).get(t)
	t.Setenv(envToken, pat.Secret)
	target, err := url.Parse(s.URL)
	noErr(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		direct(r)
		r.Header.Del("If-None-Match")
	}
	front := httptest.NewServer(proxy)
	defer front.Close()

	r := runCLI(t, "", "smoke", "--url", front.URL).wantCode(t, exitError)
	wantFailedAt(t, r, "etag", smokeSteps[:slices.Index(smokeSteps, "etag")], "want 304")
	if !strings.Contains(r.out, "deleted project smoke-") {
		t.Errorf("the temporary project was not cleaned up after the failure:\n%s", r.out)
	}
}

// TestSmokeUnreachable: nothing listening is exit code 5 at the first step.
func TestSmokeUnreachable(t *testing.T) {
	cliHome(t)
	s := startStoppableServer(t, "sqlite")
	addr := s.URL
	s.stop(t)
	t.Setenv(envToken, "cof_pat_whatever")
	r := runCLI(t, "", "smoke", "--url", addr, "--timeout", "3s").wantCode(t, exitUnreachable)
	wantFailedAt(t, r, "health", nil, "connection refused")
}

func TestSmokeUsage(t *testing.T) {
	cliHome(t)
	for _, tt := range []struct {
		name  string
		args  []string
		token string
		msg   string
	}{
		{"NoURL", nil, "cof_pat_x", "--url is required"},
		{"NoCredentials", []string{"--url", "http://127.0.0.1:1"}, "", "no credentials"},
		{"BadURL", []string{"--url", "ftp://example.com"}, "cof_pat_x", "want http(s)"},
		{"EnvWithoutProject", []string{"--url", "http://127.0.0.1:1", "--env", "prod"}, "cof_pat_x", "--env needs --project"},
		{"BadTimeout", []string{"--url", "http://127.0.0.1:1", "--timeout", "0s"}, "cof_pat_x", "--timeout"},
		{"UnknownFlag", []string{"--url", "http://127.0.0.1:1", "--nope"}, "cof_pat_x", "unknown flag"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envToken, tt.token)
			r := runCLI(t, "", append([]string{"smoke"}, tt.args...)...).wantCode(t, exitUsage)
			if !strings.Contains(r.err, tt.msg) {
				t.Errorf("stderr %q lacks %q", r.err, tt.msg)
			}
		})
	}
}

func TestMissingAuditActions(t *testing.T) {
	ev := func(a api.AuditAction, target string, keys ...string) api.AuditEvent {
		return api.AuditEvent{Action: a, Outcome: api.AuditOutcomeSuccess, Target: target, Keys: keys}
	}
	all := []api.AuditEvent{
		ev(api.AuditActionSecretWritten, "K"), ev(api.AuditActionSecretRead, "K"),
		ev(api.AuditActionSecretsRead, "", "A", "K"), ev(api.AuditActionSecretDeleted, "K"),
	}
	if got := missingAuditActions(all, "K"); len(got) != 0 {
		t.Errorf("all present: missing %v", got)
	}
	if got := missingAuditActions(all, "OTHER"); len(got) != 4 {
		t.Errorf("another key: missing %v, want all four", got)
	}
	failed := slices.Clone(all)
	failed[3].Outcome = api.AuditOutcomeFailure
	if got := missingAuditActions(failed, "K"); !slices.Equal(got, []api.AuditAction{api.AuditActionSecretDeleted}) {
		t.Errorf("a failed delete: missing %v, want secret.deleted", got)
	}
}
