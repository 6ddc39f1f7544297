package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// smokeEnv is the environment of the temporary project a smoke test makes.
const smokeEnv = "smoke"

// smokeAuditActions are the events the smoke test's own calls must leave
// in the audit log.
var smokeAuditActions = []api.AuditAction{
	api.AuditActionSecretWritten, api.AuditActionSecretRead, api.AuditActionSecretsRead, api.AuditActionSecretDeleted,
}

// smokeOptions are the flags of `coffer smoke`.
type smokeOptions struct {
	url, email, project, env string
	timeout                  time.Duration
}

// newSmokeCmd checks a running instance end to end, for the post-deploy
// checklist (docs/deployment.md) and CI deploy jobs.
func newSmokeCmd() *cobra.Command {
	var o smokeOptions
	cmd := &cobra.Command{
		Use:   "smoke",
		Short: "Check a running instance end to end: health, sign-in, write, read, ETag, delete, audit",
		Long: `Run the critical flows against a running instance and print each step with
its timing: liveness and readiness, sign-in, a temporary project (or --project),
a secret written and read back (single and bulk), a 304 for its ETag, the
secret deleted, the audit log showing all of it, and everything it made
removed again. It stops at the first failing step, names it, and exits
non-zero (3: credentials refused, 4: --project or --env not found,
5: unreachable, 1: any other failed check).

Credentials: COFFER_TOKEN (a personal access token, cof_pat_…), or --email
with the password on standard input or the terminal; a session it opens is
closed at the end. Service tokens cannot create projects or read the audit log.
With --project the user must be an admin or owner of it; the test writes and
deletes one key named COFFER_SMOKE_… in --env.`,
		Example: `  COFFER_TOKEN=cof_pat_… coffer smoke --url https://coffer.example.com
  printf '%s\n' "$PW" | coffer smoke --url https://coffer.example.com --email smoke@example.com --project ops --env prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSmoke(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "the instance, e.g. https://coffer.example.com (default: $COFFER_ADDR)")
	f.StringVar(&o.email, "email", "", "sign in as this user (password from standard input); default: COFFER_TOKEN")
	f.StringVar(&o.project, "project", "", "use this existing project instead of a temporary one")
	f.StringVar(&o.env, "env", "", `environment to write in (default "dev" with --project)`)
	f.DurationVar(&o.timeout, "timeout", 15*time.Second, "how long each step may take")
	return cliCommand(cmd)
}

// smokeRun is one smoke test: its client, what it made, and its report.
type smokeRun struct {
	out   io.Writer
	opts  smokeOptions
	token string // COFFER_TOKEN, or "" to sign in with email and password
	pass  string
	hc    *http.Client
	c     *client.Client
	me    *api.User

	signedIn         bool   // this run opened a session: sign out at the end
	createdProject   bool   // the project is this run's: delete it at the end
	project, env     string // where the key lives
	key, value, etag string
	keyLive          bool // the key may exist: delete it at the end
	steps            int
}

func runSmoke(cmd *cobra.Command, o smokeOptions) error {
	r, err := newSmokeRun(cmd, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "Smoke test of %s\n", o.url)
	start := time.Now()
	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"health", r.health}, {"ready", r.ready}, {"sign-in", r.signIn}, {"project", r.useProject},
		{"write", r.write}, {"read", r.read}, {"read-bulk", r.readBulk}, {"etag", r.notModified},
		{"delete", r.delete}, {"read-deleted", r.readDeleted}, {"audit", r.audit},
	}
	var failed error
	for _, s := range steps {
		if failed = r.step(cmd.Context(), s.name, s.fn); failed != nil {
			break
		}
	}
	// Clean up whatever happened, without hiding the first failure.
	if err := r.step(context.WithoutCancel(cmd.Context()), "cleanup", r.cleanup); failed == nil {
		failed = err
	}
	if failed != nil {
		return failed
	}
	fmt.Fprintf(r.out, "Smoke test passed: %d steps in %s.\n", r.steps, time.Since(start).Round(time.Millisecond))
	return nil
}

func newSmokeRun(cmd *cobra.Command, o smokeOptions) (*smokeRun, error) {
	o.url = normalizeAddr(firstNonEmpty(o.url, os.Getenv(envAddr)))
	if o.url == "" {
		return nil, usagef("--url is required (or set %s)", envAddr)
	}
	if o.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}
	if o.env != "" && o.project == "" {
		return nil, usagef("--env needs --project (a temporary project has one environment, %q)", smokeEnv)
	}
	r := &smokeRun{out: cmd.OutOrStdout(), opts: o, token: os.Getenv(envToken), project: o.project, env: o.env}
	if r.env == "" && r.project != "" {
		r.env = "dev"
	}
	switch {
	case o.email != "":
		pass, err := readPassword(cmd, bufio.NewReader(cmd.InOrStdin()), stdinTerminal(cmd))
		if err != nil {
			return nil, err
		}
		r.token, r.pass = "", pass
	case r.token == "":
		return nil, usagef("no credentials: set %s to a personal access token, or pass --email", envToken)
	}
	r.hc = &http.Client{Transport: defaultTransport()}
	var err error
	if r.c, err = r.client(r.token); err != nil {
		return nil, usageError{err}
	}
	return r, nil
}

func (r *smokeRun) client(token string) (*client.Client, error) {
	opts := []client.Option{client.WithUserAgent("coffer-smoke/" + version), client.WithHTTPClient(r.hc)}
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	return client.New(r.opts.url, opts...)
}

// step runs fn within the step timeout and prints one line: ok or FAIL,
// the step, what it saw, and how long it took. A failure comes back naming
// the step, with the exit code of its cause.
func (r *smokeRun) step(ctx context.Context, name string, fn func(context.Context) (string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.timeout)
	defer cancel()
	t0 := time.Now()
	detail, err := fn(ctx)
	took := time.Since(t0).Round(time.Millisecond)
	r.steps++
	if err != nil {
		fmt.Fprintf(r.out, "  FAIL  %-12s %s (%s)\n", name, smokeErrText(err), took)
		return &exitStatus{code: exitCode(err), err: fmt.Errorf("smoke test failed at step %q: %s", name, smokeErrText(err))}
	}
	fmt.Fprintf(r.out, "  ok    %-12s %s (%s)\n", name, detail, took)
	return nil
}

// smokeErrText is the line a failure prints: the server's status, code,
// detail and request id, or the transport's error.
func smokeErrText(err error) string {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return err.Error()
	}
	s := fmt.Sprintf("%d %s: %s", ce.Status, ce.Code, ce.Detail)
	if ce.RequestID != "" {
		s += " (request id " + ce.RequestID + ")"
	}
	return s
}

func (r *smokeRun) health(ctx context.Context) (string, error) {
	h, err := r.c.Health(ctx)
	if err != nil {
		return "", err
	}
	if h.Status != api.HealthStatusOk {
		return "", fmt.Errorf("GET /health: status %q, want ok", h.Status)
	}
	return "GET /health: ok", nil
}

func (r *smokeRun) ready(ctx context.Context) (string, error) {
	h, err := r.c.HealthReady(ctx)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(h.Components)) {
		parts = append(parts, name+" "+string(h.Components[name].Status))
	}
	seen := fmt.Sprintf("GET /health/ready: %s (%s)", h.Status, strings.Join(parts, ", "))
	if h.Status != api.HealthStatusOk && h.Status != api.HealthStatusDegraded {
		return "", errors.New(seen + ": the instance does not take traffic")
	}
	return seen, nil
}

func (r *smokeRun) signIn(ctx context.Context) (string, error) {
	how := "with COFFER_TOKEN"
	if r.token == "" {
		res, err := r.c.Token(ctx, api.TokenRequest{GrantType: api.GrantTypePassword, Email: r.opts.email, Password: r.pass})
		if err != nil {
			return "", err
		}
		if r.c, err = r.client(res.AccessToken); err != nil {
			return "", err
		}
		r.signedIn, how = true, "with a password"
	}
	me, err := r.c.Me(ctx)
	if err != nil {
		return "", err
	}
	r.me = me
	return fmt.Sprintf("as %s, %s", me.Email, how), nil
}

func (r *smokeRun) useProject(ctx context.Context) (string, error) {
	if r.project != "" {
		p, err := r.c.Project(ctx, r.project)
		if err != nil {
			return "", err
		}
		if p.Role != api.RoleOwner && p.Role != api.RoleAdmin {
			return "", fmt.Errorf("reading the audit log of %s needs admin or owner; %s is %s", p.Slug, r.me.Email, p.Role)
		}
		if _, err := r.c.Environment(ctx, r.project, r.env); err != nil {
			return "", err
		}
		return fmt.Sprintf("using %s/%s (%s)", r.project, r.env, p.Role), nil
	}
	slug := "smoke-" + time.Now().UTC().Format("20060102-150405") + "-" + randomHex(3)
	p, err := r.c.CreateProject(ctx, api.CreateProjectRequest{
		Slug: slug, Name: "Smoke test " + slug, Environments: []api.Slug{smokeEnv},
	})
	if err != nil {
		return "", err
	}
	r.project, r.env, r.createdProject = p.Slug, smokeEnv, true
	return fmt.Sprintf("created %s/%s", r.project, r.env), nil
}

func (r *smokeRun) write(ctx context.Context) (string, error) {
	r.key, r.value = "COFFER_SMOKE_"+strings.ToUpper(randomHex(4)), randomHex(16)
	r.keyLive = true
	s, created, err := r.c.PutSecret(ctx, r.project, r.env, r.key, api.PutSecretRequest{Value: r.value, Comment: "coffer smoke"})
	if err != nil {
		return "", err
	}
	if !created {
		return "", fmt.Errorf("PUT %s answered 200 (updated), want 201 for a new key", r.key)
	}
	return fmt.Sprintf("PUT %s: 201, version %d", r.key, s.Version), nil
}

func (r *smokeRun) read(ctx context.Context) (string, error) {
	s, err := r.c.Secret(ctx, r.project, r.env, r.key)
	if err != nil {
		return "", err
	}
	if s.Value == nil || *s.Value != r.value {
		return "", fmt.Errorf("GET %s: the value differs from the one written", r.key)
	}
	return fmt.Sprintf("GET %s: the value written, version %d", r.key, s.Version), nil
}

func (r *smokeRun) readBulk(ctx context.Context) (string, error) {
	res, err := r.c.Secrets(ctx, r.project, r.env, client.SecretsOptions{})
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(res.Bundle.Secrets, func(s api.Secret) bool { return s.Key == r.key })
	if i < 0 || res.Bundle.Secrets[i].Value == nil || *res.Bundle.Secrets[i].Value != r.value {
		return "", fmt.Errorf("bulk read of %s/%s: %s missing or with another value", r.project, r.env, r.key)
	}
	if res.ETag == "" {
		return "", errors.New("bulk read answered without an ETag")
	}
	r.etag = res.ETag
	return fmt.Sprintf("%d secret(s) at revision %d, ETag %s", len(res.Bundle.Secrets), res.Bundle.Revision, res.ETag), nil
}

func (r *smokeRun) notModified(ctx context.Context) (string, error) {
	res, err := r.c.Secrets(ctx, r.project, r.env, client.SecretsOptions{IfNoneMatch: r.etag})
	if err != nil {
		return "", err
	}
	if !res.NotModified {
		return "", fmt.Errorf("If-None-Match %s answered 200, want 304 (nothing changed)", r.etag)
	}
	return "If-None-Match " + r.etag + ": 304 Not Modified", nil
}

func (r *smokeRun) delete(ctx context.Context) (string, error) {
	if err := r.c.DeleteSecret(ctx, r.project, r.env, r.key); err != nil {
		return "", err
	}
	r.keyLive = false
	return "DELETE " + r.key + ": 204", nil
}

func (r *smokeRun) readDeleted(ctx context.Context) (string, error) {
	if _, err := r.c.Secret(ctx, r.project, r.env, r.key); !client.IsNotFound(err) {
		return "", fmt.Errorf("GET %s after its delete: %v, want 404", r.key, err)
	}
	res, err := r.c.Secrets(ctx, r.project, r.env, client.SecretsOptions{IfNoneMatch: r.etag})
	if err != nil {
		return "", err
	}
	if res.NotModified {
		return "", fmt.Errorf("If-None-Match %s answered 304 after a delete: the revision did not move", r.etag)
	}
	if slices.ContainsFunc(res.Bundle.Secrets, func(s api.Secret) bool { return s.Key == r.key }) {
		return "", fmt.Errorf("the bulk read still lists %s after its delete", r.key)
	}
	return fmt.Sprintf("GET %s: 404; bulk read at revision %d, ETag %s", r.key, res.Bundle.Revision, res.ETag), nil
}

// audit waits, within the step's timeout, for the events of this run's own
// calls: the audit log is written with the change (or before a read's
// values are returned), but a read replica may lag behind.
func (r *smokeRun) audit(ctx context.Context) (string, error) {
	for {
		list, err := r.c.Audit(ctx, r.project, client.AuditQuery{Actor: r.me.ID, Environment: r.env, Limit: 200})
		if err != nil {
			return "", err
		}
		missing := missingAuditActions(list.Events, r.key)
		if len(missing) == 0 {
			return "events " + joinActions(smokeAuditActions) + " for " + r.key, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("the audit log of %s/%s lacks %s for %s", r.project, r.env, joinActions(missing), r.key)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// missingAuditActions lists the smokeAuditActions that no event about key
// records: single-key events name it as their target, bulk reads in Keys.
func missingAuditActions(events []api.AuditEvent, key string) []api.AuditAction {
	var missing []api.AuditAction
	for _, want := range smokeAuditActions {
		if !slices.ContainsFunc(events, func(e api.AuditEvent) bool {
			return e.Action == want && e.Outcome == api.AuditOutcomeSuccess &&
				(e.Target == key || slices.Contains(e.Keys, key))
		}) {
			missing = append(missing, want)
		}
	}
	return missing
}

func joinActions(as []api.AuditAction) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// cleanup removes what the run made: its key (in a given project), its
// temporary project, and the session it opened.
func (r *smokeRun) cleanup(ctx context.Context) (string, error) {
	var done []string
	var errs []error
	if r.keyLive && !r.createdProject {
		if err := r.c.DeleteSecret(ctx, r.project, r.env, r.key); err != nil && !client.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %s", r.key, smokeErrText(err)))
		} else {
			done = append(done, "deleted "+r.key)
		}
	}
	if r.createdProject {
		if err := r.c.DeleteProject(ctx, r.project); err != nil {
			errs = append(errs, fmt.Errorf("delete project %s: %s", r.project, smokeErrText(err)))
		} else {
			done = append(done, "deleted project "+r.project)
		}
	}
	if r.signedIn {
		if err := r.c.Logout(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sign out: %s", smokeErrText(err)))
		} else {
			done = append(done, "signed out")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	if len(done) == 0 {
		return "nothing to clean up", nil
	}
	return strings.Join(done, ", "), nil
}

// randomHex returns n random bytes in hex, to keep concurrent runs apart.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
