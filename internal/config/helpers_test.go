package config

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
)

const (
	goodJWT = "Zq3vK8pW1xR7mN2bT5yH9cL4dF6gJ0sA-eU_iO3kP8qV2wX7zB1nM5rT9yC4hG6j"
	goodKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	oldKey  = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
)

// load runs Load over an in-memory environment and file system.
func load(env, files map[string]string) (*Config, []Problem) {
	return Load(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}, func(path string) ([]byte, error) {
		if v, ok := files[path]; ok {
			return []byte(v), nil
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	})
}

func prodEnv(kv ...string) map[string]string {
	env := map[string]string{"APP_ENV": "production", "JWT_SECRET": goodJWT, "ENCRYPTION_KEY": goodKey}
	for i := 0; i < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func devEnv(kv ...string) map[string]string {
	env := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func mustLoad(t *testing.T, env, files map[string]string) *Config {
	t.Helper()
	c, problems := load(env, files)
	if len(problems) > 0 {
		t.Fatalf("unexpected problems: %v", problems)
	}
	return c
}

func problemVars(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Var)
	}
	return out
}

func hasProblem(ps []Problem, v string) bool {
	return slices.Contains(problemVars(ps), v)
}

func findProblem(ps []Problem, v string) (Problem, bool) {
	for _, p := range ps {
		if p.Var == v {
			return p, true
		}
	}
	return Problem{}, false
}

func joinProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}
