package validate

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// parseDockerfile parses with BuildKit's own parser and runs the lint rules
// that instructions.Parse applies (casing, JSON args, legacy ENV form,
// secrets in ARG/ENV...). Any warning fails the test.
func parseDockerfile(t *testing.T, rel string) []instructions.Stage {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readFile(t, rel)))
	if err != nil {
		t.Fatalf("%s: parse: %v", rel, err)
	}
	for _, w := range res.Warnings {
		t.Errorf("%s: parser warning: %s", rel, w.Short)
	}
	var lintWarnings []string
	lint := linter.New(&linter.Config{
		ExperimentalAll: true,
		Warn: func(rule, _, _, msg string, loc []parser.Range) {
			line := 0
			if len(loc) > 0 {
				line = loc[0].Start.Line
			}
			lintWarnings = append(lintWarnings, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
		},
	})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("%s: instructions: %v", rel, err)
	}
	for _, w := range lintWarnings {
		t.Errorf("%s: lint %s", rel, w)
	}
	return stages
}

var secretName = regexp.MustCompile(`(?i)(secret|passw|token|api_?key|encryption_key|private)`)

// commonInvariants: multi-stage, non-root final USER, HEALTHCHECK, no remote
// ADD, no secrets in ENV/ARG, pinned (non-latest) base images.
func commonInvariants(t *testing.T, rel string, stages []instructions.Stage) instructions.Stage {
	t.Helper()
	if len(stages) < 2 {
		t.Fatalf("%s: want a multi-stage build, got %d stage(s)", rel, len(stages))
	}
	for _, st := range stages {
		if strings.HasSuffix(st.BaseName, ":latest") || (!strings.Contains(st.BaseName, ":") && !strings.Contains(st.BaseName, "@")) {
			t.Errorf("%s: stage %q: base image %q is not pinned to a tag", rel, st.Name, st.BaseName)
		}
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.AddCommand:
				for _, src := range c.SourcePaths {
					if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
						t.Errorf("%s: ADD of remote source %q (use a pinned, verified download)", rel, src)
					}
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if secretName.MatchString(kv.Key) && !strings.HasSuffix(kv.Key, "_FILE") {
						t.Errorf("%s: ENV %s looks like a secret baked into the image", rel, kv.Key)
					}
				}
			case *instructions.ArgCommand:
				for _, a := range c.Args {
					if secretName.MatchString(a.Key) {
						t.Errorf("%s: ARG %s looks like a secret (build args end up in the image history)", rel, a.Key)
					}
				}
			}
		}
	}
	final := stages[len(stages)-1]
	var user string
	var health *instructions.HealthCheckCommand
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = c
		}
	}
	uid := strings.SplitN(user, ":", 2)[0]
	if user == "" || uid == "0" || uid == "root" {
		t.Errorf("%s: final stage must set a non-root USER, got %q", rel, user)
	}
	if health == nil || health.Health == nil || len(health.Health.Test) == 0 || health.Health.Test[0] == "NONE" {
		t.Errorf("%s: final stage needs a HEALTHCHECK", rel)
	}
	return final
}

func TestServerDockerfile(t *testing.T) {
	const rel = "deploy/docker/Dockerfile"
	stages := parseDockerfile(t, rel)
	final := commonInvariants(t, rel, stages)

	if !strings.HasPrefix(final.BaseName, "gcr.io/distroless/static") || !strings.HasSuffix(final.BaseName, ":nonroot") {
		t.Errorf("%s: final image %q, want gcr.io/distroless/static-*:nonroot", rel, final.BaseName)
	}
	var user string
	var exposes []string
	var ldflags, cgoOff bool
	for _, st := range stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.UserCommand:
				user = c.User
			case *instructions.ExposeCommand:
				exposes = append(exposes, c.Ports...)
			case *instructions.RunCommand:
				s := strings.Join(c.CmdLine, " ")
				if strings.Contains(s, "-X main.version=") && strings.Contains(s, "-X main.commit=") && strings.Contains(s, "-X main.date=") {
					ldflags = true
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if kv.Key == "CGO_ENABLED" && kv.Value == "0" {
						cgoOff = true
					}
				}
			}
		}
	}
	if user != "65532:65532" && user != "65532" {
		t.Errorf("%s: USER %q, want 65532 (distroless nonroot)", rel, user)
	}
	if strings.Join(exposes, ",") != "8080" {
		t.Errorf("%s: EXPOSE %v, want 8080", rel, exposes)
	}
	if !ldflags {
		t.Errorf("%s: go build must stamp main.version/commit/date via -ldflags -X", rel)
	}
	if !cgoOff {
		t.Errorf("%s: CGO_ENABLED=0 missing (the runtime image has no libc)", rel)
	}
	if stages[0].Name != "web" || !strings.HasPrefix(stages[0].BaseName, "node:") {
		t.Errorf("%s: first stage must build the web client on node, got %s (%s)", rel, stages[0].Name, stages[0].BaseName)
	}
}

func TestWebDockerfile(t *testing.T) {
	const rel = "deploy/docker/Dockerfile.web"
	stages := parseDockerfile(t, rel)
	final := commonInvariants(t, rel, stages)
	if !strings.HasPrefix(final.BaseName, "nginxinc/nginx-unprivileged:") {
		t.Errorf("%s: final image %q, want nginxinc/nginx-unprivileged", rel, final.BaseName)
	}
	copiesConf := false
	for _, c := range final.Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok {
			for _, src := range cp.SourcePaths {
				if src == "deploy/nginx/web-static.conf" {
					copiesConf = true
				}
			}
		}
	}
	if !copiesConf {
		t.Errorf("%s: must install deploy/nginx/web-static.conf", rel)
	}
}

// The build context must not carry secrets or local state into images.
func TestDockerignore(t *testing.T) {
	lines := map[string]bool{}
	for _, l := range strings.Split(string(readFile(t, ".dockerignore")), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{".git", ".env", ".env.*", "data/", "**/node_modules", "secrets/"} {
		if !lines[want] {
			t.Errorf(".dockerignore: missing %q", want)
		}
	}
	if lines["deploy/nginx"] || lines["deploy/"] || lines["deploy"] {
		t.Errorf(".dockerignore: deploy/nginx is needed by Dockerfile.web")
	}
}
