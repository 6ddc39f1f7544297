package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/logtest"
	"go.yaml.in/yaml/v3"
)

// TestCLIJourney walks a developer's day through the binary, in process,
// against a real server on each store: sign in, write, read, export, run,
// watch, survive an outage, sign out.
func TestCLIJourney(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { testCLIJourney(t, backend) })
	}
}

func testCLIJourney(t *testing.T, backend string) {
	home := cliHome(t)
	s := startStoppableServer(t, backend)
	email := signInCLI(t, s.testServer)

	creds := filepath.Join(home, "config", "coffer", "credentials.json")
	if m := fileMode(t, creds); m != 0o600 {
		t.Fatalf("credentials mode %04o, want 0600", m)
	}
	if m := fileMode(t, filepath.Dir(creds)); m != 0o700 {
		t.Fatalf("credentials dir mode %04o, want 0700", m)
	}
	if r := runCLI(t, "", "whoami").must(t); !strings.Contains(r.out, email) {
		t.Fatalf("whoami: %q", r.out)
	}

	runCLI(t, "", "secrets", "set", "-p", "shop", "-e", "dev", "API_KEY=v1", "DB_URL=postgres://db/shop").must(t)
	runCLI(t, "s3cret with spaces\n", "secrets", "set", "-p", "shop", "-e", "dev", "TOKEN", "--value-stdin").must(t)
	if r := runCLI(t, "", "secrets", "get", "TOKEN", "-p", "shop", "-e", "dev").must(t); r.out != "s3cret with spaces\n" {
		t.Fatalf("get TOKEN: %q", r.out)
	}
	if r := runCLI(t, "", "secrets", "list", "-p", "shop", "-e", "dev").must(t); !strings.Contains(r.out, "API_KEY") || strings.Contains(r.out, "v1") {
		t.Fatalf("list shows keys, not values: %q", r.out)
	}

	t.Run("export", func(t *testing.T) { checkExports(t) })

	// Secrets override inherited variables.
	t.Setenv("API_KEY", "inherited")
	if r := runCLI(t, "", "run", "-p", "shop", "-e", "dev", "--", "sh", "-c", `echo "key=$API_KEY"`).must(t); r.out != "key=v1\n" {
		t.Fatalf("run printed %q", r.out)
	}
	runCLI(t, "", "run", "-p", "shop", "-e", "dev", "--", "sh", "-c", "exit 7").wantCode(t, 7)
	runCLI(t, "", "run", "-p", "shop", "-e", "dev", "--", "no-such-command-coffer").wantCode(t, exitCommandAbsent)

	t.Run("watch", func(t *testing.T) { checkWatch(t) })
	// Cache v1 under the current refresh token; the refresh below rotates
	// it, and the offline run must still open the copy (re-sealed).
	runCLI(t, "", "run", "-p", "shop", "-e", "dev", "--", "true").must(t)
	t.Run("refresh", func(t *testing.T) { checkTransparentRefresh(t, creds) })

	// Outage: the server is gone; run uses the sealed copy, loudly.
	s.stop(t)
	r := runCLI(t, "", "run", "-p", "shop", "-e", "dev", "--", "sh", "-c", `echo "key=$API_KEY"`).must(t)
	if r.out != "key=v1\n" {
		t.Fatalf("offline run printed %q", r.out)
	}
	if !strings.Contains(r.err, "WARNING") || !strings.Contains(r.err, "OFFLINE copy of shop/dev fetched") || !strings.Contains(r.err, "ago") {
		t.Fatalf("offline run did not warn: %q", r.err)
	}
	runCLI(t, "", "secrets", "list", "-p", "shop", "-e", "dev").wantCode(t, exitUnreachable)
	runCLI(t, "", "run", "-p", "shop", "-e", "staging", "--", "true").wantCode(t, exitUnreachable)

	// Another token, on the same server, cannot open the copy.
	t.Setenv(envAddr, s.URL)
	t.Setenv(envToken, "cof_pat_someone_else")
	r = runCLI(t, "", "run", "-p", "shop", "-e", "dev", "--", "true").wantCode(t, exitUnreachable)
	if !strings.Contains(r.err, "cannot be opened") {
		t.Fatalf("foreign token: %q", r.err)
	}
	t.Setenv(envAddr, "")
	t.Setenv(envToken, "")

	// Sign out while the server is away: the file goes anyway, with a warning.
	r = runCLI(t, "", "logout").must(t)
	if !strings.Contains(r.err, "could not revoke") {
		t.Fatalf("logout offline should warn: %q", r.err)
	}
	if _, err := os.Stat(creds); !os.IsNotExist(err) {
		t.Fatalf("credentials still there: %v", err)
	}
	runCLI(t, "", "whoami").wantCode(t, exitUnauthorized)
}

// checkExports exports shop/dev in every format and reads each back.
func checkExports(t *testing.T) {
	export := func(format string) string {
		return runCLI(t, "", "secrets", "export", "-p", "shop", "-e", "dev", "--format", format).must(t).out
	}
	if out := export("dotenv"); !strings.Contains(out, `API_KEY="v1"`) || !strings.Contains(out, `TOKEN="s3cret with spaces"`) {
		t.Fatalf("dotenv: %q", out)
	}
	var asJSON map[string]string
	if err := json.Unmarshal([]byte(export("json")), &asJSON); err != nil || asJSON["DB_URL"] != "postgres://db/shop" {
		t.Fatalf("json: %v %v", asJSON, err)
	}
	var asYAML map[string]string
	if err := yaml.Unmarshal([]byte(export("yaml")), &asYAML); err != nil || asYAML["TOKEN"] != "s3cret with spaces" {
		t.Fatalf("yaml: %v %v", asYAML, err)
	}
	var k8s struct {
		Kind     string `yaml:"kind"`
		Metadata struct{ Name string }
		Data     map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal([]byte(export("k8s")), &k8s); err != nil {
		t.Fatal(err)
	}
	v, _ := base64.StdEncoding.DecodeString(k8s.Data["API_KEY"])
	if k8s.Kind != "Secret" || k8s.Metadata.Name != "shop-dev" || string(v) != "v1" {
		t.Fatalf("k8s: %+v", k8s)
	}
	runCLI(t, "", "secrets", "export", "-p", "shop", "-e", "dev", "--format", "toml").wantCode(t, exitUsage)
}

// checkWatch runs a long-lived child under --watch, changes a secret
// through the CLI, and expects the old child to get SIGTERM and a new one
// to see the new value.
func checkWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut logtest.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs([]string{"run", "-p", "shop", "-e", "dev", "--watch", "--debounce", "100ms", "--grace", "2s", "--",
		"sh", "-c", `trap 'echo "term:$API_KEY"; exit 0' TERM; echo "start:$API_KEY"; while :; do sleep 0.05; done`})
	root.SetIn(strings.NewReader(""))
	done := make(chan int, 1)
	go func() { done <- exitCode(root.ExecuteContext(ctx)) }()

	eventually(t, 5*time.Second, "first child started", func() bool { return strings.Contains(out.String(), "start:v1") })
	// Let the subscription settle, then change the value through the client.
	time.Sleep(300 * time.Millisecond)
	runCLI(t, "", "secrets", "set", "-p", "shop", "-e", "dev", "API_KEY=v2").must(t)
	eventually(t, 5*time.Second, "new child sees v2", func() bool { return strings.Contains(out.String(), "start:v2") })
	if !strings.Contains(out.String(), "term:v1\nstart:v2") {
		t.Fatalf("old child was not stopped with SIGTERM before the new one started:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "restarting the command") {
		t.Fatalf("restart not announced: %q", errOut.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("watch exited %d:\n%s", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run --watch did not stop")
	}
	if !strings.Contains(out.String(), "term:v2") {
		t.Fatalf("the last child was not stopped with SIGTERM:\n%s", out.String())
	}
	runCLI(t, "", "secrets", "set", "-p", "shop", "-e", "dev", "API_KEY=v1").must(t)
}

// checkTransparentRefresh spoils the stored access token and expects the
// next command to renew it with the refresh token and save the rotation.
func checkTransparentRefresh(t *testing.T, creds string) {
	var before credentials
	b, err := os.ReadFile(creds)
	noErr(t, err)
	noErr(t, json.Unmarshal(b, &before))
	spoiled := before
	spoiled.AccessToken = "expired.jwt.token"
	b, _ = json.Marshal(spoiled)
	noErr(t, os.WriteFile(creds, b, 0o600))

	runCLI(t, "", "whoami").must(t)
	var after credentials
	b, err = os.ReadFile(creds)
	noErr(t, err)
	noErr(t, json.Unmarshal(b, &after))
	if after.RefreshToken == before.RefreshToken || after.AccessToken == spoiled.AccessToken {
		t.Fatalf("tokens not rotated and saved")
	}
	if m := fileMode(t, creds); m != 0o600 {
		t.Fatalf("credentials mode after refresh %04o", m)
	}
}
