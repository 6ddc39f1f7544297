package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// cliBuildPackages are the only packages of this module that the
// command-line client alone (-tags coffer_cli) may link.
var cliBuildPackages = map[string]bool{
	"github.com/cofferhq/coffer/api":        true,
	"github.com/cofferhq/coffer/client":     true,
	"github.com/cofferhq/coffer/cmd/coffer": true,
}

// serverOnlyModules are dependencies of the server whose initialisers a
// `coffer run` must not pay for (docs/benchmarks.md).
var serverOnlyModules = []string{
	"go.opentelemetry.io/", "google.golang.org/grpc", "google.golang.org/protobuf",
	"github.com/getsentry/", "github.com/prometheus/", "github.com/jackc/pgx",
	"modernc.org/", "github.com/redis/", "github.com/pressly/goose", "filippo.io/age",
}

// TestCLIBuildSQLite builds the command-line client alone and checks that
// it links nothing of the server, and that its `run` works in a process of
// its own: the secrets reach the child, the child's exit code comes back,
// and the sealed offline copy is used once the server has gone.
func TestCLIBuildSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	deps, err := exec.Command("go", "list", "-deps", "-tags", "coffer_cli", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(deps)) {
		if strings.HasPrefix(p, "github.com/cofferhq/coffer") && !cliBuildPackages[p] {
			t.Errorf("the coffer_cli build links %s", p)
		}
		for _, m := range serverOnlyModules {
			if strings.HasPrefix(p, m) {
				t.Errorf("the coffer_cli build links %s", p)
			}
		}
	}
	bin := filepath.Join(t.TempDir(), "coffer")
	if out, err := exec.Command("go", "build", "-tags", "coffer_cli", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags coffer_cli: %v\n%s", err, out)
	}

	cliHome(t)
	s := startStoppableServer(t, "sqlite")
	owner, _ := s.signup(t, "ada")
	ctx := t.Context()
	ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	ok(owner.PutSecrets(ctx, "shop", "dev", []api.SecretInput{{Key: "API_KEY", Value: "v1"}}, client.ImportOptions{})).get(t)
	tok := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "ci", Environments: []string{"dev"}, Access: "read"})).get(t)

	run := func(args ...string) cliResult {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"run", "-p", "shop", "-e", "dev", "--"}, args...)...)
		cmd.Env = append(os.Environ(), envAddr+"="+s.URL, envToken+"="+tok.Secret, "API_KEY=inherited")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("run %s: %v", bin, err)
		}
		return cliResult{out: out.String(), err: errOut.String(), code: cmd.ProcessState.ExitCode()}
	}
	if r := run("sh", "-c", `echo "key=$API_KEY"`).must(t); r.out != "key=v1\n" {
		t.Fatalf("run printed %q", r.out)
	}
	run("sh", "-c", "exit 7").wantCode(t, 7)
	run("no-such-command-coffer").wantCode(t, exitCommandAbsent)

	s.stop(t)
	r := run("sh", "-c", `echo "key=$API_KEY"`).must(t)
	if r.out != "key=v1\n" || !strings.Contains(r.err, "OFFLINE copy of shop/dev") {
		t.Fatalf("offline run: stdout %q, stderr %q", r.out, r.err)
	}
}
