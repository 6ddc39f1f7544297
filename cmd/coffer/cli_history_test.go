package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestCLISecretHistory restores a deleted secret the way a user would, on
// each store: find the version with `secrets history`, bring it back with
// `secrets rollback`, read it again.
func TestCLISecretHistory(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { testCLISecretHistory(t, backend) })
	}
}

// historyOutput is what `secrets history --output json` prints.
type historyOutput struct {
	Key      string        `json:"key"`
	Versions []versionView `json:"versions"`
}

// historyJSON runs `secrets history KEY -o json` with args and decodes it.
func historyJSON(t *testing.T, key string, args ...string) historyOutput {
	t.Helper()
	r := runCLI(t, "", append([]string{"secrets", "history", key, "-p", "shop", "-e", "dev", "-o", "json"}, args...)...).must(t)
	var h historyOutput
	noErr(t, json.Unmarshal([]byte(r.out), &h))
	return h
}

func versionNumbers(h historyOutput) []int64 {
	var n []int64
	for _, v := range h.Versions {
		n = append(n, v.Version)
	}
	return n
}

func testCLISecretHistory(t *testing.T, backend string) {
	cliHome(t)
	s := startServer(t, backend, nil)
	signInCLI(t, s)
	dev := []string{"-p", "shop", "-e", "dev"}
	cli := func(stdin string, args ...string) cliResult {
		t.Helper()
		return runCLI(t, stdin, append(args, dev...)...)
	}
	cli("", "secrets", "set", "API_KEY=the-good-one", "--comment", "from the vendor").must(t)
	cli("", "secrets", "set", "API_KEY=a-bad-one").must(t)
	cli("", "secrets", "delete", "API_KEY").must(t)
	cli("", "secrets", "get", "API_KEY").wantCode(t, exitNotFound)

	// The table hides values and marks the deletion; the history of a
	// deleted key is there to be read.
	table := cli("", "secrets", "history", "API_KEY").must(t).out
	if strings.Contains(table, "the-good-one") || strings.Contains(table, "a-bad-one") {
		t.Fatalf("history shows values without --reveal:\n%s", table)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "3 ") || !strings.Contains(lines[1], " yes") ||
		strings.Contains(lines[2], " yes") || !strings.Contains(lines[3], "from the vendor") {
		t.Fatalf("history table:\n%s", table)
	}
	if out := cli("", "secrets", "history", "API_KEY", "--reveal").must(t).out; !strings.Contains(out, "the-good-one") {
		t.Fatalf("history --reveal shows no values:\n%s", out)
	}
	for _, v := range historyJSON(t, "API_KEY").Versions {
		if v.Value != nil {
			t.Fatalf("history -o json shows a value without --reveal: %+v", v)
		}
	}

	// Find the version to restore as a script would.
	h := historyJSON(t, "API_KEY", "--reveal")
	if got := versionNumbers(h); h.Key != "API_KEY" || !slices.Equal(got, []int64{3, 2, 1}) {
		t.Fatalf("history: key %q, versions %v, want 3 2 1", h.Key, got)
	}
	if v := h.Versions[0]; !v.Deleted || v.Value != nil {
		t.Fatalf("the deletion: %+v", v)
	}
	var good int64
	for _, v := range h.Versions {
		if v.Value != nil && *v.Value == "the-good-one" {
			good = v.Version
		}
	}
	if good != 1 {
		t.Fatalf("the good value is in version %d, want 1", good)
	}

	r := cli("", "secrets", "rollback", "API_KEY", fmt.Sprint(good)).must(t)
	if want := "Rolled API_KEY in shop/dev back to version 1: now version 4.\n"; r.out != want {
		t.Fatalf("rollback said %q, want %q", r.out, want)
	}
	if out := cli("", "secrets", "get", "API_KEY").must(t).out; out != "the-good-one\n" {
		t.Fatalf("restored value: %q", out)
	}
	h = historyJSON(t, "API_KEY", "--limit", "2", "--reveal")
	if got := versionNumbers(h); !slices.Equal(got, []int64{4, 3}) {
		t.Fatalf("history --limit 2: versions %v, want 4 3", got)
	}
	if v := h.Versions[0]; v.Deleted || deref(v.Value) != "the-good-one" || v.Comment != "from the vendor" {
		t.Fatalf("the restored version: %+v", v)
	}

	// The other way back: find it among the deleted, restore its last value.
	cli("", "secrets", "set", "OLD_KEY=kept-value").must(t)
	cli("", "secrets", "delete", "OLD_KEY").must(t)
	var list struct{ Secrets []deletedView }
	noErr(t, json.Unmarshal([]byte(cli("", "secrets", "deleted", "-o", "json").must(t).out), &list))
	if len(list.Secrets) != 1 || list.Secrets[0].Key != "OLD_KEY" || list.Secrets[0].RestoreVersion != 1 || list.Secrets[0].Version != 2 {
		t.Fatalf("secrets deleted: %+v, want OLD_KEY deleted in version 2, restorable from 1", list.Secrets)
	}
	if r := cli("", "secrets", "restore", "OLD_KEY").must(t); r.out != "Restored OLD_KEY in shop/dev from version 1: now version 3.\n" {
		t.Fatalf("restore said %q", r.out)
	}
	if out := cli("", "secrets", "get", "OLD_KEY").must(t).out; out != "kept-value\n" {
		t.Fatalf("restored value: %q", out)
	}
	if out := cli("", "secrets", "deleted").must(t).out; strings.Contains(out, "OLD_KEY") {
		t.Fatalf("a restored key is still listed as deleted:\n%s", out)
	}

	t.Run("errors", func(t *testing.T) {
		if r := cli("", "secrets", "restore", "OLD_KEY").wantCode(t, exitNotFound); !strings.Contains(r.err, "not a deleted secret") {
			t.Errorf("restore of a live key: %q", r.err)
		}
		cli("", "secrets", "restore").wantCode(t, exitUsage)
		cli("", "secrets", "deleted", "extra").wantCode(t, exitUsage)
		cli("", "secrets", "deleted", "-o", "xml").wantCode(t, exitUsage)
		for _, version := range []string{"0", "abc", "1.5", "-1", "99999999999999999999"} {
			// After --, as a negative number would otherwise be read as a flag.
			r := runCLI(t, "", "secrets", "rollback", "-p", "shop", "-e", "dev", "API_KEY", "--", version).wantCode(t, exitUsage)
			if !strings.Contains(r.err, "VERSION must be a positive integer") {
				t.Errorf("rollback %s: %q", version, r.err)
			}
		}
		cli("", "secrets", "rollback", "API_KEY").wantCode(t, exitUsage)
		cli("", "secrets", "history").wantCode(t, exitUsage)
		cli("", "secrets", "history", "API_KEY", "--limit", "-1").wantCode(t, exitUsage)
		cli("", "secrets", "history", "API_KEY", "-o", "xml").wantCode(t, exitUsage)
		runCLI(t, "", "secrets", "rollback", "API_KEY", "1", "-p", "shop").wantCode(t, exitUsage)

		for _, args := range [][]string{{"history", "NOPE"}, {"rollback", "NOPE", "1"}} {
			r := cli("", append([]string{"secrets"}, args...)...).wantCode(t, exitNotFound)
			if !strings.Contains(r.err, "Secret not found.") || !strings.Contains(r.err, "request id") {
				t.Errorf("%v: %q", args, r.err)
			}
		}
		if r := cli("", "secrets", "rollback", "API_KEY", "99").wantCode(t, exitNotFound); !strings.Contains(r.err, "Version 99 of API_KEY not found.") {
			t.Errorf("rollback to a missing version: %q", r.err)
		}
		if r := cli("", "secrets", "rollback", "API_KEY", "3").wantCode(t, exitError); !strings.Contains(r.err, "records a deletion") {
			t.Errorf("rollback to the deletion: %q", r.err)
		}
	})

	// A history longer than the server's default page (50) is read to the end.
	t.Run("pages", func(t *testing.T) {
		const n = 55
		for i := 1; i <= n; i++ {
			cli("", "secrets", "set", fmt.Sprintf("PAGED=v%d", i)).must(t)
		}
		_, c, err := connect()
		noErr(t, err)
		first := ok(c.SecretVersions(t.Context(), "shop", "dev", "PAGED", "", 0)).get(t)
		if first.NextCursor == "" || len(first.Versions) >= n {
			t.Fatalf("%d versions fit one page of the server's: this test reads no second page", n)
		}
		got := versionNumbers(historyJSON(t, "PAGED"))
		if len(got) != n || got[0] != n || got[n-1] != 1 || !slices.IsSortedFunc(got, func(a, b int64) int { return int(b - a) }) {
			t.Fatalf("history of %d versions: %v", n, got)
		}
		if got := versionNumbers(historyJSON(t, "PAGED", "--limit", "52")); len(got) != 52 || got[0] != n || got[51] != n-51 {
			t.Fatalf("history --limit 52: %v", got)
		}
		if out := cli("", "secrets", "history", "PAGED").must(t).out; strings.Count(out, "\n") != n+1 {
			t.Fatalf("history table of %d versions has %d lines", n, strings.Count(out, "\n"))
		}
	})
}
