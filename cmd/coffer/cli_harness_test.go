package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/logtest"
)

// cliHome points the CLI's config and cache directories at a fresh
// temporary home and clears the variables that would override stored
// credentials. It uses t.Setenv, so its tests cannot be parallel.
func cliHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv(envAddr, "")
	t.Setenv(envToken, "")
	return home
}

// cliResult is what one in-process run of the binary printed and returned.
type cliResult struct {
	out, err string
	code     int
}

// runCLI runs `coffer args…` in-process with stdin, as main would, and
// returns its output and exit code.
func runCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	return runCLIContext(t.Context(), stdin, args...)
}

func runCLIContext(ctx context.Context, stdin string, args ...string) cliResult {
	var out, errOut logtest.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	err := root.ExecuteContext(ctx)
	return cliResult{out: out.String(), err: errOut.String(), code: exitCode(err)}
}

// must fails the test unless the command exited 0.
func (r cliResult) must(t *testing.T) cliResult {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	return r
}

// wantCode fails the test unless the command exited with code.
func (r cliResult) wantCode(t *testing.T, code int) cliResult {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %d\nstdout:\n%s\nstderr:\n%s", code, r.code, r.out, r.err)
	}
	return r
}

// stoppableServer is a test server the test itself can take down, to
// see what the CLI does when the server is unreachable.
type stoppableServer struct {
	*testServer
	once sync.Once
}

func startStoppableServer(t *testing.T, backend string) *stoppableServer {
	t.Helper()
	cfg := testConfig(t, backend, nil)
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	if err := m.Run(context.WithoutCancel(t.Context())); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s := &stoppableServer{testServer: &testServer{Main: m, URL: m.URL(), Logs: &logtest.Buffer{}}}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *stoppableServer) stop(t *testing.T) {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Main.Close(ctx, 0); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
}

// signIn creates an account with a project "shop" and signs the CLI in
// with the password on standard input.
func signInCLI(t *testing.T, s *testServer) string {
	t.Helper()
	c, u := s.signup(t, "ada")
	ok(c.CreateProject(t.Context(), api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	r := runCLI(t, testPassword+"\n", "login", "--addr", s.URL, "--email", u.Email).must(t)
	if !strings.Contains(r.out, "Signed in to "+s.URL+" as "+u.Email) {
		t.Fatalf("login said %q", r.out)
	}
	return u.Email
}

// eventually retries cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fileMode is the permission bits of name.
func fileMode(t *testing.T, name string) os.FileMode {
	t.Helper()
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}
