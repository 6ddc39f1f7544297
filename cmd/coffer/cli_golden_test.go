package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

var updateGolden = flag.Bool("update", false, "rewrite the CLI golden files in testdata/")

// volatile matches what changes from run to run: times, ids, the
// server's port. It is replaced before comparing with a golden file.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "2026-01-02T03:04:05Z"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "00000000-0000-0000-0000-000000000000"},
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "http://127.0.0.1:PORT"},
}

// golden compares got with testdata/name.golden, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	for _, v := range volatile {
		got = v.re.ReplaceAllString(got, v.with)
	}
	file := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		noErr(t, os.MkdirAll("testdata", 0o755))
		noErr(t, os.WriteFile(file, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run with -update if the change is intended):\n--- got\n%s\n--- want\n%s", name, file, got, want)
	}
}

// TestCLIGoldenOutputSQLite pins the human and machine output of the
// list, get and export commands, then checks that logout revokes the
// session on the server.
func TestCLIGoldenOutputSQLite(t *testing.T) {
	cliHome(t)
	s := startServer(t, "sqlite", nil)
	signInCLI(t, s)
	runCLI(t, "", "secrets", "set", "-p", "shop", "-e", "dev", "--comment", "rotated monthly",
		"API_KEY=abc123", "DB_URL=postgres://app:pw@db:5432/shop?sslmode=require").must(t)
	runCLI(t, "line one\nline \"two\"\n", "secrets", "set", "-p", "shop", "-e", "dev", "MULTI", "--value-stdin").must(t)

	cases := []struct {
		name string
		args []string
	}{
		{"projects_list", []string{"projects", "list"}},
		{"projects_list_json", []string{"projects", "list", "-o", "json"}},
		{"envs_list", []string{"envs", "list", "-p", "shop"}},
		{"envs_list_json", []string{"envs", "list", "-p", "shop", "-o", "json"}},
		{"secrets_list", []string{"secrets", "list", "-p", "shop", "-e", "dev"}},
		{"secrets_list_reveal", []string{"secrets", "list", "-p", "shop", "-e", "dev", "--reveal"}},
		{"secrets_list_json", []string{"secrets", "list", "-p", "shop", "-e", "dev", "-o", "json"}},
		{"secrets_get", []string{"secrets", "get", "MULTI", "-p", "shop", "-e", "dev"}},
		{"secrets_get_json", []string{"secrets", "get", "API_KEY", "-p", "shop", "-e", "dev", "-o", "json"}},
		{"export_dotenv", []string{"secrets", "export", "-p", "shop", "-e", "dev"}},
		{"export_json", []string{"secrets", "export", "-p", "shop", "-e", "dev", "-f", "json"}},
		{"export_yaml", []string{"secrets", "export", "-p", "shop", "-e", "dev", "-f", "yaml"}},
		{"export_k8s", []string{"secrets", "export", "-p", "shop", "-e", "dev", "-f", "k8s", "--name", "Shop_App"}},
		{"whoami", []string{"whoami"}},
	}
	for _, c := range cases {
		golden(t, "cli_"+c.name, runCLI(t, "", c.args...).must(t).out)
	}

	// Errors carry the server's detail and request id, and their code.
	r := runCLI(t, "", "secrets", "get", "NOPE", "-p", "shop", "-e", "dev").wantCode(t, exitNotFound)
	if !strings.Contains(r.err, "request id") {
		t.Errorf("error without request id: %q", r.err)
	}
	runCLI(t, "", "secrets", "list", "-p", "shop").wantCode(t, exitUsage)
	runCLI(t, "", "secrets", "list", "-p", "shop", "-e", "dev", "--bogus").wantCode(t, exitUsage)
	runCLI(t, "", "secrets", "set", "-p", "shop", "-e", "dev", "NOEQUALS").wantCode(t, exitUsage)

	// Import: dry run changes nothing, prune deletes what the file omits.
	dotenv := "API_KEY=abc123\nNEW_ONE=\"hello world\"\n"
	r = runCLI(t, dotenv, "secrets", "import", "-", "-p", "shop", "-e", "dev", "--prune", "--dry-run").must(t)
	golden(t, "cli_import_dry_run", r.out)
	runCLI(t, `{"PORT": 8080, "DEBUG": false}`, "secrets", "import", "-", "-p", "shop", "-e", "staging").must(t)
	if got := runCLI(t, "", "secrets", "get", "PORT", "-p", "shop", "-e", "staging").must(t).out; got != "8080\n" {
		t.Fatalf("imported PORT: %q", got)
	}

	// Shell completions are served by cobra's default command.
	if out := runCLI(t, "", "completion", "bash").must(t).out; !strings.Contains(out, "bash completion") {
		t.Fatalf("completion bash: %.80q", out)
	}

	// Logout revokes the refresh token on the server, not only the file.
	store, err := newCredStore()
	noErr(t, err)
	creds, err := store.load()
	noErr(t, err)
	runCLI(t, "", "logout").must(t)
	_, err = s.newClient(t).Token(t.Context(), api.TokenRequest{GrantType: api.GrantTypeRefreshToken, RefreshToken: creds.RefreshToken})
	if !client.IsUnauthorized(err) {
		t.Fatalf("refresh after logout: want 401, got %v", err)
	}
}

// TestCLICredentialsRefusedWhenReadableByOthers checks that a credentials
// file others can read is not used.
func TestCLICredentialsRefusedWhenReadableByOthers(t *testing.T) {
	home := cliHome(t)
	s := startServer(t, "sqlite", nil)
	signInCLI(t, s)
	creds := filepath.Join(home, "config", "coffer", "credentials.json")
	noErr(t, os.Chmod(creds, 0o644))
	r := runCLI(t, "", "whoami").wantCode(t, exitError)
	if !strings.Contains(r.err, "readable by others") {
		t.Fatalf("want a refusal, got %q", r.err)
	}
	runCLI(t, "", "projects", "list").wantCode(t, exitError)
	noErr(t, os.Chmod(creds, 0o600))
	runCLI(t, "", "projects", "list").must(t)

	// Stored tokens are never sent to another server named by COFFER_ADDR.
	t.Setenv(envAddr, "http://127.0.0.1:1")
	runCLI(t, "", "projects", "list").wantCode(t, exitUnauthorized)
}

// TestCLIGoldenHistorySQLite pins the output of `secrets history` (table,
// values, JSON) over a secret that was updated, deleted and restored, of
// `secrets deleted` (table, JSON), and the lines `secrets rollback` and
// `secrets restore` print.
func TestCLIGoldenHistorySQLite(t *testing.T) {
	cliHome(t)
	s := startServer(t, "sqlite", nil)
	signInCLI(t, s)
	shop := []string{"-p", "shop", "-e", "prod"}
	runCLI(t, "", append([]string{"secrets", "set", "TOKEN=first", "--comment", "issued by vendor"}, shop...)...).must(t)
	runCLI(t, "second\tline\nand more\n", append([]string{"secrets", "set", "TOKEN", "--value-stdin", "--comment", "rotated\nby ops"}, shop...)...).must(t)
	runCLI(t, "", append([]string{"secrets", "delete", "TOKEN"}, shop...)...).must(t)
	golden(t, "cli_secrets_deleted", runCLI(t, "", append([]string{"secrets", "deleted"}, shop...)...).must(t).out)
	golden(t, "cli_secrets_deleted_json", runCLI(t, "", append([]string{"secrets", "deleted", "-o", "json"}, shop...)...).must(t).out)
	golden(t, "cli_secrets_rollback", runCLI(t, "", append([]string{"secrets", "rollback", "TOKEN", "1"}, shop...)...).must(t).out)
	runCLI(t, "", append([]string{"secrets", "delete", "TOKEN"}, shop...)...).must(t)
	golden(t, "cli_secrets_restore", runCLI(t, "", append([]string{"secrets", "restore", "TOKEN"}, shop...)...).must(t).out)

	cases := []struct {
		name string
		args []string
	}{
		{"secrets_history", []string{"secrets", "history", "TOKEN"}},
		{"secrets_history_reveal", []string{"secrets", "history", "TOKEN", "--reveal"}},
		{"secrets_history_json", []string{"secrets", "history", "TOKEN", "-o", "json"}},
		{"secrets_history_json_reveal", []string{"secrets", "history", "TOKEN", "-o", "json", "--reveal"}},
	}
	for _, c := range cases {
		golden(t, "cli_"+c.name, runCLI(t, "", append(c.args, shop...)...).must(t).out)
	}
}
