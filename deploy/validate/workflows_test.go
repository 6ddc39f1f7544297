package validate

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// localCICommands extracts from a .ci/run script the commands that check
// the code — scripts and make targets — leaving out provisioning (package
// installs, starting services, the replica setup), which the workflow does
// with service containers instead.
func localCICommands(script string) []string {
	check := regexp.MustCompile(`^(?:[A-Z_]+=\S+ )*(?:make \S+|bash (?:scripts|deploy)/\S+)$`)
	var cmds []string
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if check.MatchString(line) && !strings.Contains(line, "pg-replication-setup") {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// workflowRuns returns every `run:` of every job of a workflow, with its
// lines trimmed.
func workflowRuns(t *testing.T, src []byte) []string {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `json:"run"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(src, &wf); err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, job := range wf.Jobs {
		for _, st := range job.Steps {
			for _, l := range strings.Split(st.Run, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					runs = append(runs, l)
				}
			}
		}
	}
	return runs
}

// missingCommands lists the commands of local CI no workflow line runs.
func missingCommands(local, runs []string) []string {
	var missing []string
	for _, c := range local {
		if !slices.Contains(runs, c) {
			missing = append(missing, c)
		}
	}
	return missing
}

// TestCIWorkflowRunsLocalCI: GitHub's CI runs every check that .ci/run
// runs (with the same flags, such as the coverage floor), so that a green
// workflow means what a green local CI run means.
func TestCIWorkflowRunsLocalCI(t *testing.T) {
	local := localCICommands(string(readFile(t, ".ci/run")))
	for _, want := range []string{"bash scripts/lint.sh", "bash deploy/check.sh"} {
		if !slices.Contains(local, want) {
			t.Fatalf(".ci/run commands %q: %q not found; is the extraction still right?", local, want)
		}
	}
	runs := workflowRuns(t, readFile(t, ".github/workflows/ci.yml"))
	for _, c := range missingCommands(local, runs) {
		t.Errorf(".ci/run runs %q but .github/workflows/ci.yml does not", c)
	}
}

// TestMissingCommands: the comparison fails when the workflow lacks a
// command or runs it with other settings.
func TestMissingCommands(t *testing.T) {
	local := localCICommands(`
step "Lint"
bash scripts/lint.sh
step "Tests"
COVERAGE_MIN=80 make test
bash scripts/pg-replication-setup.sh
apt-get install -y redis-server
bash deploy/check.sh
`)
	if want := []string{"bash scripts/lint.sh", "COVERAGE_MIN=80 make test", "bash deploy/check.sh"}; !slices.Equal(local, want) {
		t.Fatalf("localCICommands = %q, want %q", local, want)
	}
	runs := workflowRuns(t, []byte(`
jobs:
  a:
    steps:
      - run: bash scripts/lint.sh
      - run: |
          echo tests
          make test
`))
	got := missingCommands(local, runs)
	if want := []string{"COVERAGE_MIN=80 make test", "bash deploy/check.sh"}; !slices.Equal(got, want) {
		t.Errorf("missing = %q, want %q", got, want)
	}
}
